import Testing
@testable import CsfCompat
import CsfTestSupport

@Suite struct AddressTests {
    @Test func parsesAndNormalises() {
        #expect(IPNetwork("192.0.2.1")?.description == "192.0.2.1")
        #expect(IPNetwork("010.001.002.003")?.description == "10.1.2.3")
        #expect(IPNetwork("2001:DB8:0:0::1")?.description == "2001:db8::1")
        #expect(IPNetwork("2001:db8::/32")?.description == "2001:db8::/32")
        #expect(IPNetwork("192.0.2.0/24")?.prefix == 24)
        #expect(IPNetwork("::ffff:192.0.2.1") != nil)
    }

    @Test(arguments: ["999.1.1.1", "1.2.3", "::g", "1.2.3.4/33", "2001:db8::/129", "1.2.3.4/", "1.2.3.4/x",
                      "", "1.2.3.4.5", "1..2.3", "a.b.c.d", "1.2.3.4 ", "1.2.3.-4", "12345::1::2"])
    func rejectsGarbage(text: String) {
        #expect(IPNetwork(text) == nil)
    }

    @Test func containmentAndMasking() throws {
        let net = try #require(IPNetwork("198.51.100.0/24"))
        #expect(net.contains(try #require(IPAddress("198.51.100.77"))))
        #expect(!net.contains(try #require(IPAddress("198.51.101.1"))))
        #expect(try #require(IPNetwork("192.0.2.77/24")).hasHostBits)
        #expect(try #require(IPNetwork("192.0.2.77/24")).network.description == "192.0.2.0/24")
        let v6 = try #require(IPNetwork("2001:db8:abcd::/48"))
        #expect(v6.contains(try #require(IPAddress("2001:db8:abcd:1::5"))))
        #expect(!v6.contains(try #require(IPAddress("2001:db8:abce::5"))))
        #expect(try #require(IPNetwork("2001:db8::1/64")).network.description == "2001:db8::/64")
        #expect(try #require(IPNetwork("2001:db8::1:2/120")).network.description == "2001:db8::1:0/120")
    }

    @Test func portListsAndRates() throws {
        #expect(try PortList.parse("20,21, 30000:35000").map(\.description) == ["20", "21", "30000-35000"])
        #expect(PortList.normalized(try PortList.parse("22,20,21,80,79")).map(\.description) == ["20-22", "79-80"])
        #expect(throws: PortList.ParseError.self) { try PortList.parse("22,abc") }
        #expect(throws: PortList.ParseError.self) { try PortList.parse("5:1") }
        #expect(Rate(csf: "1/s")?.description == "1/second")
        #expect(Rate(csf: "30/m")?.description == "30/minute")
        #expect(Rate(csf: "0") == nil && Rate(csf: "1/fortnight") == nil && Rate(csf: "-1/s") == nil)
    }

    @Test func interfaceNames() {
        #expect(InterfaceName(csf: "eth+")?.nftPattern == "eth*")
        #expect(InterfaceName(csf: "eth0:1")?.name == "eth0")
        #expect(InterfaceName(csf: "e\"th0") == nil)
        #expect(InterfaceName(csf: "averyveryverylongname") == nil)
        #expect(InterfaceName(csf: "et+h") == nil)
    }
}

/// Issue 12, item 8: nothing after a '%' is silently dropped, and every spelling of an address is one address.
@Suite struct AddressHardeningTests {
    @Test func zoneIdsAreRefusedNotCutOff() {
        #expect(IPNetwork.parse("fe80::1%eth0") == .failure(.zoneID))
        #expect(IPNetwork.parse("198.51.100.7%}; flush ruleset; {") == .failure(.zoneID))
        #expect(IPNetwork.parse("198.51.100.7%\n203.0.113.9") == .failure(.zoneID))
        #expect(IPNetwork.parse("198.51.100.7\n203.0.113.9") == .failure(.notAnAddress))
    }

    @Test func mappedAddressesAreTheirIPv4Address() {
        #expect(IPAddress("::ffff:192.0.2.1") == IPAddress("192.0.2.1"))
        #expect(IPAddress("::FFFF:127.0.0.1")?.isLoopback == true)
        #expect(IPNetwork("::ffff:192.0.2.7")?.description == "192.0.2.7")
        #expect(IPNetwork("::ffff:192.0.2.0/120")?.description == "192.0.2.0/24")
        #expect(IPNetwork.parse("::ffff:0.0.0.0/95") == .failure(.badPrefix))
        #expect(IPAddress("::")?.isUnspecified == true && IPAddress("0.0.0.0")?.isUnspecified == true)
    }

    @Test func untrustedTextIsShownEscaped() {
        #expect(shown("a\u{1b}[31mb\nc") == "a\\x1b[31mb\\x0ac")
        #expect(shown("x\u{2028}y") == "x\\u{2028}y")
        #expect(shown(String(repeating: "z", count: 300)).count == 201)
        #expect(shown("2001:db8::1 · ok") == "2001:db8::1 · ok")
    }
}
