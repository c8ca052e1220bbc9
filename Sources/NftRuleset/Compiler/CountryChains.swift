import CsfCompat
import CsfPolicy

/// CC_* (reference §5.2): CC_ALLOW at the top of LOCALINPUT (accepts the whole host), the others at its end —
/// CC_DENY, CC_ALLOWF, CC_ALLOWP, CC_DENYP — behind one `ct state established,related return`, so no country
/// rule ever drops a reply to a connection this server opened (csf's fork drops them under CC_DENY). With SPI on,
/// established traffic never reaches these rules at all: country sets stay out of its per-packet path.
extension RulesetCompiler {
    typealias Kind = CsfTableLayout.CountryKind

    private func ranges(_ kind: Kind) -> [AddressRange]? {
        let c = policy.countries
        switch kind {
        case .allow: return c.allow
        case .deny: return c.deny
        case .allowFilter: return c.allowFilter
        case .allowPorts: return c.allowPorts
        case .denyPorts: return c.denyPorts
        case .messengerAllow: return policy.messenger == nil ? nil : c.messengerAllow
        case .messengerDeny: return policy.messenger == nil ? nil : c.messengerDeny
        }
    }

    func countrySets() -> [NftSet] {
        Kind.allCases.flatMap { kind -> [NftSet] in
            guard let ranges = ranges(kind) else { return [] }
            return families.map { f in
                NftSet(name: S.country(kind, f), keyType: f == .v4 ? .ipv4 : .ipv6, flags: [.interval], comment: "CC_\(Self.settingName(kind))",
                       elements: ranges.filter { $0.family == f }.map { NftSetElement($0) })
            }
        }
    }

    static func settingName(_ kind: Kind) -> String {
        switch kind {
        case .allow: return "ALLOW"
        case .deny: return "DENY"
        case .allowFilter: return "ALLOW_FILTER"
        case .allowPorts: return "ALLOW_PORTS"
        case .denyPorts: return "DENY_PORTS"
        case .messengerAllow: return "MESSENGER_ALLOW"
        case .messengerDeny: return "MESSENGER_DENY"
        }
    }

    /// LOCALINPUT's first entry: CC_ALLOW.
    func countryAllowRules() -> [NftRule] {
        policy.countries.allow == nil ? [] : [NftRule([], [], .jump(C.ccAllow), comment: "CC_ALLOW")]
    }

    /// LOCALINPUT's last entries.
    func countryDenyRules() -> [NftRule] {
        let c = policy.countries
        guard c.anyDrop else { return [] }
        var rules = [NftRule([.ctState([.established, .related])], [], .return, comment: "CC_*: replies and established connections pass")]
        if c.deny != nil { rules.append(NftRule([], [], .jump(C.ccDeny), comment: "CC_DENY")) }
        if c.allowFilter != nil { rules.append(NftRule([], [], .jump(C.ccAllowFilter), comment: "CC_ALLOW_FILTER")) }
        if c.allowPorts != nil { rules.append(NftRule([], [], .jump(C.ccAllowPorts), comment: "CC_ALLOW_PORTS")) }
        if c.denyPorts != nil { rules.append(NftRule([], [], .jump(C.ccDenyPorts), comment: "CC_DENY_PORTS")) }
        return rules
    }

    func countryChains() -> [NftChain] {
        let c = policy.countries
        var chains: [NftChain] = []
        func matching(_ name: String, _ kind: Kind, _ verdict: NftVerdict) -> NftChain {
            var chain = NftChain(name: name)
            for f in families {
                chain.add(NftRule([.saddr(f, .set(S.country(kind, f)))], [], verdict, comment: "CC_\(Self.settingName(kind))"))
            }
            return chain
        }
        if c.allow != nil { chains.append(matching(C.ccAllow, .allow, .accept)) }
        if c.deny != nil { chains.append(matching(C.ccDeny, .deny, dropListedIn)) }
        if let ranges = c.allowFilter {
            // Listed countries go on to the port rules; everyone else is dropped — per family, and only when
            // that family's set holds something (csf: only with at least one zone entry loaded), so missing
            // data never closes the server.
            var chain = matching(C.ccAllowFilter, .allowFilter, .return)
            for f in families where ranges.contains(where: { $0.family == f }) {
                chain.add(NftRule([.family(f == .v4 ? .ipv4 : .ipv6)], [], dropIn, comment: "CC_ALLOW_FILTER: other countries"))
            }
            chains.append(chain)
        }
        if c.allowPorts != nil {
            chains.append(matching(C.ccAllowPorts, .allowPorts, .jump(C.ccAllowPortsAccept)))
            var accept = NftChain(name: C.ccAllowPortsAccept)
            for (proto, ports) in [(IPProtocol.tcp, c.allowPortsTcp), (.udp, c.allowPortsUdp)] where !ports.isEmpty {
                accept.add(NftRule([.dport(proto, ports), .ctState([.new])], [], .accept, comment: "CC_ALLOW_PORTS_\(proto.rawValue.uppercased())"))
            }
            chains.append(accept)
        }
        if c.denyPorts != nil {
            chains.append(matching(C.ccDenyPorts, .denyPorts, .jump(C.ccDenyPortsDrop)))
            var drop = NftChain(name: C.ccDenyPortsDrop)
            for (proto, ports) in [(IPProtocol.tcp, c.denyPortsTcp), (.udp, c.denyPortsUdp)] where !ports.isEmpty {
                drop.add(NftRule([.dport(proto, ports)], [], dropListedIn, comment: "CC_DENY_PORTS_\(proto.rawValue.uppercased())"))
            }
            chains.append(drop)
        }
        return chains
    }
}
