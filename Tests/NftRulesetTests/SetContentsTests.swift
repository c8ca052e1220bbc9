import Testing
@testable import CsfCompat
@testable import CsfPolicy
@testable import NftRuleset
import CsfTestSupport

@Suite struct SetContentsTests {
    @Test func placementsFollowDirectionAndPorts() {
        let both = TempEntry(created: 100, target: IPNetwork("192.0.2.7")!, ports: [], direction: .inout, ttl: 60, comment: "")
        let p = SetContents.placements(both, kind: .deny, now: 110)
        #expect(p.map(\.set) == ["tempdeny_in4", "tempdeny_out4"] && p.allSatisfy { $0.element.timeout == 50 })
        let ports = TempEntry(created: 100, target: IPNetwork("2001:db8::/64")!, ports: [.init(22), .init(53, .udp)],
                              direction: .in, ttl: 60, comment: "")
        let q = SetContents.placements(ports, kind: .allow, now: 100)
        #expect(q.map(\.set) == ["tempallow_in6_port", "tempallow_in6_port"] && q[1].element.port == .init(.udp, 53))
        #expect(SetContents.placements(ports, kind: .allow, now: 160).isEmpty, "expired entries place nothing")
    }

    @Test func populatedSetsDropOverlapsAndKeepTheLongestTimeout() {
        let a = TempEntry(created: 0, target: IPNetwork("198.18.0.0/16")!, ports: [], direction: .in, ttl: 100, comment: "")
        let b = TempEntry(created: 0, target: IPNetwork("198.18.3.0/24")!, ports: [], direction: .in, ttl: 100, comment: "")
        let c = TempEntry(created: 0, target: IPNetwork("192.0.2.1")!, ports: [], direction: .in, ttl: 10, comment: "")
        let d = TempEntry(created: 0, target: IPNetwork("192.0.2.1")!, ports: [], direction: .in, ttl: 50, comment: "")
        let sets = SetContents.temporary([(.deny, a), (.deny, b), (.deny, c), (.deny, d)], now: 0)
        #expect(sets.first { $0.name == "tempdeny_in4_net" }?.elements.map(\.network.description) == ["198.18.0.0/16"])
        #expect(sets.first { $0.name == "tempdeny_in4" }?.elements.map(\.timeout) == [50])
        #expect(sets.count == 24)
    }

    @Test func renderedElementsCarryPortAndTimeout() throws {
        var set = try #require(SetContents.temporaryDeclarations().first { $0.name == "tempdeny_in4_port" })
        set.elements = [NftSetElement(IPNetwork("192.0.2.9")!, port: .init(.udp, 53), timeout: 42)]
        var out = ""
        try NftRenderer.render(set, into: &out)
        #expect(out.contains("type ipv4_addr . inet_proto . inet_service"))
        #expect(out.contains("flags interval,timeout"))
        #expect(out.contains("elements = { 192.0.2.9 . udp . 53 timeout 42s }"))
    }

    @Test func listCommentsNeverReachTheScript() throws {
        var p = FirewallPolicy()
        p.deny = AccessList.parse(text: "203.0.113.4 # }; flush ruleset; table inet x {\n", path: "csf.deny")
        #expect(p.deny.diagnostics.isEmpty)
        #expect(p.deny.entries.first?.comment == "}; flush ruleset; table inet x {")
        let text = try NftRenderer.render(RulesetCompiler.compile(p))
        #expect(text.contains("203.0.113.4"))
        #expect(!text.contains("flush ruleset") && !text.contains("table inet x"))
    }
}
