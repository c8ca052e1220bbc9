import CsfCompat
import CsfPolicy

extension RulesetCompiler {
    /// The list sets (filled by `SetContents`) and the empty dynamic sets the flood, connection and knock rules
    /// fill from the packet path.
    func sets() -> [NftSet] {
        var sets = SetContents.list(.allow, policy.allow.listedNetworks)
        sets += SetContents.list(.deny, policy.deny.listedNetworks)
        sets += SetContents.sips(policy.sips)
        sets += remoteListSets()
        sets += countrySets()
        sets += meterSets()
        let temp = policy.tempAllow.map { (TempEntry.Kind.allow, $0) } + policy.tempDeny.map { (TempEntry.Kind.deny, $0) }
        return sets + SetContents.temporary(temp.filter { families.contains($0.1.target.family) }, now: policy.now)
    }

    private func meterSets() -> [NftSet] {
        var sets: [NftSet] = []
        func meter(_ name: String, _ family: IPAddress.Family, timeout: Bool, comment: String, defaultTimeout: Int? = nil) {
            var set = NftSet(name: name, keyType: family == .v4 ? .ipv4 : .ipv6, flags: timeout ? [.dynamic, .timeout] : [.dynamic],
                             comment: comment, size: 65535)
            set.defaultTimeout = defaultTimeout
            sets.append(set)
        }
        for flood in policy.portFloods {
            for family in families {
                for kind in ["window", "bucket", "block"] {
                    meter(S.portFlood(family, port: flood.port, proto: flood.proto, meter: kind), family, timeout: true,
                          comment: "PORTFLOOD \(flood.port);\(flood.proto.rawValue);\(flood.hits);\(flood.seconds) \(kind)",
                          defaultTimeout: flood.seconds)
                }
            }
        }
        for limit in policy.connLimits {
            for family in families {
                meter(S.connLimit(family, port: limit.port), family, timeout: false,
                      comment: "CONNLIMIT \(limit.port);\(limit.limit) connection counts")
            }
        }
        if let flood = policy.synFlood, flood.perSource {
            // A source idle for longer than its bucket takes to refill starts full again either way.
            let refill = Int((Double(flood.burst) / flood.rate.perSecond).rounded(.up))
            for family in families {
                meter(S.synFlood(family), family, timeout: true, comment: "SYNFLOOD_PER_SOURCE: one \(flood.rate) bucket per source",
                      defaultTimeout: max(60, refill + 1))
            }
        }
        if let m = policy.messenger {
            let refill = Int((Double(m.burst) / m.rate.perSecond).rounded(.up))
            for family in families {
                meter(S.messenger(family), family, timeout: true, comment: "MESSENGER_RATE: one \(m.rate) bucket per source",
                      defaultTimeout: max(60, refill + 1))
            }
        }
        if policy.nflogGroup != nil {
            let refill = Int((Double(Self.nflogBurst) / Self.nflogRate.perSecond).rounded(.up))
            for family in families {
                meter(S.nflog(family), family, timeout: true, comment: "NFLOG_GROUP: one \(Self.nflogRate) bucket per source for lfd",
                      defaultTimeout: max(60, refill + 1))
            }
        }
        for knock in policy.portKnocks {
            for family in families {
                for step in 1...knock.knocks.count {
                    meter(S.knock(family, port: knock.port, proto: knock.proto, step: step), family, timeout: true,
                          comment: "PORTKNOCKING \(knock.port): sources past knock \(step) (port \(knock.knocks[step - 1]))",
                          defaultTimeout: knock.timeout)
                }
            }
        }
        return sets
    }
}
