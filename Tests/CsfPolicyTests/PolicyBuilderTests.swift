import Testing
@testable import CsfCompat
@testable import CsfPolicy
import CsfTestSupport

/// Accounts the tests decide, so the policy never depends on the machine's /etc/passwd.
struct FixedAccounts: AccountDirectory {
    var users: [String: UInt32] = [:]
    var groups: [String: UInt32] = [:]
    func uid(named name: String) -> UInt32? { users[name] }
    func gid(named name: String) -> UInt32? { groups[name] }
}

/// The policy is a pure function of its inputs: everything here is built in memory, no file is read.
@Suite struct PolicyBuilderTests {
    func config(_ text: String) -> CsfConfig {
        let (config, diagnostics) = ConfigParser.parse(text: text, path: "csf.conf")
        #expect(!diagnostics.contains { $0.severity == .error }, "\(diagnostics)")
        return config
    }

    /// IPv6 left off on a host others can reach over IPv6 is warned about (issue 13).
    @Test func ipv6OffWithARoutableIPv6AddressIsWarnedAbout() {
        let text = "TCP_IN = \"22\"\nTCP_OUT = \"\"\nUDP_IN = \"\"\nUDP_OUT = \"\"\nIPV6 = \"0\"\n"
        func warnings(_ addresses: [String]) -> [String] {
            let host = HostAddresses(addresses: Set(addresses.compactMap { IPAddress($0) }))
            return PolicyBuilder.build(PolicyInputs(config: config(text), host: host)).diagnostics.map(\.message)
        }
        #expect(warnings(["192.0.2.1", "::1", "fe80::1"]).isEmpty, "loopback and link-local are not reachable from outside")
        #expect(warnings(["192.0.2.1", "2001:db8::5"]) == ["IPV6 is off but this host has the IPv6 address 2001:db8::5: IPv6 traffic passes unfiltered"])
    }

    /// Only what is really missing is called missing: DYNDNS, GLOBAL_DYNDNS (lfd) and SMTPAUTH_RESTRICT (csf) are built.
    @Test func onlyUnbuiltSettingsAreCalledNotImplemented() {
        let host = HostAddresses(addresses: [IPAddress("192.0.2.1")!])
        let text = "DYNDNS = \"300\"\nGLOBAL_DYNDNS = \"1\"\nSMTPAUTH_RESTRICT = \"1\"\nLFDSTART = \"1\"\n"
        let said = PolicyBuilder.build(PolicyInputs(config: config(text), host: host)).diagnostics.map(\.message)
        #expect(said.filter { $0.contains("not implemented") } == ["LFDSTART is set but not implemented yet by nftcsf; it has no effect"], "\(said)")
    }

    @Test func resolversComeFromResolvConfTextWithoutLocalOnes() {
        let host = HostAddresses(addresses: [IPAddress("192.0.2.1")!])
        let inputs = PolicyInputs(config: config("DNS_STRICT_NS = \"0\"\n"),
                                  resolvConf: "# comment\nnameserver 198.51.100.53\nnameserver 192.0.2.1\nnameserver 127.0.0.53\nnameserver junk\n",
                                  host: host)
        let policy = PolicyBuilder.build(inputs).policy
        #expect(policy.nameservers == [IPAddress("198.51.100.53")!])
        var strict = inputs
        strict.config = config("DNS_STRICT_NS = \"1\"\n")
        #expect(PolicyBuilder.build(strict).policy.nameservers.isEmpty)
    }

    @Test func ownerMatchesResolveThroughTheGivenAccounts() {
        let accounts = FixedAccounts(users: ["exim": 101], groups: ["mail": 8])
        let text = "SMTP_BLOCK = \"1\"\nSMTP_PORTS = \"25\"\nSMTP_ALLOWUSER = \"exim,nobody-here\"\nSMTP_ALLOWGROUP = \"mail\"\n"
        let outcome = PolicyBuilder.build(PolicyInputs(config: config(text), accounts: accounts))
        #expect(outcome.policy.smtp?.users == [101] && outcome.policy.smtp?.groups == [8])
        #expect(outcome.diagnostics.contains { $0.severity == .warning && $0.message.contains("no such user 'nobody-here'") })
    }

    @Test func listsAreTakenAsGivenAndIPv6LeftOutWithoutIPv6() {
        let deny = AccessList.parse(text: "192.0.2.9\n2001:db8::9\n", path: "csf.deny")
        let off = PolicyBuilder.build(PolicyInputs(config: config("IPV6 = \"0\"\n"), deny: deny)).policy
        #expect(off.deny.entries.count == 1)
        let on = PolicyBuilder.build(PolicyInputs(config: config("IPV6 = \"1\"\n"), deny: deny)).policy
        #expect(on.deny.entries.count == 2)
    }

    @Test func temporaryEntriesAreMeasuredAgainstTheGivenTime() {
        let entry = TempEntry(created: 1000, target: IPNetwork("192.0.2.7")!, ports: [], direction: .in, ttl: 60, comment: "c")
        let temp = TempList(kind: .deny, path: "csf.tempban", entries: [entry])
        #expect(PolicyBuilder.build(PolicyInputs(config: config(""), tempDeny: temp, now: 1059)).policy.tempDeny.count == 1)
        #expect(PolicyBuilder.build(PolicyInputs(config: config(""), tempDeny: temp, now: 1060)).policy.tempDeny.isEmpty)
    }

    @Test func badItemsAreErrorsAtTheSettingsLine() {
        let outcome = PolicyBuilder.build(PolicyInputs(config: config("TCP_IN = \"22\"\nPORTFLOOD = \"22;tcp;x;300\"\n")))
        let error = outcome.diagnostics.first { $0.severity == .error }
        #expect(error?.file == "csf.conf" && error?.line == 2 && error?.message.contains("PORTFLOOD") == true, "\(outcome.diagnostics)")
        #expect(outcome.hasErrors)
    }

    @Test func sameInputsSamePolicy() {
        let inputs = PolicyInputs(config: config("IPV6 = \"1\"\nSYNFLOOD = \"1\"\n"),
                                  deny: AccessList.parse(text: "192.0.2.0/24\n", path: "csf.deny"), now: 5)
        let a = PolicyBuilder.build(inputs), b = PolicyBuilder.build(inputs)
        #expect(a.diagnostics == b.diagnostics)
        #expect(a.policy.synFlood == b.policy.synFlood && a.policy.deny.entries.count == b.policy.deny.entries.count)
    }
}
