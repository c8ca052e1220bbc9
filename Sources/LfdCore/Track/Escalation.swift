import CsfCompat

/// LF_NETBLOCK and LF_PERMBLOCK (reference §6.7): what a block escalates to, decided over csf.tempip's history.
/// Pure: the caller loads the history, carries out the step and writes the history back.
public struct Escalation: Sendable {
    public struct Settings: Sendable, Equatable {
        public var netblock = false
        /// The IPv4 prefix of LF_NETBLOCK_CLASS (A/B/C → 8/16/24).
        public var netblockPrefix4 = 24
        /// LF_NETBLOCK_IPV6; nil when unset or unusable (IPv6 netblocks are off then).
        public var netblockPrefix6: Int?
        public var netblockInterval = 1
        public var netblockCount = 0
        public var netblockClass = "C"
        public var permblock = false
        public var permblockInterval = 1
        public var permblockCount = 0

        public init() {}

        public init(config: CsfConfig) {
            netblock = config.bool("LF_NETBLOCK")
            netblockClass = config["LF_NETBLOCK_CLASS"]
            netblockPrefix4 = ["A": 8, "B": 16, "C": 24][netblockClass.uppercased()] ?? 24
            if let p = Int(config["LF_NETBLOCK_IPV6"].filter(\.isNumber)), p >= 16, p < 128 { netblockPrefix6 = p }
            netblockInterval = max(config.int("LF_NETBLOCK_INTERVAL"), 1)
            netblockCount = config.int("LF_NETBLOCK_COUNT")
            permblock = config.bool("LF_PERMBLOCK")
            permblockInterval = max(config.int("LF_PERMBLOCK_INTERVAL"), 1)
            permblockCount = config.int("LF_PERMBLOCK_COUNT")
        }

        /// How long csf.tempip lines matter: the longer of the two windows.
        public var keep: Int { max(permblockInterval, netblockInterval, 1) }
    }

    public enum Step: Sendable, Equatable {
        /// Deny the whole network; `addresses` are the blocked addresses that made it (they are used up).
        case netblock(IPNetwork, addresses: [String], message: String)
        /// Turn the address's temporary block into a permanent one.
        case permblock(IPAddress, count: Int, message: String)
    }

    public let settings: Settings

    public init(settings: Settings) { self.settings = settings }

    /// LF_NETBLOCK's network for an address: class A/B/C for IPv4, LF_NETBLOCK_IPV6's prefix for IPv6 (csf never
    /// masked IPv6 properly, so its IPv6 netblocks never fired: reference §8 #14).
    public func network(of ip: IPAddress) -> IPNetwork? {
        switch ip {
        case .v4: return IPNetwork(address: ip.masked(to: settings.netblockPrefix4), prefix: settings.netblockPrefix4)
        case .v6: return settings.netblockPrefix6.map { IPNetwork(address: ip.masked(to: $0), prefix: $0) }
        }
    }

    /// After a block of `ip` (permanent or not, worded `message`): the escalation it causes, with the history
    /// updated as csf does — a netblock uses up the lines it counted, and every outcome leaves one line.
    public func decide(ip: IPAddress, perm: Bool, message: String, history: inout BlockHistory, now: Int,
                       note: AddressNote = unresolvedNote) -> Step? {
        let target = ip.description
        if let step = netblock(ip, history: &history, now: now, note: note), case .netblock(let net, _, let text) = step {
            history.entries.append(.init(target: net.description, perm: true, time: now, message: text))
            return step
        }
        if !perm, let step = permblock(ip, history: history, now: now, note: note), case .permblock(_, _, let text) = step {
            history.entries.append(.init(target: target, perm: true, time: now, message: text))
            return step
        }
        history.entries.append(.init(target: target, perm: perm, time: now, message: message))
        return nil
    }

    /// More than LF_NETBLOCK_COUNT blocks of different addresses of one network within LF_NETBLOCK_INTERVAL.
    private func netblock(_ ip: IPAddress, history: inout BlockHistory, now: Int, note: AddressNote) -> Step? {
        guard settings.netblock, settings.netblockCount > 0, let net = network(of: ip) else { return nil }
        let target = ip.description
        func counts(_ e: BlockHistory.Entry) -> Bool {
            guard now - e.time < settings.netblockInterval, e.target != target, let other = IPAddress(e.target) else { return false }
            return net.contains(other)
        }
        let counted = history.entries.filter(counts)
        guard counted.count + 1 > settings.netblockCount else { return nil }
        history.entries.removeAll(where: counts)
        let message = "(NETBLOCK) \(net) \(note(net.address)) has had more than \(settings.netblockCount) blocks in the last \(settings.netblockInterval) secs"
        return .netblock(net, addresses: counted.map(\.target) + [target], message: message)
    }

    /// The LF_PERMBLOCK_COUNT+1-th temporary block inside LF_PERMBLOCK_INTERVAL becomes permanent.
    private func permblock(_ ip: IPAddress, history: BlockHistory, now: Int, note: AddressNote) -> Step? {
        guard settings.permblock, settings.permblockCount > 0 else { return nil }
        let target = ip.description
        let count = history.entries.filter { $0.target == target && !$0.perm && now - $0.time < settings.permblockInterval }.count + 1
        guard count > settings.permblockCount else { return nil }
        let message = "(PERMBLOCK) \(target) \(note(ip)) has had more than \(settings.permblockCount) temp blocks in the last \(settings.permblockInterval) secs"
        return .permblock(ip, count: count, message: message)
    }
}
