import Testing
@testable import CsfCompat
@testable import CsfPolicy
@testable import NftRuleset
import CsfTestSupport

@Suite struct MessengerRulesTests {
    let c = CompilerTests()

    @Test func listedAndBannedSourcesAreRedirectedBySetMembership() throws {
        let p = try c.policy("IPV6 = \"0\"\nMESSENGER = \"1\"\nMESSENGER_USER = \"nobody\"\nMESSENGER_HTTPS_IN = \"\"\nMESSENGER_HTML_IN = \"80,8080\"")
        let table = RulesetCompiler.compile(p)
        let pre = try c.rules(table, "PREROUTING")
        #expect(pre.contains("iifname != \"lo\" ip saddr @deny4 tcp dport { 80, 8080 } redirect to :8888 comment \"MESSENGER\""), "\(pre)")
        #expect(pre.contains("iifname != \"lo\" ip saddr @deny4 tcp dport 21 redirect to :8889 comment \"MESSENGER\""), "\(pre)")
        #expect(pre.contains { $0.contains("@tempdeny_in4_port tcp dport 21") }, "a port-specific temporary ban is redirected on that port only")
        #expect(pre.count == 2 * 5, "five sets (csf.deny addresses and networks, three temporary shapes) × two servers: \(pre)")
        let input = try c.rules(table, "INPUT")
        let accept = try #require(input.firstIndex { $0.contains("MESSENGER") })
        #expect(input[accept] == "tcp dport 8888-8889 ct status dnat update @messenger4 { ip saddr limit rate 100/second burst 150 packets } accept comment \"MESSENGER: MESSENGER_RATE, MESSENGER_BURST per source\"",
                "\(input[accept])")
        #expect(accept < (input.firstIndex { $0.contains("jump LOCALINPUT") } ?? 0), "before the lists drop the source")
        let output = try c.rules(table, "OUTPUT")
        #expect(output.contains("tcp sport 8888-8889 ct status dnat ct direction reply accept comment \"MESSENGER\""), "\(output)")
        #expect(table.sets.contains { $0.name == "messenger4" })
    }

    @Test func temporaryOrPermanentOnlyAndOffWithoutItsAccount() throws {
        let perm = RulesetCompiler.compile(try c.policy("IPV6 = \"0\"\nMESSENGER = \"1\"\nMESSENGER_USER = \"nobody\"\nMESSENGER_TEMP = \"0\""))
        #expect(try c.rules(perm, "PREROUTING").allSatisfy { !$0.contains("tempdeny") })
        let off = try c.policy("MESSENGER = \"1\"\nMESSENGER_USER = \"no-such-account-x\"")
        #expect(off.messenger == nil)
        #expect(RulesetCompiler.compile(off).chain("PREROUTING") == nil)
        #expect(RulesetCompiler.compile(try c.policy()).chain("PREROUTING") == nil, "MESSENGER is off by default")
    }

    @Test func aBadRateIsAnErrorWithItsKeyAndBuildsNothing() {
        let o = CountryTests.policy(["MESSENGER": "1", "MESSENGER_USER": "nobody", "MESSENGER_HTML": "8888", "MESSENGER_HTML_IN": "80",
                                     "MESSENGER_RATE": "fast; drop", "MESSENGER_BURST": "150"])
        #expect(o.hasErrors && o.diagnostics.contains { $0.message.contains("MESSENGER_RATE") && $0.severity == .error }, "\(o.diagnostics)")
        #expect(o.policy.messenger == nil)
        let tooMany = CountryTests.policy(["MESSENGER": "1", "MESSENGER_USER": "nobody", "MESSENGER_HTML": "8888",
                                           "MESSENGER_HTML_IN": (1...16).map(String.init).joined(separator: ","),
                                           "MESSENGER_RATE": "100/s", "MESSENGER_BURST": "150"])
        #expect(tooMany.policy.messenger == nil && tooMany.diagnostics.contains { $0.message.contains("MESSENGER_HTML_IN lists more than 15 ports") })
    }

    @Test func countriesChooseWhoMeetsTheMessenger() throws {
        let o = CountryTests.policy(["MESSENGER": "1", "MESSENGER_USER": "nobody", "MESSENGER_PERM": "1", "MESSENGER_TEMP": "1",
                                     "MESSENGER_HTML": "8888", "MESSENGER_HTML_IN": "80", "MESSENGER_TEXT": "8889", "MESSENGER_TEXT_IN": "21",
                                     "MESSENGER_RATE": "100/s", "MESSENGER_BURST": "150",
                                     "CC_MESSENGER_DENY": "XA", "CC_MESSENGER_ALLOW": "XB"])
        let table = RulesetCompiler.compile(o.policy)
        let pre = try c.rules(table, "PREROUTING")
        #expect(pre.first == "iifname != \"lo\" ip saddr @cc_msgdeny4 return comment \"CC_MESSENGER_DENY\"", "\(pre)")
        #expect(pre.count > 1 && pre.dropFirst().allSatisfy { $0.contains("ip saddr @cc_msgallow4 ip saddr ") }, "\(pre)")
        #expect(table.sets.first { $0.name == "cc_msgdeny4" }?.elements.isEmpty == false)
        let off = CountryTests.policy(["CC_MESSENGER_DENY": "XA"])
        #expect(!RulesetCompiler.compile(off.policy).sets.contains { $0.name.hasPrefix("cc_msg") }, "no messenger, no sets for it")
    }
}

@Suite struct MessengerTemplateTests {
    @Test func placeholdersAreFilledAndEscaped() {
        let t = MessengerTemplate("<p>[IPADDRESS] on [HOSTNAME]</p>[IPADDRESS]")
        #expect(t.fill(address: "192.0.2.1", hostname: "<script>x</script>&\"'", html: true)
                == "<p>192.0.2.1 on &lt;script&gt;x&lt;/script&gt;&amp;&quot;&#39;</p>192.0.2.1")
        #expect(MessengerTemplate("[HOSTNAME]").fill(address: "", hostname: "a\u{1b}[31mb\n", html: false) == "a[31mb", "no control characters on the text page")
    }

    @Test func theTextPageIsOneLine() {
        let t = MessengerTemplate("Blocked: [IPADDRESS].\nAsk the admin of [HOSTNAME].\n")
        #expect(t.textLine(address: "2001:db8::1", hostname: "web1") == "Blocked: 2001:db8::1. Ask the admin of web1.\r\n")
    }
}
