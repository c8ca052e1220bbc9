import CsfCompat

/// CT_LIMIT (reference §6.9): connections per remote address, counted from the conntrack table, and
/// (CT_SUBNET_LIMIT) per IPv4 /24. Pure counting; the daemon dumps the table and blocks.
public struct ConnectionTracker: Sendable {
    public struct Settings: Sendable {
        public var limit = 0, subnetLimit = 0, interval = 30, blockTime = 1800
        public var permanent = false, skipTimeWait = false
        public var states: Set<String> = []
        public var ports: [PortRange] = []

        public init() {}

        public init(config: CsfConfig) {
            limit = config.int("CT_LIMIT")
            subnetLimit = config.int("CT_SUBNET_LIMIT")
            let i = config.int("CT_INTERVAL")
            interval = i < 10 ? 30 : i
            blockTime = config.int("CT_BLOCK_TIME")
            permanent = config.bool("CT_PERMANENT")
            skipTimeWait = config.bool("CT_SKIP_TIME_WAIT")
            states = Set(config.list("CT_STATES").map { $0.uppercased() })
            ports = config.ports("CT_PORTS")
        }
    }

    public let settings: Settings

    public init(settings: Settings) { self.settings = settings }

    /// The remote side and the local port of a connection this host is an end of; nil for forwarded
    /// traffic, loopback, and connections filtered out by CT_STATES / CT_SKIP_TIME_WAIT / CT_PORTS.
    func remote(_ c: TrackedConnection, isLocal: (IPAddress) -> Bool) -> IPAddress? {
        let (remote, localPort): (IPAddress, UInt16?)
        switch (isLocal(c.source), isLocal(c.destination)) {
        case (false, true): (remote, localPort) = (c.source, c.destinationPort)
        case (true, false): (remote, localPort) = (c.destination, c.sourcePort)
        default: return nil
        }
        if remote.isLoopback { return nil }
        let state = c.tcpStateName
        if settings.skipTimeWait, state == "TIME_WAIT" { return nil }
        if !settings.states.isEmpty {
            // FIN_WAIT covers both of /proc's FIN_WAIT1 and FIN_WAIT2.
            guard let state, settings.states.contains(state) || (state == "FIN_WAIT" && settings.states.contains { $0.hasPrefix("FIN_WAIT") })
            else { return nil }
        }
        if !settings.ports.isEmpty {
            guard let localPort, PortList.contains(settings.ports, localPort) else { return nil }
        }
        return remote
    }

    /// Adds one connection to the per-address counts (streamed from the conntrack dump).
    public func count(_ c: TrackedConnection, into counts: inout [IPAddress: Int], isLocal: (IPAddress) -> Bool) {
        if let r = remote(c, isLocal: isLocal) { counts[r, default: 0] += 1 }
    }

    public func check(_ table: [TrackedConnection], isLocal: (IPAddress) -> Bool, ignores: (IPAddress) -> Bool) -> [FailureTracker.Block] {
        var counts: [IPAddress: Int] = [:]
        for c in table { count(c, into: &counts, isLocal: isLocal) }
        return blocks(counts, ignores: ignores)
    }

    /// Blocks for every address (and /24) over its limit, in address order.
    public func blocks(_ perAddress: [IPAddress: Int], ignores: (IPAddress) -> Bool) -> [FailureTracker.Block] {
        var blocks: [FailureTracker.Block] = []
        let seconds = settings.permanent ? nil : settings.blockTime
        if settings.limit > 0 {
            for (ip, n) in perAddress.sorted(by: { $0.key < $1.key }) where n > settings.limit && !ignores(ip) {
                var b = FailureTracker.Block(ip: ip, apps: [], text: "CT", hits: n, trigger: "CT_LIMIT", seconds: seconds, ports: nil,
                                             interval: settings.interval)
                b.customMessage = { note in "(CT) IP \(ip) \(note(ip)) found to have \(n) connections" }
                blocks.append(b)
            }
        }
        if settings.subnetLimit > 0 {
            var perSubnet: [IPAddress: Int] = [:]
            for (ip, n) in perAddress where ip.family == .v4 && !ignores(ip) { perSubnet[ip.masked(to: 24), default: 0] += n }
            for (net, n) in perSubnet.sorted(by: { $0.key < $1.key }) where n > settings.subnetLimit {
                var b = FailureTracker.Block(ip: net, apps: [], text: "CT", hits: n, trigger: "CT_SUBNET_LIMIT", seconds: seconds,
                                             ports: nil, interval: settings.interval)
                b.customMessage = { note in "(CT) Subnet \(net)/24 \(note(net)) found to have \(n) connections" }
                b.network = IPNetwork(address: net, prefix: 24)
                blocks.append(b)
            }
        }
        return blocks
    }
}
