extension ListCommands {
    typealias Change = NetlinkSetWriter.Change

    /// Writes the list file (one appended line, or an atomic rewrite without `drop`), then brings the kernel
    /// in step. If the kernel refuses, the file is put back so files and kernel never disagree.
    func commit(_ kind: CsfTableLayout.ListKind, _ file: ListFile, removingLines drop: Set<Int>, appending line: String?,
                added: [CommandTarget], removed: [CommandTarget]) throws(CsfError) -> KernelOutcome {
        let rollback: () -> Void
        let after: ListFile?
        if drop.isEmpty, let line {
            let size = try FileSystem.appendLine(file.path, line)
            rollback = { FileSystem.truncate(file.path, to: size) }
            after = nil
        } else {
            var bytes = file.removing(drop)
            if let line { bytes += Array((line + "\n").utf8) }
            try FileSystem.writeAtomically(file.path, bytes: bytes)
            // The mapping still shows the old file after the rename, so it is the rollback copy.
            rollback = { try? FileSystem.writeAtomically(file.path, bytes: file.bytes.array) }
            after = ListFile(path: file.path, bytes: bytes)
        }
        do {
            return try syncKernel(kind, before: file, after: after, added: added, removed: removed)
        } catch {
            rollback()
            throw error
        }
    }

    /// `-dr`/`-ar` on a large file: each removed line becomes a same-length comment, written in place and
    /// flushed; the kernel follows, and if it refuses the old lines are written back.
    func commitInPlace(_ kind: CsfTableLayout.ListKind, _ file: ListFile, blanking ranges: [Range<Int>],
                       removed: [CommandTarget]) throws(CsfError) -> KernelOutcome {
        let old = ranges.map { (offset: $0.lowerBound, bytes: Array(file.bytes.buffer[$0])) }
        // The mapping may show the new bytes after the write; keep a copy when the network diff needs the old file.
        let before = removed.contains { !($0.network?.isHost ?? true) } ? ListFile(path: file.path, bytes: file.bytes.array) : file
        try FileSystem.overwrite(file.path, ranges.map { (offset: $0.lowerBound, bytes: ListFile.placeholder(length: $0.count)) })
        do {
            // The caller has already left out addresses that other lines still list, so no re-scan here.
            return try syncKernel(kind, before: before, after: nil, added: [], removed: removed)
        } catch {
            try? FileSystem.overwrite(file.path, old)
            throw error
        }
    }

    private func syncKernel(_ kind: CsfTableLayout.ListKind, before: ListFile, after: ListFile?, added: [CommandTarget],
                            removed: [CommandTarget]) throws(CsfError) -> KernelOutcome {
        let sync = KernelSync(firewall: firewall)
        let all = added + removed
        // Advanced filters are rules, not set elements: only a table replacement (still one transaction) adds them.
        if all.contains(where: { $0.network == nil }) { return try sync.reload() }
        var deletes: [Change] = []
        var adds: [Change] = []
        var removedHosts: [IPAddress.Family: [NetlinkSetWriter.Element]] = [:]
        var addedHosts: [IPAddress.Family: [NetlinkSetWriter.Element]] = [:]
        for t in removed {
            // Another line (or an Include) may still list the address: then it stays in the kernel.
            guard let net = t.network, net.isHost, !(after.map { isListed(t, in: $0) } ?? false) else { continue }
            removedHosts[net.family, default: []].append(.init(net.address))
        }
        for t in added {
            guard let net = t.network, net.isHost else { continue }
            addedHosts[net.family, default: []].append(.init(net.address))
        }
        for family in [IPAddress.Family.v4, .v6] {
            let set = CsfTableLayout.SetName.hosts(kind, family)
            deletes.append(Change(.deleteIfPresent, set: set, elements: removedHosts[family] ?? []))
            adds.append(Change(.add, set: set, elements: addedHosts[family] ?? []))
        }
        if all.contains(where: { !($0.network?.isHost ?? true) }) {
            let beforeNets = listedNetworks(before)
            let afterFile: ListFile
            if let after { afterFile = after } else { afterFile = try ListFile.load(before.path) }
            let afterNets = listedNetworks(afterFile)
            for family in [IPAddress.Family.v4, .v6] {
                let set = CsfTableLayout.SetName.networks(kind, family)
                let old = Set(Self.loaded(beforeNets, family)), new = Set(Self.loaded(afterNets, family))
                deletes.append(Change(.deleteIfPresent, set: set, elements: old.subtracting(new).sorted().map { .init(.network($0)) }))
                adds.append(Change(.add, set: set, elements: new.subtracting(old).sorted().map { .init(.network($0)) }))
            }
        }
        return try sync.apply(deletes + adds)
    }

    /// Every address and network the list (with Includes) names.
    func listedNetworks(_ file: ListFile) -> [IPNetwork] {
        var out: [IPNetwork] = []
        // Only lines with a '/' can name a network; hosts do not matter to the interval sets.
        for i in file.lines(containing: [47]) {
            if let n = file.token(i)?.listedNetwork, !n.isHost { out.append(n) }
        }
        for i in file.includeLines {
            guard let inc = file.includePath(i), let included = try? ListFile.load(inc) else { continue }
            out += listedNetworks(included)
        }
        return out
    }

    /// The networks the compiler loads into an interval set for this family (covered ones left out).
    static func loaded(_ networks: [IPNetwork], _ family: IPAddress.Family) -> [IPNetwork] {
        RulesetCompiler.withoutCoveredNetworks(networks.filter { !$0.isHost && $0.family == family && $0.prefix > 0 }
            .map { NftSetElement($0) }).map(\.network)
    }
}
