import CsfCompat

/// Relay tracking (RT_*, reference §6.9 and §4.2): mail accepted per source per hour, from Exim's `<=` lines as
/// csf reads them, and from Postfix, where a message's source (smtpd's `client=`, with `sasl_username=` when
/// authenticated, or pickup's `uid=` for local submission) and its recipient count (qmgr's `nrcpt=`) are on
/// separate lines tied by the queue id. Counts are reset wholesale every hour, as csf's; a source past its
/// RT_<check>_LIMIT is reported once and counted again from zero.
public struct RelayTracker: Sendable {
    public enum Check: String, Sendable, CaseIterable {
        case relay = "RELAY", authRelay = "AUTHRELAY", popRelay = "POPRELAY", localRelay = "LOCALRELAY", localhostRelay = "LOCALHOSTRELAY"
    }

    public struct Settings: Sendable {
        public var limits: [Check: Int] = [:]
        /// csf.mignore: addresses and accounts never counted.
        public var ignore: Set<String> = []
        /// /etc/relayhosts and /etc/alwaysrelay: addresses whose unauthenticated relaying is POPRELAY.
        public var relayHosts: Set<String> = []

        public init() {}

        public init(config: CsfConfig) {
            for check in Check.allCases where config.bool("RT_\(check.rawValue)_ALERT") {
                limits[check] = max(0, config.int("RT_\(check.rawValue)_LIMIT"))
            }
        }

        public var enabled: Bool { !limits.isEmpty }
    }

    /// A source over its limit: `key` is an address, or an account for LOCALRELAY.
    public struct Exceeded: Sendable, Equatable {
        public var key: String
        public var check: Check
        public var count: Int
        /// The first lines that counted (at most 10), for the alert.
        public var mails: [String]
    }

    /// What one log line says.
    public enum Sighting: Equatable, Sendable {
        /// Exim: a message from `source` with `recipients` recipients (at least 1).
        case message(source: Source, recipients: Int)
        /// Postfix: where a queued message came from…
        case queued(id: String, source: Source)
        /// …and how many recipients it has.
        case recipients(id: String, count: Int)
    }

    public enum Source: Equatable, Sendable {
        case address(String, authenticated: Bool)
        case account(String)
    }

    struct Entry {
        var count = 0
        var check: Check
        var mails: [String] = []
    }

    public var settings: Settings
    private var entries: [String: Entry] = [:]
    private var bucketStart = 0
    /// Postfix queue ids seen with a source, waiting for qmgr's recipient count.
    private var waiting: [String: (source: Source, line: String, since: Int)] = [:]
    static let maxWaiting = 50_000

    public init(settings: Settings = Settings()) { self.settings = settings }

    /// `isLocal`: one of this server's addresses (LOCALHOSTRELAY); `userName`: a Postfix pickup uid's account.
    public mutating func see(_ line: String, now: Int, isLocal: (String) -> Bool, userName: (UInt32) -> String?) -> Exceeded? {
        guard settings.enabled, let sighting = Self.parse(line, userName: userName) else { return nil }
        if now - bucketStart >= 3600 {
            entries = [:]
            bucketStart = now
        }
        switch sighting {
        case .message(let source, let recipients):
            return count(source, recipients: recipients, line: line, isLocal: isLocal)
        case .queued(let id, let source):
            if waiting.count >= Self.maxWaiting { waiting = waiting.filter { now - $0.value.since < 3600 } }
            if waiting.count < Self.maxWaiting { waiting[id] = (source, line, now) }
            return nil
        case .recipients(let id, let n):
            guard let queued = waiting.removeValue(forKey: id) else { return nil }
            return count(queued.source, recipients: n, line: queued.line, isLocal: isLocal)
        }
    }

    private mutating func count(_ source: Source, recipients: Int, line: String, isLocal: (String) -> Bool) -> Exceeded? {
        let key: String, check: Check
        switch source {
        case .account(let name):
            (key, check) = (name, .localRelay)
        case .address(let ip, let authenticated):
            key = ip
            if isLocal(ip) || ip == "127.0.0.1" || ip == "::1" {
                check = .localhostRelay
            } else if authenticated {
                check = .authRelay
            } else {
                check = settings.relayHosts.contains(ip) ? .popRelay : .relay
            }
        }
        guard key != "mailnull", key != "root", !settings.ignore.contains(key) else { return nil }
        var entry = entries[key] ?? Entry(check: check)
        entry.count += max(1, recipients)
        if entry.mails.count < 10 { entry.mails.append(line) }
        // The check a source was first counted under is the one it is judged by, as csf.
        guard let limit = settings.limits[entry.check], entry.count > limit else {
            entries[key] = entry
            return nil
        }
        entries[key] = nil
        return Exceeded(key: key, check: entry.check, count: entry.count, mails: entry.mails)
    }

    /// csf's block for a source over its limit (RT_<check>_BLOCK: 1 permanent, more a temporary block of that many
    /// seconds) on the SMTP AUTH ports, inbound; nil for accounts and this server's own relaying.
    public static func block(_ e: Exceeded, setting: Int, ports: String) -> FailureTracker.Block? {
        guard setting > 0, e.check != .localRelay, e.check != .localhostRelay, let ip = IPAddress(e.key) else { return nil }
        var block = FailureTracker.Block(ip: ip, apps: ["smtp"], text: "", hits: e.count, trigger: "RT_\(e.check.rawValue)_LIMIT",
                                         seconds: setting > 1 ? setting : nil, ports: ports, interval: 3600, lines: e.mails)
        let check = e.check.rawValue
        block.customMessage = { note in "\(ip) \(note(ip)) \(check) limit exceeded" }
        return block
    }

    // MARK: parsing

    public static func parse(_ line: String, userName: (UInt32) -> String?) -> Sighting? {
        if line.contains(" <= ") { return exim(line) }
        if line.contains("postfix/") { return postfix(line, userName: userName) }
        return nil
    }

    /// csf's relaycheck: quoted strings blanked, `<date> <time> [pid] <id> <= …`; `U=user P=local` is local
    /// submission; `H=…[ip]` with `A=<authenticator>:` and `P=esmtpa|esmtpsa` authenticated; `P=smtp|esmtp|esmtps`
    /// not. Recipients are the `for a@b c@d` list (Exim's +received_recipients), else 1.
    static func exim(_ line: String) -> Sighting? {
        let words = blankQuotes(line).split(separator: " ", omittingEmptySubsequences: true)
        guard words.count >= 5 else { return nil }
        var i = 2
        if words[i].hasPrefix("["), words[i].hasSuffix("]") { i += 1 }
        guard words.count > i + 1, words[i + 1] == "<=" else { return nil }
        let fields = words[(i + 2)...]
        let recipients = recipientCount(fields)
        if let user = fields.first(where: { $0.hasPrefix("U=") }), fields.contains("P=local") {
            return .message(source: .account(String(user.dropFirst(2))), recipients: recipients)
        }
        guard let host = fields.firstIndex(where: { $0.hasPrefix("H=") }) else { return nil }
        // H=name (helo) [ip]:port — the address is the first bracketed word from H= on.
        guard let bracket = fields[host...].first(where: { $0.contains("[") && $0.contains("]") }),
              let open = bracket.firstIndex(of: "["), let close = bracket.firstIndex(of: "]"), open < close,
              let ip = IPAddress(String(bracket[bracket.index(after: open)..<close])) else { return nil }
        let authenticated = fields.contains { $0.hasPrefix("A=") && $0.contains(":") } && (fields.contains("P=esmtpa") || fields.contains("P=esmtpsa"))
        guard authenticated || fields.contains("P=smtp") || fields.contains("P=esmtp") || fields.contains("P=esmtps") else { return nil }
        return .message(source: .address(ip.description, authenticated: authenticated), recipients: recipients)
    }

    static func recipientCount(_ fields: ArraySlice<Substring>) -> Int {
        guard let start = fields.firstIndex(of: "for") else { return 1 }
        return fields[(start + 1)...].prefix { $0.contains("@") }.count
    }

    static func blankQuotes(_ line: String) -> String {
        guard let first = line.firstIndex(of: "\""), let last = line.lastIndex(of: "\""), first < last else { return line }
        return String(line[..<first]) + "\"\"" + String(line[line.index(after: last)...])
    }

    /// `postfix/smtpd[pid]: QID: client=host[ip][, sasl_method=…, sasl_username=…]`,
    /// `postfix/pickup[pid]: QID: uid=N from=<…>`, `postfix/qmgr[pid]: QID: from=<…>, size=N, nrcpt=K (queue active)`.
    static func postfix(_ line: String, userName: (UInt32) -> String?) -> Sighting? {
        guard let tag = line.firstRange(of: "postfix/") else { return nil }
        let rest = line[tag.upperBound...]
        guard let colon = rest.firstRange(of: "]: ") else { return nil }
        let program = rest[..<colon.lowerBound].split(separator: "[").first ?? ""
        let body = rest[colon.upperBound...]
        guard let idEnd = body.firstRange(of: ": ") else { return nil }
        let id = String(body[..<idEnd.lowerBound])
        guard !id.isEmpty, id.utf8.allSatisfy({ ASCII.isHexDigit($0) || ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a) }) else { return nil }
        let fields = body[idEnd.upperBound...]
        if program.hasSuffix("smtpd"), fields.hasPrefix("client=") {
            guard let open = fields.lastIndex(of: "["), let close = fields[open...].firstIndex(of: "]"),
                  let ip = IPAddress(String(fields[fields.index(after: open)..<close])) else { return nil }
            // The address is the last bracket before any sasl_ field: a client name cannot hold brackets.
            let clientPart = fields.firstRange(of: ", sasl_").map { fields[..<$0.lowerBound] } ?? fields
            guard clientPart.contains("[\(ip.description)]") || clientPart.contains("[\(String(fields[fields.index(after: open)..<close]))]") else { return nil }
            return .queued(id: id, source: .address(ip.description, authenticated: fields.contains("sasl_username=")))
        }
        if program == "pickup", fields.hasPrefix("uid="), let uid = UInt32(fields.dropFirst(4).prefix { $0.isNumber }) {
            return .queued(id: id, source: .account(userName(uid) ?? String(uid)))
        }
        if program == "qmgr", let n = fields.firstRange(of: "nrcpt=") {
            guard let count = Int(fields[n.upperBound...].prefix { $0.isNumber }) else { return nil }
            return .recipients(id: id, count: count)
        }
        return nil
    }
}
