import Testing
@testable import CsfCompat
@testable import CsfPolicy
@testable import NftRuleset
import CsfTestSupport

@Suite struct CompilerTests {
    /// The shipped csf.conf with `conf`'s lines replacing the keys they set, built entirely in memory: the
    /// policy builder reads no files.
    func policy(_ conf: String = "", allow: String = "", deny: String = "", host: HostAddresses = .init()) throws -> FirewallPolicy {
        let defaults = try TextFile.read(Repo.path("compat/etc/csf/csf.conf"))
        var lines = defaults.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for override in conf.split(separator: "\n") {
            let key = String(override.split(separator: "=")[0]).trimmingWhitespace()
            lines.removeAll { $0.hasPrefix("\(key) =") }
            lines.append(String(override))
        }
        let (config, configDiagnostics) = ConfigParser.parse(text: lines.joined(separator: "\n"), path: "csf.conf")
        #expect(!configDiagnostics.contains { $0.severity == .error }, "\(configDiagnostics)")
        let outcome = PolicyBuilder.build(PolicyInputs(config: config, allow: AccessList.parse(text: allow, path: "csf.allow"),
                                                       deny: AccessList.parse(text: deny, path: "csf.deny"), host: host))
        #expect(!outcome.hasErrors, "\(outcome.diagnostics)")
        return outcome.policy
    }

    func rules(_ table: NftTable, _ chain: String) throws -> [String] {
        try #require(table.chain(chain), "no chain \(chain)").rules.map { try NftRenderer.render($0).replacingCounter() }
    }

    @Test func inputFollowsCsfChainOrder() throws {
        let table = RulesetCompiler.compile(try policy("IPV6 = \"0\""))
        let input = try rules(table, "INPUT")
        let order = ["IPV6=0", "loopback", "jump ESTABLISHEDIN", "jump LOCALINPUT", "PACKET_FILTER", "ICMP_IN_RATE", "LF_SPI\"", "TCP_IN",
                     "UDP_IN", "closed port"]
        let positions = order.map { key in input.firstIndex { $0.contains(key) } ?? -1 }
        #expect(positions.allSatisfy { $0 >= 0 }, "\(input)")
        #expect(positions == positions.sorted(), "\(input)")
        #expect(input.last == "jump LOGDROPIN comment \"closed port\"", "lo is accepted first, so no interface test is left")
        #expect(table.chain("INPUT")?.base?.policy == .drop)
    }

    @Test func establishedTrafficChecksOnlyTheDenySideAndKeepsIcmpAndFiltersOnTheFullPath() throws {
        let table = RulesetCompiler.compile(try policy("IPV6 = \"1\"", deny: "192.0.2.2\n"))
        let fast = try rules(table, "ESTABLISHEDIN")
        #expect(fast.first == "meta nfproto ipv6 goto ESTABLISHEDIN6 comment \"IPv6\"")
        #expect(fast.contains("meta l4proto icmp return comment \"ICMP: full path\""))
        #expect(fast.contains("ip saddr @deny4 jump LOCALINPUT comment \"listed: full csf check\""), "a hit re-runs allow then deny")
        #expect(fast.contains("ip saddr . meta l4proto . th dport @tempdeny_in4_port jump LOCALINPUT comment \"listed: full csf check\""))
        #expect(!fast.contains { $0.contains("allow") || $0.contains("ip6 ") }, "\(fast)")
        #expect(fast.suffix(4) == ["meta l4proto tcp jump INVALID comment \"PACKET_FILTER\"",
                                   "ct mark & 0xfffffffc != @conn_gen ct mark set ct state map @conn_mark comment \"CT_MARK_FASTPATH: a new generation\"",
                                   "ct mark set ct mark | 0x00000001 comment \"CT_MARK_FASTPATH: inbound checked\"",
                                   "accept comment \"LF_SPI\""])
        #expect(try rules(table, "ESTABLISHEDIN6").contains("ip6 saddr @deny6 jump LOCALINPUT comment \"listed: full csf check\""))
        let filtered = RulesetCompiler.compile(try policy(deny: "tcp|in|d=22|s=192.0.2.9\n"))
        #expect(try rules(filtered, "ESTABLISHEDIN").contains("jump LOCALINPUT comment \"csf.deny has filters: full csf check\""))
        let noSpi = RulesetCompiler.compile(try policy("LF_SPI = \"0\""))
        #expect(noSpi.chain("ESTABLISHEDIN") == nil)
        #expect(noSpi.connectionMark == nil, "no mark without the established path that sets it")
    }

    /// CT_MARK_FASTPATH: a connection marked with the current generation skips everything after loopback; only
    /// established packets (an ICMP error is related and comes from any router); every compile draws a new one.
    @Test func checkedConnectionsAreAcceptedOnTheirMarkAlone() throws {
        let table = RulesetCompiler.compile(try policy("IPV6 = \"1\""), connectionMark: ConnectionMark(generation: 0xabc0))
        let input = try rules(table, "INPUT")
        #expect(input.prefix(3) == ["ct state established ct mark & 0xfffffffd == @conn_checked accept comment \"CT_MARK_FASTPATH: checked since the lists last changed\"",
                                    "iif \"lo\" accept comment \"loopback\"",
                                    "ct state established,related jump ESTABLISHEDIN comment \"LF_SPI: established traffic\""])
        #expect(table.connectionMark == ConnectionMark(generation: 0xabc0))
        let text = try NftRenderer.render(table)
        #expect(text.contains("elements = { 0x0000abc1, 0x0000abc2 }") && text.contains("elements = { 0x0000abc0 }")
                && text.contains("elements = { established : 0x0000abc0, related : 0x0000abc0 }"))
        // Outbound: the same first rule with the other direction's bit, and the mark written just before LF_SPI's
        // accept (after LOCALOUTPUT and everything else that can drop an established packet).
        let output = try rules(table, "OUTPUT")
        #expect(output.first == "ct state established ct mark & 0xfffffffe == @conn_checked accept comment \"CT_MARK_FASTPATH: checked since the lists last changed\"")
        let spi = try #require(output.firstIndex(of: "ct state established,related accept comment \"LF_SPI\""))
        #expect(Array(output[(spi - 2)..<spi]) == ["ct state established ct mark & 0xfffffffc != @conn_gen ct mark set ct state map @conn_mark comment \"CT_MARK_FASTPATH: a new generation\"",
                                                 "ct state established ct mark set ct mark | 0x00000002 comment \"CT_MARK_FASTPATH: outbound checked\""])
        #expect(output.firstIndex { $0.contains("jump LOCALOUTPUT") }! < spi - 2)
        #expect(RulesetCompiler.compile(try policy()).connectionMark != RulesetCompiler.compile(try policy()).connectionMark)
        let off = RulesetCompiler.compile(try policy("CT_MARK_FASTPATH = \"0\""))
        #expect(off.connectionMark == nil)
        #expect(try !rules(off, "INPUT").contains { $0.contains("ct mark") } && !rules(off, "ESTABLISHEDIN").contains { $0.contains("ct mark") })
        // The bump a netlink batch carries: the set and the map emptied and given the new generation.
        let bump = ConnectionMark(generation: 28).changes()
        #expect(bump.map(\.set) == ["conn_checked", "conn_checked", "conn_gen", "conn_gen", "conn_mark", "conn_mark"])
        #expect(bump[1].elements.map(\.key) == [.scalar(29, data: nil), .scalar(30, data: nil)])
        #expect(bump[5].elements.map(\.key) == [.scalar(2, data: 28), .scalar(4, data: 28)])
        #expect((0..<100).allSatisfy { _ in let g = ConnectionMark.fresh().generation; return g != 0 && g & 3 == 0 })
    }

    @Test func allowIsCheckedBeforeDeny() throws {
        let table = RulesetCompiler.compile(try policy(allow: "192.0.2.2\n", deny: "192.0.2.2\n198.51.100.0/24\n"))
        let local = try rules(table, "LOCALINPUT")
        #expect(local.prefix(2) == ["jump ALLOWIN comment \"csf.allow\"", "jump DENYIN comment \"csf.deny\""])
        #expect(table.set("allow4")?.elements.map(\.network.description) == ["192.0.2.2"])
        #expect(table.set("deny4")?.elements.map(\.network.description) == ["192.0.2.2"])
        #expect(table.set("deny4_net")?.elements.map(\.network.description) == ["198.51.100.0/24"])
        #expect(try rules(table, "DENYIN").contains("ip saddr @deny4 drop comment \"csf.deny\""))
        #expect(try rules(table, "DENYOUT").contains("ip daddr @deny4 jump LOGDROPOUT comment \"csf.deny\""))
    }

    @Test func coveredNetworksAreFoldedButAdjacentOnesKept() throws {
        let table = RulesetCompiler.compile(try policy(deny: "10.0.0.0/8\n10.1.0.0/16\n10.1.2.0/24\n11.0.0.0/8\n9.0.0.0/8\n10.0.0.0/8\n"))
        #expect(table.set("deny4_net")?.elements.map(\.network.description) == ["9.0.0.0/8", "10.0.0.0/8", "11.0.0.0/8"])
    }

    @Test func logDropChainsCarryCsfPrefixesAndLimits() throws {
        let table = RulesetCompiler.compile(try policy("IPV6 = \"1\"\nDROP_ONLYRES = \"1\""))
        let logIn = try rules(table, "LOGDROPIN")
        #expect(logIn.first == "tcp dport { 23, 67-68, 111, 113, 135-139, 445, 500, 513, 520 } drop comment \"DROP_NOLOG\"")
        #expect(logIn.contains("meta nfproto ipv4 tcp dport 0-1023 limit rate 30/minute burst 5 packets log prefix \"Firewall: *TCP_IN Blocked* \" comment \"DROP_LOGGING\""),
                "kernel log for admins at csf's rate")
        #expect(logIn.contains("meta nfproto ipv4 tcp dport 0-1023 update @nflog4 { ip saddr limit rate 100/second burst 200 packets } log prefix \"Firewall: *TCP_IN Blocked* \" group 10 comment \"DROP_LOGGING NFLOG_GROUP, per source\""),
                "NFLOG group for lfd with a bucket per source")
        #expect(logIn.contains("meta nfproto ipv6 meta l4proto ipv6-icmp update @nflog6 { ip6 saddr limit rate 100/second burst 200 packets } log prefix \"Firewall: *ICMP6IN Blocked* \" group 10 comment \"DROP_LOGGING NFLOG_GROUP, per source\""), "\(logIn)")
        #expect(logIn.contains { $0.contains("log prefix \"Firewall: *ICMP6IN Blocked* \"") })
        #expect(logIn.last == "drop comment \"DROP\"")
        let logOut = try rules(table, "LOGDROPOUT")
        #expect(logOut.contains("meta nfproto ipv4 tcp flags & (fin|syn|rst|ack) == syn limit rate 30/minute burst 5 packets log prefix \"Firewall: *TCP_OUT Blocked* \" flags skuid comment \"DROP_LOGGING\""))
        let noGroup = RulesetCompiler.compile(try policy("NFLOG_GROUP = \"0\""))
        #expect(try rules(noGroup, "LOGDROPIN").allSatisfy { !$0.contains("group") }, "NFLOG_GROUP = 0: kernel log only")
        #expect(noGroup.set("nflog4") == nil && table.set("nflog4") != nil && table.set("nflog6") != nil)
        #expect(logOut.last == "reject comment \"DROP_OUT\"")
    }

    @Test func noLoggingMeansDirectDrops() throws {
        let table = RulesetCompiler.compile(try policy("DROP_LOGGING = \"0\"\nDROP_OUT_LOGGING = \"0\"\nDROP = \"REJECT\"\nDROP_OUT = \"DROP\""))
        #expect(try rules(table, "LOGDROPIN") == ["reject comment \"DROP\""])
        #expect(try rules(table, "OUTPUT").last == "oifname != \"lo\" drop comment \"closed port\"")
    }

    @Test func ethDeviceAndSkip() throws {
        let table = RulesetCompiler.compile(try policy("ETH_DEVICE = \"eth+\"\nETH_DEVICE_SKIP = \"veth-skip\""))
        let input = try rules(table, "INPUT")
        #expect(input.contains("iifname \"veth-skip\" accept comment \"ETH_DEVICE_SKIP\""))
        #expect(input.contains("iifname \"eth*\" jump LOCALINPUT comment \"csf allow/deny lists\""))
        #expect(input.firstIndex { $0.contains("ETH_DEVICE_SKIP") }! < input.firstIndex { $0.contains("LOCALINPUT") }!)
    }

    @Test func ipv6GetsItsOwnPortsAndIcmp() throws {
        let table = RulesetCompiler.compile(try policy("IPV6 = \"1\"\nTCP6_IN = \"22\"\nIPV6_ICMP_STRICT = \"1\""))
        let input = try rules(table, "INPUT")
        #expect(!input.contains { $0.contains("IPV6=0") })
        #expect(input.contains("meta nfproto ipv6 tcp dport 22 ct state new accept comment \"TCP6_IN\""))
        #expect(input.contains { $0.contains("icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, nd-redirect } ip6 hoplimit 255 accept") })
        #expect(try rules(table, "ALLOWIN").contains("ip6 saddr @allow6_net accept comment \"csf.allow\""))
    }

    @Test func icmpSettings() throws {
        let table = RulesetCompiler.compile(try policy("ICMP_IN = \"0\"\nICMP_TIMESTAMPDROP = \"1\"\nICMP_OUT_RATE = \"5/s\""))
        let input = try rules(table, "INPUT")
        #expect(input.contains("icmp type echo-request jump LOGDROPIN comment \"ICMP_IN=0\""))
        #expect(input.contains("icmp type timestamp-request jump LOGDROPIN comment \"ICMP_TIMESTAMPDROP\""))
        #expect(try rules(table, "OUTPUT").contains("icmp type echo-request limit rate 5/second burst 5 packets accept comment \"ICMP_OUT_RATE\""))
    }

    @Test func staticModeOpensEphemeralPortsAndAllOutput() throws {
        let table = RulesetCompiler.compile(try policy("LF_SPI = \"0\"\nIPV6 = \"0\""))
        let input = try rules(table, "INPUT")
        #expect(!input.contains { $0.contains("ct state") })
        #expect(input.contains("udp dport 32768-61000 accept comment \"LF_SPI=0: ephemeral udp\""))
        #expect(try rules(table, "OUTPUT").contains("oifname != \"lo\" accept comment \"LF_SPI=0: all outbound\""))
        #expect(table.chain("INVALID") == nil)
    }

    @Test func packetFilterChain() throws {
        let table = RulesetCompiler.compile(try policy("DROP_PF_LOGGING = \"1\""))
        let invalid = try rules(table, "INVALID")
        #expect(invalid.contains("ct state invalid jump INVDROP comment \"PACKET_FILTER *INVALID*\""))
        #expect(invalid.contains("tcp flags & (fin|syn|rst|psh|ack|urg) == 0x0 jump INVDROP comment \"PACKET_FILTER *INV_AN*\""))
        #expect(invalid.contains("tcp flags & (fin|syn|rst|ack) != syn ct state new jump INVDROP comment \"PACKET_FILTER *INV_NOSYN*\""))
        #expect(invalid.contains { $0.contains("log prefix \"Firewall: *INV_AA* \"") })
        // Ten checks, each with its jump, its kernel-log rule and one NFLOG rule per family (they match no family).
        #expect(invalid.count == 40)
        #expect(invalid.contains { $0.hasPrefix("meta nfproto ipv6 ct state invalid update @nflog6 { ip6 saddr limit rate") }, "\(invalid)")
    }

    @Test func smtpBlockUsesOwnerMatches() throws {
        let table = RulesetCompiler.compile(try policy("SMTP_BLOCK = \"1\"\nSMTP_ALLOWUSER = \"0\"\nSMTP_ALLOWGROUP = \"root\""))
        #expect(try rules(table, "OUTPUT").contains("jump SMTPOUTPUT comment \"SMTP_BLOCK\""))
        #expect(try rules(table, "SMTPOUTPUT") == [
            "oifname \"lo\" tcp dport { 25, 465, 587 } accept comment \"SMTP_ALLOWLOCAL\"",
            "meta skgid 0 tcp dport { 25, 465, 587 } accept comment \"SMTP_ALLOWGROUP\"",
            "meta skuid 0 tcp dport { 25, 465, 587 } accept comment \"SMTP_ALLOWUSER\"",
            "meta skuid 0 tcp dport { 25, 465, 587 } accept comment \"SMTP_BLOCK: root\"",
            "tcp dport { 25, 465, 587 } jump LOGDROPOUT comment \"SMTP_BLOCK\"",
        ])
    }

    @Test func dnsSettingsAndResolvers() throws {
        let dir = try TempDir()
        _ = dir
        var p = try policy("DNS_STRICT = \"1\"")
        p.nameservers = [IPAddress("198.51.100.53")!]
        let table = RulesetCompiler.compile(p)
        let output = try rules(table, "OUTPUT")
        #expect(!output.contains { $0.contains("DNS_STRICT=0") })
        #expect(output.contains("oifname != \"lo\" ip daddr 198.51.100.53 udp dport 53 accept comment \"DNS_STRICT_NS=0: resolver\""))
        let input = try rules(table, "INPUT")
        #expect(input.firstIndex { $0.contains("resolver") }! < input.firstIndex { $0.contains("LOCALINPUT") }!)
    }

    @Test func dockerAndRedirects() throws {
        var p = try policy("DOCKER = \"1\"")
        p.redirects = [
            try RedirectRule.parse("*|8080|*|80|tcp").get(),
            try RedirectRule.parse("192.0.2.1|80|198.51.100.5|8080|tcp").get(),
        ]
        let table = RulesetCompiler.compile(p)
        #expect(try rules(table, "PREROUTING") == [
            "iifname != \"lo\" tcp dport 8080 redirect to :80 comment \"csf.redirect\"",
            "ip daddr 192.0.2.1 tcp dport 80 dnat ip to 198.51.100.5:8080 comment \"csf.redirect\"",
        ])
        #expect(try rules(table, "POSTROUTING").contains("ip saddr 172.17.0.0/16 oifname != \"docker0\" masquerade comment \"DOCKER\""))
        let forward = try rules(table, "FORWARD")
        #expect(forward.contains("iifname != \"lo\" ip daddr 198.51.100.5 tcp dport 8080 ct state new accept comment \"csf.redirect\""))
        #expect(forward.contains("oifname \"docker0\" ct state established,related accept comment \"DOCKER\""))
    }

    @Test func replaceScriptDeletesOnlyOurTable() throws {
        let script = try NftRenderer.replaceScript(RulesetCompiler.compile(try policy()))
        let lines = script.split(separator: "\n")
        #expect(lines[0] == "table inet csf" && lines[1] == "delete table inet csf" && lines[2] == "table inet csf {")
        #expect(!script.contains("flush ruleset"))
    }

    @Test func rendererRefusesUnrepresentableStrings() {
        #expect(throws: NftRenderer.RenderError.self) { try NftRenderer.quoted("a\"b") }
        #expect(throws: NftRenderer.RenderError.self) { try NftRenderer.identifier("x; flush ruleset") }
        #expect(throws: NftRenderer.RenderError.self) { try NftRenderer.identifier("") }
        #expect(CommentText.truncated(String(repeating: "é", count: 100)).utf8.count <= CommentText.maxBytes)
    }
}

extension String {
    /// The rule without the counter every rule carries: these tests are about what the rules match and do.
    func replacingCounter() -> String {
        var out = self
        while let r = out.firstRange(of: "counter ") { out.removeSubrange(r) }
        return out
    }
}

@Suite struct RuleCounterTests {
    @Test func everyRuleCountsWhatItMatches() throws {
        let policy = try CompilerTests().policy("SYNFLOOD = \"1\"\nPORTFLOOD = \"22;tcp;5;300\"\nCONNLIMIT = \"22;5\"")
        let table = RulesetCompiler.compile(policy)
        for chain in table.chains {
            for rule in chain.rules {
                let text = try NftRenderer.render(rule)
                #expect(text.split(separator: " ").filter { $0 == "counter" }.count == 1, "\(chain.name): \(text)")
            }
        }
    }
}
