#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import NftRuleset

extension ListCommands {
    /// Writes the list file (one appended line, or an atomic rewrite without `drop`), then brings the kernel
    /// in step. If the kernel refuses, the file is put back so files and kernel never disagree. An appended line is
    /// flushed after the kernel took it (`FlushAfterKernel`).
    func commit(_ kind: CsfTableLayout.ListKind, _ file: ListFile, removingLines drop: Set<Int>, appending line: String?,
                added: [CommandTarget], removed: [CommandTarget]) throws(CsfError) -> KernelOutcome {
        if drop.isEmpty, let line {
            let size = try FileSystem.appendLine(file.path, line, flush: false)
            let undoFile = { FileSystem.truncate(file.path, to: size); try? FileSystem.flush(file.path) }
            Self.crashPointBeforeKernel()
            return try FlushAfterKernel.run(file.path, kernel: { () throws(CsfError) in
                try syncKernel(kind, before: file, after: nil, added: added, removed: removed)
            }, undoFile: undoFile, undoBoth: {
                let written = (try? ListFile.load(file.path)).map { ListFile(path: file.path, bytes: $0.bytes.array) }
                undoFile()
                _ = try? syncKernel(kind, before: written ?? file, after: file, added: removed, removed: added)
            })
        }
        var bytes = file.removing(drop)
        if let line { bytes += Array((line + "\n").utf8) }
        try FileSystem.writeAtomically(file.path, bytes: bytes)
        Self.crashPointBeforeKernel()
        do {
            let outcome = try syncKernel(kind, before: file, after: ListFile(path: file.path, bytes: bytes), added: added, removed: removed)
            FlushAfterKernel.traceLanded()
            return outcome
        } catch {
            // The mapping still shows the old file after the rename, so it is the rollback copy.
            try? FileSystem.writeAtomically(file.path, bytes: file.bytes.array)
            throw error
        }
    }

    /// Test hook (issue 12): the process dies between the file write and the kernel update, as a crash or a
    /// kill -9 would leave it. Repeats and lfd's start repair what it leaves behind.
    static func crashPointBeforeKernel() {
        if Environment.value("NFTCSF_TEST_CRASH_BEFORE_KERNEL") == "1" { raise(SIGKILL) }
    }

    /// A repeat of an edit that a crash may have interrupted: the file has the entry, the kernel perhaps not.
    /// An exclusive add per set finds out and fixes it. True when something was missing (and is in place now).
    func repair(_ changes: [SetChange]) throws(CsfError) -> Bool {
        var repaired = false
        for change in changes where !change.isEmpty {
            do {
                if try kernel.addMissing(change) { repaired = true }
            } catch {
                // No table (or not this set): nothing runs that could disagree with the files.
                if case .kernel(_, _, let code) = error, code == ENOENT { return repaired }
                throw error
            }
        }
        return repaired
    }

    /// The message and change of a repeat that found the kernel lacking the entry.
    func repaired(_ target: CommandTarget, into change: inout ListChange) {
        change.messages.append("csf: \(target.text) was missing from the kernel (an earlier command was interrupted); added")
        change.changed = true
        change.kernel = .applied
        change.added = [target.text]
    }

    /// `-dr`/`-ar` on a large file: each removed line becomes a same-length comment, written in place; the kernel
    /// follows, then the lines are flushed (`FlushAfterKernel`). If the kernel or the disk refuses, the old lines
    /// are written back (and the kernel's change taken back).
    func commitInPlace(_ kind: CsfTableLayout.ListKind, _ file: ListFile, blanking ranges: [Range<Int>],
                       removed: [CommandTarget]) throws(CsfError) -> KernelOutcome {
        let old = ranges.map { (offset: $0.lowerBound, bytes: Array(file.bytes.buffer[$0])) }
        // The mapping may show the new bytes after the write; keep a copy when the network diff needs the old file.
        let before = removed.contains { !($0.network?.isHost ?? true) } ? ListFile(path: file.path, bytes: file.bytes.array) : file
        try FileSystem.overwrite(file.path, ranges.map { (offset: $0.lowerBound, bytes: ListFile.placeholder(length: $0.count)) },
                                 flush: false)
        Self.crashPointBeforeKernel()
        // The caller has already left out addresses that other lines still list, so no re-scan here.
        return try FlushAfterKernel.run(file.path, kernel: { () throws(CsfError) in
            try syncKernel(kind, before: before, after: nil, added: [], removed: removed)
        }, undoFile: {
            try? FileSystem.overwrite(file.path, old)
        }, undoBoth: {
            let blanked = (try? ListFile.load(file.path)).map { ListFile(path: file.path, bytes: $0.bytes.array) }
            try? FileSystem.overwrite(file.path, old)
            _ = try? syncKernel(kind, before: blanked ?? before, after: nil, added: removed, removed: [])
        })
    }

    /// The kernel side of an edit: the list's set contents for the entries it touched, before and after, and
    /// the difference sent in one batch. Hosts are elements of their own; networks share interval sets (a covered
    /// network appears only when its cover leaves), so their sets are compared whole.
    private func syncKernel(_ kind: CsfTableLayout.ListKind, before: ListFile, after: ListFile?, added: [CommandTarget],
                            removed: [CommandTarget]) throws(CsfError) -> KernelOutcome {
        let sync = KernelSync(firewall: firewall)
        let all = added + removed
        // Advanced filters are rules, not set elements: only a table replacement (still one transaction) adds them.
        if all.contains(where: { $0.network == nil }) { return try sync.reload() }
        let removedHosts = removed.compactMap(\.network).filter(\.isHost)
        // Another line (or an Include) may still list a removed address: then it stays in the kernel.
        let keptHosts = removedHosts.filter { net in after.map { isListed(.network(net), in: $0) } ?? false }
        var old = removedHosts
        var new = added.compactMap(\.network).filter(\.isHost) + keptHosts
        if all.contains(where: { !($0.network?.isHost ?? true) }) {
            old += listedNetworks(before)
            let afterFile: ListFile
            if let after { afterFile = after } else { afterFile = try ListFile.load(before.path) }
            new += listedNetworks(afterFile)
        }
        return try sync.apply(SetContents.changes(from: SetContents.list(kind, old), to: SetContents.list(kind, new)))
    }

    /// Every address and network the list (with Includes) names.
    func listedNetworks(_ file: ListFile) -> [IPNetwork] {
        var out: [IPNetwork] = []
        // Only lines with a '/' can name a network; hosts do not matter to the interval sets.
        for i in file.lines(containing: [ASCII.slash]) {
            if let n = file.token(i)?.listedNetwork, !n.isHost { out.append(n) }
        }
        for i in file.includeLines {
            guard let inc = file.includePath(i), let included = try? ListFile.load(inc) else { continue }
            out += listedNetworks(included)
        }
        return out
    }
}
