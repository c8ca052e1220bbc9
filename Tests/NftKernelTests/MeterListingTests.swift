import Testing
@testable import NftKernel

struct MeterListingTests {
    @Test func dynamicSetsAndTheirElementsAreRead() {
        let structure = """
        table inet csf {
        \tset deny4 {
        \t\ttype ipv4_addr
        \t\tcomment "csf.deny addresses"
        \t}
        \tset connlimit4_22 {
        \t\ttype ipv4_addr
        \t\tsize 65535
        \t\tflags dynamic
        \t\tcomment "CONNLIMIT 22;2 connection counts"
        \t}
        }
        """
        #expect(MeterListing.dynamicSets(structure).map(\.0) == ["connlimit4_22"])
        let set = """
        \tset portflood4_8080_tcp_block {
        \t\telements = { 192.0.2.2 timeout 3s expires 2s512ms, 192.0.2.3 limit rate over 60/minute burst 3 packets timeout 1m expires 1m2s,
        \t\t\t     198.18.10.1 ct count over 3 }
        \t}
        """
        let entries = MeterListing.elements(set)
        #expect(entries.map(\.address) == ["192.0.2.2", "192.0.2.3", "198.18.10.1"])
        #expect(entries.map(\.expiresMs) == [2512, 62000, nil])
        #expect(entries[2].detail == "ct count over 3")
        #expect(MeterListing.durationMs("1h") == 3_600_000 && MeterListing.durationMs("5x") == nil)
    }
}
