import Testing
@testable import CsfCompat
@testable import CsfFirewall
import CsfTestSupport

@Suite struct CommandTargetTests {
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
