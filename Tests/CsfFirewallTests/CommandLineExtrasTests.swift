import Testing
@testable import CsfCompat
@testable import CsfFirewall
import NftRuleset
import CsfTestSupport

/// csf's remaining command line (issue 13): -ap/-rp/-lp, -l4/-l6 views, -p's socket table.
@Suite struct PortKeysTests {
    @Test func addAndRemoveEditOnlyThatLine() throws {
        let dir = try TempDir.csfRoot(config: ["TCP_IN": "22,80"])
        let keys = PortKeys(paths: dir.paths)
        let before = dir.read("etc/csf/csf.conf") ?? ""
        var r = try keys.edit(.add, "TCP_IN:8080")
        #expect(r.changed && r.ports == "22,80,8080")
        r = try keys.edit(.add, "tcp_in=30000:35000")
        #expect(r.changed && r.ports == "22,80,8080,30000:35000")
        r = try keys.edit(.add, "TCP_IN:30001")
        #expect(!r.changed && r.message == "csf: port 30001 is already open in TCP_IN")
        r = try keys.edit(.remove, "TCP_IN:80")
        #expect(r.changed && r.ports == "22,8080,30000:35000")
        r = try keys.edit(.remove, "TCP_IN:30001")
        #expect(!r.changed && r.message.contains("inside a range"))
        let after = dir.read("etc/csf/csf.conf") ?? ""
        let changed = zip(before.split(separator: "\n"), after.split(separator: "\n")).filter { $0 != $1 }
        #expect(changed.count == 1 && changed.first?.1 == "TCP_IN = \"22,8080,30000:35000\"", "\(changed)")
        #expect(ConfigParser.load(dir.paths.config).1.filter { $0.severity == .error }.isEmpty)
    }

    @Test func badArgumentsChangeNothing() throws {
        let dir = try TempDir.csfRoot()
        let before = dir.read("etc/csf/csf.conf")
        for bad in ["TCP_IN", "LF_SSHD:5", "TCP_IN:eighty", "TCP_IN:0", "TCP_IN:22,23", "TCP_IN:70000", "TCP_IN:22\"; x=\""] {
            #expect(throws: CsfError.self, "\(bad)") { try PortKeys(paths: dir.paths).edit(.add, bad) }
        }
        #expect(dir.read("etc/csf/csf.conf") == before)
    }

    @Test func listShowsTheIPv6ListsOnlyWithIPv6() throws {
        let dir = try TempDir.csfRoot(config: ["IPV6": "0", "TCP_IN": " 22, 80 "])
        let list = try PortKeys(paths: dir.paths).list()
        #expect(list.map(\.key) == ["TCP_IN", "TCP_OUT", "UDP_IN", "UDP_OUT"] && list[0].value == "22,80")
        try dir.setConfig(["IPV6": "1"])
        #expect(try PortKeys(paths: dir.paths).list().count == 8)
    }
}

@Suite struct StatusFilterTests {
    let listing = """
    table inet csf {
    \tset allow4 {
    \t\ttype ipv4_addr
    \t\telements = { 192.0.2.10 }
    \t}
    \tset allow6 {
    \t\ttype ipv6_addr
    \t}
    \tchain INPUT {
    \t\tiif "lo" accept comment "loopback"
    \t\tmeta nfproto ipv4 tcp dport { 22 } accept comment "TCP_IN"
    \t\tmeta nfproto ipv6 tcp dport { 22 } accept comment "TCP6_IN"
    \t\tip6 saddr @allow6 accept
    \t\tip saddr @allow4 accept
    \t}
    }
    """

    @Test func eachViewKeepsItsFamilyAndWhatBothShare() {
        let v4 = StatusFilter.only(.v4, in: listing)
        #expect(v4.contains("set allow4") && !v4.contains("set allow6") && v4.contains("loopback") && v4.contains("\"TCP_IN\""))
        #expect(!v4.contains("TCP6_IN") && !v4.contains("ip6 saddr"))
        let v6 = StatusFilter.only(.v6, in: listing)
        #expect(v6.contains("set allow6") && !v6.contains("set allow4") && v6.contains("TCP6_IN") && !v6.contains("ip saddr"))
        #expect(v6.hasSuffix("\t}\n}") || v6.hasSuffix("}"))
    }

    @Test func setsAreAnnotatedWithTheirSizeAndALimitedCountSaysSo() {
        let out = StatusFilter.annotatingSizes(listing, sizes: ["allow4": SetSize(count: 1),
                                                                 "allow6": SetSize(count: 65_536, exact: false)])
        #expect(out.contains("\tset allow4 {\n\t\t# 1 element (csf -l --full lists them)\n\t\ttype ipv4_addr"))
        #expect(out.contains("\tset allow6 {\n\t\t# 65536 or more elements (csf -l --full lists them)\n"))
        #expect(StatusFilter.annotatingSizes(listing, sizes: ["allow6": SetSize(count: 0)]).contains("\tset allow6 {\n\t\t# 0 elements\n"))
    }
}

@Suite struct ListeningPortsTests {
    @Test func procNetLinesAreRead() {
        let text = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0
           1: 0100007F:0CEA 0100007F:0016 01 00000000:00000000 00:00000000 00000000  1000        0 12346 1 0000000000000000 20 4 30 10 -1
           2: garbage
        """
        let sockets = ProcNetSocket.parse(text)
        #expect(sockets == [.init(local: .v4(0), localPort: 22, remote: .v4(0), remotePort: 0, state: 0x0A, uid: 0, inode: 12345),
                            .init(local: IPAddress("127.0.0.1")!, localPort: 3306, remote: IPAddress("127.0.0.1")!, remotePort: 22,
                                  state: 0x01, uid: 1000, inode: 12346)])
        #expect(!sockets[0].isConnected && sockets[1].isConnected)
        let six = ProcNetSocket.parse("h\n 0: 0000000000000000FFFF00000100007F:0016 B80D01200000000000000000010000 00:0000 01 0 0 0 0 0 7 1\n")
        #expect(six.isEmpty, "a 30-digit address is refused")
        let v6 = ProcNetSocket.parse("h\n 0: 0000000000000000FFFF00000100007F:0016 B80D0120000000000000000001000000:01BB 01 0:0 00:0 0 0 0 7 1\n")
        #expect(v6.first?.local == IPAddress("127.0.0.1") && v6.first?.remote == IPAddress("2001:db8::1") && v6.first?.remotePort == 443)
    }
}

/// Issue 13: `--migrate-check` says something about every csf key nftcsf does not implement; none is silently
/// ignored. A key is implemented when the code or a detector file names it (or it is a check's _PERM).
@Suite struct MigrationCoverageTests {
    @Test func everyKeyIsImplementedOrReported() throws {
        var code = ""
        for dir in ["Sources/CsfCompat", "Sources/CsfPolicy", "Sources/NftRuleset", "Sources/CsfFirewall", "Sources/LfdCore", "Sources/LfdService", "Sources/csf-ui"] {
            for file in try files(Repo.path(dir)) where !file.hasSuffix("Catalogue.swift") && !file.hasSuffix("MigrationCheck.swift") {
                code += (try? TextFile.read(file)) ?? ""
            }
        }
        let detectors = try files(Repo.path("compat/detectors")).filter { $0.hasSuffix(".rules") }
            .map { (try? TextFile.read($0)) ?? "" }.joined()
        let triggers = Set(detectors.split(separator: "\n").filter { $0.hasPrefix("trigger = ") }.map { String($0.dropFirst(10)) })
            .union(detectors.split(separator: "\n").filter { $0.hasPrefix("also = ") }.compactMap { $0.dropFirst(7).split(separator: " ").first.map(String.init) })
        var silent: [String] = []
        for spec in ConfigSchema.catalogue {
            let key = spec.name
            let implemented = code.contains("\"\(key)\"") || detectors.contains(key)
                || (key.hasSuffix("_PERM") && triggers.contains(String(key.dropLast(5))))
                || (key.hasPrefix("CUSTOM") && key.hasSuffix("_LOG"))
                || (key.hasPrefix("PORTS_") && detectors.contains("app = \(key.dropFirst(6))\n"))   // LF_SELECT's PORTS_<app>
            if !implemented && !MigrationCheck.coveredKeys.contains(key) { silent.append(key) }
        }
        #expect(silent.isEmpty, "keys nftcsf ignores without a word: \(silent)")
    }

    @Test func enabledProtectionsThatDoNothingFailTheCheck() throws {
        let dir = try TempDir.csfRoot()
        for key in ["CF_ENABLE"] {
            try dir.setConfig([key: "3"])
            let report = MigrationCheck.run(paths: dir.paths, host: .init())
            #expect(!report.passes && report.findings.contains { $0.key == key && $0.losesSecurity }, "\(key)")
            try dir.setConfig([key: "0"])
        }
        // Built since (issues 14, 16 and 17): enabling them loses nothing.
        for key in ["LF_DIRWATCH", "LF_DIRWATCH_DISABLE", "LF_DIRWATCH_FILE", "LF_INTEGRITY", "LF_SCRIPT_PERM", "LF_SCRIPT_ALERT",
                    "RT_RELAY_BLOCK", "RT_RELAY_ALERT", "LF_QUEUE_ALERT", "LOGSCANNER", "X_ARF", "LF_CXS", "LF_QOS", "LF_SYMLINK", "LF_APACHE_401", "LF_DISTFTP", "LF_DISTSMTP", "PT_SSHDKILL", "RESTRICT_SYSLOG",
                    "PT_FORKBOMB", "PT_USERKILL", "PT_LIMIT", "PT_LOAD", "AT_ALERT", "SYSLOG_CHECK", "LOGFLOOD_ALERT", "LF_CPANEL_ALERT"] {
            try dir.setConfig([key: "3"])
            #expect(!MigrationCheck.run(paths: dir.paths, host: .init()).findings.contains { $0.key == key }, "\(key)")
            try dir.setConfig([key: "0"])
        }
        try dir.setConfig(["IPTABLES": "/usr/sbin/iptables-legacy"])
        #expect(MigrationCheck.run(paths: dir.paths, host: .init()).findings.contains { $0.key == "IPTABLES" && !$0.losesSecurity })
    }

    func files(_ dir: String) throws -> [String] {
        FileSystem.listDirectory(dir).flatMap { name -> [String] in
            let path = dir + "/" + name
            return FileSystem.isDirectory(path) ? ((try? files(path)) ?? []) : [path]
        }
    }
}
