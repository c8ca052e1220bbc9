import Testing
@testable import CsfCompat
@testable import NftKernel
@testable import NftRuleset

@Suite struct NetlinkKeyTests {
    @Test func netlinkKeysForIntervalsAndConcatenations() {
        let net = NetlinkSetWriter.parts(.network(IPNetwork("192.0.2.0/24")!))
        #expect(net.count == 2 && net[0].key == [192, 0, 2, 0] && !net[0].intervalEnd)
        #expect(net[1].key == [192, 0, 3, 0] && net[1].intervalEnd)
        #expect(NetlinkSetWriter.parts(.network(IPNetwork("255.255.255.0/24")!)).count == 1, "no end past the last address")
        let port = NetlinkSetWriter.parts(.port(IPNetwork("192.0.2.9")!, proto: .udp, port: 53))
        #expect(port.count == 1 && port[0].key == [192, 0, 2, 9, 17, 0, 0, 0, 0, 53, 0, 0])
        #expect(port[0].keyEnd == port[0].key)
        let v6 = NetlinkSetWriter.parts(.port(IPNetwork("2001:db8::/32")!, proto: .tcp, port: 22))
        #expect(v6[0].key.count == 24 && v6[0].keyEnd?.prefix(6) == [0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff])
    }
}
