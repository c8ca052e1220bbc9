import Testing
@testable import CsfCompat
@testable import CsfPolicy
@testable import NftRuleset
import CsfTestSupport

/// The worked examples of the csf reference §3.2, compiled and rendered.
@Suite struct AdvancedFilterTests {
    func rules(allow: String = "", deny: String = "", ipv6: Bool = true, configure: (inout FirewallPolicy) -> Void = { _ in }) throws -> (NftTable, [Diagnostic]) {
        var p = FirewallPolicy()
        p.ipv6 = ipv6
        p.allow = AccessList.parse(text: allow, path: "csf.allow")
        p.deny = AccessList.parse(text: deny, path: "csf.deny")
        configure(&p)
        return (RulesetCompiler.compile(p), p.allow.diagnostics + p.deny.diagnostics)
    }

    func chainText(_ table: NftTable, _ name: String) throws -> [String] {
        try #require(table.chain(name)).rules.map { try NftRenderer.render($0).replacingCounter() }
    }

    func filterRules(_ table: NftTable, _ chain: String) throws -> [String] {
        try chainText(table, chain).filter { $0.contains("comment \"csf.") && $0.contains(".allow:") || $0.contains(".deny:") }
    }

    @Test(arguments: [
        // entry, chain, expected rule (without comment)
        ("tcp|in|d=3306|s=11.22.33.44", "ALLOWIN", "ip saddr 11.22.33.44 tcp dport 3306 accept"),
        ("tcp|out|d=22|d=11.22.33.44", "ALLOWOUT", "ip daddr 11.22.33.44 tcp dport 22 accept"),
        ("d=22|s=44.33.22.11", "ALLOWIN", "ip saddr 44.33.22.11 tcp dport 22 accept"),
        ("d=22,80,443|s=44.33.22.11", "ALLOWIN", "ip saddr 44.33.22.11 tcp dport { 22, 80, 443 } accept"),
        ("udp|in|d=2000_3000|s=10.0.0.0/8", "ALLOWIN", "ip saddr 10.0.0.0/8 udp dport 2000-3000 accept"),
        ("icmp|in|d=ping|s=44.33.22.11", "ALLOWIN", "ip saddr 44.33.22.11 icmp type echo-request accept"),
        ("tcp|in|s=1024_65535|s=5.6.7.8", "ALLOWIN", "ip saddr 5.6.7.8 tcp sport 1024-65535 accept"),
        ("tcp|in|d=22|d=5.6.7.8", "ALLOWIN", "ip daddr 5.6.7.8 tcp dport 22 accept"),
        ("tcp|out|d=80||u=99", "ALLOWOUT", "tcp dport 80 meta skuid 99 accept"),
        ("out|u=0", "ALLOWOUT", "meta l4proto tcp meta skuid 0 accept"),
        ("tcp|in|d=22|s=1.2.3.4|u=0", "ALLOWOUT", "tcp dport 22 meta skuid 0 accept"),
        ("tcp:in:d=22:s=5.6.7.8", "ALLOWIN", "ip saddr 5.6.7.8 tcp dport 22 accept"),
        ("tcp|in|d=22|s=2001:db8::1", "ALLOWIN", "ip6 saddr 2001:db8::1 tcp dport 22 accept"),
        ("TCP|IN|D=22|S=1.2.3.4", "ALLOWIN", "ip saddr 1.2.3.4 tcp dport 22 accept"),
        ("tcp|inout|d=22|s=1.2.3.4", "ALLOWIN", "ip saddr 1.2.3.4 tcp dport 22 accept"),
        ("udp|out|s=53|d=8.8.8.8", "ALLOWOUT", "ip daddr 8.8.8.8 udp sport 53 accept"),
    ])
    func allowExamples(entry: String, chain: String, expected: String) throws {
        let (table, diags) = try rules(allow: entry + "\n")
        #expect(diags.isEmpty, "\(diags)")
        let found = try chainText(table, chain).filter { $0.hasSuffix("comment \"csf.allow:1\"") }
        #expect(found == [expected + " comment \"csf.allow:1\""])
    }

    @Test(arguments: [
        "tcp:in:d=22:s=2001:db8::1",   // colons of the IPv6 address are separators too
        "tcp|in|s=5.6.7.8",            // no port: s= is taken as a source port
        "s=1.2.3.4|d=22",              // the address must follow the port
        "tcp|in|d=22|s=www.example.com",
    ])
    func entriesCsfIgnoresCreateNothingAndWarn(entry: String) throws {
        let (table, diags) = try rules(allow: entry + "\n")
        #expect(diags.count == 1 && diags[0].severity == .warning, "\(diags)")
        for chain in ["ALLOWIN", "ALLOWOUT"] {
            #expect(try chainText(table, chain).allSatisfy { !$0.contains("csf.allow:") })
        }
    }

    @Test func denyFiltersUseTheDropTargets() throws {
        let (table, diags) = try rules(deny: "tcp|out|d=25|u=1001\ntcp|in|d=22|s=192.0.2.7\n") { p in
            p.logging.dropOutLogging = true
            p.logging.dropIPLogging = false
            p.drop = .drop
        }
        #expect(diags.isEmpty)
        #expect(try chainText(table, "DENYOUT").contains("tcp dport 25 meta skuid 1001 jump LOGDROPOUT comment \"csf.deny:1\""))
        #expect(try chainText(table, "DENYIN").contains("ip saddr 192.0.2.7 tcp dport 22 drop comment \"csf.deny:2\""))
    }

    @Test func ipv6FiltersAreSkippedWithoutIPv6() throws {
        let (table, _) = try rules(allow: "tcp|in|d=22|s=2001:db8::1\n", ipv6: false)
        #expect(try chainText(table, "ALLOWIN").allSatisfy { !$0.contains("2001:db8") })
    }

    @Test func badPortsAndUnknownOwnersAreErrors() {
        for entry in ["tcp|in|d=22x|s=1.2.3.4", "tcp|in|d=99999|s=1.2.3.4", "tcp|out|d=80|u=no-such-user-xyz",
                      "icmp|in|d=bogus|s=1.2.3.4", "tcp|in|d=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16|s=1.2.3.4"] {
            let list = AccessList.parse(text: entry + "\n", path: "csf.allow")
            #expect(list.entries.isEmpty && list.diagnostics.first?.severity == .error, "\(entry): \(list.diagnostics)")
        }
    }
}
