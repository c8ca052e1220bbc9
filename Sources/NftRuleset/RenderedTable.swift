/// A compiled table and how it reaches the kernel. Large sets (a million-line csf.deny, a blocklist's cached copy,
/// a country) are *bulk sets*: their elements go over netlink in byte-sized batches, not through nft's parser,
/// which spends seconds and hundreds of megabytes per million elements. The rest — rules, chains, small sets —
/// is one libnftables transaction, validated when the table is rendered.
public struct RenderedTable: Sendable {
    /// Sets with at least this many elements are loaded over netlink.
    public static let bulkThreshold = 10_000

    public let table: NftTable
    /// The sets whose elements are loaded over netlink, in the table's order.
    public let bulkSets: [String]
    /// The sets whose contents a load records (BulkSnapshot): the bulk sets and the small `snapshotted` ones.
    public let snapshotSets: [String]
    /// `table inet csf { … }` with the bulk sets declared empty: what libnftables parses.
    public let declaredBody: String

    private let bulkThreshold: Int

    public init(_ table: NftTable, bulkThreshold: Int = RenderedTable.bulkThreshold) throws(NftRenderer.RenderError) {
        self.bulkThreshold = bulkThreshold
        var sized = table
        var bulk: [String] = []
        for i in sized.sets.indices where Self.isBulk(sized.sets[i], threshold: bulkThreshold) {
            bulk.append(sized.sets[i].name)
            if !sized.sets[i].flags.contains(.interval) {
                sized.sets[i].size = Self.sizeHint(sized.sets[i].elements.count, shards: sized.sets[i].shards)
            }
        }
        self.table = sized
        self.bulkSets = bulk
        snapshotSets = sized.sets.filter { bulk.contains($0.name) || $0.snapshotted }.map(\.name)
        var declared = sized
        let names = Set(bulk)
        for i in declared.sets.indices where names.contains(declared.sets[i].name) { declared.sets[i].elements = [] }
        declaredBody = try NftRenderer.render(declared)
    }

    /// The same table with sets renamed (a list's other slot), rendered again.
    public func renamingSets(_ names: [String: String]) throws(NftRenderer.RenderError) -> RenderedTable {
        names.isEmpty ? self : try RenderedTable(table.renamingSets(names), bulkThreshold: bulkThreshold)
    }

    /// Temporary and dynamic sets stay in the script: their elements carry timeouts and comments, and they are small.
    /// A shard goes over netlink when the list it is part of would.
    static func isBulk(_ set: NftSet, threshold: Int) -> Bool {
        set.elements.count * max(1, set.shards) >= threshold && !set.flags.contains(.timeout) && !set.flags.contains(.dynamic)
    }

    /// A hash set sized for its list: the kernel then allocates its buckets once instead of growing the table
    /// while a million elements arrive (58 % of a 1M load went to rhashtable's slow insert path). `size` is also
    /// the set's limit, so twice the list leaves room for what csf -d and lfd add until the next csf -r. A shard
    /// gets its share of the floor.
    public static func sizeHint(_ count: Int, shards: Int = 1) -> Int { max(65_536 / max(1, shards), count * 2) }

    /// A blocklist's standby slot (lfd's swap) needs less room: a list that outgrows it is swapped into the other
    /// slot again, where csf -r's sets could only grow by a restart. The kernel allocates a fixed hash's buckets
    /// (a power of two at least 4/3 of the size) inside the transaction every other change waits for: one and a
    /// half times a million addresses stays at 2^21 buckets (16 MB) where twice took 2^22 (32 MB). A shard of
    /// `shards` (HostShards) gets its share of the floor: the list's sets together leave room for 65,536.
    public static func standbySizeHint(_ count: Int, shards: Int = 1) -> Int { max(65_536 / max(1, shards), count + count / 2) }

    /// How many list and temporary entries the table loads.
    public var elementCount: Int { table.sets.reduce(0) { $0 + $1.elements.count } }

    /// The whole table as one nft script, every element as text: `--dry-run`, and the fallback when the bulk
    /// path cannot be used.
    public func script() throws(NftRenderer.RenderError) -> String { try NftRenderer.replaceScript(table) }

    private var head: String { "\(table.family) \(table.name)" }

    /// Declares the given bulk sets (and the table) without elements and without touching anything else.
    public func declarations(_ names: [String]) throws(NftRenderer.RenderError) -> String {
        var only = NftTable(name: table.name)
        only.family = table.family
        only.sets = table.sets.filter { names.contains($0.name) }.map { var s = $0; s.elements = []; return s }
        return try NftRenderer.render(only)
    }

    /// Replaces a running table's rules, chains and small sets in one transaction while its bulk sets keep their
    /// elements (they are swapped afterwards by `fill`): every rule flushed, every chain and every other set
    /// deleted, then the table declared again.
    public func reloadScript(runningChains: [String], runningSets: [String], runningMaps: [String] = []) -> String {
        let keep = Set(bulkSets)
        var out = "flush table \(head)\n"
        for chain in runningChains { out += "delete chain \(head) \(chain)\n" }
        for set in runningSets where !keep.contains(set) { out += "delete set \(head) \(set)\n" }
        for map in runningMaps { out += "delete map \(head) \(map)\n" }
        return out + declaredBody
    }

    /// The whole table for an empty kernel, bulk sets declared empty (filled before this runs).
    public var createScript: String { "table \(head)\ndelete table \(head)\n" + declaredBody }

    /// Each named bulk set emptied and filled: one netlink batch, so the old elements are enforced until the new
    /// ones are all there.
    public func fill(_ names: [String]) -> [SetChange] {
        var out: [SetChange] = []
        for set in table.sets where names.contains(set.name) {
            out.append(SetChange(.flush, table: table.name, set: set.name))
            out.append(SetChange(.add, table: table.name, set: set.name, elements: SetContents.elements(of: set)))
        }
        return out
    }
}
