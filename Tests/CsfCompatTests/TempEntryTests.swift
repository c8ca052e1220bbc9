import Testing
@testable import CsfCompat
import CsfTestSupport

@Suite struct TempEntryTests {
    @Test func parsesAndWritesCsfsSixFieldFormat() throws {
        let line = "1736067999|198.51.100.9|22,53;udp|in|600|Manually added: 198.51.100.9 (-)"
        let e = try TempEntry.parse(Substring(line))
        #expect(e.created == 1736067999 && e.target.description == "198.51.100.9" && e.ttl == 600)
        #expect(e.ports == [.init(22, .tcp), .init(53, .udp)] && e.direction == .in)
        #expect(e.line == line)
        #expect(e.expires == 1736068599 && e.remaining(now: 1736068000) == 599 && e.isExpired(now: 1736068599))
        let all = try TempEntry.parse("1736067903|2001:DB8::0:1||inout|3600|lfd - (sshd) x")
        #expect(all.ports.isEmpty && all.target.description == "2001:db8::1" && all.direction == .inout)
    }

    @Test func keepsPipesBeyondTheSixthFieldInTheComment() throws {
        // csf loses them (reference §8 #8); we keep the text.
        let e = try TempEntry.parse("1|192.0.2.1||in|60|a|b|c")
        #expect(e.comment == "a|b|c")
    }

    @Test func rejectsDamagedLines() {
        for bad in ["x|192.0.2.1||in|60|c", "1|999.0.0.1||in|60|c", "1|192.0.2.1|70000|in|60|c", "1|192.0.2.1||up|60|c",
                    "1|192.0.2.1||in|-4|c", "1|192.0.2.1"] {
            #expect(throws: TempEntry.ParseError.self, "\(bad)") { try TempEntry.parse(Substring(bad)) }
        }
    }

    @Test func portListsFollowCsf() throws {
        #expect(try TempEntry.parsePorts("").isEmpty)
        #expect(try TempEntry.parsePorts("*").isEmpty)
        #expect(try TempEntry.parsePorts("22,22,53;UDP") == [.init(22), .init(53, .udp)])
        for bad in ["0", "65536", "22;icmp", "a", "22,", "-1", "1;tcp;x"] {
            #expect(throws: TempEntry.ParseError.self, "\(bad)") { try TempEntry.parsePorts(bad) }
        }
    }

    @Test func quickScanFindsDuplicatesExpiryNetworksAndDamage() {
        let text = "100|192.0.2.1|22|in|50|a\n100|192.0.2.2||in|10|b\n"
        func scan(_ t: String, _ ip: String, _ ports: String, now: Int) -> TempFileSummary {
            TempFileSummary.scan(MappedBytes(Array(t.utf8)), ip: Array(ip.utf8), ports: Array(ports.utf8), now: now)
        }
        var s = scan(text, "192.0.2.1", "22", now: 105)
        #expect(s.duplicate && !s.hasExpired && !s.hasNetworks && !s.damaged)
        #expect(!scan(text, "192.0.2.1", "", now: 105).duplicate, "same address, other ports: not a duplicate")
        s = scan(text, "192.0.2.2", "", now: 120)
        #expect(s.hasExpired && !s.duplicate, "an expired line is no duplicate")
        #expect(scan(text + "100|198.18.0.0/16||in|50|c\n", "x", "", now: 105).hasNetworks)
        #expect(scan(text + "garbage\n", "x", "", now: 105).damaged)
    }

    @Test func ttlSuffixesAndLimits() {
        #expect(TempTTL.parse("90") == 90)
        #expect(TempTTL.parse("5m") == 300)
        #expect(TempTTL.parse("2h") == 7200)
        #expect(TempTTL.parse("1d") == 86400)
        for bad in ["", "-5", "1H", "abc", "1.5", "99999999999999999999", "m", "5s"] { #expect(TempTTL.parse(bad) == nil, "\(bad)") }
        #expect(TempTTL.format(0) == "<1")
        #expect(TempTTL.format(59) == "59s")
        #expect(TempTTL.format(3600) == "1h 0s")
        #expect(TempTTL.format(90061) == "1d 1h 1m 1s")
    }

}

@Suite struct ListFileTests {
    @Test func protectedAndRotatableLines() throws {
        let dir = try TempDir()
        try dir.write("csf.deny", "# head\n\n192.0.2.1 # x\nInclude /nowhere\n192.0.2.2 # Do Not Delete\ntcp|in|d=22|s=192.0.2.3\n198.18.0.0/16")
        let f = try ListFile.load(dir.path + "/csf.deny")
        #expect(f.lines.count == 7)
        #expect(f.lines.indices.filter(f.isRotatable) == [2, 5, 6])
        #expect(f.isProtected(4))
        #expect(f.includePath(3) == "/nowhere")
        #expect(String(decoding: f.removing([2, 6]), as: UTF8.self)
                == "# head\n\nInclude /nowhere\n192.0.2.2 # Do Not Delete\ntcp|in|d=22|s=192.0.2.3\n")
    }

}
