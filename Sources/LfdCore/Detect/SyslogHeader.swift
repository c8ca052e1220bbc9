/// Syslog headers other than the classic `Mon dd hh:mm:ss host prog[pid]: ` one, rewritten into it so that a
/// detector's `%SYSLOG(tag)%` describes only the program and its message, whatever wrote the file.
///
/// Read: a `<PRI>` prefix (rsyslog's `%PRI%`, network captures); RFC 5424 (`<PRI>1 TS HOST APP PROCID MSGID SD
/// MSG`, rsyslog's RSYSLOG_SyslogProtocol23Format); BusyBox syslogd's `facility.level` before the tag; FreeBSD
/// syslogd -v's `<facility.level>` after the timestamp; socklog/svlogd (`@tai64n` or `YYYY-MM-DD_hh:mm:ss.frac`,
/// then `facility.level: `, then a host-less classic line); journalctl's `short-precise` (fractional seconds)
/// and `short-monotonic` (`[ 1234.567890]`). rsyslog's high-precision ISO timestamps, `short-iso` and multilog's
/// `@tai64n` need no rewriting: `%SYSLOG%` reads them as they are.
///
/// Only called on the rare path (a line whose literals matched but no pattern did), so clarity beats speed.
public enum SyslogHeader {
    /// A byte-level first look: false for the lines `canonical` would return nil for that are common (classic and
    /// ISO headers), so the daemon's hot path never decodes them. True may still turn out nil.
    public static func mayRewrite(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = line.first else { return false }
        switch first {
        case UInt8(ascii: "<"), UInt8(ascii: "@"), UInt8(ascii: "["): return true
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            return line.count > 10 && line[10] == UInt8(ascii: "_")                       // svlogd's stamp
        case UInt8(ascii: "A")...UInt8(ascii: "Z"):
            // `Mon dd hh:mm:ss` then a space: classic unless a fraction, a `<…>` or a facility.level follows.
            guard line.count > 16, line[15] == UInt8(ascii: " ") else { return true }
            if line[16] == UInt8(ascii: "<") { return true }
            var i = 16
            while i < line.count, line[i] != UInt8(ascii: " ") { i += 1 }               // the host
            i += 1
            var dot = false
            while i < line.count, line[i] != UInt8(ascii: " ") {
                if line[i] == UInt8(ascii: ".") { dot = true }
                if line[i] == UInt8(ascii: ":") || line[i] == UInt8(ascii: "[") { return false }   // a tag
                i += 1
            }
            return dot
        default:
            return false
        }
    }

    /// The classic form of `line`, nil when it has no header this type rewrites.
    public static func canonical(_ line: Substring) -> String? {
        var rest = line
        var rewritten = false
        // <PRI>
        if rest.first == "<", let close = rest.firstIndex(of: ">"), rest.distance(from: rest.startIndex, to: close) <= 4,
           rest[rest.index(after: rest.startIndex)..<close].allSatisfy(\.isASCIIDigit), close > rest.startIndex {
            rest = rest[rest.index(after: close)...]
            rewritten = true
        }
        if rest.hasPrefix("1 "), let rfc5424 = rfc5424(rest.dropFirst(2)) { return rfc5424 }
        if let socklog = socklog(rest) { return socklog }
        if let monotonic = monotonic(rest) { return monotonic }
        guard let (timestamp, afterTimestamp) = classicTimestamp(rest) else { return rewritten ? String(rest) : nil }
        var tokens = afterTimestamp.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
        // FreeBSD -v: `<auth.info>` (or `<4.6>` with -vv) right after the timestamp.
        if let first = tokens.first, first.hasPrefix("<"), first.hasSuffix(">"), isFacilityLevel(first.dropFirst().dropLast()) {
            tokens.removeFirst()
            rewritten = true
        }
        // BusyBox: `host facility.level tag: msg`.
        if tokens.count >= 3, isFacilityLevel(tokens[1]), looksLikeTag(tokens[2]) {
            tokens.remove(at: 1)
            rewritten = true
        }
        guard rewritten || timestamp.count != 15 else { return nil }
        return ([Substring(classic(timestamp))] + tokens).joined(separator: " ")
    }

    // MARK: shapes

    /// `TS HOST APP PROCID MSGID SD MSG`; "-" is the nil value; SD is "-" or one or more `[...]` elements.
    static func rfc5424(_ text: Substring) -> String? {
        let parts = text.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        let (timestamp, host, app, procid) = (parts[0], parts[1], parts[2], parts[3])
        guard timestamp == "-" || (timestamp.count >= 19 && timestamp.first?.isASCIIDigit == true) else { return nil }
        var message = parts[5]
        if message.hasPrefix("-") {
            message = message.dropFirst()
        } else if message.hasPrefix("[") {
            guard let end = structuredDataEnd(message) else { return nil }
            message = message[end...]
        } else {
            return nil
        }
        // One space ends SD; rsyslog keeps a legacy sender's own space after the tag's colon in MSG, so a line
        // from a real sshd has two.
        while message.hasPrefix(" ") { message = message.dropFirst() }
        if message.hasPrefix("\u{FEFF}") { message = message.dropFirst() }
        let ts = timestamp == "-" ? "1970-01-01T00:00:00Z" : String(timestamp)
        let tag = app == "-" ? "-" : String(app)
        let pid = procid == "-" ? "" : "[\(procid)]"
        return "\(ts) \(host == "-" ? "localhost" : host) \(tag)\(pid): \(message)"
    }

    /// The index just past the last `[...]` element of RFC 5424 structured data (`\]` escapes a bracket).
    static func structuredDataEnd(_ text: Substring) -> Substring.Index? {
        var i = text.startIndex
        while i < text.endIndex, text[i] == "[" {
            var j = text.index(after: i)
            var escaped = false
            while j < text.endIndex {
                let c = text[j]
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "]" { break }
                j = text.index(after: j)
            }
            guard j < text.endIndex else { return nil }
            i = text.index(after: j)
        }
        return i
    }

    /// svlogd's timestamp (optional), `facility.level: `, then a classic line without a host.
    static func socklog(_ text: Substring) -> String? {
        var rest = text
        if rest.first == "@" || (rest.count > 20 && rest[rest.index(rest.startIndex, offsetBy: 10)] == "_"),
           let space = rest.firstIndex(of: " ") {
            rest = rest[rest.index(after: space)...]
        }
        guard let colon = rest.firstIndex(of: ":"), isFacilityLevel(rest[..<colon]),
              rest[rest.index(after: colon)...].hasPrefix(" ") else { return nil }
        let line = rest[rest.index(colon, offsetBy: 2)...]
        guard let (timestamp, after) = classicTimestamp(line) else { return nil }
        return "\(classic(timestamp)) \(after)"
    }

    /// journalctl -o short-monotonic: `[ 1234.567890] host tag[pid]: msg`.
    static func monotonic(_ text: Substring) -> String? {
        guard text.first == "[", let close = text.firstIndex(of: "]"),
              text[text.index(after: text.startIndex)..<close].allSatisfy({ $0 == " " || $0 == "." || $0.isASCIIDigit }),
              text[text.index(after: close)...].hasPrefix(" ") else { return nil }
        return "Jan  1 00:00:00" + text[text.index(after: close)...]
    }

    /// `Mon dd hh:mm:ss` with optional fractional seconds (journalctl short-precise), and the text after it.
    static func classicTimestamp(_ text: Substring) -> (Substring, Substring)? {
        let chars = Array(text.prefix(32))
        guard chars.count >= 16, chars[0].isUppercase, chars[1].isLowercase, chars[2].isLowercase, chars[3] == " " else { return nil }
        var i = 4
        if chars[i] == " " { i += 1 }
        guard i < chars.count, chars[i].isASCIIDigit else { return nil }
        while i < chars.count, chars[i].isASCIIDigit { i += 1 }
        guard i + 9 <= chars.count, chars[i] == " ", chars[i + 3] == ":", chars[i + 6] == ":" else { return nil }
        i += 9
        while i < chars.count, chars[i] == "." || chars[i].isASCIIDigit { i += 1 }
        guard i < chars.count, chars[i] == " " else { return nil }
        let end = text.index(text.startIndex, offsetBy: i)
        return (text[..<end], text[text.index(after: end)...])
    }

    /// The classic 15-character stamp (fractional seconds dropped).
    static func classic(_ timestamp: Substring) -> Substring {
        guard let dot = timestamp.firstIndex(of: ".") else { return timestamp }
        return timestamp[..<dot]
    }

    static let facilities: Set<Substring> = ["kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
                                             "authpriv", "ftp", "ntp", "security", "console", "local0", "local1", "local2",
                                             "local3", "local4", "local5", "local6", "local7"]
    static let levels: Set<Substring> = ["emerg", "alert", "crit", "err", "error", "warn", "warning", "notice", "info", "debug"]

    /// `auth.info`, `authpriv.notice`, or FreeBSD -vv's numeric `4.6`.
    static func isFacilityLevel(_ token: Substring) -> Bool {
        guard let dot = token.firstIndex(of: ".") else { return false }
        let facility = token[..<dot], level = token[token.index(after: dot)...]
        if facility.allSatisfy(\.isASCIIDigit) && level.allSatisfy(\.isASCIIDigit) { return !facility.isEmpty && !level.isEmpty }
        return facilities.contains(facility) && levels.contains(level)
    }

    /// `sshd[123]:`, `sshd:`, `postfix/smtpd[9]:`.
    static func looksLikeTag(_ token: Substring) -> Bool {
        token.hasSuffix(":") && token.count > 1
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
