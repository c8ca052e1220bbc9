import Foundation
import Testing
import CsfTestSupport

/// Issue 16 (login alerts): a real sshd in a private host (rsyslog, Debian's auth.log), csf's shipped
/// LF_SSH_EMAIL_ALERT = "1": a peer's accepted key login is in lfd.log in csf's words and mailed once with
/// sshalert.txt; a login from an address in csf.ignore is logged with " - ignored" and not mailed.
@Suite(.serialized, .enabled(if: NetLab.available && RealDaemons.present(["/usr/sbin/sshd", "/usr/sbin/rsyslogd"]),
                             "needs root, sshd and rsyslog (Tests/run.sh installs them)"))
struct LoginAlertKernelTests {
    @Test func anAcceptedSSHLoginIsLoggedAndMailedOnce() throws {
        let lab = try NetLab(peers: 2)
        let (peer, ignored) = (lab.peers[0], lab.peers[1])
        try lab.setConfig(["TCP_IN": "22", "SSHD_LOG": "/var/log/auth.log", "LF_SSH_EMAIL_ALERT": "1", "LF_ALERT_TO": "admin@example.net"])
        try lab.write("csf.ignore", "127.0.0.1\n\(ignored.v4)\n")
        #expect(try lab.csf("-s").status == 0)
        let host = try PrivateHost(lab: lab, way: .traditional)
        defer { host.stop() }
        let started = try host.start(daemons: try DaemonMatrix.sshd(host.dir, port: 22, passwords: false))
        try #require(started.status == 0 && started.stdout.contains("lfd: started"), "\(started)\n\(host.logs)")
        let key = host.dir + "/sshd-22/alice"
        #expect(try eventually(within: 10) { try DaemonMatrix.keyLogin(peer, port: 22, keys: [key]).status == 0 }, "\(host.logs)")
        let logged = "*SSH login* from \(peer.v4) into the alice account using publickey authentication"
        #expect(try eventually(within: 5) { lab.lfdLog.contains(logged) }, "\(lab.lfdLog)\n\(host.logs)")
        let mail = { (try? String(contentsOfFile: lab.root + "/sent-mail", encoding: .utf8)) ?? "" }
        #expect(try eventually(within: 5) { mail().contains("Subject: lfd on ") && mail().contains(": SSH login from \(peer.v4)") }, "\(mail())")
        #expect(mail().contains("Account: alice") && mail().contains("Method:  publickey") && mail().contains("To: admin@example.net"), "\(mail())")

        #expect(try DaemonMatrix.keyLogin(ignored, port: 22, keys: [key]).status == 0)
        #expect(try eventually(within: 5) {
            lab.lfdLog.contains("*SSH login* from \(ignored.v4) into the alice account using publickey authentication - ignored")
        }, "\(lab.lfdLog)")
        usleep(300_000)
        #expect(mail().components(separatedBy: "SSH login from").count == 2, "one mail, none for the ignored address\n\(mail())")
        #expect(!lab.lfdLog.contains("Blocked"), "a login is never a failure")
    }
}

/// Issue 16 (su and sudo alerts) with the real programs in a private host: alice's su to herself (right and
/// wrong password, through a terminal, as su insists) and her sudo (refused while she is not in sudoers,
/// accepted once she is); root's su is not told, as in csf.
@Suite(.serialized, .enabled(if: NetLab.available && RealDaemons.present(["/usr/sbin/rsyslogd", "/usr/bin/su", "/usr/bin/sudo"]),
                             "needs root, rsyslog, su and sudo (Tests/run.sh installs them)"))
struct SuSudoAlertKernelTests {
    @Test func suAndSudoLoginsAreLoggedAndMailedInCsfsWords() throws {
        let lab = try NetLab(peers: 1)
        try lab.setConfig(["LF_SU_EMAIL_ALERT": "1", "LF_SUDO_EMAIL_ALERT": "1", "SU_LOG": "/var/log/auth.log", "SUDO_LOG": "/var/log/auth.log"])
        #expect(try lab.csf("-s").status == 0)
        let host = try PrivateHost(lab: lab, way: .traditional)
        defer { host.stop() }
        let started = try host.start(daemons: "")
        try #require(started.status == 0 && started.stdout.contains("lfd: started"), "\(started)\n\(host.logs)")
        let asAlice = ["setpriv", "--reuid=2001", "--regid=2001", "--init-groups", "/usr/bin/python3", NetLab.peerScript, "pty-run"]
        #expect(try host.run(asAlice + ["secret", "su", "alice", "-c", "true"]).status == 0, "\(host.logs)")
        #expect(try host.run(asAlice + ["wrong", "su", "alice", "-c", "true"]).status != 0)
        _ = try host.run(["su", "alice", "-c", "true"])
        #expect(try eventually(within: 10) {
            lab.lfdLog.contains("*SU login* from account alice to account alice: Successful login")
                && lab.lfdLog.contains("*SU login* from account alice to account alice: Failed login")
        }, "\(lab.lfdLog)\n\(host.logs)")
        #expect(!lab.lfdLog.contains("*SU login* from account root"), "root's su is not told")

        _ = try host.run(asAlice + ["secret", "sudo", "-k", "true"])
        #expect(try eventually(within: 10) { lab.lfdLog.contains("*SUDO login* from account alice to account root: Failed login") },
                "\(lab.lfdLog)\n\(host.logs)")
        if FileManager.default.fileExists(atPath: "/usr/sbin/sendmail") {
            #expect(try eventually(within: 5) { ((try? String(contentsOfFile: host.dir + "/run/sendmail.out", encoding: .utf8)) ?? "").contains("user NOT in sudoers") },
                    "sudo's own mail to root stays in the private host")
        }
        let sudoers = host.dir + "/etc/sudoers"
        try "root ALL=(ALL:ALL) ALL\nalice ALL=(ALL:ALL) ALL\n".write(toFile: sudoers, atomically: true, encoding: .utf8)
        chmod(sudoers, 0o440)
        #expect(try host.run(["mount", "--bind", sudoers, "/etc/sudoers"]).status == 0)
        #expect(try host.run(asAlice + ["secret", "sudo", "-k", "true"]).status == 0, "\(host.logs)")
        #expect(try eventually(within: 10) { lab.lfdLog.contains("*SUDO login* from account alice to account root: Successful login") },
                "\(lab.lfdLog)\n\(host.logs)")
        let mail = { (try? String(contentsOfFile: lab.root + "/sent-mail", encoding: .utf8)) ?? "" }
        #expect(try eventually(within: 5) { mail().components(separatedBy: "Subject: ").count - 1 >= 4 }, "\(mail())")
        #expect(mail().contains("Failed login") && mail().contains("Successful login"), "\(mail())")
    }
}

/// LF_CPANEL_ALERT (no cPanel here: its access_log lines, written as cPanel writes them): an account of
/// LF_CPANEL_ALERT_USERS served a page is logged, mailed and LF_CPANEL_ALERT_ACTION runs; the same address and
/// account within the hour, another account and an ignored address are not.
@Suite(.serialized, .enabled(if: NetLab.available, "needs root"))
struct CpanelAlertKernelTests {
    @Test func whmAccessIsToldOncePerHourForTheListedAccounts() throws {
        let lab = try NetLab(peers: 2)
        let (peer, ignored) = (lab.peers[0], lab.peers[1])
        let log = lab.root + "/access_log"
        try "".write(toFile: log, atomically: true, encoding: .utf8)
        let marker = lab.root + "/cpanel-action"
        try "#!/bin/sh\necho \"$@\" > \(marker)\n".write(toFile: lab.root + "/action", atomically: true, encoding: .utf8)
        chmod(lab.root + "/action", 0o755)
        try lab.setConfig(["LF_CPANEL_ALERT": "1", "LF_CPANEL_ALERT_USERS": "root, reseller", "CPANEL_ACCESSLOG": log,
                           "LF_CPANEL_ALERT_ACTION": lab.root + "/action"])
        try lab.write("csf.ignore", "127.0.0.1\n\(ignored.v4)\n")
        #expect(try lab.csf("-s").status == 0)
        #expect(try lab.lfd().status == 0)
        func access(_ ip: String, _ user: String) -> String {
            "\(ip) - \(user) [12/01/2026:15:30:00 -0000] \"GET /cpsess1/ HTTP/1.1\" 200 0 \"-\" \"Mozilla/5.0\" \"s\" \"-\" 2087"
        }
        try lab.appendLog(log, [access(peer.v4, "root"), access(peer.v4, "root"), access(peer.v4, "bob"), access(ignored.v4, "root"),
                                access(peer.v4, "reseller")])
        #expect(try eventually(within: 5) { lab.lfdLog.contains("*WHM/cPanel reseller access* from \(peer.v4)") }, "\(lab.lfdLog)")
        #expect(lab.lfdLog.components(separatedBy: "*WHM/cPanel root access* from \(peer.v4)").count == 2, "once an hour\n\(lab.lfdLog)")
        #expect(!lab.lfdLog.contains("bob") && !lab.lfdLog.contains("from \(ignored.v4)"), "\(lab.lfdLog)")
        #expect(try eventually(within: 5) { ((try? String(contentsOfFile: marker, encoding: .utf8)) ?? "").hasPrefix(peer.v4) })
        let mail = { (try? String(contentsOfFile: lab.root + "/sent-mail", encoding: .utf8)) ?? "" }
        #expect(try eventually(within: 5) { mail().components(separatedBy: "cPanel/WHM access from").count == 3 }, "\(mail())")
    }
}
