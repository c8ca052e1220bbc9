#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import NftRuleset

/// Everything csf and lfd ask of the kernel's firewall. `NftablesKernel` talks to the real one (libnftables for
/// whole tables, netlink for set elements); tests use a recording double. Every call is one transaction.
public protocol KernelPort: AnyObject {
    /// Refuses before anything is sent when this network namespace must not be touched (the tests' tripwire).
    func checkNamespace() throws(CsfError)
    /// Whether the `inet csf` table exists.
    func isRunning() throws(CsfError) -> Bool
    /// Replaces the whole table (a missing table is fine), large sets over netlink; returns why they went
    /// through nft's parser instead, when they had to.
    @discardableResult
    func replace(_ table: RenderedTable) throws(CsfError) -> String?
    /// Applies a script saved by `snapshot()` in one transaction.
    func restore(_ snapshot: String) throws(CsfError)
    /// The running table as an nft script that replaces whatever table is there; nil when not running.
    func snapshot() throws(CsfError) -> String?
    /// Removes the table; other tables are never touched.
    func removeTable() throws(CsfError)
    /// Adds and removes set elements, all in one batch.
    func apply(_ changes: [SetChange]) throws(CsfError)
    /// Adds the elements of `change` only if the set lacks them; true when it did (and they were added).
    /// How a repeated command repairs a kernel a crash left behind its files.
    func addMissing(_ change: SetChange) throws(CsfError) -> Bool
    /// The running table as nft lists it (JSON with `json`); nil when not running.
    func listing(json: Bool, full: Bool) throws(CsfError) -> String?
    /// Elements per set of the running table (a dump counted as it arrives, never listed, up to a limit).
    func setSizes() throws(CsfError) -> [String: SetSize]
    /// The dynamic sets (flood, connection and knock meters) with their entries; empty when not running.
    func meters() throws(CsfError) -> [MeterListing]
    /// csf.redirect's DNAT needs forwarding on in this namespace.
    func enableIPv4Forwarding() throws(CsfError)
    /// `csf --trace add|remove`: mark packets from `network` for `nft monitor trace`; false when nothing changed.
    func trace(_ network: IPNetwork, on: Bool) throws(CsfError) -> Bool
    /// Which of `sets` hold `network` now (with `port`: the `addr . proto . port` element of per-port sets).
    func sets(holding network: IPNetwork, port: NftSetElement.Port?, among sets: [String]) throws(CsfError) -> [String]
}

extension KernelPort {
    public func sets(holding network: IPNetwork, among sets: [String]) throws(CsfError) -> [String] {
        try self.sets(holding: network, port: nil, among: sets)
    }

    /// Netlink's way: an exclusive add fails with EEXIST when the element (or one covering it) is there.
    public func addMissing(_ change: SetChange) throws(CsfError) -> Bool {
        var exclusive = change
        exclusive.operation = .addExclusive
        do {
            try apply([exclusive])
            return !change.isEmpty
        } catch {
            if case .kernel(_, _, let code) = error, code == EEXIST { return false }
            throw error
        }
    }
}
