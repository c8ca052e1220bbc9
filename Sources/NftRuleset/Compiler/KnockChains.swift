import CsfCompat
import CsfPolicy

extension RulesetCompiler {

    /// csf's xt_recent knock ladder with timeout sets: knock 1 records the source; knock n counts only from a
    /// source past knock n-1 (which it consumes); the port accepts sources past the last knock until their
    /// entry times out. A knock out of order finds no entry and changes nothing.
    func portKnockRules() -> [NftRule] {
        var rules: [NftRule] = []
        let state: [NftMatch] = policy.spi ? [.ctState([.new])] : []
        for k in policy.portKnocks {
            let label = "PORTKNOCKING \(k.port)"
            for family in families {
                let base = familyMatch(family) + inScope(scope(family))
                let first = base + [.dport(k.proto, [PortRange(k.knocks[0])])] + state
                if policy.portKnockingLog { rules += logRule(first, prefix: "*\(k.port)_S1*", tag: "Knock: ", comment: label) }
                rules.append(NftRule(first, [.setAddSource(set: S.knock(family, port: k.port, proto: k.proto, step: 1), family: family, update: true, limitOver: nil, burst: 0)],
                                     .drop, comment: "\(label) knock 1"))
                for step in 2...k.knocks.count {
                    rules.append(NftRule(base + [.dport(k.proto, [PortRange(k.knocks[step - 1])])] + state
                                         + [.saddr(family, .set(S.knock(family, port: k.port, proto: k.proto, step: step - 1)))], [],
                                         .jump(C.knock(port: k.port, proto: k.proto, step: step)), comment: "\(label) knock \(step)"))
                }
                let open = base + [.dport(k.proto, [PortRange(k.port)])] + state + [.saddr(family, .set(S.knock(family, port: k.port, proto: k.proto, step: k.knocks.count)))]
                if policy.portKnockingLog { rules += logRule(open, prefix: "*\(k.port)_IN*", tag: "Knock: ", comment: label) }
                rules.append(NftRule(open, [], .accept, comment: "\(label) open"))
            }
        }
        return rules
    }

    func portKnockChains() -> [NftChain] {
        policy.portKnocks.flatMap { k in
            (2...k.knocks.count).map { step in
                var chain = NftChain(name: C.knock(port: k.port, proto: k.proto, step: step))
                for family in families {
                    let fm = familyMatch(family)
                    chain.add(NftRule(fm, [.setDeleteSource(set: S.knock(family, port: k.port, proto: k.proto, step: step - 1), family: family),
                                           .setAddSource(set: S.knock(family, port: k.port, proto: k.proto, step: step), family: family, update: true, limitOver: nil, burst: 0)],
                                      nil, comment: "PORTKNOCKING \(k.port) knock \(step)"))
                }
                if policy.portKnockingLog { chain.add(logRule([], prefix: "*\(k.port)_S\(step)*", tag: "Knock: ", comment: "PORTKNOCKING_LOG")) }
                chain.add(NftRule([], [], .drop, comment: "PORTKNOCKING \(k.port)"))
                return chain
            }
        }
    }
}
