/// Brings a list edit into the running table: set elements over netlink in one batch, or, for advanced
/// filters (which are rules, not set elements), one atomic replacement of the table.
public enum KernelOutcome: String, Sendable {
    /// The running table now matches the files.
    case applied
    /// Nothing in the kernel needed to change.
    case unchanged
    /// No `inet csf` table: the files changed and the next `csf -s` applies them.
    case notRunning
}

struct KernelSync {
    let firewall: Firewall

    func apply(_ changes: [NetlinkSetWriter.Change]) throws(CsfError) -> KernelOutcome {
        let effective = changes.filter { !$0.elements.isEmpty || $0.operation == .flush }
        guard !effective.isEmpty else { return .unchanged }
        let writer = try NetlinkSetWriter()
        do {
            try writer.apply(effective)
            return .applied
        } catch {
            // ENOENT: the table (or one of its sets) is missing. Without a table there is nothing to keep in step.
            if case .nft(_, let message) = error, message.contains("No such file"), try !firewall.isRunning() {
                return .notRunning
            }
            if case .nft(_, let message) = error, message.contains("No such file") {
                throw .nft(operation: "update", message: "the running table lacks a set this version uses; run csf -r")
            }
            throw error
        }
    }

    /// Rebuilds the whole table from the files (no hooks: they belong to `csf -s`). Needed when rules change.
    func reload() throws(CsfError) -> KernelOutcome {
        guard try firewall.isRunning() else { return .notRunning }
        let prepared = try firewall.prepare()
        try NftContext().apply(prepared.script, operation: "reload")
        return .applied
    }
}
