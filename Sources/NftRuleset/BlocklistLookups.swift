import CsfCompat

/// A blocklist's lookup chains hold nothing but its sets' matches, each jumping to a chain csf -r compiles (the
/// drop for LOCALINPUT, the full csf check for the established path), so lfd can rebuild them from the list's name
/// alone. That is how a large refresh avoids sending a million removals: lfd fills the sets of the slot not in use
/// (nothing points at them yet), then in one small transaction flushes the lookup chains, adds them back pointing at
/// the new sets and deletes the old ones, whose elements the kernel frees after the commit.
public enum BlocklistLookups {
    typealias C = CsfTableLayout.Chain
    typealias S = CsfTableLayout.SetName

    /// BLIN_<name>, then BLEST4_/BLEST6_<name> for each family, looking up the sets of `slot` (`shards` address
    /// sets per family, HostShards).
    public static func chains(_ name: String, slot: Int, families: [IPAddress.Family], shards: [IPAddress.Family: Int]) -> [NftChain] {
        let list = RemoteList.blocklist(name)
        var inbound = NftChain(name: C.blocklistIn(name))
        var established: [NftChain] = []
        for f in families {
            var chain = NftChain(name: C.blocklistEstablished(name, f))
            let count = shards[f] ?? 1
            for (k, set) in S.remoteSets(list, f, slot: slot, shards: count).enumerated() {
                // A shard's rule tests the address's low bits before it hashes (HostShards); the last set is the
                // interval set, which any address may be in.
                let gate: [NftMatch] = count > 1 && k < count ? [.saddrLowBits(f, mask: HostShards.mask(count), value: HostShards.bits(ofShard: k))] : []
                inbound.add(NftRule(gate + [.saddr(f, .set(set))], [], .jump(C.blocklistDrop), comment: "\(list)"))
                chain.add(NftRule(gate + [.saddr(f, .set(set))], [], .jump(C.localInput), comment: "\(list): full csf check"))
            }
            established.append(chain)
        }
        // Counted as every compiled rule is (RulesetCompiler.counted): a swap leaves the listing as csf -r makes it.
        return ([inbound] + established).map(RulesetCompiler.counted)
    }

    /// The empty sets of `slot`, each declared on its own inside the running table (`table inet csf { … }` adds, it
    /// replaces nothing), to be sent one transaction each: the kernel allocates a shard's buckets while every
    /// other change waits (HostShards). `addresses`: each shard's count, per family (HostShards.perShard); each
    /// address set is sized for its own.
    public static func declarations(_ name: String, slot: Int, families: [IPAddress.Family],
                                    addresses: [IPAddress.Family: [Int]]) throws(NftRenderer.RenderError) -> [String] {
        let list = RemoteList.blocklist(name)
        var scripts: [String] = []
        for family in families {
            let keyType: NftSet.KeyType = family == .v4 ? .ipv4 : .ipv6
            let counts = addresses[family] ?? [0]
            for (set, count) in zip(S.remoteHostSets(list, family, slot: slot, shards: counts.count), counts) {
                scripts.append(try declaration(NftSet(name: set, keyType: keyType, comment: "\(list) addresses",
                                                      size: RenderedTable.standbySizeHint(count, shards: counts.count))))
            }
            scripts.append(try declaration(NftSet(name: S.remote(list, family, networks: true, slot: slot), keyType: keyType,
                                                  flags: [.interval], comment: "\(list) networks")))
        }
        return scripts
    }

    private static func declaration(_ set: NftSet) throws(NftRenderer.RenderError) -> String {
        var table = NftTable(name: CsfTableLayout.tableName)
        table.sets = [set]
        return try NftRenderer.render(table)
    }

    /// `delete set` of each named set of the table.
    public static func deletions(_ sets: [String]) throws(NftRenderer.RenderError) -> String {
        var out = ""
        for set in sets { out += "delete set \(CsfTableLayout.family) \(CsfTableLayout.tableName) \(try NftRenderer.identifier(set))\n" }
        return out
    }

    /// The swap, one transaction: the lookup chains rebuilt for `slot` (its `shards`), the `retiring` sets (the
    /// other slot's, as the running table has them) deleted.
    public static func swapScript(_ name: String, to slot: Int, families: [IPAddress.Family], shards: [IPAddress.Family: Int],
                                  retiring: [String]) throws(NftRenderer.RenderError) -> String {
        let head = "\(CsfTableLayout.family) \(CsfTableLayout.tableName)"
        var out = ""
        for chain in chains(name, slot: slot, families: families, shards: shards) {
            let id = try NftRenderer.identifier(chain.name)
            out += "flush chain \(head) \(id)\n"
            for rule in chain.rules { out += "add rule \(head) \(id) \(try NftRenderer.render(rule))\n" }
        }
        return out + (try deletions(retiring))
    }
}
