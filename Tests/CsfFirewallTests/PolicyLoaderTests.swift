import Testing
@testable import CsfCompat
@testable import CsfFirewall
import CsfTestSupport

@Suite struct SipsAndRedirectFileTests {
    @Test func garbageInSipsAndRedirectIsReportedWithFileAndLine() throws {
        let dir = try TempDir()
        try FileSystem.makeDirectories("\(dir.path)/etc/csf")
        try dir.write("etc/csf/csf.conf", "IPV6 = \"1\"\n")
        try dir.write("etc/csf/csf.sips", "192.0.2.250\nnot-an-ip\n0.0.0.0/0\n")
        try dir.write("etc/csf/csf.redirect", "*|8080|*|80|tcp\n*|8080|*|80|sctp\n*|8080|*|80|tcp # a \"quoted\" comment\n")
        let outcome = PolicyLoader.load(paths: CsfPaths(root: dir.path), host: .init(), now: 0)
        let errors = outcome.diagnostics.filter { $0.severity == .error }.map { "\(FileSystem.dirname($0.file) == "\(dir.path)/etc/csf" ? String($0.file.split(separator: "/").last ?? "") : $0.file):\($0.line)" }
        #expect(errors == ["csf.sips:2", "csf.sips:3", "csf.redirect:2"], "\(outcome.diagnostics)")
        #expect(outcome.policy.sips.map(\.description) == ["192.0.2.250"])
        #expect(outcome.policy.redirects.count == 2, "a quoted comment is only a comment")
        // Bad lines are left out; the rest starts (issue 12: one damaged line must not keep the firewall down).
        #expect(!outcome.hasErrors)
        #expect(outcome.startWarnings.filter { $0.message.hasSuffix("(line skipped)") }.count == 3)
    }
}

@Suite struct DamagedListTests {
    /// A half-written line (a full disk, a crash) is skipped with its file:line; a settings error still stops.
    @Test func aDamagedListLineIsSkippedButABadSettingStops() throws {
        let dir = try TempDir.csfRoot()
        try dir.write("etc/csf/csf.deny", "192.0.2.200 # ok\n203.0.1\n")
        var outcome = PolicyLoader.load(paths: dir.paths, host: .init(), now: 0)
        #expect(!outcome.hasErrors && outcome.policy.deny.entries.count == 1)
        #expect(outcome.startWarnings.contains { $0.line == 2 && $0.file.hasSuffix("csf.deny") })
        try dir.setConfig(["TCP_IN": "22,eighty"])
        outcome = PolicyLoader.load(paths: dir.paths, host: .init(), now: 0)
        #expect(outcome.hasErrors && outcome.fatal.allSatisfy { $0.file.hasSuffix("csf.conf") })
    }

    /// Issue 12, item 9: only regular files are read, Include loops are found whatever the spelling.
    @Test func specialFilesAndIncludeLoopsAreRefusedQuickly() throws {
        let dir = try TempDir.csfRoot()
        let etc = dir.path + "/etc/csf"
        _ = Subprocess.run(["/usr/bin/mkfifo", etc + "/fifo"], timeout: 5)
        try dir.write("etc/csf/csf.deny", """
        192.0.2.1
        Include /dev/zero
        Include /dev/urandom
        Include \(etc)/fifo
        Include \(etc)/csf.deny
        Include \(etc)/../csf/csf.deny
        Include \(etc)/./csf.deny
        192.0.2.2
        """)
        let start = SystemTime.monotonic
        let list = AccessList.load(etc + "/csf.deny")
        #expect(SystemTime.monotonic - start < 2, "no hang on a FIFO, no 2 GB read of /dev/zero")
        #expect(list.entries.count == 2)
        let problems = Dictionary(grouping: list.diagnostics, by: \.line)
        #expect(problems[2]?.first?.message.contains("not a regular file") == true, "\(list.diagnostics)")
        #expect(problems[4]?.first?.message.contains("not a regular file") == true)
        for line in 5...7 { #expect(problems[line]?.first?.message.contains("Include loop") == true, "line \(line): \(list.diagnostics)") }
        try dir.write("etc/csf/csf.conf", "Include /dev/zero\nInclude \(etc)/csf.conf\nTCP_IN = \"22\"\n")
        let (config, diagnostics) = ConfigParser.load(etc + "/csf.conf")
        #expect(config["TCP_IN"] == "22")
        #expect(diagnostics.filter { $0.severity == .error }.count == 2, "\(diagnostics)")
    }

    @Test func checkReadsTheListsLfdReadsToo() throws {
        let dir = try TempDir.csfRoot()
        try dir.write("etc/csf/csf.ignore", "127.0.0.1\nnot an address\n")
        try dir.write("etc/csf/csf.uidignore", "1000\nbob\n")
        try dir.write("etc/csf/csf.rignore", ".example.com\n$(reboot)\n")
        try dir.write("etc/csf/csf.blocklists", "SPAMDROP|86400|0|https://www.spamhaus.org/drop/drop.txt\nBAD|x|0|https://x.example/\n")
        try dir.write("etc/csf/ui/ui.allow", "192.0.2.7 # desk\n<script>\n")
        try dir.write("etc/csf/ui/ui.ban", "# none\n198.51.100.0/33\n")
        let firewall = Firewall(paths: dir.paths, kernel: RecordingKernel(), host: { .init() }, log: { _ in })
        let errors = firewall.check().diagnostics.filter { $0.severity == .error }.map { "\($0.file.split(separator: "/").last ?? ""):\($0.line)" }
        #expect(errors == ["csf.ignore:2", "csf.rignore:2", "csf.uidignore:2", "csf.blocklists:2", "ui.allow:2", "ui.ban:2"], "\(errors)")
        let ui = ListChecks.uiLists(dir.paths).map(\.message)
        #expect(ui.count == 2 && ui[0].hasPrefix("'<script>' is ") && ui[1].hasPrefix("'198.51.100.0/33' is ") && ui.allSatisfy { $0.hasSuffix("; line skipped") }, "\(ui)")
    }
}

/// Issue 12, item 6: a csf.conf without TCP_IN closes SSH; `--check` says so and shows what stays open.
@Suite struct MissingPortKeyTests {
    func check(_ dir: TempDir) -> Firewall.CheckReport {
        Firewall(paths: dir.paths, kernel: RecordingKernel(), host: { .init() }, log: { _ in }).check()
    }

    func drop(_ key: String, in dir: TempDir) throws {
        let text = dir.read("etc/csf/csf.conf") ?? ""
        try dir.write("etc/csf/csf.conf", text.split(separator: "\n").filter { !$0.hasPrefix("\(key) =") }.joined(separator: "\n") + "\n")
    }

    @Test func aMissingTCPInIsWarnedAboutAndSSHIsShownClosed() throws {
        let dir = try TempDir.csfRoot()
        try drop("TCP_IN", in: dir)
        let report = check(dir)
        let warnings = report.diagnostics.filter { $0.severity == .warning }.map(\.message)
        #expect(warnings.contains("TCP_IN is not set: every inbound TCP port is closed (SSH included)"), "\(warnings)")
        #expect(warnings.contains { $0.hasPrefix("sshd listens on port 22, which TCP_IN does not open") }, "\(warnings)")
        #expect(report.exposure.tcp.isEmpty)
        #expect(report.exposure.summary.first?.hasPrefix("csf: open inbound IPv4: TCP none; UDP 20,21,53") == true, "\(report.exposure.summary)")
    }

    @Test func theShippedConfigWarnsAboutNoPortKeyAndOpensSSH() throws {
        let dir = try TempDir.csfRoot()
        let messages = check(dir).diagnostics.map(\.message)
        #expect(!messages.contains { $0.contains("is not set") || $0.hasPrefix("sshd listens") }, "\(messages)")
        #expect(check(dir).exposure.tcp.contains("22"))
    }

    @Test func sshdsOwnPortIsReadFromItsConfigAndIncludes() throws {
        let dir = try TempDir.csfRoot(config: ["TCP_IN": "22,80"])
        try FileSystem.makeDirectories(dir.path + "/etc/ssh/sshd_config.d")
        try dir.write("etc/ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf\n#Port 23\nMatch User x\n  Port 25\n")
        try dir.write("etc/ssh/sshd_config.d/10-port.conf", "Port 2222\n")
        #expect(SshdPorts.read(dir.paths) == [2222])
        let warning = check(dir).diagnostics.first { $0.message.hasPrefix("sshd listens") }
        #expect(warning?.message.hasPrefix("sshd listens on port 2222, which TCP_IN does not open") == true)
        #expect(warning?.file.hasSuffix("csf.conf") == true && (warning?.line ?? 0) > 0, "located at the TCP_IN line")
    }

    @Test func ipv6KeysAreRequiredOnlyWithIPv6() throws {
        let dir = try TempDir.csfRoot(config: ["IPV6": "0"])
        try drop("UDP6_IN", in: dir)
        #expect(!check(dir).diagnostics.contains { $0.message.hasPrefix("UDP6_IN is not set") })
        try dir.setConfig(["IPV6": "1"])
        #expect(check(dir).diagnostics.contains { $0.message == "UDP6_IN is not set: every inbound IPv6 UDP port is closed" })
        #expect(check(dir).exposure.summary.count == 2)
    }
}
