import Foundation
import Testing
import CsfTestSupport

/// Issue 17 (`csf -m`): the server security check over a lab root standing for the host (its sshd_config, its
/// /proc/sys values, its /tmp), the lab namespace's real listening sockets and its real csf table.
@Suite(.serialized, .enabled(if: NetLab.available, "needs root"))
struct ServerCheckKernelTests {
    @Test func findingsFixesJsonAndMail() throws {
        let lab = try NetLab(peers: 1)
        let fm = FileManager.default
        for dir in ["/etc/ssh/sshd_config.d", "/proc/sys/net/ipv4/conf/all", "/proc/sys/kernel", "/tmp", "/var/www/uploads", "/var/tmp"] {
            try fm.createDirectory(atPath: lab.root + dir, withIntermediateDirectories: true)
        }
        try "Include /etc/ssh/sshd_config.d/*.conf\nPort 22\nPermitRootLogin no\n".write(toFile: lab.root + "/etc/ssh/sshd_config", atomically: true, encoding: .utf8)
        // The drop-in comes first, so it wins, as with sshd.
        try "PermitRootLogin yes\n".write(toFile: lab.root + "/etc/ssh/sshd_config.d/local.conf", atomically: true, encoding: .utf8)
        for (key, value) in ["net/ipv4/tcp_syncookies": "0", "net/ipv4/conf/all/rp_filter": "1", "kernel/randomize_va_space": "2"] {
            try "\(value)\n".write(toFile: lab.root + "/proc/sys/" + key, atomically: true, encoding: .utf8)
        }
        #expect(chmod(lab.root + "/tmp", 0o777) == 0 && chmod(lab.root + "/var/tmp", 0o1777) == 0 && chmod(lab.root + "/var/www/uploads", 0o777) == 0)
        try lab.setConfig(["TCP_IN": "22,80,3306", "TESTING": "1"])
        try lab.serve(in: lab.fw, tcp: [3306], udp: [])

        let r = try lab.csf("-m")
        #expect(r.status == 0, "\(r)")
        let out = r.stdout
        #expect(out.hasPrefix("Server Check on "), "\(out)")
        #expect(out.contains("[FAIL] firewall: the csf table is not loaded"), "\(out)")
        #expect(out.contains("[FAIL] TESTING: TESTING = \"1\""), "\(out)")
        #expect(out.contains("[WARN] TCP_IN: TCP_IN opens 3306 (MySQL/MariaDB) to everyone"), "\(out)")
        #expect(out.contains("[FAIL] PermitRootLogin: root may log in with a password") && out.contains("fix: PermitRootLogin prohibit-password"), "\(out)")
        #expect(out.contains("[WARN] PasswordAuthentication") && out.contains("[INFO] Port: sshd listens on port 22"), "\(out)")
        #expect(out.contains("[WARN] net.ipv4.tcp_syncookies: net.ipv4.tcp_syncookies = 0") && out.contains("[PASS] net.ipv4.conf.all.rp_filter"), "\(out)")
        #expect(out.contains("[FAIL] sticky /tmp: /tmp: world-writable without the sticky bit") && out.contains("fix: chmod 1777 /tmp"), "\(out)")
        #expect(out.contains("[WARN] world-writable: world-writable directories without the sticky bit: /var/www/uploads"), "\(out)")
        #expect(out.contains("[WARN] tcp/3306: MySQL/MariaDB listens on ") && out.contains(" port 3306 (TCP_IN opens it)"), "\(out)")
        #expect(out.contains("[INFO] updates: the package manager could not be asked"), "apt is pointed at the lab root, where it finds nothing\n\(out)")

        try lab.setConfig(["TESTING": "0"])
        #expect(try lab.csf("-s").status == 0)
        let json = try lab.csf("-m", "--json")
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let checks = report?["checks"] as? [[String: Any]] ?? []
        #expect(checks.contains { $0["check"] as? String == "firewall" && $0["status"] as? String == "pass" }, "\(json.stdout)")
        #expect(checks.contains { $0["check"] as? String == "TESTING" && $0["status"] as? String == "pass" })
        #expect((report?["failed"] as? Int ?? 0) >= 2 && (report?["warnings"] as? Int ?? 0) >= 4, "\(json.stdout)")

        let mailed = try lab.csf("-m", "admin@example.net")
        #expect(mailed.status == 0 && mailed.stdout.contains("server check sent to admin@example.net"), "\(mailed)")
        let mail = (try? String(contentsOfFile: lab.root + "/sent-mail", encoding: .utf8)) ?? ""
        #expect(mail.contains("To: admin@example.net\nSubject: Server Check on ") && mail.contains("[FAIL] PermitRootLogin"), "\(mail)")
        let bad = try lab.csf("-m", "admin@example.net\nBcc: everyone@example.org")
        #expect(bad.status == 1 && (bad.stdout + bad.stderr).contains("is not an e-mail address"), "\(bad)")
        #expect(try lab.csf("-m", "a@b.example", "c@d.example").status == 2)
    }
}
