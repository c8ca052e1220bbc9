import CsfCompat

/// Counts login failures per address in a sliding `LF_INTERVAL` window and says when to block (reference §6.5):
/// per-app thresholds (`LF_SSHD`…) or one cumulative `LF_TRIGGER`; `*_PERM` ≤ 1 means permanent, more means
/// that many seconds. Memory stays bounded under attack: expired hits are pruned on every hit and the table
/// holds at most `capacity` addresses, evicting the one idle longest.
///
/// A block is not the end of an address's record: it stays, marked `blocking`, until the caller reports the
/// block committed (`committed(_:)`). A block that failed (csf's lock held, the kernel refusing) is retried by
/// the caller and never lost, and the address cannot trigger a second block meanwhile.
public struct FailureTracker: Sendable {
    public struct Settings: Sendable {
        public var interval: Int
        /// 0: per-app thresholds; N: one threshold across apps.
        public var trigger: Int
        public var triggerPerm: Int
        public var threshold: @Sendable (FailureRule) -> Int
        public var perm: @Sendable (FailureRule) -> Int

        public init(config: CsfConfig) {
            interval = max(60, config.int("LF_INTERVAL"))
            trigger = config.int("LF_TRIGGER")
            triggerPerm = config.int("LF_TRIGGER_PERM")
            threshold = { rule in rule.threshold ?? config.int(rule.trigger) }
            perm = { rule in
                if rule.threshold != nil { return rule.blockSeconds ?? 1 }
                return config.int(rule.trigger + "_PERM")
            }
        }

        public init(interval: Int, trigger: Int = 0, triggerPerm: Int = 1,
                    threshold: @escaping @Sendable (FailureRule) -> Int, perm: @escaping @Sendable (FailureRule) -> Int) {
            self.interval = interval
            self.trigger = trigger
            self.triggerPerm = triggerPerm
            self.threshold = threshold
            self.perm = perm
        }
    }

    /// What the tracker decided: block this address, for this long (nil = permanently), for these reasons.
    public struct Block: Sendable {
        public var ip: IPAddress
        public var apps: [String]
        public var text: String
        public var hits: Int
        public var trigger: String
        public var seconds: Int?
        public var ports: String?
        public var interval: Int
        /// The last lines that counted (at most 10), for alerts.
        public var lines: [String] = []
        /// An LF_DISTATTACK block: csf words its message differently.
        public var distributed = false
        /// Port-scan and connection-tracking blocks have wording of their own, given the address note.
        public var customMessage: (@Sendable (AddressNote) -> String)?
        /// Set when a whole network is blocked (CT_SUBNET_LIMIT); `ip` is then its first address.
        public var network: IPNetwork?
        /// The account a login-tracking block (LT_POP3D/LT_IMAPD) is about.
        public var account: String?

        /// csf's lfd.log / csf.deny wording: `(sshd) Failed SSH login from 203.0.113.7 (CN/China/-): 5 in the last
        /// 3600 secs`.
        public func message(_ note: AddressNote) -> String {
            if let customMessage { return customMessage(note) }
            if distributed { return "\(ip) \(note(ip)), \(hits) \(text) in the last \(interval) secs" }
            return "(\(apps.joined(separator: ","))) \(text) \(ip) \(note(ip)): \(hits) in the last \(interval) secs"
        }

        /// The wording with no lookup, `(-)`.
        public var message: String { message(unresolvedNote) }
    }

    struct Hit: Sendable {
        var time: Int
        var app: String
    }

    struct Record: Sendable {
        var hits: [Hit] = []
        var lastSeen = 0
        /// A block was decided and is not committed yet.
        var blocking = false
    }

    public let settings: Settings
    public let capacity: Int
    private var records: [IPAddress: Record] = [:]
    /// The last lines that counted, for alerts and BLOCK_REPORT: one ring for all addresses, so memory does not
    /// grow with the number of addresses tracked (an address's oldest lines may have left it under a flood).
    private var recent: [(ip: IPAddress, line: String)] = []
    private var recentNext = 0
    static let recentCapacity = 10_000
    /// LF_DISTATTACK: per "app|account", the recent attempts and where they came from.
    private var accounts: [String: [(time: Int, ip: IPAddress)]] = [:]
    /// LF_DISTFTP / LF_DISTSMTP: per "trigger|account", recent successful logins.
    private var logins: [String: [(time: Int, ip: IPAddress)]] = [:]

    public init(settings: Settings, capacity: Int = 100_000) {
        self.settings = settings
        self.capacity = capacity
    }

    init(settings: Settings, capacity: Int, keeping old: FailureTracker) {
        self.settings = settings
        self.capacity = capacity
        self.records = old.records
        self.accounts = old.accounts
        self.logins = old.logins
        self.recent = old.recent
        self.recentNext = old.recentNext
    }

    /// LF_DISTATTACK (reference §6.5): attempts on one account of one app from at least `uniqueAddresses`
    /// addresses, reaching the app's threshold within LF_INTERVAL, block every one of those addresses.
    public mutating func recordDistributed(_ d: Detection, now: Int, uniqueAddresses: Int) -> [Block] {
        guard let account = d.account, !account.isEmpty, d.rule.threshold == nil else { return [] }
        let key = d.rule.app + "|" + account
        var attempts = accounts[key] ?? []
        attempts.removeAll { now - $0.time >= settings.interval }
        for _ in 0..<d.count { attempts.append((now, d.ip)) }
        let threshold = settings.threshold(d.rule)
        let sources = Set(attempts.map(\.ip))
        guard threshold > 0, attempts.count >= threshold, sources.count >= max(2, uniqueAddresses) else {
            accounts[key] = attempts
            if accounts.count > capacity { accounts = accounts.filter { now - ($0.value.last?.time ?? 0) < settings.interval } }
            return []
        }
        accounts[key] = nil
        let perm = settings.perm(d.rule)
        return sources.sorted().map { ip in
            records[ip, default: Record()].blocking = true
            return Block(ip: ip, apps: [d.rule.app], text: "distributed \(d.rule.app) attacks on account [\(account)]",
                         hits: attempts.count, trigger: "LF_DISTATTACK", seconds: perm > 1 ? perm : nil, ports: nil,
                         interval: settings.interval, lines: [], distributed: true)
        }
    }

    /// What LF_DISTFTP / LF_DISTSMTP count: successful logins to one account.
    public struct LoginLimits: Sendable {
        public var logins: Int
        public var uniqueAddresses: Int
        public var interval: Int
        public var perm: Int
        /// "FTP" or "SMTP", for csf's wording.
        public var service: String

        public init(logins: Int, uniqueAddresses: Int, interval: Int, perm: Int, service: String) {
            (self.logins, self.uniqueAddresses, self.interval, self.perm, self.service) = (logins, uniqueAddresses, interval, perm, service)
        }

        /// csf's wording after the address: `3 distributed FTP Logins on account [bob] in the last 300 secs`.
        public func summary(count: Int, account: String) -> String {
            "\(count) distributed \(service) Logins on account [\(account)] in the last \(interval) secs"
        }
    }

    /// LF_DISTFTP / LF_DISTSMTP (reference §6.9): `limits.logins` successful logins to one account within
    /// `limits.interval`, from at least `limits.uniqueAddresses` addresses, block every one of those addresses
    /// (a shared or stolen account). The logins never count as failures.
    public mutating func recordLogin(_ d: Detection, now: Int, limits: LoginLimits) -> [Block] {
        guard let account = d.account, !account.isEmpty, limits.logins > 0 else { return [] }
        let key = d.rule.trigger + "|" + account
        var logins = self.logins[key] ?? []
        logins.removeAll { now - $0.time >= limits.interval }
        logins.append((now, d.ip))
        let sources = Set(logins.map(\.ip))
        guard logins.count >= limits.logins, sources.count >= max(1, limits.uniqueAddresses) else {
            self.logins[key] = logins
            if self.logins.count > capacity { self.logins = self.logins.filter { now - ($0.value.last?.time ?? 0) < limits.interval } }
            return []
        }
        self.logins[key] = nil
        return sources.sorted().map { ip in
            records[ip, default: Record()].blocking = true
            var block = Block(ip: ip, apps: [d.rule.app], text: d.rule.text, hits: logins.count, trigger: d.rule.trigger,
                              seconds: limits.perm > 1 ? limits.perm : nil, ports: nil, interval: limits.interval, lines: [])
            let summary = limits.summary(count: logins.count, account: account)
            block.customMessage = { note in "\(ip) \(note(ip)), " + summary }
            return block
        }
    }

    public var trackedAddresses: Int { records.count }

    /// Records one detection; returns a block when the threshold is reached (the address's record is then cleared).
    public mutating func record(_ d: Detection, now: Int, line: String? = nil) -> Block? {
        let rule = d.rule
        var record = records[d.ip] ?? Record()
        record.hits.removeAll { now - $0.time >= settings.interval }
        for _ in 0..<d.count { record.hits.append(Hit(time: now, app: rule.app)) }
        record.lastSeen = now
        if let line { remember(line, from: d.ip) }
        if record.blocking {
            records[d.ip] = record
            return nil
        }
        let custom = rule.threshold != nil
        let apacheHits = Self.apacheHitCounters[rule.trigger]
        let (count, threshold, perm, trigger): (Int, Int, Int, String)
        if settings.trigger > 0 && !custom && apacheHits == nil {
            count = record.hits.count
            (threshold, perm, trigger) = (settings.trigger, settings.triggerPerm, "LF_TRIGGER")
        } else {
            count = record.hits.filter { $0.app == rule.app }.count
            (threshold, perm, trigger) = (settings.threshold(rule), settings.perm(rule), rule.trigger)
        }
        // Login failures block on reaching the threshold; Apache hits only on going past it (reference §8.19).
        guard threshold > 0, apacheHits == nil ? count >= threshold : count > threshold else {
            records[d.ip] = record
            evictIfFull()
            return nil
        }
        record.blocking = true
        records[d.ip] = record
        var apps: [String] = []
        for hit in record.hits where !apps.contains(hit.app) { apps.append(hit.app) }
        let text = apps.count > 1 ? "Login failure/trigger from" : rule.text
        var block = Block(ip: d.ip, apps: apps, text: text, hits: count, trigger: trigger, seconds: perm > 1 ? perm : nil,
                          ports: rule.ports, interval: settings.interval, lines: recentLines(of: d.ip))
        if let apacheHits {
            let (ip, interval) = (d.ip, settings.interval)
            block.customMessage = { note in "\(ip) \(note(ip)), more than \(threshold) Apache \(apacheHits) hits in the last \(interval) secs" }
        }
        return block
    }

    /// csf's Apache hit counters: each its own (never LF_TRIGGER's), with its own wording.
    public static let apacheHitCounters = ["LF_APACHE_404": "404", "LF_APACHE_403": "403", "LF_APACHE_401": "401"]

    private mutating func remember(_ line: String, from ip: IPAddress) {
        let entry = (ip, String(line.prefix(500)))
        if recent.count < Self.recentCapacity {
            recent.append(entry)
        } else {
            recent[recentNext] = entry
        }
        recentNext = (recentNext + 1) % Self.recentCapacity
    }

    /// Up to 10 of the address's lines still in the ring, oldest first.
    private func recentLines(of ip: IPAddress) -> [String] {
        let ordered = recent.count < Self.recentCapacity ? recent[...] : recent[recentNext...] + recent[..<recentNext]
        return Array(ordered.filter { $0.ip == ip }.map(\.line).suffix(10))
    }

    /// The block decided for `ip` is in place: its record is forgotten.
    public mutating func committed(_ ip: IPAddress) {
        records[ip] = nil
    }

    /// Whether a block of `ip` was decided and not committed yet.
    public func isBlocking(_ ip: IPAddress) -> Bool { records[ip]?.blocking ?? false }

    private mutating func evictIfFull() {
        guard records.count > capacity else { return }
        // Evict a tenth at a time so a flood of new addresses does not pay a full scan per line; a block in
        // flight is never evicted.
        let victims = records.filter { !$0.value.blocking }.sorted { $0.value.lastSeen < $1.value.lastSeen }.prefix(max(1, capacity / 10))
        for (ip, _) in victims { records[ip] = nil }
    }

    /// Drops addresses whose every hit has left the window.
    public mutating func prune(now: Int) {
        records = records.filter { $0.value.blocking || now - $0.value.lastSeen < settings.interval }
        accounts = accounts.filter { now - ($0.value.last?.time ?? 0) < settings.interval }
    }
}

extension FailureTracker {
    /// SIGHUP: new thresholds and window, same counters.
    public mutating func update(_ settings: Settings) {
        self = FailureTracker(settings: settings, capacity: capacity, keeping: self)
    }
}
