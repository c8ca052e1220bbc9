import Testing
@testable import CsfCompat
@testable import NftKernel
@testable import NftRuleset
import CsfTestSupport

/// Issue 15 (item 5): what a bulk load put into a set, kept on disk, and the difference a reload sends.
@Suite struct BulkSnapshotTests {
    static let keys: [SetChange.Key] = [.address(IPAddress("192.0.2.1")!), .address(IPAddress("2001:db8::1")!),
                                        .network(IPNetwork("198.18.0.0/15")!),
                                        .range(AddressRange(first: IPAddress("203.0.113.5")!, last: IPAddress("203.0.113.9")!))]

    @Test func aSnapshotRoundTripsAndADamagedOneIsNotTrusted() throws {
        let dir = try TempDir()
        let snapshot = BulkSnapshot(tableHandle: 7, setHandle: 3, keys: Self.keys.compactMap(BulkSnapshot.key))
        let path = BulkSnapshot.path(dir.path, set: "deny4")
        try snapshot.write(path)
        #expect(BulkSnapshot.load(path) == snapshot)
        #expect(Self.keys.map { BulkSnapshot.element(BulkSnapshot.key($0)!)?.key } == Self.keys, "keys survive the trip")
        try dir.write("nftcsf.bulk.cut", "nftcsf-bulk-1 7 3 4\nshort")
        #expect(BulkSnapshot.load(dir.path + "/nftcsf.bulk.cut") == nil)
        #expect(BulkSnapshot.key(.port(IPNetwork("192.0.2.1")!, proto: .tcp, port: 22)) == nil, "port sets are never bulk")
    }

    @Test func theDifferenceDeletesGoneElementsThenAddsNewOnes() {
        let snapshot = BulkSnapshot(tableHandle: 1, setHandle: 1, keys: BulkSnapshot.sortedKeys(Self.keys.map { SetChange.Element($0) })!)
        let new = [.address(IPAddress("192.0.2.99")!), Self.keys[2], Self.keys[0]].map { SetChange.Element($0) }
        let keys = BulkSnapshot.sortedKeys(new)!
        #expect(keys == keys.sorted() && keys.count == 3, "unsorted input is sorted")
        let changes = snapshot.changes(to: keys, table: "csf", set: "deny4")
        #expect(changes?.map(\.operation) == [.delete, .deleteIfPresent, .add])
        #expect(changes?[2].elements.map(\.key) == [.address(IPAddress("192.0.2.99")!)])
        #expect(Set(changes?[0].elements.map(\.key) ?? []) == [Self.keys[1], Self.keys[3]])
        #expect(changes?[1].elements.isEmpty == true)
    }

    /// csf -d/-dr and lfd note the keys they touch beside a csf.deny snapshot; the reload re-checks exactly
    /// those: added when the new list has them, deleted only if present otherwise — whatever the commands did.
    @Test func touchedKeysAreReCheckedAndNeverTrusted() throws {
        let dir = try TempDir()
        let path = BulkSnapshot.path(dir.path, set: "deny4")
        let k = { (s: String) in BulkSnapshot.key(.address(IPAddress(s)!))! }
        let snapshot = BulkSnapshot(tableHandle: 1, setHandle: 1, keys: [k("192.0.2.1"), k("192.0.2.2"), k("192.0.2.3")])
        try snapshot.write(path)
        #expect(BulkSnapshot.touched(snapshotPath: path) == [], "nothing touched yet")
        // csf -d 192.0.2.9 (then kept in the file), csf -dr 192.0.2.2 (gone from the file), csf -d 192.0.2.8
        // then removed from the file by hand, and 192.0.2.9 touched twice.
        for key in ["192.0.2.9", "192.0.2.2", "192.0.2.8", "192.0.2.9"] {
            #expect(BulkSnapshot.recordTouched([k(key)], snapshotPath: path))
        }
        let touched = try #require(BulkSnapshot.touched(snapshotPath: path))
        #expect(touched == [k("192.0.2.2"), k("192.0.2.8"), k("192.0.2.9")], "sorted, each once")
        let new = [k("192.0.2.1"), k("192.0.2.3"), k("192.0.2.9")]
        let changes = try #require(snapshot.changes(to: new, touched: touched, table: "csf", set: "deny4"))
        let keys = { (i: Int) in Set(changes[i].elements.map(\.key)) }
        #expect(changes.map(\.operation) == [.delete, .deleteIfPresent, .add])
        #expect(keys(0).isEmpty, "no plain delete of a key a command may have removed already")
        #expect(keys(1) == [.address(IPAddress("192.0.2.2")!), .address(IPAddress("192.0.2.8")!)])
        #expect(keys(2) == [.address(IPAddress("192.0.2.9")!)], "added again: an add of a present element changes nothing")
        // A damaged record is not trusted; a load's new snapshot goes with its touched keys.
        try dir.write("nftcsf.bulk.deny4.touched", "short")
        #expect(BulkSnapshot.touched(snapshotPath: path) == nil)
        BulkSnapshot.remove(path)
        #expect(BulkSnapshot.load(path) == nil && BulkSnapshot.touched(snapshotPath: path) == [])
    }
}
