import Hummingbird
import NftRuleset

/// The UI's pages, built from `Html`'s pieces. Text from csf's files, lfd.log, the helper or a form is escaped.
enum WebPages {
    static func html(_ status: HTTPResponse.Status = .ok, _ body: String, headers: HTTPFields = [:]) -> Response {
        var h = headers
        h[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: h, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        html(status, Html.page(title: "\(status.code) \(status.reasonPhrase)", user: nil, body: "<p class=\"error\">\(Html.escape(text))</p>"))
    }

    static func redirect(_ to: String, headers: HTTPFields = [:]) -> Response {
        var h = headers
        h[.location] = to
        return Response(status: .seeOther, headers: h)
    }

    static func login(csrf: String, message: String?) -> String {
        let note = message.map { "<p class=\"error\" id=\"message\">\(Html.escape($0))</p>" } ?? ""
        return Html.page(title: "Sign in", user: nil, body: note + Html.form("/login", csrf: csrf, fields:
            Html.input("user", label: "Account", extra: " autocomplete=\"username\" required")
            + Html.input("password", label: "Password", type: "password", extra: " autocomplete=\"current-password\" required"),
            button: "Sign in"))
    }

    static func dashboard(_ f: DashboardFacts, session: SessionStore.Session) -> String {
        var b = "<table id=\"status\"><tr><th>Firewall</th><td>\(Html.escape(f.firewall))</td></tr>"
        b += "<tr><th>lfd</th><td>\(f.lfdRunning ? "running" : "not running")</td></tr>"
        b += "<tr><th>Temporary entries</th><td>\(f.temporary)</td></tr>"
        for l in f.lists { b += "<tr><th>\(Html.escape(l.name))</th><td>\(l.entries)</td></tr>" }
        b += "</table><h2>Busiest rules</h2>"
        if f.rules.isEmpty {
            b += "<p>No rule has matched a packet yet.</p>"
        } else {
            b += "<table id=\"rules\"><tr><th>Chain</th><th>Setting</th><th>Packets</th><th>Bytes</th></tr>"
            for r in f.rules {
                b += "<tr><td>\(Html.escape(r.chain))</td><td>\(Html.escape(r.setting))</td><td>\(r.packets)</td><td>\(r.bytes)</td></tr>"
            }
            b += "</table>"
        }
        b += "<h2>Blocks per hour</h2>" + chart(f.blocksPerHour)
        b += "<h2>lfd</h2>" + Html.pre(f.lfdStatus)
        b += "<h2>Latest blocks by lfd</h2>" + Html.pre(f.recentBlocks.isEmpty ? ["(none in lfd.log)"] : f.recentBlocks)
        return Html.page(title: "Dashboard", user: session.user, readOnly: session.readOnly, csrf: session.csrf, body: b)
    }

    /// Bars as SVG attributes: no style attribute and no script, which the CSP would refuse.
    static func chart(_ hours: [(hour: String, count: Int)]) -> String {
        guard !hours.isEmpty else { return "<p>No blocks in lfd.log.</p>" }
        let top = max(1, hours.map(\.count).max() ?? 1), width = 28, height = 120
        var svg = "<svg class=\"chart\" role=\"img\" width=\"\(hours.count * width)\" height=\"\(height + 30)\" viewBox=\"0 0 \(hours.count * width) \(height + 30)\">"
        for (i, h) in hours.enumerated() {
            let bar = max(1, h.count * height / top)
            svg += "<rect x=\"\(i * width + 2)\" y=\"\(height - bar)\" width=\"\(width - 4)\" height=\"\(bar)\" fill=\"#2a5db0\"><title>\(Html.escape(h.hour)):00 \(h.count)</title></rect>"
            svg += "<text x=\"\(i * width + 2)\" y=\"\(height + 12)\" font-size=\"9\">\(Html.escape(String(h.hour.suffix(2))))h</text>"
            svg += "<text x=\"\(i * width + 2)\" y=\"\(height + 24)\" font-size=\"9\">\(h.count)</text>"
        }
        return svg + "</svg>"
    }

    static let quickActions: [(action: String, label: String)] = [
        ("allow", "Quick Allow"), ("deny", "Quick Deny"), ("tempdeny", "Temporary Deny"), ("ignore", "Quick Ignore"),
        ("unblock", "Quick Unblock"), ("search", "Search for IP"),
    ]

    /// csf's mobile quick page: one form per action, usable at phone width.
    static func quick(session: SessionStore.Session, result: (ok: Bool, lines: [String])?) -> String {
        var b = ""
        if let result { b += "<div id=\"result\" class=\"\(result.ok ? "ok" : "error")\">" + Html.pre(result.lines) + "</div>" }
        b += "<div class=\"quick\">"
        for (action, label) in quickActions {
            if session.readOnly && action != "search" { continue }
            var fields = "<input type=\"hidden\" name=\"action\" value=\"\(action)\">"
                + Html.input("ip", label: "IP address", extra: " required inputmode=\"text\"")
            if action == "tempdeny" {
                fields += Html.input("ttl", label: "For", value: "1", type: "number", extra: " min=\"1\"")
                fields += "<label>Unit <select name=\"unit\"><option value=\"1\">seconds</option><option value=\"60\">minutes</option>"
                    + "<option value=\"3600\" selected>hours</option><option value=\"86400\">days</option></select></label>"
            }
            if ["allow", "deny", "tempdeny", "ignore"].contains(action) { fields += Html.input("comment", label: "Comment") }
            b += "<section id=\"\(action)\"><h2>\(label)</h2>" + Html.form("/quick", csrf: session.csrf, fields: fields, button: label) + "</section>"
        }
        return Html.page(title: "Quick actions", user: session.user, readOnly: session.readOnly, csrf: session.csrf, body: b + "</div>")
    }

    static func temporary(session: SessionStore.Session, rows: [[String]], result: (ok: Bool, lines: [String])?) -> String {
        var b = result.map { "<div id=\"result\" class=\"\($0.ok ? "ok" : "error")\">" + Html.pre($0.lines) + "</div>" } ?? ""
        guard !rows.isEmpty else {
            return Html.page(title: "Temporary entries", user: session.user, readOnly: session.readOnly, csrf: session.csrf,
                             body: b + "<p id=\"none\">There are no temporary IP entries.</p>")
        }
        b += "<table id=\"temporary\"><tr><th>Kind</th><th>IP</th><th>Remaining</th><th>Ports</th><th>Direction</th><th>Comment</th><th></th></tr>"
        for r in rows where r.count >= 6 {
            let remaining = Int(r[2]) ?? 0
            let remove = session.readOnly ? "" : Html.form("/temp/remove", csrf: session.csrf,
                fields: "<input type=\"hidden\" name=\"ip\" value=\"\(Html.escape(r[1]))\">", button: "Remove", inline: true)
            b += "<tr><td>\(Html.escape(r[0]))</td><td>\(Html.escape(r[1]))</td><td>\(duration(remaining))</td>"
                + "<td>\(Html.escape(r[3].isEmpty ? "*" : r[3]))</td><td>\(Html.escape(r[4]))</td><td>\(Html.escape(r[5]))</td><td>\(remove)</td></tr>"
        }
        return Html.page(title: "Temporary entries", user: session.user, readOnly: session.readOnly, csrf: session.csrf, body: b + "</table>")
    }

    static func duration(_ s: Int) -> String {
        s >= 86400 ? "\(s / 86400)d \(s % 86400 / 3600)h" : s >= 3600 ? "\(s / 3600)h \(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m \(s % 60)s" : "\(s)s"
    }

    static func list(_ name: HelperRequest.List, query: String, page: ListPage, session: SessionStore.Session) -> String {
        let pages = max(1, (page.total + ListPage.size - 1) / ListPage.size)
        var b = "<form method=\"get\" action=\"/list/\(name.rawValue)\">" + Html.input("q", label: "Search", value: query)
            + "<button type=\"submit\">Search</button></form>"
        b += "<p id=\"count\">\(page.total) line\(page.total == 1 ? "" : "s")\(query.isEmpty ? "" : " holding \u{201C}\(Html.escape(query))\u{201D}"), page \(page.page + 1) of \(pages)</p>"
        b += Html.pre(page.lines)
        func link(_ p: Int, _ label: String) -> String {
            "<a href=\"/list/\(name.rawValue)?page=\(p)&amp;q=\(Html.escape(percentEncoded(query)))\">\(label)</a> "
        }
        if page.page > 0 { b += link(page.page - 1, "Previous") }
        if page.page + 1 < pages { b += link(page.page + 1, "Next") }
        return Html.page(title: "csf.\(name.rawValue)", user: session.user, readOnly: session.readOnly, csrf: session.csrf, body: b)
    }

    /// lfd.log's tail, refreshed by a meta tag (no script) unless paused.
    static func log(lines: [String], refresh: Int, paused: Bool, session: SessionStore.Session) -> String {
        let control = paused ? "<p id=\"paused\">Paused. <a href=\"/log?paused=0\">Resume</a></p>"
            : "<p id=\"live\">The last \(lines.count) lines, refreshed every \(refresh) s. <a href=\"/log?paused=1\">Pause</a></p>"
        return Html.page(title: "lfd.log", user: session.user, readOnly: session.readOnly, csrf: session.csrf, refresh: paused ? nil : refresh,
                         body: control + Html.pre(lines))
    }

    /// The settings editor: search by name, one form per editable setting (preview first, never a direct write).
    static func settings(session: SessionStore.Session, query: String, reply: String) -> String {
        let lines = reply.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let head = lines.first?.split(separator: "\t") ?? []
        let total = head.first.flatMap { Int($0) } ?? 0, pending = head.count > 1 ? Int(head[1]) ?? -1 : -1
        var b = pending >= 0 ? confirmBox(session: session, seconds: pending) : ""
        b += "<form method=\"get\" action=\"/config\">" + Html.input("q", label: "Setting", value: query)
            + "<button type=\"submit\">Find</button></form><p>\(total) setting\(total == 1 ? "" : "s")\(total > 60 ? " (the first 60 shown)" : "")</p>"
        b += "<table id=\"settings\"><tr><th>Setting</th><th>Value</th></tr>"
        for line in lines.dropFirst() {
            let f = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard f.count == 3 else { continue }
            let cell: String
            if f[1] == "1" && !session.readOnly {
                cell = Html.form("/config/preview", csrf: session.csrf, fields: "<input type=\"hidden\" name=\"key\" value=\"\(Html.escape(f[0]))\">"
                    + "<input type=\"text\" name=\"value\" aria-label=\"\(Html.escape(f[0]))\" value=\"\(Html.escape(f[2]))\">", button: "Preview", inline: true)
            } else {
                cell = Html.escape(f[2]) + (f[1] == "1" ? "" : " <small>(not editable here)</small>")
            }
            b += "<tr><th>\(Html.escape(f[0]))</th><td>\(cell)</td></tr>"
        }
        return Html.page(title: "Settings", user: session.user, readOnly: session.readOnly, csrf: session.csrf, body: b + "</table>")
    }

    static func confirmBox(session: SessionStore.Session, seconds: Int) -> String {
        "<div id=\"pending\" class=\"error\"><p>A change waits for confirmation: it is rolled back in \(seconds) s.</p>"
            + (session.readOnly ? "" : Html.form("/config/confirm", csrf: session.csrf, fields: "", button: "Confirm the change")) + "</div>"
    }

    static func preview(session: SessionStore.Session, key: String, value: String,
                        p: (key: String, before: String?, after: String, errors: [String], warnings: [String])) -> String {
        var b = "<pre class=\"output\" id=\"diff\">" + (p.before.map { "- " + Html.escape($0) + "\n" } ?? "") + "+ " + Html.escape(p.after) + "</pre>"
        if !p.errors.isEmpty {
            b += "<div id=\"errors\" class=\"error\"><p>csf --check refuses this change:</p>" + Html.pre(p.errors) + "</div>"
        } else {
            if !p.warnings.isEmpty { b += "<div id=\"warnings\">" + Html.pre(p.warnings) + "</div>" }
            b += Html.form("/config/apply", csrf: session.csrf, fields:
                "<input type=\"hidden\" name=\"key\" value=\"\(Html.escape(key))\"><input type=\"hidden\" name=\"value\" value=\"\(Html.escape(value))\">"
                + Html.input("confirm", label: "Roll back unless confirmed within (seconds)", value: "120", type: "number", extra: " min=\"10\" max=\"3600\""),
                button: "Apply")
        }
        return Html.page(title: "Change \(key)", user: session.user, readOnly: session.readOnly, csrf: session.csrf, body: b)
    }

    static func applied(session: SessionStore.Session, ok: Bool, lines: [String], seconds: Int?) -> String {
        var b = "<div id=\"result\" class=\"\(ok ? "ok" : "error")\">" + Html.pre(lines) + "</div>"
        if ok, let seconds { b += confirmBox(session: session, seconds: seconds) }
        b += "<p><a href=\"/config\">Settings</a></p>"
        return Html.page(title: "Settings", user: session.user, readOnly: session.readOnly, csrf: session.csrf, body: b)
    }

    /// A query value in a link (`:` kept: IPv6 addresses stay readable).
    static func percentEncoded(_ s: String) -> String { Html.percentEncoded(s, keeping: ":") }
}

