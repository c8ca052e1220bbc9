import CsfCompat

/// Every value put into a page goes through `Html.escape`; pages are built from these pieces only, and carry
/// no script at all (the Content-Security-Policy forbids it), so text from a list, a log line or a form can
/// never become markup.
enum Html {
    static func escape(_ text: String) -> String { HTMLText.escape(text) }

    /// A whole page: the navigation for a signed-in user, csf's title, the body (already escaped markup).
    static func page(title: String, user: String?, readOnly: Bool = false, csrf: String? = nil, refresh: Int? = nil, body: String) -> String {
        var head = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        head += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        if let refresh { head += "<meta http-equiv=\"refresh\" content=\"\(refresh)\">" }
        head += "<title>\(escape(title)) - nftcsf</title><link rel=\"stylesheet\" href=\"/style.css\"></head><body>"
        var nav = ""
        if let user {
            nav = "<nav><a href=\"/\">Dashboard</a> <a href=\"/quick\">Quick actions</a> <a href=\"/temp\">Temporary</a> "
                + "<a href=\"/list/allow\">csf.allow</a> <a href=\"/list/deny\">csf.deny</a> <a href=\"/list/ignore\">csf.ignore</a> "
                + "<a href=\"/log\">lfd.log</a> <a href=\"/config\">Settings</a> <span class=\"who\">\(escape(user))\(readOnly ? " (read-only)" : "")</span>"
            if let csrf { nav += form("/logout", csrf: csrf, fields: "", button: "Log out", inline: true) }
            nav += "</nav>"
        }
        return head + nav + "<main><h1>\(escape(title))</h1>" + body + "</main></body></html>"
    }

    /// RFC 3986 percent-encoding: letters, digits, `-._` and `keeping` stay, every other byte is %XX.
    static func percentEncoded(_ s: String, keeping: String = "") -> String {
        let kept = Set(keeping.utf8)
        var out = ""
        for b in s.utf8 {
            if (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == 0x2D || b == 0x5F || b == 0x2E || kept.contains(b) {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                out += "%" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true)
            }
        }
        return out
    }

    static func form(_ action: String, csrf: String, fields: String, button: String, inline: Bool = false) -> String {
        "<form method=\"post\" action=\"\(escape(action))\"\(inline ? " class=\"inline\"" : "")>"
            + "<input type=\"hidden\" name=\"csrf\" value=\"\(escape(csrf))\">" + fields
            + "<button type=\"submit\">\(escape(button))</button></form>"
    }

    static func input(_ name: String, label: String, value: String = "", type: String = "text", extra: String = "") -> String {
        "<label>\(escape(label)) <input type=\"\(type)\" name=\"\(escape(name))\" id=\"\(escape(name))\" value=\"\(escape(value))\"\(extra)></label>"
    }

    static func pre(_ lines: [String]) -> String {
        "<pre class=\"output\">" + lines.map(escape).joined(separator: "\n") + "</pre>"
    }

    static let stylesheet = """
    body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f6f7f9}
    nav{background:#223;padding:.5em;display:flex;flex-wrap:wrap;gap:.6em;align-items:center}
    nav a{color:#fff;text-decoration:none}nav .who{color:#ccd;margin-left:auto}
    main{padding:1em;max-width:70em}h1{font-size:1.4em}
    table{border-collapse:collapse;width:100%;background:#fff}td,th{border:1px solid #ddd;padding:.3em;text-align:left;word-break:break-all}
    form{margin:.4em 0}form.inline{display:inline;margin:0}
    label{display:inline-block;margin:.2em .5em .2em 0}input,select,button{font-size:1em;padding:.3em}
    button{background:#2a5db0;color:#fff;border:0;border-radius:3px;padding:.4em .8em}
    .output{background:#fff;border:1px solid #ccc;padding:.6em;white-space:pre-wrap;word-break:break-all}
    .error{color:#a00}.ok{color:#060}.bars{display:flex;align-items:flex-end;gap:2px;height:8em;background:#fff;padding:.3em}
    .bar{background:#2a5db0;min-width:1.2em;flex:1}.quick form{background:#fff;padding:.6em;border:1px solid #ddd}
    @media (max-width:600px){main{padding:.5em}label{display:block}input,select,button{width:100%;box-sizing:border-box}}
    """
}
