import CsfCompat

/// LT_POP3D / LT_IMAPD (reference §6.9, login tracking): successful logins per service, account and address in
/// an hour bucket; the login that goes past the limit blocks the address on the service's ports, inbound, until
/// the bucket ends. As csf: every counter of a service starts again 3600 s after its bucket began.
public struct LoginTracker: Sendable {
    struct Bucket: Sendable {
        var start: Int
        var counts: [String: Int] = [:]
    }

    private var buckets: [String: Bucket] = [:]
    /// Bounds memory under a flood of logins from many addresses; a full bucket counts no new pair until it resets.
    public let capacity: Int

    public init(capacity: Int = 100_000) { self.capacity = capacity }

    /// The trigger's service name and ports (csf's fixed ones).
    public static let services: [String: (app: String, ports: String)] = ["LT_POP3D": ("pop3d", "110,995"), "LT_IMAPD": ("imapd", "143,993")]

    /// Records one successful login; a block once the account's logins from this address exceed `limit`.
    public mutating func record(trigger: String, account: String, ip: IPAddress, limit: Int, now: Int) -> FailureTracker.Block? {
        guard limit > 0, let service = Self.services[trigger] else { return nil }
        var bucket = buckets[trigger] ?? Bucket(start: now)
        if now - bucket.start >= 3600 { bucket = Bucket(start: now) }
        let key = account + "|" + ip.description
        guard bucket.counts[key] != nil || bucket.counts.count < capacity else { return nil }
        let count = (bucket.counts[key] ?? 0) + 1
        bucket.counts[key] = count
        defer { buckets[trigger] = bucket }
        guard count > limit else { return nil }
        bucket.counts[key] = 0
        let elapsed = now - bucket.start
        let left = 3600 - elapsed
        var block = FailureTracker.Block(ip: ip, apps: [service.app], text: "", hits: count, trigger: trigger,
                                         seconds: left < 2 ? 3600 : left, ports: service.ports, interval: elapsed)
        block.account = account
        let app = service.app
        block.customMessage = { note in "\(app) - \(count) logins in \(elapsed) secs from \(ip) \(note(ip)) for \(account) exceeds \(limit)/hour" }
        return block
    }
}
