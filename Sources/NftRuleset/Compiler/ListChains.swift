import CsfCompat
import CsfPolicy

extension RulesetCompiler {
    /// Matches for one temporary list in one direction: source address inbound, destination outbound.
    func tempMatches(_ kind: TempEntry.Kind, inbound: Bool, family: IPAddress.Family) -> [[NftMatch]] {
        CsfTableLayout.Shape.allCases.map { shape in
            let set = S.temporary(kind, inbound: inbound, family, shape)
            if shape == .port { return [.addressPortInSet(family, source: inbound, set: set)] }
            return [inbound ? .saddr(family, .set(set)) : .daddr(family, .set(set))]
        }
    }

    func setMatches(_ kind: CsfTableLayout.ListKind, _ family: IPAddress.Family, source: Bool) -> [[NftMatch]] {
        let make: (String) -> NftMatch = { name in
            source ? .saddr(family, .set(name)) : .daddr(family, .set(name))
        }
        return [[make(S.hosts(kind, family))], [make(S.networks(kind, family))]]
    }

    func localInput() -> NftChain {
        var chain = NftChain(name: C.localInput)
        chain.rules += dyndnsJumps(inbound: true)
        chain.rules += countryAllowRules()
        if policy.globalAllow != nil { chain.add(NftRule([], [], .jump(C.globalAllowIn), comment: "GLOBAL_ALLOW")) }
        chain.add(NftRule([], [], .jump(C.allowIn), comment: "csf.allow"))
        chain.add(NftRule([], [], .jump(C.denyIn), comment: "csf.deny"))
        // csf.sips changes only with a restart, so an empty one costs no lookup per packet.
        for f in families where policy.sips.contains(where: { $0.family == f }) {
            chain.add(NftRule([.daddr(f, .set(S.hosts(.sips, f)))], [], dropIn, comment: "csf.sips"))
        }
        chain.rules += remoteDenyInRules()
        chain.rules += countryDenyRules()
        return chain
    }

    func localOutput() -> NftChain {
        var chain = NftChain(name: C.localOutput)
        chain.rules += dyndnsJumps(inbound: false)
        if policy.globalAllow != nil { chain.add(NftRule([], [], .jump(C.globalAllowOut), comment: "GLOBAL_ALLOW")) }
        chain.add(NftRule([], [], .jump(C.allowOut), comment: "csf.allow"))
        chain.add(NftRule([], [], .jump(C.denyOut), comment: "csf.deny"))
        for f in families {
            chain.add(NftRule([.saddr(f, .set(S.hosts(.sips, f)))], [], dropOut, comment: "csf.sips"))
        }
        if policy.globalDeny != nil { chain.add(NftRule([], [], .jump(C.globalDenyOut), comment: "GLOBAL_DENY")) }
        if policy.udpFlood != nil { chain.add(NftRule([.l4proto(.udp)], [], .jump(C.udpFlood), comment: "UDPFLOOD")) }
        return chain
    }

    func allowIn() -> NftChain {
        listChain(C.allowIn, .allow, filters: allowFilters, direction: .in, verdict: .accept, withSets: true)
    }

    func allowOut() -> NftChain {
        listChain(C.allowOut, .allow, filters: allowFilters, direction: .out, verdict: .accept, withSets: true)
    }

    func denyIn() -> NftChain {
        listChain(C.denyIn, .deny, filters: denyFilters, direction: .in, verdict: dropListedIn, withSets: true)
    }

    func denyOut() -> NftChain {
        listChain(C.denyOut, .deny, filters: denyFilters, direction: .out, verdict: dropListedOut, withSets: !policy.blockInOnly)
    }

    /// ALLOWIN/ALLOWOUT/DENYIN/DENYOUT: the list's sets (source address inbound, destination outbound), then its
    /// filters. Temporary allows come first, as csf inserts them at the top of ALLOWIN; temporary bans follow
    /// the permanent ones, as csf appends them to DENYIN.
    func listChain(_ name: String, _ kind: CsfTableLayout.ListKind, filters: [(AdvancedFilter, AccessEntry)],
                           direction: AdvancedFilter.Direction, verdict: NftVerdict, withSets: Bool) -> NftChain {
        var chain = NftChain(name: name)
        let file = kind == .allow ? "csf.allow" : "csf.deny"
        let temp: TempEntry.Kind = kind == .allow ? .allow : .deny
        func tempRules() {
            for f in families {
                for m in tempMatches(temp, inbound: direction == .in, family: f) {
                    chain.add(NftRule(m, [], verdict, comment: temp == .allow ? "csf.tempallow" : "csf.tempban"))
                }
            }
        }
        if temp == .allow { tempRules() }
        if withSets {
            for f in families {
                for m in setMatches(kind, f, source: direction == .in) { chain.add(NftRule(m, [], verdict, comment: file)) }
            }
        }
        chain.rules += filterRules(filters.map { ($0.0, "\(file):\($0.1.line)") }, direction: direction, verdict: verdict)
        if temp == .deny { tempRules() }
        return chain
    }

    /// Advanced filters for one chain: address filters of that direction, and owner filters (always OUTPUT).
    func filterRules(_ filters: [(AdvancedFilter, comment: String)], direction: AdvancedFilter.Direction,
                     verdict: NftVerdict) -> [NftRule] {
        var rules: [NftRule] = []
        for (filter, comment) in filters {
            switch filter.effect {
            case .ownerRule:
                guard direction == .out, let owner = filter.owner else { continue }
                var m = protoAndPort(filter, family: .v4)
                switch owner {
                case .uid(let uid): m.append(.skuid(uid))
                case .gid(let gid): m.append(.skgid(gid))
                }
                rules.append(NftRule(m, [], verdict, comment: comment))
            case .addressRule:
                guard filter.direction == direction, let address = filter.address else { continue }
                let net = address.network
                guard families.contains(net.family) else { continue }
                let addrMatch: NftMatch = address.side == .source ? .saddr(net.family, .network(net)) : .daddr(net.family, .network(net))
                rules.append(NftRule([addrMatch] + protoAndPort(filter, family: net.family), [], verdict, comment: comment))
            case .nothing:
                continue
            }
        }
        return rules
    }

    func protoAndPort(_ filter: AdvancedFilter, family: IPAddress.Family) -> [NftMatch] {
        let l4: IPProtocol = filter.proto == .tcp ? .tcp : filter.proto == .udp ? .udp : (family == .v4 ? .icmp : .icmpv6)
        guard let port = filter.port else { return [.l4proto(l4)] }
        switch port.match {
        case .ports(let ranges): return [port.side == .destination ? .dport(l4, ranges) : .sport(l4, ranges)]
        case .icmpType(let type): return [.icmpType(family, [type])]
        }
    }
}
