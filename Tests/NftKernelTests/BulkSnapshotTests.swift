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
        #expect(changes?.map(\.operation) == [.delete, .add])
        #expect(changes?[1].elements.map(\.key) == [.address(IPAddress("192.0.2.99")!)])
        #expect(Set(changes?[0].elements.map(\.key) ?? []) == [Self.keys[1], Self.keys[3]])
    }
}
