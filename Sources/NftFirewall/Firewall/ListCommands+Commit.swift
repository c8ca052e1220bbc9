extension ListCommands {
    typealias Change = NetlinkSetWriter.Change

    /// Writes the list file (one appended line, or an atomic rewrite without `drop`), then brings the kernel
    /// in step. If the kernel refuses, the file is put back so files and kernel never disagree.
    func commit(_ kind: CsfTableLayout.ListKind, _ file: ListFile, removingLines drop: Set<Int>, appending line: String?,
                added: [CommandTarget], removed: [CommandTarget]) throws(CsfError) -> KernelOutcome {
        let rollback: () -> Void
        if drop.isEmpty, let line {
            let size = try FileSystem.appendLine(file.path, line)
            rollback = { FileSystem.truncate(file.path, to: size) }
        } else {
            var bytes = file.removing(drop)
            if let line { bytes += Array((line + "\n").utf8) }
            try FileSystem.writeAtomically(file.path, bytes: bytes)
            rollback = { try? FileSystem.writeAtomically(file.path, bytes: file.bytes) }
        }
        do {
            return try syncKernel(kind, before: file, added: added, removed: removed)
        } catch {
            rollback()
            throw error
        }
    }

    private func syncKernel(_ kind: CsfTableLayout.ListKind, before: ListFile, added: [CommandTarget],
                            removed: [CommandTarget]) throws(CsfError) -> KernelOutcome {
        let sync = KernelSync(firewall: firewall)
        let all = added + removed
        // Advanced filters are rules, not set elements: only a table replacement (still one transaction) adds them.
        if all.contains(where: { $0.network == nil }) { return try sync.reload() }
        let networksChanged = all.contains { !($0.network?.isHost ?? true) }
        var after: [IPNetwork]?
        if networksChanged || !removed.isEmpty {
            after = listedNetworks(try ListFile.load(before.path))
        }
        var deletes: [Change] = []
        var adds: [Change] = []
        let stillListed = Set(after ?? [])
        for t in removed {
            guard let net = t.network, net.isHost, !stillListed.contains(net) else { continue }
            deletes.append(Change(.deleteIfPresent, set: CsfTableLayout.SetName.hosts(kind, net.family), elements: [.init(net.address)]))
        }
        for t in added {
            guard let net = t.network, net.isHost else { continue }
            adds.append(Change(.add, set: CsfTableLayout.SetName.hosts(kind, net.family), elements: [.init(net.address)]))
        }
        if networksChanged, let after {
            let beforeNets = listedNetworks(before)
            for family in [IPAddress.Family.v4, .v6] {
                let set = CsfTableLayout.SetName.networks(kind, family)
                let old = Set(Self.loaded(beforeNets, family)), new = Set(Self.loaded(after, family))
                deletes.append(Change(.deleteIfPresent, set: set, elements: old.subtracting(new).sorted().map { .init(.network($0)) }))
                adds.append(Change(.add, set: set, elements: new.subtracting(old).sorted().map { .init(.network($0)) }))
            }
        }
        return try sync.apply(deletes + adds)
    }

    /// Every address and network the list (with Includes) names.
    func listedNetworks(_ file: ListFile) -> [IPNetwork] {
        var out: [IPNetwork] = []
        _ = file.anyToken { token in
            if let n = token.listedNetwork { out.append(n) }
            return false
        }
        return out
    }

    /// The networks the compiler loads into an interval set for this family (covered ones left out).
    static func loaded(_ networks: [IPNetwork], _ family: IPAddress.Family) -> [IPNetwork] {
        RulesetCompiler.withoutCoveredNetworks(networks.filter { !$0.isHost && $0.family == family && $0.prefix > 0 }
            .map { NftSetElement($0) }).map(\.network)
    }
}
