import CsfCompat
import CsfPolicy

/// csf.blocklists, GLOBAL_ALLOW, GLOBAL_DENY, DYNDNS and GLOBAL_DYNDNS (reference §5.2): GDYNIN, ALLOWDYNIN first,
/// GALLOWIN/GALLOWOUT before csf.allow, GDENYIN/
/// GDENYOUT after csf.sips, then a jump per blocklist (inbound only, as csf) to its lookup chain (BLIN_<NAME>,
/// BlocklistLookups), which lfd can point at a fresh slot of sets. Our own chains never start with BLIN_/BLEST.
extension RulesetCompiler {
    func remoteListSets() -> [NftSet] {
        let lists = policy.blocklists + [policy.globalAllow, policy.globalDeny, policy.dyndns, policy.globalDyndns].compactMap { $0 }
        var sets = lists.flatMap { SetContents.remote($0.list, $0.ranges, families: families) }
        for (i, entry) in policy.dyndnsFilters.enumerated() {
            for f in families {
                sets.append(NftSet(name: S.dyndnsFilter(i + 1, f), keyType: f == .v4 ? .ipv4 : .ipv6,
                                   comment: "csf.dyndns filter \(i + 1)",
                                   elements: entry.addresses.filter { $0.family == f }.map { NftSetElement(IPNetwork(host: $0)) }))
            }
        }
        return sets
    }

    func remoteListChains() -> [NftChain] {
        var chains: [NftChain] = []
        if policy.globalDyndns != nil {
            chains.append(remoteChain(C.globalDyndnsIn, .globalDyndns, inbound: true, verdict: .accept))
            chains.append(remoteChain(C.globalDyndnsOut, .globalDyndns, inbound: false, verdict: .accept))
        }
        if policy.dyndns != nil {
            chains.append(remoteChain(C.dyndnsIn, .dyndns, inbound: true, verdict: .accept))
            chains.append(remoteChain(C.dyndnsOut, .dyndns, inbound: false, verdict: .accept))
        }
        if policy.globalAllow != nil {
            chains.append(remoteChain(C.globalAllowIn, .globalAllow, inbound: true, verdict: .accept))
            chains.append(remoteChain(C.globalAllowOut, .globalAllow, inbound: false, verdict: .accept))
        }
        if policy.globalDeny != nil {
            chains.append(remoteChain(C.globalDenyIn, .globalDeny, inbound: true, verdict: dropListedIn))
            var out = NftChain(name: C.globalDenyOut)
            if !policy.blockInOnly { out = remoteChain(C.globalDenyOut, .globalDeny, inbound: false, verdict: dropListedOut) }
            chains.append(out)
        }
        if !policy.blocklists.isEmpty {
            for list in policy.blocklists {
                if case .blocklist(let name) = list.list {
                    chains += BlocklistLookups.chains(name, slot: 0, families: families, shards: HostShards.counts(list.list, list.ranges))
                }
            }
            var drop = NftChain(name: C.blocklistDrop)
            drop.add(NftRule([], [], dropListedIn, comment: "csf.blocklists"))
            chains.append(drop)
        }
        return chains
    }

    private func remoteChain(_ name: String, _ list: RemoteList, inbound: Bool, verdict: NftVerdict) -> NftChain {
        var chain = NftChain(name: name)
        for f in families {
            for set in S.remoteSets(list, f) {
                chain.add(NftRule([inbound ? .saddr(f, .set(set)) : .daddr(f, .set(set))], [], verdict, comment: "\(list)"))
            }
        }
        if list == .dyndns { chain.rules += dyndnsFilterRules(inbound: inbound) }
        let filters = (list == .globalAllow ? policy.globalAllow : list == .globalDeny ? policy.globalDeny : nil)?.filters ?? []
        // Numbered, not quoted: the filter's text came from a download.
        chain.rules += filterRules(filters.enumerated().map { ($0.element, "\(list) filter \($0.offset + 1)") },
                                   direction: inbound ? .in : .out, verdict: verdict)
        return chain
    }

    /// csf.dyndns's filters: the filter's ports and protocol, its address side matched against its own set.
    private func dyndnsFilterRules(inbound: Bool) -> [NftRule] {
        var rules: [NftRule] = []
        for (i, entry) in policy.dyndnsFilters.enumerated() where entry.filter.direction == (inbound ? .in : .out) {
            guard let side = entry.filter.address?.side else { continue }
            for f in families {
                let set = S.dyndnsFilter(i + 1, f)
                let address: NftMatch = side == .source ? .saddr(f, .set(set)) : .daddr(f, .set(set))
                rules.append(NftRule([address] + protoAndPort(entry.filter, family: f), [], .accept, comment: "csf.dyndns filter \(i + 1)"))
            }
        }
        return rules
    }

    /// The first entries of LOCALINPUT/LOCALOUTPUT (csf's order): GDYNIN, then ALLOWDYNIN — the resolved
    /// addresses of GLOBAL_DYNDNS and csf.dyndns are accepted before anything else is looked at.
    func dyndnsJumps(inbound: Bool) -> [NftRule] {
        var rules: [NftRule] = []
        if policy.globalDyndns != nil {
            rules.append(NftRule([], [], .jump(inbound ? C.globalDyndnsIn : C.globalDyndnsOut), comment: "GLOBAL_DYNDNS"))
        }
        if policy.dyndns != nil { rules.append(NftRule([], [], .jump(inbound ? C.dyndnsIn : C.dyndnsOut), comment: "DYNDNS")) }
        return rules
    }

    /// LOCALINPUT's entries after csf.sips: GDENYIN, then each blocklist (csf drops with DROP, logged only with
    /// DROP_IP_LOGGING, like csf.deny).
    func remoteDenyInRules() -> [NftRule] {
        var rules: [NftRule] = []
        if policy.globalDeny != nil { rules.append(NftRule([], [], .jump(C.globalDenyIn), comment: "GLOBAL_DENY")) }
        for list in policy.blocklists {
            guard case .blocklist(let name) = list.list else { continue }
            let skip = list.skipDevices.map { NftMatch.iifname($0, negated: true) }
            rules.append(NftRule(skip, [], .jump(C.blocklistIn(name)), comment: "\(list.list)"))
        }
        return rules
    }

    /// The established short path looks these up too, so a list refresh cuts a live connection from a newly
    /// listed source. Blocklists only for connections the source opened (`ct direction original`): csf has no
    /// outbound blocklist rule, and replies to the server's own connections must keep flowing.
    func remoteEstablishedRules(_ f: IPAddress.Family, scoped: [NftMatch]) -> [NftRule] {
        var rules: [NftRule] = []
        if policy.globalDeny != nil {
            for set in S.remoteSets(.globalDeny, f) {
                rules.append(NftRule(scoped + [.saddr(f, .set(set))], [], .jump(C.localInput), comment: "GLOBAL_DENY: full csf check"))
            }
        }
        for list in policy.blocklists {
            guard case .blocklist(let name) = list.list else { continue }
            rules.append(NftRule(scoped + [.ctDirectionOriginal(true)], [], .jump(C.blocklistEstablished(name, f)),
                                 comment: "\(list.list): full csf check"))
        }
        return rules
    }
}
