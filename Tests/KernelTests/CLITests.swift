import Foundation
import Testing

/// The CLI contract: spellings, help and exit codes. None of these reach the kernel.
@Suite struct CLITests {
    func csf(_ args: String...) throws -> Shell.Result {
        try Shell.run([NetLab.csfBinary] + args)
    }

    @Test func helpAndVersion() throws {
        var r = try csf()
        #expect(r.status == 0 && r.stdout.contains("USAGE"))
        r = try csf("-h")
        #expect(r.status == 0 && r.stdout.contains("--confirm-within") && r.stdout.contains("Exit codes"))
        r = try csf("-v")
        #expect(r.status == 0 && r.stdout.hasPrefix("csf: v"))
        r = try csf("-V")
        #expect(r.status == 0 && r.stdout.hasPrefix("csf: v"), "csf lower-cases its first argument")
        // Help is wrapped once, at 80 columns, and names each option once (issue 13).
        let help = try csf("-h").stdout
        #expect(help.split(separator: "\n").allSatisfy { $0.count <= 80 }, "\(help)")
        #expect(help.components(separatedBy: "--version").count == 2, "one --version")
        for option in ["-ra, --restartall", "-q, --startq", "-l6, --status6", "-p, --ports", "-ap, --addport", "--lfd", "-td, --tempdeny"] {
            #expect(help.contains(option), "\(option)")
        }
    }

    @Test func usageErrorsExitWithTwo() throws {
        // An empty -p list would mean every port (issue 12): it is refused; '*' says so explicitly.
        for args in [["--no-such-option"], ["-s", "-f"], ["-s", "--confirm-within", "0"], ["-f", "--confirm-within", "5"], ["-s", "extra"],
                     ["-ta", "192.0.2.9", "60", "-p", ""], ["-td", "192.0.2.9", "60", "-p", " "]] {
            let r = try Shell.run([NetLab.csfBinary] + args)
            #expect(r.status == 2, "\(args): \(r)")
            #expect(!r.stderr.isEmpty)
        }
    }

    /// csf parses its own options (no swift-argument-parser: Foundation came with it into every ban's start).
    @Test func optionsParseAsBefore() throws {
        // Each spelling help names is an option csf takes: given twice with another, it is that option.
        let help = try csf("-h").stdout
        let spellings = help.components(separatedBy: "\n").filter { $0.hasPrefix("  -") }.flatMap { line in
            String(line.dropFirst(2)).components(separatedBy: "  ")[0].components(separatedBy: ", ").map { $0.components(separatedBy: " ")[0] }
        }
        #expect(spellings.count > 80 && spellings.contains("-uf") && spellings.contains("--migrate-check"), "\(spellings)")
        for spelling in spellings where !["-h", "--help", "--json", "--full", "--confirm-within"].contains(spelling) {
            let r = try csf("--stop", String(spelling))
            #expect(r.status == 2 && r.stderr.contains("had already been set with flag '--stop'"), "\(spelling): \(r)")
        }
        var r = try csf("--bogus")
        #expect(r.status == 2 && r.stderr.hasPrefix("Error: Unknown option '--bogus'\nUsage: csf <options>\n"), "\(r)")
        r = try csf("-s", "--confirm-within")
        #expect(r.status == 2 && r.stderr.contains("Missing value for '--confirm-within <SECONDS>'"), "\(r)")
        r = try csf("--confirm-within=x", "-s")
        #expect(r.status == 2 && r.stderr.contains("The value 'x' is invalid"), "\(r)")
        r = try csf("--lfd")
        #expect(r.status == 2 && r.stderr.contains("--lfd needs one of: start, stop, restart, status"), "\(r)")
        r = try csf("--lfd", "status", "--json", "extra")
        #expect(r.status == 2 && r.stdout.contains("\"ok\""), "a usage error is JSON with --json: \(r)")
        r = try csf("-m", "a@example.com", "b@example.com")
        #expect(r.status == 2 && r.stderr.contains("at most one"), "\(r)")
        r = try csf("stray")
        #expect(r.status == 2 && r.stderr.contains("unexpected argument 'stray'"), "\(r)")
        r = try csf("--full")
        #expect(r.status == 0 && r.stdout.hasPrefix("OVERVIEW:"), "no action: help, as before")
        r = try csf("-s", "--help")
        #expect(r.status == 0 && r.stdout.hasPrefix("OVERVIEW:"), "help wins over an action")
    }

    /// The completions `make install` writes come from the same table, and each shell reads them.
    @Test func shellCompletionsWork() throws {
        let dir = NSTemporaryDirectory() + "nftcsf-completion-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for shell in ["bash", "zsh", "fish"] {
            let r = try csf("--generate-completion-script", shell)
            #expect(r.status == 0 && r.stdout.contains("migrate-check"), "\(shell): \(r)")
            try r.stdout.write(toFile: "\(dir)/csf.\(shell)", atomically: true, encoding: .utf8)
        }
        #expect(try csf("--generate-completion-script", "tcsh").status == 2)
        var r = try Shell.run(["bash", "-c", "source \(dir)/csf.bash; COMP_WORDS=(csf --migr); COMP_CWORD=1; _csf; echo \"${COMPREPLY[@]}\""])
        #expect(r.status == 0 && r.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.sorted() == ["--migrate-check", "--migrate-regex"], "\(r)")
        r = try Shell.run(["zsh", "-n", "\(dir)/csf.zsh"])
        #expect(r.status == 0, "\(r)")
        // Descriptions with quotes and colons stay text: zsh reads back every entry whole.
        r = try Shell.run(["zsh", "-c", "_describe() { print -l -- \"${(@P)4}\" }; source \(dir)/csf.zsh"])
        #expect(r.status == 0 && r.stdout.contains("--migrate-check:List settings of an existing csf install"), "\(r)")
        #expect(r.stdout.contains("-dr:-dr IP: remove IP from csf.deny (\"do not delete\" lines stay)."), "\(r.stdout)")
        #expect(r.stdout.contains("--migrate-regex:Print csf's regex.custom.pm translated"), "\(r.stdout)")
        r = try Shell.run(["fish", "-c", "source \(dir)/csf.fish; complete -C 'csf --sta'; complete -C 'csf --migr'"])
        #expect(r.status == 0 && r.stdout.contains("--startf\tStart the firewall (what lfd calls; same as -s).")
                && r.stdout.contains("--migrate-regex\t"), "\(r)")
    }

    @Test func checkAndDryRunNeedNoKernel() throws {
        let dir = NSTemporaryDirectory() + "nftcsf-cli-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir + "/etc", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Shell.check(["cp", "-r", Repo.path("compat/etc/csf"), dir + "/etc/"])
        var r = try Shell.run(["env", "CSF_ROOT=\(dir)", NetLab.csfBinary, "--check"])
        #expect(r.status == 0 && r.stdout.contains("configuration OK"), "\(r)")
        r = try Shell.run(["env", "CSF_ROOT=\(dir)", NetLab.csfBinary, "--dry-run"])
        #expect(r.status == 0 && r.stdout.hasPrefix("table inet csf\ndelete table inet csf\n"))
        try "TCP_IN = \"22\"\nTCP_IN = \"23\"\n".write(toFile: dir + "/etc/csf/csf.conf", atomically: true, encoding: .utf8)
        r = try Shell.run(["env", "CSF_ROOT=\(dir)", NetLab.csfBinary, "--check"])
        #expect(r.status == 1 && r.stdout.contains("\(dir)/etc/csf/csf.conf:2: error: setting TCP_IN is repeated"), "\(r)")
        r = try Shell.run(["env", "CSF_ROOT=\(dir)", NetLab.csfBinary, "--dry-run"])
        #expect(r.status == 1 && r.stdout.isEmpty)
    }

    @Test func lfdScanRefusesWhatItCannotRead() throws {
        let detectors = "NFTCSF_DETECTORS=\(Repo.path("compat/detectors"))"
        var r = try Shell.run(["env", detectors, NetLab.lfdBinary, "--scan", "/nonexistent/auth.log"])
        #expect(r.status == 1 && r.stderr.contains("/nonexistent/auth.log"), "\(r)")
        r = try Shell.run([NetLab.lfdBinary, "--as", "SSHD_LOG"])
        #expect(r.status == 2, "--as without --scan is a usage error: \(r)")
        let dir = NSTemporaryDirectory() + "nftcsf-scan-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir + "/etc/csf", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "[broken]\nlog = SSHD_LOG\npattern = (unclosed\n".write(toFile: dir + "/etc/csf/regex.custom", atomically: true, encoding: .utf8)
        try "x\n".write(toFile: dir + "/a.log", atomically: true, encoding: .utf8)
        r = try Shell.run(["env", "CSF_ROOT=\(dir)", detectors, NetLab.lfdBinary, "--scan", dir + "/a.log"])
        #expect(r.status == 1 && r.stderr.contains("regex.custom:3:"), "\(r)")
    }

    /// Issue 14: the summary names each detector's count, the ignored lines, and the unmatched lines that read like
    /// failures (what lfd may be missing on this host's logs).
    @Test func lfdScanReportsPerDetectorIgnoredAndLookalikes() throws {
        let detectors = "NFTCSF_DETECTORS=\(Repo.path("compat/detectors"))"
        let dir = NSTemporaryDirectory() + "nftcsf-scan2-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
        Jan  5 09:05:04 web1 sshd[1]: Failed password for root from 203.0.113.9 port 22 ssh2
        Jan  5 09:05:05 web1 sshd[1]: Invalid user bob from 203.0.113.9 port 22
        Jan  5 09:05:06 web1 myapp[1]: login failed for bob from 198.51.100.7
        Jan  5 09:05:07 web1 cron[1]: job done at 09:05:07 from 10.0.0.1
        Jan  5 09:05:08 web1 sshd[1]: Accepted password for root from 203.0.113.10 port 22 ssh2

        """.write(toFile: dir + "/auth.log", atomically: true, encoding: .utf8)
        var r = try Shell.run(["env", "CSF_ROOT=\(dir)", detectors, NetLab.lfdBinary, "--scan", dir + "/auth.log"])
        #expect(r.status == 0 && r.stdout.contains("lfd: 5 lines, 2 matched (sshd 2), 0 ignored, 1 distinct addresses"), "\(r)")
        #expect(r.stdout.contains("lfd:   sshd-failed: 1") && r.stdout.contains("lfd:   sshd-invalid-user: 1"), "\(r)")
        #expect(r.stdout.contains("lfd: 1 unmatched line(s) look like failures; no detector reads them:\n\(dir)/auth.log:3: "), "\(r)")
        r = try Shell.run(["env", "CSF_ROOT=\(dir)", detectors, NetLab.lfdBinary, "--scan", dir + "/auth.log", "--json", "--quiet"])
        let summary = (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["summary"] as? [String: Any]
        #expect(summary?["unmatched_failures"] as? Int == 1 && (summary?["rules"] as? [String: Int])?["sshd-failed"] == 1, "\(r)")
        let line = (summary?["unmatched_failure_lines"] as? [[String: Any]])?.first
        #expect(line?["line"] as? Int == 3 && line?["address"] as? String == "198.51.100.7", "\(r)")
    }
}
