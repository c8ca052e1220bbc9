import Testing
#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import CsfCompat

/// Issue 15: the IPFire Location database's nested networks flattened into iptoasn's lines (the most specific
/// network decides, as a lookup does).
@Suite struct IPFireLocationTests {
    /// `location dump`'s layout: AS records first, then networks in address order, each parent before the
    /// networks inside it.
    static let dump = """
        #
        # Location Database Export
        #

        aut-num:                 AS64500
        name:                    EXAMPLE-A, documentation

        aut-num:                 AS64501
        name:                    EXAMPLE-"B"

        net:                     192.0.2.0/24
        country:                 XA
        aut-num:                 64500

        net:                     192.0.2.64/26
        country:                 XA
        aut-num:                 64501

        net:                     192.0.2.128/25
        country:                 XA

        net:                     192.0.2.192/27
        country:                 XA
        aut-num:                 64500

        net:                     198.51.100.0/24
        country:                 XB
        aut-num:                 64500
        is-anycast:              yes

        net:                     198.51.101.0/24
        country:                 XB
        aut-num:                 64500

        net:                     203.0.113.0/24
        aut-num:                 0

        net:                     2001:db8::/32
        country:                 XA
        aut-num:                 64500

        net:                     2001:db8:1::/48
        aut-num:                 64501

        """

    static func lines(_ text: String) throws -> [String] {
        let bytes = try Array(text.utf8).withUnsafeBufferPointer { try IPFireLocation.asnLines(dump: $0) }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test func nestedNetworksBecomeTheRangesALookupFinds() throws {
        #expect(try Self.lines(Self.dump) == [
            "192.0.2.0\t192.0.2.63\t64500\tXA\tEXAMPLE-A, documentation",
            "192.0.2.64\t192.0.2.127\t64501\tXA\tEXAMPLE-B",
            // 192.0.2.128/25 has no ASN: a hole, except for the /27 of AS64500 inside it.
            "192.0.2.192\t192.0.2.223\t64500\tXA\tEXAMPLE-A, documentation",
            // Adjacent networks of one AS and country are one range; ASN 0 (not routed) is left out.
            "198.51.100.0\t198.51.101.255\t64500\tXB\tEXAMPLE-A, documentation",
            "2001:db8::\t2001:db8:0:ffff:ffff:ffff:ffff:ffff\t64500\tXA\tEXAMPLE-A, documentation",
            "2001:db8:1::\t2001:db8:1:ffff:ffff:ffff:ffff:ffff\t64501\tNone\tEXAMPLE-B",
            "2001:db8:2::\t2001:db8:ffff:ffff:ffff:ffff:ffff:ffff\t64500\tXA\tEXAMPLE-A, documentation",
        ])
    }

    /// What the conversion writes reads back through AsnData like iptoasn's file.
    @Test func theConversionReadsAsAsnData() throws {
        let bytes = try Array(Self.dump.utf8).withUnsafeBufferPointer { try IPFireLocation.asnLines(dump: $0) }
        bytes.withUnsafeBufferPointer { data in
            #expect(AsnData.looksValid(data))
            #expect(AsnData.ranges(data, asns: [64501], v6: false)[64501]?.map(\.description) == ["192.0.2.64-192.0.2.127"])
            #expect(AsnData.entry(of: IPAddress("192.0.2.130")!, in: data) == nil, "the /25 without an ASN")
            #expect(AsnData.entry(of: IPAddress("192.0.2.200")!, in: data)?.asn == 64500)
            #expect(AsnData.entry(of: IPAddress("2001:db8:1::5")!, in: data)?.name == "EXAMPLE-B")
        }
    }

    @Test func aNetworkAtTheEndOfTheSpaceAndOneInsideIt() throws {
        let text = "net: 255.255.255.0/24\naut-num: 64500\n\nnet: 255.255.255.128/25\naut-num: 64501\n"
        #expect(try Self.lines(text) == ["255.255.255.0\t255.255.255.127\t64500\tNone\t", "255.255.255.128\t255.255.255.255\t64501\tNone\t"])
    }

    /// lfd reads the dump's file a megabyte at a time: lines across a chunk's end convert as from memory.
    @Test func theFileIsReadInChunksWithTheSameResult() throws {
        var text = "aut-num:                 AS64500\nname:                    EXAMPLE-A\n\n"
        for i in 0..<40_000 {
            text += "net:                     10.\(i >> 8).\(i & 255).0/24\ncountry:                 XA\naut-num:                 \(64500 + i % 3)\n\n"
        }
        let path = "/tmp/nftcsf-ipfire-\(getpid()).dump"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        #expect(text.utf8.count > 2 << 20)
        let fromFile = try IPFireLocation.asnLines(file: path)
        let fromMemory = try Array(text.utf8).withUnsafeBufferPointer { try IPFireLocation.asnLines(dump: $0) }
        #expect(fromFile == fromMemory && fromFile.count > 40_000 * 20)
        #expect(throws: IPFireLocation.Unreadable.self) { try IPFireLocation.asnLines(file: path + ".missing") }
    }

    @Test func outOfOrderOrEmptyDumpsAreRefused() {
        #expect(throws: IPFireLocation.Unreadable.unsorted(line: 4)) {
            try Self.lines("net: 198.51.100.0/24\naut-num: 64500\nnet: 192.0.2.0/24\naut-num: 64500\n")
        }
        #expect(throws: IPFireLocation.Unreadable.unsorted(line: 4)) {
            try Self.lines("net: 2001:db8::/32\naut-num: 64500\nnet: 192.0.2.0/24\naut-num: 64500\n")
        }
        #expect(throws: IPFireLocation.Unreadable.noNetworks) { try Self.lines("<html>Not found</html>\n") }
        #expect(throws: IPFireLocation.Unreadable.noNetworks) { try Self.lines("net: 192.0.2.0/24\ncountry: XA\n") }
    }
}
