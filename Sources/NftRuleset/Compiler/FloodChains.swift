import CsfCompat
import CsfPolicy

extension RulesetCompiler {
    /// csf's global token bucket: new connections within the rate return to INPUT, the rest are dropped.
    func synFloodChain(_ flood: FirewallPolicy.SynFlood) -> NftChain {
        var chain = NftChain(name: C.synFlood)
        if flood.perSource {
            for family in families {
                let fm = familyMatch(family)
                chain.add(NftRule(fm, [.setLimitSource(set: S.synFlood(family), family: family, rate: flood.rate, burst: flood.burst)],
                                  .return, comment: "SYNFLOOD_PER_SOURCE: SYNFLOOD_RATE, SYNFLOOD_BURST per source"))
            }
        } else {
            chain.add(NftRule([.limit(flood.rate, burst: flood.burst)], [], .return, comment: "SYNFLOOD_RATE, SYNFLOOD_BURST"))
        }
        if policy.logging.dropLogging { chain.add(logRule([], prefix: "*SYNFLOOD Blocked*")) }
        chain.add(NftRule([], [], .drop, comment: "SYNFLOOD"))
        return chain
    }

    /// New connections to each PORTFLOOD port go through that port's chain.
    func portFloodJumps() -> [NftRule] {
        policy.portFloods.flatMap { f in
            bothFamilies({ fam, fm in
                NftRule(fm + inScope(scope(fam)) + [.dport(f.proto, [PortRange(f.port)]), .ctState([.new])], [],
                        .jump(C.portFlood(port: f.port, proto: f.proto)), comment: "PORTFLOOD \(f.port);\(f.proto.rawValue);\(f.hits);\(f.seconds)")
            }, sameFor6: policy.ethIn == policy.ethIn6)
        }
    }

    /// csf's xt_recent PORTFLOOD (nft-notes C4): a blocked source stays blocked while it keeps trying (each
    /// attempt re-arms the timeout: "until `seconds` of quiet"); the hits-th new connection within `seconds` is
    /// caught by a fixed window (no refill) or a token bucket (refill hits per `seconds`), whichever sees it first.
    func portFloodChains() -> [NftChain] {
        var chains: [NftChain] = []
        for f in policy.portFloods {
            var chain = NftChain(name: C.portFlood(port: f.port, proto: f.proto))
            let burst = max(f.hits - 1, 0)
            let bucket = Self.bucketRate(hits: f.hits, seconds: f.seconds)
            for family in families {
                let (window, tb, block) = (S.portFlood(family, port: f.port, proto: f.proto, meter: "window"), S.portFlood(family, port: f.port, proto: f.proto, meter: "bucket"),
                                           S.portFlood(family, port: f.port, proto: f.proto, meter: "block"))
                let fm = familyMatch(family)
                chain.add(NftRule(fm + [.saddr(family, .set(block))],
                                  [.setAddSource(set: block, family: family, update: true, limitOver: nil, burst: 0)],
                                  .jump(C.portFlood), comment: "PORTFLOOD: still blocked, quiet period restarts"))
                if f.hits <= 1 {
                    chain.add(NftRule(fm, [.setAddSource(set: block, family: family, update: false, limitOver: nil, burst: 0)],
                                      .jump(C.portFlood), comment: "PORTFLOOD: hits = 1"))
                    continue
                }
                chain.add(NftRule(fm, [.setAddSource(set: window, family: family, update: false, limitOver: Rate(count: 1, unit: .week), burst: burst),
                                       .setAddSource(set: block, family: family, update: false, limitOver: nil, burst: 0)],
                                  .jump(C.portFlood), comment: "PORTFLOOD: \(f.hits) new connections in this window"))
                chain.add(NftRule(fm, [.setAddSource(set: tb, family: family, update: true, limitOver: bucket, burst: burst),
                                       .setAddSource(set: block, family: family, update: false, limitOver: nil, burst: 0)],
                                  .jump(C.portFlood), comment: "PORTFLOOD: over \(f.hits) per \(f.seconds)s"))
            }
            chains.append(chain)
        }
        var drop = NftChain(name: C.portFlood)
        if policy.logging.dropLogging { drop.add(logRule([], prefix: "*Port Flood*")) }
        drop.add(NftRule([], [], .drop, comment: "PORTFLOOD"))
        chains.append(drop)
        return chains
    }

    /// hits per `seconds`, rounded up to a whole count of an nft unit (never stricter than csf's window).
    static func bucketRate(hits: Int, seconds: Int) -> Rate {
        for unit in [Rate.Unit.minute, .hour, .day] {
            let exact = Double(hits * unit.seconds) / Double(seconds)
            if exact >= 10 || unit == .day { return Rate(count: max(1, Int(exact.rounded(.up))), unit: unit) }
        }
        return Rate(count: hits, unit: .day)
    }

    /// One rule per port and family: a new connection from a source already holding more than the limit
    /// (counted by conntrack, as xt_connlimit does) goes to CONNLIMIT.
    func connLimitRules() -> [NftRule] {
        var rules: [NftRule] = []
        for limit in policy.connLimits {
            for family in families {
                var m: [NftMatch] = familyMatch(family)
                m += inScope(scope(family)) + [.dport(.tcp, [PortRange(limit.port)]), Self.newSyn,
                                             .connCountOver(family, set: S.connLimit(family, port: limit.port), limit: limit.limit)]
                rules.append(NftRule(m, [], .jump(C.connLimit), comment: "CONNLIMIT \(limit.port);\(limit.limit)"))
            }
        }
        return rules
    }

    func connLimitChain() -> NftChain {
        var chain = NftChain(name: C.connLimit)
        if policy.connLimitLogging { chain.add(logRule([], prefix: "*ConnLimit*")) }
        chain.add(NftRule([.l4proto(.tcp)], [], .rejectTcpReset, comment: "CONNLIMIT"))
        return chain
    }

    /// Outbound UDP: root and UDPFLOOD_ALLOWUSER return, the rest shares one token bucket (csf's global limit).
    func udpFloodChain(_ flood: FirewallPolicy.UdpFlood) -> NftChain {
        var chain = NftChain(name: C.udpFlood)
        for uid in flood.users + [0] {
            chain.add(NftRule([.l4proto(.udp), .skuid(uid)], [], .return, comment: uid == 0 ? "UDPFLOOD: root" : "UDPFLOOD_ALLOWUSER"))
        }
        chain.rules += bothFamilies({ f, fm in
            NftRule(fm + ethOut(scope(f)) + [.l4proto(.udp), .limit(flood.rate, burst: flood.burst)], [], .return,
                    comment: "UDPFLOOD_LIMIT, UDPFLOOD_BURST")
        }, sameFor6: policy.ethIn == policy.ethIn6)
        if flood.logging { chain.add(logRule([.l4proto(.udp)], prefix: "*UDPFLOOD*", uid: policy.logging.dropUIDLogging, comment: "UDPFLOOD_LOGGING")) }
        chain.rules += bothFamilies({ f, fm in
            NftRule(fm + ethOut(scope(f)) + [.l4proto(.udp)], [], verdict(policy.dropOut), comment: "UDPFLOOD")
        }, sameFor6: policy.ethIn == policy.ethIn6)
        return chain
    }
}
