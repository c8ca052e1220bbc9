/// A table with some of its sets under other names, every rule that names them following: how the kernel layer
/// loads csf.allow's and csf.deny's sets into the slot that is not running (CsfTableLayout.SetName.listSlots).
extension NftTable {
    public func renamingSets(_ names: [String: String]) -> NftTable {
        guard !names.isEmpty else { return self }
        let rename = { (name: String) in names[name] ?? name }
        var out = self
        for i in out.sets.indices { out.sets[i].name = rename(out.sets[i].name) }
        for c in out.chains.indices {
            for r in out.chains[c].rules.indices {
                out.chains[c].rules[r].matches = out.chains[c].rules[r].matches.map { $0.renamingSets(rename) }
                out.chains[c].rules[r].statements = out.chains[c].rules[r].statements.map { $0.renamingSets(rename) }
            }
        }
        return out
    }
}

extension NftAddressRef {
    func renamingSets(_ rename: (String) -> String) -> NftAddressRef {
        if case .set(let name) = self { return .set(rename(name)) }
        return self
    }
}

extension NftMatch {
    func renamingSets(_ rename: (String) -> String) -> NftMatch {
        switch self {
        case .saddr(let f, let ref): return .saddr(f, ref.renamingSets(rename))
        case .daddr(let f, let ref): return .daddr(f, ref.renamingSets(rename))
        case .connCountOver(let f, let set, let limit): return .connCountOver(f, set: rename(set), limit: limit)
        case .addressPortInSet(let f, let source, let set): return .addressPortInSet(f, source: source, set: rename(set))
        case .ctMark(let mask, let set, let negated): return .ctMark(mask: mask, set: rename(set), negated: negated)
        case .family, .iifname, .iifLoopback, .oifname, .l4proto, .dport, .sport, .ctState, .ctDirectionOriginal, .ctStatusDnat,
             .icmpType, .tcpFlags, .skuid, .skgid, .hopLimit, .limit, .saddrLowBits:
            return self
        }
    }
}

extension NftStatement {
    func renamingSets(_ rename: (String) -> String) -> NftStatement {
        switch self {
        case .setLimitSource(let set, let f, let rate, let burst): return .setLimitSource(set: rename(set), family: f, rate: rate, burst: burst)
        case .setDeleteSource(let set, let f): return .setDeleteSource(set: rename(set), family: f)
        case .setAddSource(let set, let f, let update, let limitOver, let burst):
            return .setAddSource(set: rename(set), family: f, update: update, limitOver: limitOver, burst: burst)
        case .counter, .ctMarkSetFromState, .ctMarkOr, .log:
            return self
        }
    }
}
