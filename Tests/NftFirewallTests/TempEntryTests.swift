import Testing
@testable import NftFirewall

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

    @Test func placementsFollowDirectionAndPorts() {
        let both = TempEntry(created: 100, target: IPNetwork("192.0.2.7")!, ports: [], direction: .inout, ttl: 60, comment: "")
        let p = TempSets.placements(both, kind: .deny, now: 110)
        #expect(p.map(\.set) == ["tempdeny_in4", "tempdeny_out4"] && p.allSatisfy { $0.element.timeout == 50 })
        let ports = TempEntry(created: 100, target: IPNetwork("2001:db8::/64")!, ports: [.init(22), .init(53, .udp)],
                              direction: .in, ttl: 60, comment: "")
        let q = TempSets.placements(ports, kind: .allow, now: 100)
        #expect(q.map(\.set) == ["tempallow_in6_port", "tempallow_in6_port"] && q[1].element.port == .init(.udp, 53))
        #expect(TempSets.placements(ports, kind: .allow, now: 160).isEmpty, "expired entries place nothing")
    }

    @Test func populatedSetsDropOverlapsAndKeepTheLongestTimeout() {
        let a = TempEntry(created: 0, target: IPNetwork("198.18.0.0/16")!, ports: [], direction: .in, ttl: 100, comment: "")
        let b = TempEntry(created: 0, target: IPNetwork("198.18.3.0/24")!, ports: [], direction: .in, ttl: 100, comment: "")
        let c = TempEntry(created: 0, target: IPNetwork("192.0.2.1")!, ports: [], direction: .in, ttl: 10, comment: "")
        let d = TempEntry(created: 0, target: IPNetwork("192.0.2.1")!, ports: [], direction: .in, ttl: 50, comment: "")
        let sets = TempSets.populated([(.deny, a), (.deny, b), (.deny, c), (.deny, d)], now: 0)
        #expect(sets.first { $0.name == "tempdeny_in4_net" }?.elements.map(\.network.description) == ["198.18.0.0/16"])
        #expect(sets.first { $0.name == "tempdeny_in4" }?.elements.map(\.timeout) == [50])
        #expect(sets.count == 24)
    }

    @Test func netlinkKeysForIntervalsAndConcatenations() {
        let net = NetlinkSetWriter.parts(.network(IPNetwork("192.0.2.0/24")!))
        #expect(net.count == 2 && net[0].key == [192, 0, 2, 0] && !net[0].intervalEnd)
        #expect(net[1].key == [192, 0, 3, 0] && net[1].intervalEnd)
        #expect(NetlinkSetWriter.parts(.network(IPNetwork("255.255.255.0/24")!)).count == 1, "no end past the last address")
        let port = NetlinkSetWriter.parts(.port(IPNetwork("192.0.2.9")!, proto: 17, port: 53))
        #expect(port.count == 1 && port[0].key == [192, 0, 2, 9, 17, 0, 0, 0, 0, 53, 0, 0])
        #expect(port[0].keyEnd == port[0].key)
        let v6 = NetlinkSetWriter.parts(.port(IPNetwork("2001:db8::/32")!, proto: 6, port: 22))
        #expect(v6[0].key.count == 24 && v6[0].keyEnd?.prefix(6) == [0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff])
    }

    @Test func renderedElementsCarryPortAndTimeout() throws {
        var set = TempSets.declaration(.deny, inbound: true, .v4, .port)
        set.elements = [NftSetElement(IPNetwork("192.0.2.9")!, port: .init(.udp, 53), timeout: 42)]
        var out = ""
        try NftRenderer.render(set, into: &out)
        #expect(out.contains("type ipv4_addr . inet_proto . inet_service"))
        #expect(out.contains("flags interval,timeout"))
        #expect(out.contains("elements = { 192.0.2.9 . udp . 53 timeout 42s }"))
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

    @Test func removalMatchesAddressesAndFiltersNamingThem() {
        let t = CommandTarget.network(IPNetwork("2001:db8::1")!)
        #expect(ListCommands.matches(ArraySlice("2001:DB8:0::1".utf8), t))
        #expect(ListCommands.matches(ArraySlice("tcp|in|d=22|s=2001:db8::1".utf8), t))
        #expect(!ListCommands.matches(ArraySlice("2001:db8::2".utf8), t))
        #expect(!ListCommands.matches(ArraySlice("2001:db8::/64".utf8), t))
    }

    @Test func targetsAreRefusedWithCsfsWording() {
        let host = HostAddresses(addresses: [IPAddress("192.0.2.1")!])
        func parse(_ s: String, _ check: CommandTarget.OwnAddressCheck = .containing) throws(CsfError) -> CommandTarget {
            try CommandTarget.parse(s, verb: "deny", filters: true, ipv6: false, host: host, ownAddressCheck: check)
        }
        for (text, message) in [("0.0.0.0/0", "/0 is refused"), ("127.0.0.2", "loopback"), ("192.0.2.1", "one of this servers addresses"),
                                ("192.0.2.0/24", "one of this servers addresses"), ("2001:db8::1", "IPV6 is not enabled"),
                                ("10.0.0.1/8", "host bits"), ("host.example", "not a valid PUBLIC IP")] {
            #expect(throws: CsfError.self) { try parse(text) }
            do { _ = try parse(text) } catch { #expect(error.description.contains(message), "\(text): \(error)") }
        }
        #expect((try? parse("192.0.2.0/24", .exact)) == .network(IPNetwork("192.0.2.0/24")!))
        #expect((try? parse("tcp|in|d=22|s=198.51.100.1")) == .filter("tcp|in|d=22|s=198.51.100.1"))
    }
}
