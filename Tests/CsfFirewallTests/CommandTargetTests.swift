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

    /// Issue 12, items 7 and 8: an advanced filter's address meets the refusals of a plain address, and so does
    /// every other spelling of one.
    @Test func filtersAndOtherSpellingsMeetTheSameRefusals() throws {
        let host = HostAddresses(addresses: [IPAddress("192.0.2.1")!])
        func refused(_ text: String) -> String? {
            do {
                _ = try CommandTarget.parse(text, verb: "deny", filters: true, ipv6: true, host: host, ownAddressCheck: .containing)
                return nil
            } catch {
                return error.description
            }
        }
        for text in ["tcp|in|d=22|s=0.0.0.0/0", "tcp|in|d=22|s=::/0", "tcp|in|d=22|s=192.0.2.1", "tcp|in|d=22|s=192.0.2.0/24",
                     "tcp|in|d=22|s=127.0.0.1", "tcp|in|d=22|s=10.0.0.1/8", "tcp|in|d=22|s=0.0.0.0", "::", "0.0.0.0",
                     "::ffff:127.0.0.1", "::ffff:192.0.2.1", "198.51.100.7%eth0", "198.51.100.7%}; flush ruleset; {"] {
            #expect(refused(text) != nil, "\(text) must be refused")
        }
        #expect(refused("tcp|in|d=22|s=198.51.100.7") == nil && refused("::ffff:198.51.100.7") == nil)
        #expect(try CommandTarget.parse("::ffff:198.51.100.7", verb: "deny", filters: true, ipv6: false, host: host,
                                        ownAddressCheck: .containing) == .network(IPNetwork("198.51.100.7")!),
                "a mapped address is its IPv4 address, even with IPv6 off")
        let message = refused("1.2.3.4\u{1b}[2J") ?? ""
        #expect(message.contains("\\x1b[2J") && !message.contains("\u{1b}"), "no raw escape sequence reaches the terminal: \(message)")
    }
}
