import CsfCompat

/// A successful (or, for su and sudo, attempted) login csf's lfd mails about (reference §6.9: LF_SSH_EMAIL_ALERT,
/// LF_SU_EMAIL_ALERT, LF_SUDO_EMAIL_ALERT, LF_CONSOLE_EMAIL_ALERT, LF_WEBMIN_EMAIL_ALERT), read from one log line.
/// Only the daemon's own fields are taken: the account of an accepted login is a real account, the address is
/// the one sshd or Webmin writes after its fixed words.
public enum LoginAlert: Sendable, Equatable {
    case ssh(ip: IPAddress, account: String, method: String)
    case su(from: String, to: String, success: Bool)
    case sudo(from: String, to: String, success: Bool)
    case console(line: String)
    case webmin(ip: IPAddress, account: String)
    /// A page of WHM/cPanel served (200) to an account, from cPanel's access_log.
    case cpanel(ip: IPAddress, user: String)

    /// The csf.conf switch that enables the alert, and the *_LOG key its lines come from.
    public static let switches: [(key: String, log: String)] = [
        ("LF_SSH_EMAIL_ALERT", "SSHD_LOG"), ("LF_CONSOLE_EMAIL_ALERT", "SSHD_LOG"), ("LF_SU_EMAIL_ALERT", "SU_LOG"),
        ("LF_SUDO_EMAIL_ALERT", "SUDO_LOG"), ("LF_WEBMIN_EMAIL_ALERT", "WEBMIN_LOG"), ("LF_CPANEL_ALERT", "CPANEL_ACCESSLOG"),
    ]

    public var switchKey: String {
        switch self {
        case .ssh: "LF_SSH_EMAIL_ALERT"
        case .su: "LF_SU_EMAIL_ALERT"
        case .sudo: "LF_SUDO_EMAIL_ALERT"
        case .console: "LF_CONSOLE_EMAIL_ALERT"
        case .webmin: "LF_WEBMIN_EMAIL_ALERT"
        case .cpanel: "LF_CPANEL_ALERT"
        }
    }

    /// csf's lfd.log line.
    public var message: String {
        switch self {
        case .ssh(let ip, let account, let method): "*SSH login* from \(ip) into the \(account) account using \(method) authentication"
        case .su(let from, let to, let success): "*SU login* from account \(from) to account \(to): \(success ? "Successful" : "Failed") login"
        case .sudo(let from, let to, let success): "*SUDO login* from account \(from) to account \(to): \(success ? "Successful" : "Failed") login"
        case .console: "*CONSOLE login* to root"
        case .webmin(let ip, let account): "*Webmin login* from \(ip) into the \(account) account"
        case .cpanel(let ip, let user): "*WHM/cPanel \(user) access* from \(ip)"
        }
    }

    /// The template and its fields (`text` is the log line).
    public func alert(line: String) -> (template: String, values: [String: String]) {
        switch self {
        case .ssh(let ip, let account, let method):
            ("sshalert.txt", ["ip": ip.description, "account": account, "method": method, "text": line])
        case .su(let from, let to, let success):
            ("sualert.txt", ["from": from, "to": to, "status": success ? "Successful login" : "Failed login", "text": line])
        case .sudo(let from, let to, let success):
            ("sudoalert.txt", ["from": from, "to": to, "status": success ? "Successful login" : "Failed login", "text": line])
        case .console:
            ("consolealert.txt", ["line": line])
        case .webmin(let ip, let account):
            ("webminalert.txt", ["ip": ip.description, "account": account, "text": line])
        case .cpanel(let ip, let user):
            ("cpanelalert.txt", ["ip": ip.description, "user": user, "text": line])
        }
    }

    /// The login a line reports, from the log `key` it was read under; nil for any other line.
    /// `userName` names a uid where PAM wrote only `(uid=N)` (no login name known to it).
    public static func parse(_ line: String, key: String, userName: (UInt32) -> String? = { _ in nil }) -> LoginAlert? {
        guard mayReport(line, key: key) else { return nil }
        if key == "CPANEL_ACCESSLOG" { return cpanel(Substring(line)) }
        guard let (tag, message) = tagAndMessage(line) else { return nil }
        switch key {
        case "SSHD_LOG":
            if tag == "sshd" || tag.hasPrefix("sshd-") { return ssh(message) }
            if tag == "login", message.hasPrefix("ROOT LOGIN") { return .console(line: line) }
        case "SU_LOG":
            if tag == "su" || tag == "su(pam_unix)" { return su(message, userName: userName) }
        case "SUDO_LOG":
            if tag == "sudo" { return sudo(message) }
        case "WEBMIN_LOG":
            if tag == "webmin" || tag == "miniserv.pl" { return webmin(message) }
        default:
            break
        }
        return nil
    }

    /// Whether `line` holds a word a login of that log has: most lines of these logs are nothing of the kind, and
    /// this look (memmem, no allocation) decides before a line is split.
    public static func mayReport(_ line: String, key: String) -> Bool {
        guard let words = prefilter[key] else { return false }
        var text = line
        return text.withUTF8 { bytes in words.contains { FailureRule.contains(bytes, $0) } }
    }

    /// Words one of which a line of each log must hold to be looked at.
    static let prefilter: [String: [[UInt8]]] = [
        "SSHD_LOG": [Array("Accepted ".utf8), Array("ROOT LOGIN".utf8)], "SU_LOG": [Array("su".utf8)],
        "SUDO_LOG": [Array("sudo".utf8)], "WEBMIN_LOG": [Array("Successful login as ".utf8)],
        "CPANEL_ACCESSLOG": [Array("\" 200 ".utf8)],
    ]

    /// `Accepted publickey for alice from 192.0.2.7 port 50022 ssh2[: ED25519 SHA256:…]`
    static func ssh(_ m: Substring) -> LoginAlert? {
        guard m.hasPrefix("Accepted "), let forRange = m.firstRange(of: " for "), let from = m.lastRange(of: " from "),
              forRange.upperBound <= from.lowerBound else { return nil }
        let method = m[m.index(m.startIndex, offsetBy: "Accepted ".count)..<forRange.lowerBound]
        let account = m[forRange.upperBound..<from.lowerBound]
        let rest = m[from.upperBound...]
        guard let ip = IPAddress(String(rest.prefix { $0 != " " })), !method.isEmpty, !account.isEmpty, !account.contains(" ") else { return nil }
        return .ssh(ip: ip, account: String(account), method: String(method))
    }

    /// `pam_unix(su[-l]:session): session opened for user root[(uid=0)] by alice[(uid=1000)]` or
    /// `pam_unix(su:auth): authentication failure; … ruser=alice … user=root`; su from root is not reported.
    static func su(_ m: Substring, userName: (UInt32) -> String? = { _ in nil }) -> LoginAlert? {
        guard m.hasPrefix("pam_unix(su") || m.hasPrefix("session opened") || m.hasPrefix("authentication failure") else { return nil }
        if let opened = m.firstRange(of: "session opened for user "), let by = m.lastRange(of: " by "),
           opened.upperBound <= by.lowerBound {
            let to = m[opened.upperBound..<by.lowerBound]
            let from = m[by.upperBound...].prefix { $0 != " " }
            return fromRoot(from) ? nil : .su(from: account(from, userName), to: account(to, userName), success: true)
        }
        if m.contains("authentication failure;") {
            let from = field("ruser", in: m), to = field("user", in: m)
            guard !from.isEmpty, !fromRoot(Substring(from)) else { return nil }
            return .su(from: from, to: to, success: false)
        }
        return nil
    }

    /// `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id` (run), `alice : user NOT in
    /// sudoers ; …` or `… N incorrect password attempts ; …` (refused); sudo by root is not reported.
    static func sudo(_ m: Substring) -> LoginAlert? {
        let trimmed = m.drop { $0 == " " }
        guard let colon = trimmed.firstRange(of: " : ") else { return nil }
        let from = trimmed[..<colon.lowerBound]
        let rest = trimmed[colon.upperBound...]
        guard !from.contains(" "), !fromRoot(from), let user = rest.firstRange(of: "USER=") else { return nil }
        let to = rest[user.upperBound...].prefix { $0 != " " && $0 != ";" }
        let refused = rest.hasPrefix("user NOT in sudoers") || rest.contains("incorrect password attempt")
        guard refused || rest.hasPrefix("TTY=") else { return nil }
        return .sudo(from: String(from), to: String(to), success: !refused)
    }

    /// cPanel's access_log: `192.0.2.7 - root [12/01/2026:15:30:00 -0000] "GET /cpsess1/ HTTP/1.1" 200 …` (csf's
    /// pattern: address, `-`, an account of word characters, a bracketed date, a quoted request, status 200).
    static func cpanel(_ m: Substring) -> LoginAlert? {
        let f = m.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
        guard f.count == 4, f[1] == "-", let ip = IPAddress(String(f[0])), !f[2].isEmpty,
              f[2].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), f[3].hasPrefix("["),
              let close = f[3].firstIndex(of: "]") else { return nil }
        let rest = f[3][f[3].index(after: close)...]
        guard rest.hasPrefix(" \""), let end = rest.dropFirst(2).firstIndex(of: "\""),
              rest[rest.index(after: end)...].hasPrefix(" 200 ") else { return nil }
        return .cpanel(ip: ip, user: String(f[2]))
    }

    /// `Successful login as admin from 192.0.2.7`
    static func webmin(_ m: Substring) -> LoginAlert? {
        guard m.hasPrefix("Successful login as "), let from = m.lastRange(of: " from ") else { return nil }
        let account = m[m.index(m.startIndex, offsetBy: "Successful login as ".count)..<from.lowerBound]
        guard let ip = IPAddress(String(m[from.upperBound...].prefix { $0 != " " })), !account.contains(" ") else { return nil }
        return .webmin(ip: ip, account: String(account))
    }

    /// Newer PAM writes `alice(uid=2001)`, or `(uid=2001)` when it knows no name: csf's messages name accounts.
    static func account(_ token: Substring, _ userName: (UInt32) -> String?) -> String {
        guard let open = token.firstIndex(of: "("), token.hasSuffix(")") else { return String(token) }
        let name = token[..<open]
        if !name.isEmpty { return String(name) }
        let inside = token[token.index(after: open)..<token.index(before: token.endIndex)]
        guard inside.hasPrefix("uid="), let uid = UInt32(inside.dropFirst(4)) else { return String(token) }
        return userName(uid) ?? String(token)
    }

    static func fromRoot(_ account: Substring) -> Bool { account == "root" || account == "root(uid=0)" || account == "(uid=0)" }

    /// `name=value` in a PAM line (the value ends at a space).
    static func field(_ name: String, in text: Substring) -> String {
        guard let r = text.firstRange(of: " \(name)=") else { return "" }
        return String(text[r.upperBound...].prefix { $0 != " " })
    }

    /// The program tag and the message of a syslog line: a classic or ISO header, or any header `SyslogHeader`
    /// rewrites (RFC 5424, BusyBox…). The tag's `[pid]` is dropped.
    static func tagAndMessage(_ line: String) -> (tag: String, message: Substring)? {
        let text = line.first == "<" || line.first == "@" ? SyslogHeader.canonical(Substring(line)) ?? line : line
        // Classic `Mon dd hh:mm:ss host tag: msg` or `TIMESTAMP host tag: msg`: the tag is the third or second word.
        let words = text.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard words.count >= 3 else { return nil }
        let classic = words[0].count == 3 && words[0].first?.isUppercase == true
        let tagIndex = classic ? 4 : 2
        guard words.count > tagIndex, words[tagIndex].hasSuffix(":") else { return nil }
        var tag = words[tagIndex].dropLast()
        if let bracket = tag.firstIndex(of: "["), tag.hasSuffix("]") { tag = tag[..<bracket] }
        let start = words[tagIndex].endIndex
        let message = text[start...].dropFirst()
        return (String(tag), Substring(message))
    }
}

extension Substring {
    /// The last occurrence of `needle`: the daemon's own fixed words come after any client text.
    func lastRange(of needle: String) -> Range<Index>? {
        var found: Range<Index>?
        var rest = self[...]
        while let r = rest.firstRange(of: needle) {
            found = r
            rest = self[r.upperBound...]
        }
        return found
    }
}
