import Testing
@testable import CsfCompat
import CsfTestSupport

@Suite struct ConfigParserTests {
    func parse(_ text: String) -> (CsfConfig, [Diagnostic]) {
        ConfigParser.parse(text: text, path: "/etc/csf/csf.conf")
    }

    @Test func valueIsBetweenFirstAndLastQuote() {
        let (c, d) = parse("TCP_IN = \"22,80\" # trailing\nUI_PASS = \"a\"b\"\n")
        #expect(c["TCP_IN"] == "22,80")
        #expect(c["UI_PASS"] == "a\"b")
        #expect(d.isEmpty)
    }

    @Test func whitespaceInNamesIsRemovedAndCommentsSkipped() {
        let (c, d) = parse("# comment\n\n  T C P_IN  =  \"22\"\n")
        #expect(c["TCP_IN"] == "22")
        #expect(d.isEmpty)
    }

    @Test func missingQuotesIsAnErrorWithLocation() {
        let (_, d) = parse("TESTING = \"0\"\nTCP_IN = 22\n")
        #expect(d.count == 1)
        #expect(d[0].severity == .error && d[0].line == 2 && d[0].file == "/etc/csf/csf.conf")
        #expect(d[0].description.hasPrefix("/etc/csf/csf.conf:2: error:"))
    }

    @Test func repeatedSettingIsAnError() {
        let (c, d) = parse("TCP_IN = \"22\"\nTCP_IN = \"80\"\n")
        #expect(c["TCP_IN"] == "22")
        #expect(d.first?.severity == .error)
        #expect(d.first?.line == 2)
        #expect(d.first?.message.contains("first set at /etc/csf/csf.conf:1") == true)
    }

    /// Names are word characters only (csf's `\w`): tested per byte, including the bytes either side of each range.
    @Test func settingNamesAreWordCharacters() {
        for bad in ["TCP-IN", "TCP.IN", "TCP@IN", "TCP[IN", "TCP`IN", "TCP{IN", "TCP/IN", "TCP:IN", "TCPÉIN"] {
            let (_, d) = parse("\(bad) = \"1\"\n")
            #expect(d.count == 1 && d[0].message == "invalid setting name '\(bad)'", "\(bad): \(d)")
        }
        let (c, d) = parse("az_AZ_09 = \"1\"\n")
        #expect(c["az_AZ_09"] == "1" && d.count == 1 && d[0].severity == .warning, "a word is a name (unknown: a warning)")
        #expect(InterfaceName(csf: "br-lan.10@x+")?.name == "br-lan.10@x+")
        #expect(InterfaceName(csf: "eth/0") == nil && InterfaceName(csf: "eth,0") == nil && InterfaceName(csf: "ethé") == nil)
    }

    /// Problems come out in key order whatever order the file has them in.
    @Test func problemsAreReportedInKeyOrder() {
        let (_, d) = parse("UDP_IN = \"x\"\nTESTING = \"2\"\nLF_SPI = \"yes\"\nTCP_IN = \"y\"\n")
        #expect(d.map(\.line) == [3, 4, 2, 1] && d.allSatisfy { $0.severity == .error }, "\(d)")
    }

    @Test func unknownKeyIsOnlyAWarning() {
        let (_, d) = parse("NO_SUCH_KEY = \"1\"\n")
        #expect(d.count == 1 && d[0].severity == .warning)
    }

    @Test(arguments: [
        ("TESTING = \"yes\"", "expected 0 or 1"),
        ("TCP_IN = \"22,80x\"", "invalid port"),
        ("TCP_IN = \"2000:1000\"", "invalid port"),
        ("TCP_IN = \"70000\"", "invalid port"),
        ("DENY_IP_LIMIT = \"-5\"", "whole number"),
        ("ICMP_IN_RATE = \"fast\"", "rate"),
        ("DROP = \"ACCEPT\"", "one of"),
        ("ETH_DEVICE = \"eth0; flush ruleset\"", "interface"),
        ("DOCKER_NETWORK4 = \"172.17.0.0/99\"", "CIDR"),
        ("RESTRICT_SYSLOG = \"9\"", "0 to 3"),
    ])
    func malformedValuesAreErrors(line: String, reason: String) {
        let (_, d) = parse(line + "\n")
        let errors = d.filter { $0.severity == .error }
        #expect(errors.count == 1, "\(d)")
        #expect(errors.first?.message.contains(reason) == true, "\(errors)")
    }

    @Test func validValuesPass() {
        let (_, d) = parse("""
        TCP_IN = "20,21, 22,30000:35000"
        ICMP_IN_RATE = "1/s"
        SYNFLOOD_RATE = "100/second"
        ETH_DEVICE = "eth+"
        ETH_DEVICE_SKIP = "eth1,veth0:1"
        DROP = "REJECT"
        LF_NETBLOCK_IPV6 = ""
        CC_DROP_CIDR = ""
        PORTS_bind = "53;udp,53;tcp"
        PS_PORTS = "0:65535,ICMP"
        """)
        #expect(d.isEmpty, "\(d)")
    }

    @Test func clampsAreAppliedAndReported() {
        let (c, d) = parse("LF_PARSE = \"50\"\nCT_INTERVAL = \"2\"\nPS_INTERVAL = \"10\"\nDROP_IP_LOGGING = \"1\"\nUSE_FTPHELPER = \"1\"\n")
        #expect(c["LF_PARSE"] == "5")
        #expect(c["CT_INTERVAL"] == "30")
        #expect(c["PS_INTERVAL"] == "60")
        #expect(c["DROP_IP_LOGGING"] == "0")
        #expect(c["USE_FTPHELPER"] == "0")
        #expect(d.count == 5 && d.allSatisfy { $0.severity == .warning })
    }

    @Test func includeIsFollowedAndLoopsAreReported() throws {
        let dir = try TempDir()
        try dir.write("extra.conf", "TCP_OUT = \"80\"\nInclude \(dir.path)/main.conf\n")
        try dir.write("main.conf", "TCP_IN = \"22\"\nInclude \(dir.path)/extra.conf\n")
        let (c, d) = ConfigParser.load("\(dir.path)/main.conf")
        #expect(c["TCP_IN"] == "22" && c["TCP_OUT"] == "80")
        #expect(d.count == 1 && d[0].message.contains("Include loop"))
        #expect(d[0].file == "\(dir.path)/extra.conf" && d[0].line == 2)
    }

    @Test func missingKeysReadAsEmptyLikeCsf() {
        let (c, _) = parse("")
        #expect(c.bool("LF_SPI") == false)
        #expect(c.int("DENY_IP_LIMIT") == 0)
        #expect(c.ports("TCP_IN").isEmpty)
    }

    @Test func shippedCsfConfHasEveryKeyWithItsDefaultAndNoProblems() throws {
        let (c, d) = ConfigParser.load(Repo.path("compat/etc/csf/csf.conf"))
        #expect(d.isEmpty, "\(d.prefix(5))")
        // csf's 414 keys (reference §4.1) plus nftcsf's own, all in one section of their own.
        #expect(ConfigSchema.catalogue.filter { $0.section != "nftcsf additions" }.count == 414)
        for spec in ConfigSchema.catalogue {
            #expect(c.values[spec.name] == spec.defaultValue, "\(spec.name)")
        }
        #expect(c.values.count == ConfigSchema.catalogue.count)
    }

    @Test func everyDefaultFitsItsKind() {
        for spec in ConfigSchema.catalogue where !spec.defaultValue.isEmpty {
            #expect(ConfigSchema.problem(with: spec.defaultValue, kind: spec.kind) == nil, "\(spec.name)")
        }
    }

    /// A csf.conf written for csf has none of nftcsf's keys: they read as their defaults, not as empty.
    @Test func nftcsfsOwnKeysDefaultWhenMissing() {
        let (c, _) = ConfigParser.parse(text: "TCP_IN = \"22\"\nPS_INTERVAL = \"60\"\n", path: "csf.conf")
        #expect(c["NFLOG_GROUP"] == "10" && c["LF_WEBMAIL"] == "0")
        #expect(c["TCP_OUT"].isEmpty, "csf's own keys still read as empty when missing, as in csf")
        let (set, _) = ConfigParser.parse(text: "NFLOG_GROUP = \"0\"\n", path: "csf.conf")
        #expect(set["NFLOG_GROUP"] == "0", "an explicit value wins")
    }
}
