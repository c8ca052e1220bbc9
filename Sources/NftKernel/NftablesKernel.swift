#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import NftRuleset

/// The real kernel: whole tables through libnftables (one transaction per script), set elements over netlink.
/// One instance per process and thread: libnftables keeps global caches and is not thread-safe.
public final class NftablesKernel: KernelPort {
    private let deferCloseAfterDeletes: Bool
    private var context: NftContext?
    private var writer: NetlinkSetWriter?

    static let tableRef = "\(CsfTableLayout.family) \(CsfTableLayout.tableName)"

    /// `deferCloseAfterDeletes`: a short-lived command lets a detached helper pay the kernel's wait when its
    /// netlink socket closes after deletions; a daemon keeps its socket and never waits.
    public init(deferCloseAfterDeletes: Bool = true) {
        self.deferCloseAfterDeletes = deferCloseAfterDeletes
    }

    /// Terse listings with handles, on one socket for the instance's life: a load lists the table before and
    /// after, and the second listing would otherwise close a socket right after a big set was deleted
    /// (`handOffSocketsAfterDeletes`).
    private var listing: NftContext?

    private func lister() throws(CsfError) -> NftContext {
        if let listing { return listing }
        let c = try NftContext(terse: true, handles: true)
        listing = c
        return c
    }

    private func nft() throws(CsfError) -> NftContext {
        if let context { return context }
        let c = try NftContext()
        context = c
        return c
    }

    public func checkNamespace() throws(CsfError) {
        try NetnsGuard.check()
    }

    /// A terse ruleset listing: nft 1.0.6 fills its cache with every set element for `list tables` (20 s with a
    /// million-address csf.deny) but not for this. On the kept listing socket: lfd asks every few seconds (LF_CSF),
    /// and a socket closed while the kernel frees a deleted set waits for it under the lock every change needs.
    public func isRunning() throws(CsfError) -> Bool {
        let out = try lister().list("list ruleset \(CsfTableLayout.family)", operation: "list tables")
        let header = "table \(Self.tableRef) {"
        return out.split(separator: "\n").contains { $0 == header || $0.hasPrefix(header + " #") }
    }

    /// Small tables: one libnftables transaction. With bulk sets: sets the running table lacks are declared and
    /// filled first (no rule points at them yet), then one transaction replaces rules, chains and small sets while
    /// the bulk sets keep their elements, then one netlink batch swaps the elements of the bulk sets that were
    /// there already. At every moment the old or the new contents are enforced. Anything failing on the way is
    /// repaired by the whole table as one text transaction.
    @discardableResult
    public func replace(_ table: RenderedTable) throws(CsfError) -> String? {
        let wholeScript = { () throws(CsfError) -> Void in
            _ = try self.nft().apply(try self.render { () throws(NftRenderer.RenderError) in try table.script() }, operation: "replace table")
        }
        guard !table.bulkSets.isEmpty else {
            try wholeScript()
            recordBulkSets(table, Self.records(table, table.snapshotSets, enabled: bulkStateDirectory != nil))
            return nil
        }
        do {
            try replaceInBulk(table)
            return nil
        } catch {
            if case .forbiddenNamespace = error { throw error }
            try wholeScript()
            return error.description
        }
    }

    private func replaceInBulk(_ compiled: RenderedTable) throws(CsfError) {
        let before = try runningObjects()
        let slotted = try slots(compiled, before: before)
        let table = slotted.table
        // What the load records of the sets sent whole (a million keys sorted and encoded: ~0.2 s) is worked out
        // on a second thread while the kernel fills them.
        let whole = table.snapshotSets.filter { slotted.records[$0] == nil }
        let records = BackgroundWork { [enabled = bulkStateDirectory != nil] in Self.records(table, whole, enabled: enabled) }
        let missing = table.bulkSets.filter { before?.sets[$0] == nil }
        if !missing.isEmpty {
            try nft().apply(try render { () throws(NftRenderer.RenderError) in try table.declarations(missing) }, operation: "declare sets")
            try fillUnreferenced(table, missing)
        }
        if let before {
            try nft().apply(table.reloadScript(runningChains: before.chains, runningSets: Array(before.sets.keys).sorted(),
                                               runningMaps: before.maps),
                            operation: "replace table")
            if slotted.replacedSlot { handOffSocketsAfterDeletes() }
            var changes: [SetChange] = []
            for name in table.bulkSets where before.sets[name] != nil { changes += slotted.differences[name] ?? table.fill([name]) }
            try send(changes, marked: true)
        } else {
            // The declarations created the table: replace what is in it, bulk sets declared again.
            try nft().apply(table.reloadScript(runningChains: [], runningSets: table.bulkSets), operation: "replace table")
        }
        recordBulkSets(table, slotted.records.merging(records.wait()) { a, _ in a })
    }

    /// Sets just declared, which no rule points at yet, filled in turns: each turn is encoded on a second thread
    /// while the kernel inserts the one before (a million elements: ~0.2 s of encoding off the kernel's path). A
    /// failure half-way leaves a half-filled set nothing uses; the caller falls back to the whole script.
    private func fillUnreferenced(_ table: RenderedTable, _ names: [String], turn: Int = 65_536) throws(CsfError) {
        let writer = try setWriter()
        let turns: [(set: NftSet, range: Range<Int>)] = table.table.sets.filter { names.contains($0.name) }.flatMap { set in
            stride(from: 0, to: set.elements.count, by: turn).map { (set, $0..<min($0 + turn, set.elements.count)) }
        }
        // A turn is a few dozen messages: numbering each 4,096 past the one before keeps them apart.
        let base = writer.nextSequence
        let encode = { @Sendable (i: Int) -> Result<NetlinkSetWriter.EncodedBatch?, CsfError> in
            let change = SetChange(.add, table: table.table.name, set: turns[i].set.name,
                                   elements: SetContents.elements(of: turns[i].set, in: turns[i].range))
            return Result { () throws(CsfError) in try NetlinkSetWriter.encode([change], firstSequence: base &+ UInt32(truncatingIfNeeded: i) &* 4096) }
        }
        guard !turns.isEmpty else { return }
        var next = BackgroundWork { encode(0) }
        for i in turns.indices {
            let encoded = next.wait()
            if i + 1 < turns.count { next = BackgroundWork { encode(i + 1) } }
            if let batch = try encoded.get() { try writer.transmit(batch) }
        }
    }

    /// Where each bulk set of a load goes. A set whose snapshot still describes the running one takes the
    /// difference in place. A csf.allow or csf.deny set that must be sent whole goes to the slot not running: it
    /// is filled while no rule points at it, and the table's transaction moves the rules over and deletes the old
    /// set — no flush of a million elements in a batch beside a million inserts, half the kernel's work of the
    /// in-place way, with the old list enforced until the commit all the same. A set found in both slots (a load
    /// cut short between filling and switching) is refilled in place and the other slot deleted.
    private func slots(_ compiled: RenderedTable, before: RunningObjects?) throws(CsfError)
        -> (table: RenderedTable, differences: [String: [SetChange]], records: [String: BulkSnapshot.Record], replacedSlot: Bool)
    {
        var renames: [String: String] = [:], differences: [String: [SetChange]] = [:], records: [String: BulkSnapshot.Record] = [:]
        for name in compiled.bulkSets {
            let slots = CsfTableLayout.SetName.listSlots(name) ?? [name]
            let running = slots.filter { before?.sets[$0] != nil }
            guard let before, running.count == 1, let live = running.first else { continue }
            if let (changes, record) = difference(live, of: compiled, name, table: before.table, handle: before.sets[live]) {
                differences[live] = changes
                records[live] = record
                if live != name { renames[name] = live }
            } else if let standby = slots.first(where: { $0 != live }), standby != name {
                renames[name] = standby
            }
        }
        let replacedSlot = renames.contains { differences[$0.value] == nil }
        guard !renames.isEmpty else { return (compiled, differences, records, false) }
        let table = try render { () throws(NftRenderer.RenderError) in try compiled.renamingSets(renames) }
        return (table, differences, records, replacedSlot)
    }

    /// After a transaction deleted a big set. The kernel frees its elements in its destroy work (~0.35 s for a
    /// million), and the release of any netfilter socket waits for that work under the commit mutex: a
    /// short-lived command hands its open sockets to a detached `sleep`, whose exit pays the wait instead of the
    /// admin's command. Everything was committed already; no socket is opened after this in a load.
    private func handOffSocketsAfterDeletes() {
        guard deferCloseAfterDeletes else { return }
        let fds = NetfilterSocket.openDescriptors()
        if !fds.isEmpty { _ = Subprocess.spawnDetached(["/bin/sleep", "1"], inheriting: fds) }
    }

    /// lfd's lending socket (`NetfilterSocketLoan.path`): set elements are changed on a socket borrowed from lfd
    /// when it lends one. Set by csf's short-lived commands only.
    public var socketLender: String?

    /// Where the last bulk load of each set is kept (csf's /var/lib/csf); nil: every reload sends whole sets.
    /// Every process that changes set elements must name it, so that its changes retire the snapshots.
    public var bulkStateDirectory: String?

    /// csf.allow's and csf.deny's sets keep their snapshot through csf -d/-dr and lfd's bans: the elements they
    /// touch are noted beside it, and the next reload still sends only a difference (re-checking those). Any other
    /// set, a flush, or too many touched keys: the snapshot goes, and the next reload sends the set whole.
    private func retireSnapshot(of set: String, _ changes: [SetChange], directory: String) {
        let path = BulkSnapshot.path(directory, set: set)
        guard TextFile.exists(path) else { return }
        if CsfTableLayout.SetName.listSlots(set) != nil, !changes.contains(where: { $0.operation == .flush }) {
            var keys: [BulkSnapshot.Key] = []
            for change in changes {
                for e in change.elements {
                    guard let k = BulkSnapshot.key(e.key) else { return BulkSnapshot.remove(path) }
                    keys.append(k)
                }
            }
            if BulkSnapshot.recordTouched(keys, snapshotPath: path) { return }
        }
        BulkSnapshot.remove(path)
    }

    /// Only what changed since the last load, when the set running is the one that load filled, with what the
    /// load then records; nil when the set must be sent whole. The snapshot's header is read first: a set sent
    /// whole is never turned into keys here.
    private func difference(_ set: String, of table: RenderedTable, _ name: String, table handle: UInt64, handle setHandle: UInt64?)
        -> ([SetChange], BulkSnapshot.Record)?
    {
        guard let directory = bulkStateDirectory, let setHandle else { return nil }
        let path = BulkSnapshot.path(directory, set: set)
        guard let handles = BulkSnapshot.handles(path), handles == (handle, setHandle),
              let compiled = table.table.set(name), let keys = BulkSnapshot.sortedKeys(SetContents.elements(of: compiled)),
              let snapshot = BulkSnapshot.load(path), let touched = BulkSnapshot.touched(snapshotPath: path),
              let changes = snapshot.changes(to: keys, touched: touched, table: CsfTableLayout.tableName, set: set) else { return nil }
        return (changes, BulkSnapshot.Record(keys))
    }

    /// The addresses of a hash set as csf's last table load put them there, when that snapshot still describes
    /// the running set (nothing has changed it since: whoever does removes the snapshot first); nil otherwise.
    public func bulkAddresses(_ set: String) -> [IPAddress]? {
        guard let directory = bulkStateDirectory, !TextFile.exists(BulkSnapshot.touchedPath(BulkSnapshot.path(directory, set: set))),
              let snapshot = BulkSnapshot.load(BulkSnapshot.path(directory, set: set)),
              let running = try? runningObjects(), running.table == snapshot.tableHandle, running.sets[set] == snapshot.setHandle
        else { return nil }
        var addresses: [IPAddress] = []
        addresses.reserveCapacity(snapshot.keys.count)
        for key in snapshot.keys {
            guard case .address(let a)? = BulkSnapshot.element(key)?.key else { return nil }
            addresses.append(a)
        }
        return addresses
    }

    /// What a load records of each named set: its contents as sorted keys, encoded (empty when nothing is
    /// recorded). Static and pure, for the second thread.
    private static func records(_ table: RenderedTable, _ names: [String], enabled: Bool) -> [String: BulkSnapshot.Record] {
        guard enabled else { return [:] }
        var out: [String: BulkSnapshot.Record] = [:]
        for set in table.table.sets where names.contains(set.name) {
            guard let keys = BulkSnapshot.sortedKeys(SetContents.elements(of: set)) else { continue }
            out[set.name] = BulkSnapshot.Record(keys)
        }
        return out
    }

    /// After a load: each bulk set's contents with the handles that identify it. A snapshot that cannot be
    /// written is removed, so the next reload sends whole sets rather than trust it.
    private func recordBulkSets(_ table: RenderedTable, _ records: [String: BulkSnapshot.Record]) {
        guard let directory = bulkStateDirectory, !table.snapshotSets.isEmpty else { return }
        let after = try? runningObjects()
        for name in table.snapshotSets {
            let path = BulkSnapshot.path(directory, set: name)
            for other in CsfTableLayout.SetName.listSlots(name) ?? [] where other != name {
                BulkSnapshot.remove(BulkSnapshot.path(directory, set: other))
            }
            guard let after, let handle = after.sets[name], let record = records[name] else {
                BulkSnapshot.remove(path)
                continue
            }
            do {
                try BulkSnapshot.write(path, tableHandle: after.table, setHandle: handle, count: record.count, body: record.body)
                // Touched keys left by a crash between these two lines are only re-checked by the next reload.
                FileSystem.remove(BulkSnapshot.touchedPath(path))
            } catch {
                BulkSnapshot.remove(path)
            }
        }
    }

    typealias RunningObjects = (table: UInt64, chains: [String], sets: [String: UInt64], maps: [String])

    /// The running table's handle, chains and sets (with their handles), from a terse listing with handles.
    private func runningObjects() throws(CsfError) -> RunningObjects? {
        let listing = try lister().list("list ruleset \(CsfTableLayout.family)", operation: "list")
        let text = TableExtract.text(listing, header: "table \(Self.tableRef) {", prefix: true)
        guard let header = text.split(separator: "\n").first, let table = TableExtract.handle(header) else { return nil }
        var chains: [String] = [], sets: [String: UInt64] = [:], maps: [String] = []
        for line in text.split(separator: "\n") {
            if let (name, _) = TableExtract.object(line, kind: "chain") { chains.append(name) }
            if let (name, handle) = TableExtract.object(line, kind: "set") { sets[name] = handle }
            if let (name, _) = TableExtract.object(line, kind: "map") { maps.append(name) }
        }
        return (table, chains, sets, maps)
    }

    private func render<T>(_ body: () throws(NftRenderer.RenderError) -> T) throws(CsfError) -> T {
        do {
            return try body()
        } catch {
            throw .kernel(operation: "render", message: error.description)
        }
    }

    public func restore(_ snapshot: String) throws(CsfError) {
        try nft().apply(snapshot, operation: "restore table")
    }

    public func snapshot() throws(CsfError) -> String? {
        guard try isRunning() else { return nil }
        let listing = try nft().list("list table \(Self.tableRef)", operation: "save current ruleset")
        return "table \(Self.tableRef)\ndelete table \(Self.tableRef)\n" + listing
    }

    public func removeTable() throws(CsfError) {
        try nft().apply("table \(Self.tableRef)\ndelete table \(Self.tableRef)\n", operation: "remove table")
    }

    public func apply(_ changes: [SetChange]) throws(CsfError) {
        _ = try send(try inRunningSlots(changes), marked: true)
    }

    /// Writers name csf.allow's and csf.deny's sets by their slot 0; the slot running is asked of the kernel, one
    /// set lookup per set named. Every writer of those lists holds csf's lock, which a reload holds across its
    /// switch of slots, so the answer stands until the batch is sent.
    private func inRunningSlots(_ changes: [SetChange]) throws(CsfError) -> [SetChange] {
        var running: [String: String] = [:]
        var out = changes
        for i in out.indices where !out[i].isEmpty {
            let name = out[i].set
            if running[name] == nil { running[name] = try runningSlot(of: name) }
            out[i].set = running[name] ?? name
        }
        return out
    }

    /// The running set of a csf.allow/csf.deny set named by its slot 0; any other name as it is.
    private func runningSlot(of name: String) throws(CsfError) -> String {
        guard let slots = CsfTableLayout.SetName.listSlots(name), name == slots[0] else { return name }
        return try SetPresence.exists(set: slots[1], on: try setWriter().socket) ? slots[1] : slots[0]
    }

    /// Batches sent one after another (a list's refresh): a table loaded without CT_MARK_FASTPATH is found out on
    /// the first batch, and the rest are sent once each instead of twice. Its generation is tried once more at
    /// the end, so that a `csf -r` which turned the mark on half-way still sees every new entry cut a marked
    /// connection.
    public func apply(inTurn batches: some Sequence<[SetChange]>) throws(CsfError) {
        var marked = true
        for batch in batches { marked = try send(try inRunningSlots(batch), marked: marked) }
        if !marked { _ = try send([], marked: true, onlyMark: true) }
    }

    /// Batches into sets no rule points at yet (a blocklist's standby slot): no connection needs checking again.
    public func fill(inTurn batches: some Sequence<[SetChange]>) throws(CsfError) {
        for batch in batches { _ = try send(batch, marked: false) }
    }

    private func setWriter() throws(CsfError) -> NetlinkSetWriter {
        if let writer { return writer }
        let w = try NetlinkSetWriter(deferCloseAfterDeletes: deferCloseAfterDeletes, lender: socketLender)
        writer = w
        return w
    }

    /// Moves every connection to a new generation (CT_MARK_FASTPATH), after rules changed outside a table load.
    public func renewConnectionGeneration() throws(CsfError) {
        _ = try send([], marked: true, onlyMark: true)
    }

    /// One libnftables transaction of typed, validated text (a blocklist's slot declarations and swap).
    public func apply(script: String, operation: String) throws(CsfError) {
        try nft().apply(script, operation: operation)
    }

    /// The names of the running table's sets and chains, from one terse listing; empty when it is not there.
    public func runningNames() throws(CsfError) -> (sets: Set<String>, chains: Set<String>) {
        guard let running = try runningObjects() else { return ([], []) }
        return (Set(running.sets.keys), Set(running.chains))
    }

    /// Sends one batch, with the move to a new connection generation when `marked`; answers whether the table
    /// has that generation.
    @discardableResult
    private func send(_ changes: [SetChange], marked: Bool, onlyMark: Bool = false) throws(CsfError) -> Bool {
        let effective = changes.filter { !$0.isEmpty }
        guard !effective.isEmpty || onlyMark else { return marked }
        // A set changed by anyone but a table load no longer holds what its snapshot says (recorded before the
        // change, so a failure half-way cannot leave a snapshot that lies).
        if let directory = bulkStateDirectory {
            for set in Set(effective.map(\.set)) { retireSnapshot(of: set, effective.filter { $0.set == set }, directory: directory) }
        }
        let writer = try setWriter()
        guard marked else {
            try writer.apply(effective)
            return false
        }
        // Every change moves connections to a new generation in the same batch (CT_MARK_FASTPATH). A table loaded
        // without it has no generation to move: the batch is sent again without, which only such tables pay.
        do {
            try writer.apply(effective + ConnectionMark.fresh().changes())
            return true
        } catch {
            guard case .kernel(let operation, _, let code) = error, code == ENOENT,
                  [ConnectionMark.checkedSet, ConnectionMark.generationSet, ConnectionMark.markMap].contains(where: { operation.hasSuffix(" " + $0) })
            else { throw error }
            if !effective.isEmpty { try writer.apply(effective) }
            return false
        }
    }

    /// `full: false` leaves set elements out (terse): a million-element set would take minutes to print.
    public func listing(json: Bool, full: Bool) throws(CsfError) -> String? {
        guard try isRunning() else { return nil }
        if full { return try NftContext(json: json).list("list table \(Self.tableRef)", operation: "list") }
        return try structure(json: json)
    }

    /// The table without set elements. nft 1.0.6 loads every element into its cache for a terse `list table`
    /// (18 s and 650 MB for a million-address csf.deny) but not for a terse `list ruleset`, so the ruleset is
    /// listed and our table taken out of it.
    func structure(json: Bool) throws(CsfError) -> String {
        let ruleset = try NftContext(json: json, terse: true).list("list ruleset", operation: "list")
        return json ? TableExtract.json(ruleset, family: CsfTableLayout.family, table: CsfTableLayout.tableName)
                    : TableExtract.text(ruleset, header: "table \(Self.tableRef) {")
    }

    public func setSizes() throws(CsfError) -> [String: SetSize] {
        guard try isRunning() else { return [:] }
        let terse = try structure(json: false)
        var sizes: [String: SetSize] = [:]
        for name in MeterListing.setNames(terse) { sizes[name] = try SetElementCount.count(set: name, limit: SetSize.countLimit) }
        return sizes
    }

    /// Every dynamic set with its elements (a terse listing first, so big list sets are never read).
    public func meters() throws(CsfError) -> [MeterListing] {
        guard try isRunning() else { return [] }
        let structure = try structure(json: false)
        var out: [MeterListing] = []
        for (name, comment) in MeterListing.dynamicSets(structure) {
            let text = try nft().list("list set \(Self.tableRef) \(name)", operation: "list")
            out.append(MeterListing(set: name, comment: comment, entries: MeterListing.elements(text)))
        }
        return out
    }

    public func enableIPv4Forwarding() throws(CsfError) {
        try NetnsGuard.check()
        let path = "/proc/sys/net/ipv4/ip_forward"
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(path, errno) }
        defer { close(fd) }
        guard write(fd, "1\n", 2) == 2 else { throw .system(path, errno) }
    }

    /// Asked over netlink, one lookup per set (`nft get element` would load every element first). A network
    /// is held when its first and last addresses fall in the same interval of the set.
    /// Without the table every lookup answers ENOENT: nothing is held.
    public func sets(holding network: IPNetwork, port: NftSetElement.Port?, among sets: [String]) throws(CsfError) -> [String] {
        let key: SetChange.Key = port.map { .port(network, proto: $0.proto, port: $0.port) } ?? (network.isHost ? .address(network.address) : .network(network))
        var held: [String] = []
        // A list set is looked up in its running slot and reported by the name it was asked by.
        for name in sets where try holds(try runningSlot(of: name), key) { held.append(name) }
        return held
    }

    /// A repeated `csf -d`/`-a`/`-td` asks whether its elements are there, one lookup each, and adds only when
    /// one is not. (An exclusive add refused with EEXIST would answer too, but a refused batch is aborted, and an
    /// abort waits ~15 ms for the kernel's grace period while holding the lock every other change needs.)
    public func addMissing(_ change: SetChange) throws(CsfError) -> Bool {
        guard !change.isEmpty else { return false }
        let set = try runningSlot(of: change.set)
        var missing = false
        for element in change.elements where !missing {
            missing = try !holds(set, element.key)
        }
        guard missing else { return false }
        var add = change
        add.operation = .add
        add.set = set
        _ = try send([add], marked: true)
        return true
    }

    /// Whether `set` holds `key` whole: an address or a port element itself, a network or range inside one
    /// interval (the kernel names the interval holding an address by its start).
    private func holds(_ set: String, _ key: SetChange.Key) throws(CsfError) -> Bool {
        let socket = try setWriter().socket
        let (first, last): (IPAddress, IPAddress)
        switch key {
        case .address, .port, .scalar:
            let part = NetlinkSetWriter.parts(key)[0]
            return try SetElementLookup.find(set: set, key: part.key, keyEnd: part.keyEnd, on: socket) != nil
        case .network(let network):
            (first, last) = (network.address.masked(to: network.prefix), network.lastAddress)
        case .range(let range):
            (first, last) = (range.first, range.last)
        }
        guard let start = try SetElementLookup.find(set: set, key: first.networkBytes, on: socket) else { return false }
        if first == last { return true }
        return try SetElementLookup.find(set: set, key: last.networkBytes, on: socket) == start
    }

    /// The rules carry the traced network in their comment, so removal finds its own rule by handle; every
    /// value written into the command is typed (an IPNetwork's description, fixed names).
    public func trace(_ network: IPNetwork, on: Bool) throws(CsfError) -> Bool {
        guard try isRunning() else { throw .refused("csf: the firewall is not running (csf -s)") }
        let chain = "\(Self.tableRef) \(CsfTableLayout.Chain.trace)"
        let comment = "csf --trace \(network)"
        // A terse ruleset listing, not `list chain` (which loads every set element first, like `list table`).
        let listing = try lister().list("list ruleset \(CsfTableLayout.family)", operation: "list")
        let traceChain = TableExtract.chain(TableExtract.text(listing, header: "table \(Self.tableRef) {", prefix: true),
                                            named: CsfTableLayout.Chain.trace)
        let handles = Self.ruleHandles(traceChain, comment: comment)
        let ctx = try nft()
        if on {
            guard handles.isEmpty else { return false }
            let match = network.family == .v4 ? "ip saddr" : "ip6 saddr"
            try ctx.apply("""
                add chain \(chain) { type filter hook prerouting priority raw; policy accept; }
                add rule \(chain) \(match) \(network) meta nftrace set 1 comment "\(comment)"
                """, operation: "add trace")
            return true
        }
        guard !handles.isEmpty else { return false }
        try ctx.apply(handles.map { "delete rule \(chain) handle \($0)" }.joined(separator: "\n"), operation: "remove trace")
        return true
    }

    /// `... comment "csf --trace 192.0.2.1" # handle 7` → 7, from `nft -a list chain` text.
    static func ruleHandles(_ listing: String, comment: String) -> [Int] {
        listing.split(separator: "\n").compactMap { line in
            guard line.contains("comment \"\(comment)\"") else { return nil }
            let parts = line.split(separator: "#")
            guard let last = parts.last, last.trimmingWhitespace().hasPrefix("handle ") else { return nil }
            return Int(last.trimmingWhitespace().dropFirst("handle ".count))
        }
    }
}
