import CsfCompat
import NftKernel
import NftRuleset

/// A `KernelPort` that keeps the table in memory and records every call: what csf and lfd would have asked of
/// the kernel, checked without root. Set elements are tracked per set, so tests can ask what the kernel holds.
public final class RecordingKernel: KernelPort {
    public enum Call: Equatable, Sendable {
        case replace, restore, remove, apply, forwarding
    }

    public private(set) var calls: [Call] = []
    public private(set) var table: NftTable?
    public private(set) var batches: [[SetChange]] = []
    /// Elements by set name, as the kernel would hold them now.
    public private(set) var elements: [String: Set<SetChange.Key>] = [:]
    /// The next `apply` fails with this error (once).
    public var failNextApply: CsfError?
    /// Every call fails with this error while set (a kernel that refuses everything).
    public var failAll: CsfError?

    public init() {}

    public var isRunningNow: Bool { table != nil }

    public func checkNamespace() throws(CsfError) {}

    public func isRunning() throws(CsfError) -> Bool {
        if let failAll { throw failAll }
        return table != nil
    }

    public func replace(_ rendered: RenderedTable) throws(CsfError) -> String? {
        if let failAll { throw failAll }
        calls.append(.replace)
        load(rendered.table)
        return nil
    }

    public func restore(_ snapshot: String) throws(CsfError) {
        if let failAll { throw failAll }
        calls.append(.restore)
        restored.append(snapshot)
    }

    /// Scripts handed to `restore`.
    public private(set) var restored: [String] = []

    public func snapshot() throws(CsfError) -> String? {
        guard let table else { return nil }
        return "# recorded table with \(table.chains.count) chains"
    }

    public func removeTable() throws(CsfError) {
        if let failAll { throw failAll }
        calls.append(.remove)
        table = nil
        elements = [:]
    }

    public func apply(_ changes: [SetChange]) throws(CsfError) {
        if let failAll { throw failAll }
        if let error = failNextApply {
            failNextApply = nil
            throw error
        }
        calls.append(.apply)
        guard let table else {
            throw .kernel(operation: "add elements to set \(changes.first?.set ?? "?")", message: "No such file or directory", errno: 2)
        }
        var next = elements
        for change in changes {
            guard table.set(change.set) != nil else {
                throw .kernel(operation: "set \(change.set)", message: "No such file or directory", errno: 2)
            }
            let keys = Set(change.elements.map(\.key))
            switch change.operation {
            case .add: next[change.set, default: []].formUnion(keys)
            case .addExclusive:
                guard keys.isDisjoint(with: next[change.set] ?? []) else {
                    throw .kernel(operation: "add elements to set \(change.set)", message: "File exists", errno: 17)
                }
                next[change.set, default: []].formUnion(keys)
            case .deleteIfPresent: next[change.set, default: []].subtract(keys)
            case .delete:
                guard keys.isSubset(of: next[change.set] ?? []) else {
                    throw .kernel(operation: "delete elements from set \(change.set)", message: "No such file or directory", errno: 2)
                }
                next[change.set, default: []].subtract(keys)
            case .flush: next[change.set] = []
            }
        }
        elements = next   // one transaction: all or nothing
        batches.append(changes)
    }

    public func setSizes() throws(CsfError) -> [String: SetSize] {
        guard table != nil else { return [:] }
        return elements.mapValues { SetSize(count: $0.count) }
    }

    public func listing(json: Bool, full: Bool) throws(CsfError) -> String? {
        guard let table else { return nil }
        return json ? "{\"nftables\": []}" : (try? NftRenderer.render(table)) ?? ""
    }

    public var meterListings: [MeterListing] = []

    public func meters() throws(CsfError) -> [MeterListing] { table == nil ? [] : meterListings }

    public func enableIPv4Forwarding() throws(CsfError) { calls.append(.forwarding) }

    public private(set) var traced: Set<IPNetwork> = []

    public func trace(_ network: IPNetwork, on: Bool) throws(CsfError) -> Bool {
        on ? traced.insert(network).inserted : traced.remove(network) != nil
    }

    public func sets(holding network: IPNetwork, port: NftSetElement.Port?, among sets: [String]) throws(CsfError) -> [String] {
        sets.filter { name in
            (elements[name] ?? []).contains { key in
                switch key {
                case .address(let a): return port == nil && network.isHost && network.address == a
                case .network(let n): return port == nil && n.contains(network)
                case .range(let r): return port == nil && r.first <= network.address && network.lastAddress <= r.last
                case .port(let n, let proto, let number): return port?.proto == proto && port?.port == number && n.contains(network)
                case .scalar: return false
                }
            }
        }
    }

    /// Whether a set holds exactly this element key.
    public func holds(_ set: String, _ key: SetChange.Key) -> Bool { elements[set]?.contains(key) ?? false }

    /// The table's elements become the kernel's, keyed as netlink would key them.
    private func load(_ t: NftTable) {
        table = t
        elements = [:]
        for set in t.sets {
            let rendered = SetContents.changes(from: [], to: [set]).flatMap(\.elements).map(\.key)
            elements[set.name] = Set(rendered)
        }
    }
}
