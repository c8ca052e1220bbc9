#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import NftKernel
import NftRuleset

/// What a list edit did to the running table.
public enum KernelOutcome: String, Sendable, Codable {
    /// The running table now matches the files.
    case applied
    /// Nothing in the kernel needed to change.
    case unchanged
    /// No `inet csf` table: the files changed and the next `csf -s` applies them.
    case notRunning
}

/// Brings a list edit into the running table: set elements in one batch, or, for advanced filters (which are
/// rules, not set elements), one atomic replacement of the table.
struct KernelSync {
    let firewall: Firewall
    var kernel: any KernelPort { firewall.kernel }

    func apply(_ changes: [SetChange]) throws(CsfError) -> KernelOutcome {
        let effective = changes.filter { !$0.isEmpty }
        guard !effective.isEmpty else { return .unchanged }
        do {
            try kernel.apply(effective)
            return .applied
        } catch {
            // ENOENT: the table, or one of its sets, is missing. Without a table there is nothing to keep in step.
            guard case .kernel(_, _, let code) = error, code == ENOENT else { throw error }
            if try !kernel.isRunning() { return .notRunning }
            throw .kernel(operation: "update", message: "the running table lacks a set this version uses; run csf -r", errno: ENOENT)
        }
    }

    /// Rebuilds the whole table from the files (no hooks: they belong to `csf -s`). Needed when rules change.
    func reload() throws(CsfError) -> KernelOutcome {
        guard try kernel.isRunning() else { return .notRunning }
        try kernel.replace(try firewall.prepare().rendered)
        return .applied
    }
}
