import CsfCompat

/// csf's alert templates (`/usr/local/csf/tpl/*.txt`, reference §6.12): a `From:`/`To:`/`Subject:` header, a
/// blank line, a body, with `[name]` placeholders. Filled in one pass, so text from a log line that happens to
/// hold `[name]` is never expanded again; header lines get no line breaks from values, so a value can never
/// add a header (a Bcc:) to the mail.
public enum AlertTemplate {
    /// The filled message. LF_ALERT_TO / LF_ALERT_FROM (`to`, `from`; empty: the template's) replace the
    /// template's addresses.
    public static func render(_ template: String, values: [String: String], to: String = "", from: String = "") -> String {
        var lines: [String] = []
        var inHeader = true
        for raw in LineScanner.lines(template) {
            if inHeader && raw.isEmpty { inHeader = false }
            var line = fill(raw, values, singleLine: inHeader)
            if inHeader {
                if line.hasPrefix("To:"), !to.isEmpty { line = "To: \(to)" }
                if line.hasPrefix("From:"), !from.isEmpty { line = "From: \(from)" }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// One pass over the text: `[name]` with a known name is replaced, anything else is kept as it is.
    static func fill(_ text: Substring, _ values: [String: String], singleLine: Bool) -> String {
        var out = ""
        var rest = text
        while let open = rest.firstIndex(of: "[") {
            out += rest[..<open]
            let after = rest[rest.index(after: open)...]
            if let close = after.firstIndex(of: "]"), let value = values[String(after[..<close])] {
                out += singleLine ? value.filter { $0 != "\n" && $0 != "\r" } : value
                rest = after[after.index(after: close)...]
            } else {
                out += "["
                rest = after
            }
        }
        return out + rest
    }

    /// A header field of a rendered message (`From`, `To`); `root` when absent or empty, as csf sends it.
    public static func header(_ name: String, of message: String) -> String {
        for line in LineScanner.lines(message) {
            if line.isEmpty { break }
            if line.hasPrefix(name + ":") {
                let value = line.dropFirst(name.count + 1).trimmingWhitespace()
                return value.isEmpty ? "root" : value
            }
        }
        return "root"
    }
}
