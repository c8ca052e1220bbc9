#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import NftRuleset

/// What the last table load put into a bulk set, kept beside csf's state (never read back from the kernel: a
/// million-element listing takes seconds). A reload sends only the difference when the running set is the very
/// set it describes (same table and set handles) and nothing has changed it since — csf -d/-dr, lfd and list
/// refreshes remove the snapshot of a set they touch — as deletes and adds in one batch.
struct BulkSnapshot: Equatable {
    var tableHandle: UInt64
    var setHandle: UInt64
    var keys: [Key]

    /// An element's key in fixed words, ordered by address: two sorted runs of a million are compared in one pass.
    struct Key: Hashable, Comparable {
        var firstHi: UInt64, firstLo: UInt64, lastHi: UInt64, lastLo: UInt64
        /// 4/6 for the family; +16 for a network (last = its last address), +32 for a range.
        var tag: UInt8

        static func < (a: Key, b: Key) -> Bool {
            if a.firstHi != b.firstHi { return a.firstHi < b.firstHi }
            if a.firstLo != b.firstLo { return a.firstLo < b.firstLo }
            if a.lastHi != b.lastHi { return a.lastHi < b.lastHi }
            if a.lastLo != b.lastLo { return a.lastLo < b.lastLo }
            return a.tag < b.tag
        }
    }

    /// A set's elements as sorted keys (compiled lists usually are sorted already: then no sort runs); nil when
    /// an element has no key of this kind (port sets are never bulk).
    static func sortedKeys(_ elements: [SetChange.Element]) -> [Key]? {
        var keys: [Key] = []
        keys.reserveCapacity(elements.count)
        var sorted = true
        for e in elements {
            guard let k = key(e.key) else { return nil }
            if sorted, let last = keys.last, !(last < k) { sorted = false }
            keys.append(k)
        }
        if !sorted { keys.sort() }
        return keys
    }

    static func key(_ k: SetChange.Key) -> Key? {
        func words(_ a: IPAddress) -> (UInt64, UInt64) {
            switch a {
            case .v4(let v): return (0, UInt64(v))
            case .v6(let hi, let lo): return (hi, lo)
            }
        }
        let first: IPAddress, last: IPAddress, shape: UInt8
        switch k {
        case .address(let a): (first, last, shape) = (a, a, 0)
        case .network(let n): (first, last, shape) = (n.address, n.lastAddress, 16)
        case .range(let r): (first, last, shape) = (r.first, r.last, 32)
        case .port, .scalar: return nil
        }
        let (fh, fl) = words(first), (lh, ll) = words(last)
        return Key(firstHi: fh, firstLo: fl, lastHi: lh, lastLo: ll, tag: (first.family == .v4 ? 4 : 6) + shape)
    }

    static func element(_ k: Key) -> SetChange.Element? {
        let v4 = k.tag & 15 == 4
        let first: IPAddress = v4 ? .v4(UInt32(truncatingIfNeeded: k.firstLo)) : .v6(hi: k.firstHi, lo: k.firstLo)
        let last: IPAddress = v4 ? .v4(UInt32(truncatingIfNeeded: k.lastLo)) : .v6(hi: k.lastHi, lo: k.lastLo)
        switch k.tag & 48 {
        case 0: return SetChange.Element(.address(first))
        case 16: return AddressRange(first: first, last: last).network.map { SetChange.Element(.network($0)) }
        default: return SetChange.Element(.range(AddressRange(first: first, last: last)))
        }
    }

    /// The changes that turn `self` into `keys` (sorted, as `sortedKeys` gives them) of `set`, one batch. The
    /// snapshot's keys are sorted too: one merge pass. `touched` (sorted) are keys csf -d/-dr or lfd changed
    /// since the snapshot, present or not now: each is added when the new list has it and deleted only if
    /// present otherwise, so the batch is right whatever those commands did.
    func changes(to keys: [Key], touched: [Key] = [], table: String, set: String) -> [SetChange]? {
        var adds: [SetChange.Element] = [], deletes: [SetChange.Element] = [], maybeGone: [SetChange.Element] = []
        let isTouched = { (k: Key) in !touched.isEmpty && Self.contains(touched, k) }
        var i = 0, j = 0
        while i < keys.count || j < self.keys.count {
            if j == self.keys.count || (i < keys.count && keys[i] < self.keys[j]) {
                if !isTouched(keys[i]) {
                    guard let e = Self.element(keys[i]) else { return nil }
                    adds.append(e)
                }
                i += 1
            } else if i == keys.count || self.keys[j] < keys[i] {
                if !isTouched(self.keys[j]) {
                    guard let e = Self.element(self.keys[j]) else { return nil }
                    deletes.append(e)
                }
                j += 1
            } else {
                i += 1
                j += 1
            }
        }
        for k in touched {
            guard let e = Self.element(k) else { return nil }
            if Self.contains(keys, k) { adds.append(e) } else { maybeGone.append(e) }
        }
        // Deletes first: in an interval set a new network may overlap one that goes, and the kernel refuses an
        // overlap. Apart from the touched keys nothing changed the set since the snapshot, so every delete finds
        // its element.
        return [SetChange(.delete, table: table, set: set, elements: deletes),
                SetChange(.deleteIfPresent, table: table, set: set, elements: maybeGone),
                SetChange(.add, table: table, set: set, elements: adds)]
    }

    static func contains(_ sorted: [Key], _ k: Key) -> Bool {
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted[mid] < k { lo = mid + 1 } else { hi = mid }
        }
        return lo < sorted.count && sorted[lo] == k
    }

    // MARK: the touched keys: what changed a snapshotted set since its load

    /// Beside the snapshot: the keys of every element csf -d/-dr or lfd added or removed since, appended before
    /// each change is sent (so a change that failed or was cut short is only a key too many: a touched key is
    /// re-checked, never trusted).
    static func touchedPath(_ snapshotPath: String) -> String { snapshotPath + ".touched" }

    /// Past this many touched keys the next reload sends the whole set instead.
    static let touchedLimit = 100_000

    /// Appends the keys; false when they cannot be kept (the caller then retires the snapshot).
    static func recordTouched(_ keys: [Key], snapshotPath: String) -> Bool {
        let fd = open(touchedPath(snapshotPath), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, Int(st.st_size) / 33 + keys.count <= touchedLimit else { return false }
        let bytes = body(keys)
        return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
    }

    /// The touched keys, sorted and unique; empty when there are none, nil when the record is damaged.
    static func touched(snapshotPath: String) -> [Key]? {
        let path = touchedPath(snapshotPath)
        guard TextFile.exists(path) else { return [] }
        guard let mapped = try? MappedBytes(path: path) else { return nil }
        return withExtendedLifetime(mapped) { () -> [Key]? in
            let bytes = mapped.buffer
            guard bytes.count % 33 == 0 else { return nil }
            let keys = records(bytes, from: 0, count: bytes.count / 33)
            return Array(Set(keys)).sorted()
        }
    }

    /// The snapshot and what was touched since: gone together.
    static func remove(_ path: String) {
        FileSystem.remove(path)
        FileSystem.remove(touchedPath(path))
    }

    // MARK: the file: a header line, then 33-byte records

    static func path(_ directory: String, set: String) -> String { directory + "/nftcsf.bulk." + set }

    /// `count` 33-byte records from `start`: the snapshot's body and the touched keys alike.
    private static func records(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, count: Int) -> [Key] {
        var keys: [Key] = []
        keys.reserveCapacity(count)
        var at = start
        func word() -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<8 { v = v << 8 | UInt64(bytes[at + i]) }
            at += 8
            return v
        }
        for _ in 0..<count {
            let (a, b, c, d) = (word(), word(), word(), word())
            keys.append(Key(firstHi: a, firstLo: b, lastHi: c, lastLo: d, tag: bytes[at]))
            at += 1
        }
        return keys
    }

    static func load(_ path: String) -> BulkSnapshot? {
        guard let mapped = try? MappedBytes(path: path) else { return nil }
        return withExtendedLifetime(mapped) { () -> BulkSnapshot? in
            let bytes = mapped.buffer
            guard let newline = bytes.firstIndex(of: 0x0A) else { return nil }
            let header = String(decoding: bytes[..<newline], as: UTF8.self).split(separator: " ")
            guard header.count == 4, header[0] == "nftcsf-bulk-1", let table = UInt64(header[1]), let set = UInt64(header[2]),
                  let count = Int(header[3]), bytes.count - newline - 1 == count * 33 else { return nil }
            let keys = records(bytes, from: newline + 1, count: count)
            return BulkSnapshot(tableHandle: table, setHandle: set, keys: keys)
        }
    }

    /// The handles a snapshot file was written for, from its header line alone.
    static func handles(_ path: String) -> (table: UInt64, set: UInt64)? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 80)
        let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0, let newline = head[..<n].firstIndex(of: 0x0A) else { return nil }
        let header = String(decoding: head[..<newline], as: UTF8.self).split(separator: " ")
        guard header.count == 4, header[0] == "nftcsf-bulk-1", let table = UInt64(header[1]), let set = UInt64(header[2]) else { return nil }
        return (table, set)
    }

    /// What a load will write for one set once the handles are known.
    struct Record: Sendable {
        var count: Int
        var body: [UInt8]

        init(_ keys: [Key]) {
            count = keys.count
            body = BulkSnapshot.body(keys)
        }
    }

    /// The records of `keys`, written after the header: what can be prepared before the handles are known.
    static func body(_ keys: [Key]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(keys.count * 33)
        for k in keys {
            for w in [k.firstHi, k.firstLo, k.lastHi, k.lastLo] { withUnsafeBytes(of: w.bigEndian) { out.append(contentsOf: $0) } }
            out.append(k.tag)
        }
        return out
    }

    static func write(_ path: String, tableHandle: UInt64, setHandle: UInt64, count: Int, body: [UInt8]) throws(CsfError) {
        // Not synced: a snapshot lost to a crash only makes the next reload send the set whole.
        try FileSystem.writeAtomically(path, bytes: Array("nftcsf-bulk-1 \(tableHandle) \(setHandle) \(count)\n".utf8) + body,
                                       mode: 0o600, sync: false)
    }

    func write(_ path: String) throws(CsfError) {
        try Self.write(path, tableHandle: tableHandle, setHandle: setHandle, count: keys.count, body: Self.body(keys))
    }
}
