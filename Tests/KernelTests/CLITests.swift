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
}
