/// Where temporary allows and bans live in the kernel: sets with per-element timeouts, one per list,
/// direction, family and shape. Addresses go in hash sets, networks in interval sets and per-port entries in
/// `addr . inet_proto . inet_service` interval sets, so the kernel expires each entry by itself.
public enum TempSets {
    public enum Shape: String, Sendable, CaseIterable { case host, network, port }

    public static func name(_ kind: TempEntry.Kind, inbound: Bool, _ family: IPAddress.Family, _ shape: Shape) -> String {
        let base = "temp\(kind.rawValue)_\(inbound ? "in" : "out")\(family == .v4 ? "4" : "6")"
        switch shape {
        case .host: return base
        case .network: return base + "_net"
        case .port: return base + "_port"
        }
    }

    /// Every temp set, empty, so single changes can go straight into them over netlink.
    public static func declarations() -> [NftSet] {
        var sets: [NftSet] = []
        for kind in [TempEntry.Kind.allow, .deny] {
            for inbound in [true, false] {
                for family in [IPAddress.Family.v4, .v6] {
                    for shape in Shape.allCases {
                        sets.append(declaration(kind, inbound: inbound, family, shape))
                    }
                }
            }
        }
        return sets
    }

    static func declaration(_ kind: TempEntry.Kind, inbound: Bool, _ family: IPAddress.Family, _ shape: Shape) -> NftSet {
        let file = kind == .deny ? "csf.tempban" : "csf.tempallow"
        let direction = inbound ? "inbound" : "outbound"
        switch shape {
        case .host:
            return NftSet(name: name(kind, inbound: inbound, family, shape), keyType: family == .v4 ? .ipv4 : .ipv6,
                          flags: [.timeout], comment: "\(file) \(direction) addresses")
        case .network:
            return NftSet(name: name(kind, inbound: inbound, family, shape), keyType: family == .v4 ? .ipv4 : .ipv6,
                          flags: [.interval, .timeout], comment: "\(file) \(direction) networks")
        case .port:
            return NftSet(name: name(kind, inbound: inbound, family, shape), keyType: family == .v4 ? .ipv4Port : .ipv6Port,
                          flags: [.interval, .timeout], comment: "\(file) \(direction) per-port entries")
        }
    }

    public struct Placement: Sendable, Hashable {
        public var set: String
        public var shape: Shape
        public var element: NftSetElement
    }

    /// The kernel elements of one entry, timed to expire when the entry does.
    public static func placements(_ entry: TempEntry, kind: TempEntry.Kind, now: Int) -> [Placement] {
        let remaining = entry.remaining(now: now)
        guard remaining > 0 else { return [] }
        var out: [Placement] = []
        for inbound in [true, false] where inbound ? entry.direction.inbound : entry.direction.outbound {
            let family = entry.target.family
            if entry.ports.isEmpty {
                let shape: Shape = entry.target.isHost ? .host : .network
                out.append(Placement(set: name(kind, inbound: inbound, family, shape), shape: shape,
                                     element: NftSetElement(entry.target, timeout: remaining)))
            } else {
                for p in entry.ports {
                    out.append(Placement(set: name(kind, inbound: inbound, family, .port), shape: .port,
                                         element: NftSetElement(entry.target, port: .init(p.proto, p.port), timeout: remaining)))
                }
            }
        }
        return out
    }

    /// Fills the declared sets from the stored entries. Interval sets refuse overlaps, so an entry inside
    /// another one of the same set is left to the outer one; a repeated address keeps its longest timeout.
    public static func populated(_ entries: [(TempEntry.Kind, TempEntry)], now: Int) -> [NftSet] {
        var bySet: [String: [NftSetElement]] = [:]
        for (kind, entry) in entries {
            for p in placements(entry, kind: kind, now: now) { bySet[p.set, default: []].append(p.element) }
        }
        return declarations().map { set in
            var s = set
            s.elements = withoutOverlaps(bySet[set.name] ?? [])
            return s
        }
    }

    static func withoutOverlaps(_ elements: [NftSetElement]) -> [NftSetElement] {
        let sorted = elements.sorted { a, b in
            if a.port != b.port { return (a.port?.proto.number ?? 0, a.port?.port ?? 0) < (b.port?.proto.number ?? 0, b.port?.port ?? 0) }
            if a.network.address != b.network.address { return a.network.address < b.network.address }
            if a.network.prefix != b.network.prefix { return a.network.prefix < b.network.prefix }
            return (a.timeout ?? 0) > (b.timeout ?? 0)
        }
        var out: [NftSetElement] = []
        out.reserveCapacity(sorted.count)
        for e in sorted {
            if let last = out.last, last.port == e.port, last.network.contains(e.network) { continue }
            out.append(e)
        }
        return out
    }

    /// Rules for one list chain: source address inbound, destination outbound.
    static func matches(_ kind: TempEntry.Kind, inbound: Bool, family: IPAddress.Family) -> [[NftMatch]] {
        Shape.allCases.map { shape in
            let set = name(kind, inbound: inbound, family, shape)
            if shape == .port { return [.addressPortInSet(family, source: inbound, set: set)] }
            return [inbound ? .saddr(family, .set(set)) : .daddr(family, .set(set))]
        }
    }
}

extension NetlinkSetWriter.Key {
    init(_ placement: TempSets.Placement) {
        let e = placement.element
        switch placement.shape {
        case .host: self = .address(e.network.address)
        case .network: self = .network(e.network)
        case .port: self = .port(e.network, proto: e.port?.proto.number ?? 6, port: e.port?.port ?? 0)
        }
    }
}
