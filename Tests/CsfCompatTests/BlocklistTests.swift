import Testing
@testable import CsfCompat

/// Issue 15 (part): csf.blocklists, the feeds it names, and networks merged into ranges.
struct BlocklistTests {
    @Test func linesWithCsfsRulesAndClearProblems() {
        let text = """
        # comment
        spamdrop|86400|0|https://www.spamhaus.org/drop/drop.txt
        SPAMEDROP|86400|0|https://www.spamhaus.org/drop/edrop.txt
        BDE|600|5000|https://api.blocklist.de/getlast.php?time=3600
        MAXMIND|86400|0|https://www.maxmind.com/en/high-risk-ip-sample-list
        bad name|1|0|https://x.example/
        SPAMDROP|86400|0|https://again.example/
        TOR|daily|0|https://x.example/
        FTP|86400|0|ftp://x.example/list
        SHORT|86400|0
        """
        let (lists, d) = Blocklists.parse(text, path: "/etc/csf/csf.blocklists")
        #expect(lists.map(\.name) == ["SPAMDROP", "SPAMEDROP", "BDE", "MAXMIND"])
        #expect(lists[2].interval == 3600 && lists[2].max == 5000)
        #expect(d.filter { $0.severity == .error }.map(\.line) == [6, 7, 8, 9, 10])
        #expect(d.contains { $0.line == 3 && $0.severity == .warning && $0.message.contains("April 2024") })
        #expect(d.contains { $0.line == 4 && $0.message.contains("below csf's minimum") })
        #expect(d.contains { $0.line == 5 && $0.message.contains("not a blocklist") })
    }

    @Test func feedsInTheirShapes() {
        let drop = "; Spamhaus DROP List 2026/12/01\n192.0.2.0/24 ; SBL1\n198.51.100.0/24 ; SBL2\n\n"
        #expect(BlocklistFeed.parse(drop, name: "SPAMDROP").networks.map(\.description) == ["192.0.2.0/24", "198.51.100.0/24"])
        let json = "{\"cidr\":\"203.0.113.0/24\",\"sblid\":\"SBL3\",\"rir\":\"ripencc\"}\n{\"type\":\"metadata\",\"timestamp\":1}\n"
        let parsed = BlocklistFeed.parse(json, name: "SPAMDROP")
        #expect(parsed.networks.map(\.description) == ["203.0.113.0/24"] && parsed.skipped == 1)
        let dshield = "#comment\n203.0.113.0\t203.0.113.255\t24\t100\n"
        #expect(BlocklistFeed.parse(dshield, name: "DSHIELD").networks.map(\.description) == ["203.0.113.0/24"])
        let mixed = "2001:db8::1 also 192.0.2.9\n2001:db8:5::/48\nnot an address\n0.0.0.0/0\n127.0.0.1\n192.0.2.9\n"
        let m = BlocklistFeed.parse(mixed, name: "X")
        #expect(m.networks.map(\.description) == ["192.0.2.9", "2001:db8:5::/48", "192.0.2.9"], "IPv4 first on a line, /0 and loopback refused")
        #expect(AddressRanges.merge(m.networks).count == 2, "a duplicate is one range")
        #expect(m.skipped == 1 && m.examples == ["not an address"])
        let capped = BlocklistFeed.parse("192.0.2.1\n192.0.2.2\n192.0.2.3\n", name: "X", max: 2)
        #expect(capped.networks.count == 2 && capped.truncated)
    }

    @Test func networksMergeIntoRanges() {
        let nets = ["192.0.2.0/25", "192.0.2.128/25", "192.0.2.7", "198.51.100.0/24", "198.51.101.0/24", "10.0.0.0/8", "10.1.0.0/16",
                    "2001:db8::/33", "2001:db8:8000::/33", "2001:db8:1::1"].compactMap(IPNetwork.init)
        let ranges = AddressRanges.merge(nets)
        #expect(ranges.map(\.description) == ["10.0.0.0-10.255.255.255", "192.0.2.0-192.0.2.255", "198.51.100.0-198.51.101.255",
                                              "2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"])
        #expect(AddressRanges.contains(ranges, IPAddress("198.51.101.9")!) && !AddressRanges.contains(ranges, IPAddress("198.51.102.0")!))
        #expect(AddressRanges.contains(ranges, IPAddress("2001:db8:ffff::1")!) && !AddressRanges.contains(ranges, IPAddress("2001:db9::")!))
        #expect(AddressRanges.merge([IPNetwork("255.255.255.255")!, IPNetwork("255.255.255.254")!]).map(\.description) == ["255.255.255.254-255.255.255.255"])
        #expect(AddressRanges.merge([IPNetwork]()).isEmpty)
    }
}
