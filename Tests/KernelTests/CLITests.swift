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
