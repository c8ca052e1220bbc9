import CsfCompat

/// A blocklist's lookup chains hold nothing but its sets' matches, each jumping to a chain csf -r compiles (the
/// drop for LOCALINPUT, the full csf check for the established path), so lfd can rebuild them from the list's name
/// alone. That is how a large refresh avoids sending a million removals: lfd fills the sets of the slot not in use
/// (nothing points at them yet), then in one small transaction flushes the lookup chains, adds them back pointing at
/// the new sets and deletes the old ones, whose elements the kernel frees after the commit.
public enum BlocklistLookups {
    typealias C = CsfTableLayout.Chain
    typealias S = CsfTableLayout.SetName

    /// BLIN_<name>, then BLEST4_/BLEST6_<name> for each family, looking up the sets of `slot`.
    public static func chains(_ name: String, slot: Int, families: [IPAddress.Family]) -> [NftChain] {
        let list = RemoteList.blocklist(name)
        var inbound = NftChain(name: C.blocklistIn(name))
        var established: [NftChain] = []
        for f in families {
            var chain = NftChain(name: C.blocklistEstablished(name, f))
            for set in S.remoteSets(list, f, slot: slot) {
                inbound.add(NftRule([.saddr(f, .set(set))], [], .jump(C.blocklistDrop), comment: "\(list)"))
                chain.add(NftRule([.saddr(f, .set(set))], [], .jump(C.localInput), comment: "\(list): full csf check"))
            }
            established.append(chain)
        }
        // Counted as every compiled rule is (RulesetCompiler.counted): a swap leaves the listing as csf -r makes it.
        return ([inbound] + established).map(RulesetCompiler.counted)
    }

    /// The empty sets of `slot`, declared inside the running table (`table inet csf { … }` adds, it replaces
    /// nothing); the address sets sized for `addresses` per family.
    public static func declarations(_ name: String, slot: Int, families: [IPAddress.Family],
                                    addresses: [IPAddress.Family: Int]) throws(NftRenderer.RenderError) -> String {
        var table = NftTable(name: CsfTableLayout.tableName)
        for var set in SetContents.remote(.blocklist(name), [], families: families) {
            let family: IPAddress.Family = set.keyType == .ipv4 ? .v4 : .v6
            let networks = set.flags.contains(.interval)
            set.name = S.remote(.blocklist(name), family, networks: networks, slot: slot)
            if !networks { set.size = RenderedTable.standbySizeHint(addresses[family] ?? 0) }
            table.sets.append(set)
        }
        return try NftRenderer.render(table)
    }

    /// `delete set` of each named set of the table.
    public static func deletions(_ sets: [String]) throws(NftRenderer.RenderError) -> String {
        var out = ""
        for set in sets { out += "delete set \(CsfTableLayout.family) \(CsfTableLayout.tableName) \(try NftRenderer.identifier(set))\n" }
        return out
    }

    /// The swap, one transaction: the lookup chains rebuilt for `slot`, the other slot's sets deleted.
    public static func swapScript(_ name: String, to slot: Int, families: [IPAddress.Family]) throws(NftRenderer.RenderError) -> String {
        let head = "\(CsfTableLayout.family) \(CsfTableLayout.tableName)"
        var out = ""
        for chain in chains(name, slot: slot, families: families) {
            let id = try NftRenderer.identifier(chain.name)
            out += "flush chain \(head) \(id)\n"
            for rule in chain.rules { out += "add rule \(head) \(id) \(try NftRenderer.render(rule))\n" }
        }
        return out + (try deletions(families.flatMap { S.remoteSets(.blocklist(name), $0, slot: 1 - slot) }))
    }
}
