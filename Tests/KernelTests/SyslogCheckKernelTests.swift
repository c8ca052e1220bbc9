import Foundation
import Testing
import CsfTestSupport

/// Issue 16 (lfd keeps its inputs honest): SYSLOG_CHECK against a real rsyslog in a private host — quiet while
/// rsyslog writes lfd's check lines, an alert once it is gone; and LOGFLOOD_ALERT, where a flood is told and,
/// unlike csf, every line is still read (a block at the end of the flood still happens).
@Suite(.serialized, .enabled(if: NetLab.available && RealDaemons.present(["/usr/sbin/rsyslogd"]), "needs root and rsyslog"))
struct SyslogCheckKernelTests {
    @Test func aSyslogThatStopsWritingIsToldAndOneThatWritesIsNot() throws {
        let lab = try NetLab(peers: 1)
        try lab.setConfig(["SYSLOG_CHECK": "3", "LF_ALERT_TO": "admin@example.net"])
        #expect(try lab.csf("-s").status == 0)
        let host = try PrivateHost(lab: lab, way: .traditional)
        defer { host.stop() }
        let started = try host.start(daemons: "")
        try #require(started.status == 0 && started.stdout.contains("lfd: started"), "\(started)\n\(host.logs)")
        #expect(lab.lfdLog.contains("SYSLOG_LOG: /var/log/messages does not exist; reading /var/log/syslog"), "\(lab.lfdLog)")
        #expect(try eventually(within: 20) { host.file("/var/log/syslog").components(separatedBy: ": SYSLOG check [").count >= 3 },
                "two rounds written\n\(host.logs)")
        #expect(!lab.lfdLog.contains("*SYSLOG CHECK*"), "\(lab.lfdLog)")

        let rsyslogd = try #require(Daemon.named(byPidFile: host.dir + "/pids/rsyslogd.pid", marker: "rsyslogd"))
        #expect(rsyslogd.signal(SIGKILL))
        #expect(try eventually(within: 20) { lab.lfdLog.contains("*SYSLOG CHECK* Failed to detect check line [") }, "\(lab.lfdLog)")
        let mail = { (try? String(contentsOfFile: lab.root + "/sent-mail", encoding: .utf8)) ?? "" }
        #expect(try eventually(within: 5) { mail().contains("syslog check failed") && mail().contains("Log: /var/log/messages") }, "\(mail())")
    }

    @Test func aFloodIsToldOnceAndEveryLineIsStillRead() throws {
        let lab = try NetLab(peers: 1)
        let p1 = lab.peers[0]
        let auth = lab.root + "/auth.log"
        try "".write(toFile: auth, atomically: true, encoding: .utf8)
        try lab.setConfig(["TCP_IN": "22", "SSHD_LOG": auth, "LF_SSHD": "3", "LF_SSHD_PERM": "60", "LF_PARSE": "5", "LOGFLOOD_ALERT": "1"])
        #expect(try lab.csf("-s").status == 0)
        #expect(try lab.lfd().status == 0)
        let noise = (0..<12_000).map { "Jan  5 09:05:00 web1 sshd[1]: Connection closed by 192.0.2.200 port \($0) [preauth]" }
        let attack = (1...3).map { "Jan  5 09:05:01 web1 sshd[2\($0)]: Failed password for root from \(p1.v4) port 5\($0)022 ssh2" }
        try lab.appendLog(auth, noise + attack)
        #expect(try eventually(within: 10) { lab.lfdLog.contains("(sshd) Failed SSH login from \(p1.v4)") }, "the lines after the flood are read\n\(lab.lfdLog)")
        #expect(lab.lfdLog.contains("*Error* Log line flooding/looping in \(auth) (more than 5000 lines in 5 secs); every line is still read"), "\(lab.lfdLog)")
        #expect(lab.lfdLog.components(separatedBy: "Log line flooding").count == 2, "told once")
        let mail = { (try? String(contentsOfFile: lab.root + "/sent-mail", encoding: .utf8)) ?? "" }
        #expect(try eventually(within: 5) { mail().contains("log flooding") }, "\(mail())")
    }
}

/// RESTRICT_SYSLOG: a user forging sshd's lines through syslog must not get anyone blocked.
@Suite(.serialized, .enabled(if: NetLab.available && RealDaemons.present(["/usr/sbin/rsyslogd", "/lib/systemd/systemd-journald"]),
                             "needs root, rsyslog and journald"))
struct RestrictSyslogKernelTests {
    static func forged(_ ip: String, _ n: Int) -> String { "Failed password for root from \(ip) port 5\(n)022 ssh2" }

    @Test func withTheJournalOnlyEntriesOfRootAndSystemAccountsCount() throws {
        let lab = try NetLab(peers: 2)
        let (victim, attacker) = (lab.peers[0], lab.peers[1])
        try lab.setConfig(["TCP_IN": "22", "LF_SSHD": "3", "LF_SSHD_PERM": "60", "RESTRICT_SYSLOG": "1"])
        #expect(try lab.csf("-s").status == 0)
        let host = try PrivateHost(lab: lab, way: .journal)
        defer { host.stop() }
        let started = try host.start(daemons: "")
        try #require(started.status == 0 && started.stdout.contains("lfd: started"), "\(started)\n\(host.logs)")
        #expect(!lab.lfdLog.contains("LF_SSHD turned off"), "SSHD_LOG is the journal here: kept\n\(lab.lfdLog)")
        for n in 1...4 {
            let r = try host.run(["setpriv", "--reuid=2001", "--regid=2001", "--clear-groups", "logger", "-t", "sshd", Self.forged(victim.v4, n)])
            #expect(r.status == 0, "alice may log\n\(r)")
        }
        #expect(try eventually(within: 10) { lab.lfdLog.contains("journal entries from untrusted users ignored") }, "\(lab.lfdLog)\n\(host.logs)")
        #expect(!lab.lfdLog.contains("Failed SSH login from \(victim.v4)"), "alice's forged lines block no one")
        for n in 1...3 { _ = try host.run(["logger", "-t", "sshd", Self.forged(attacker.v4, n)]) }
        #expect(try eventually(within: 10) { lab.lfdLog.contains("(sshd) Failed SSH login from \(attacker.v4)") }, "\(lab.lfdLog)")
    }

    @Test func withFilesOneTurnsTheChecksOffAndThreeRestrictsDevLog() throws {
        let lab = try NetLab(peers: 1)
        let attacker = lab.peers[0]
        try lab.setConfig(["TCP_IN": "22", "SSHD_LOG": "/var/log/auth.log", "LF_SSHD": "3", "LF_SSHD_PERM": "60", "RESTRICT_SYSLOG": "3"])
        #expect(try lab.csf("-s").status == 0)
        let host = try PrivateHost(lab: lab, way: .traditional)
        defer { host.stop() }
        let started = try host.start(daemons: "", extraUsers: ["mysyslog:x:2100:2100::/:/usr/sbin/nologin"])
        try #require(started.status == 0 && started.stdout.contains("lfd: started"), "\(started)\n\(host.logs)")
        #expect(try eventually(within: 10) { (try? host.run(["stat", "-c", "%g %a", "/dev/log"]).stdout) == "2100 660\n" }, "\(lab.lfdLog)")
        #expect(lab.lfdLog.contains("RESTRICT_SYSLOG = 3: /dev/log restricted to group mysyslog (mode 0660)"), "\(lab.lfdLog)")
        let denied = try host.run(["setpriv", "--reuid=2001", "--regid=2001", "--clear-groups", "logger", "--socket-errors=on", "-t", "sshd", Self.forged("192.0.2.99", 1)])
        #expect(denied.status != 0 && denied.stderr.contains("Permission denied"), "alice cannot write to syslog any more\n\(denied)")
        for n in 1...3 { _ = try host.run(["logger", "-t", "sshd", "-p", "auth.info", Self.forged(attacker.v4, n)]) }
        #expect(try eventually(within: 10) { lab.lfdLog.contains("(sshd) Failed SSH login from \(attacker.v4)") }, "the checks stay on\n\(lab.lfdLog)")
        #expect(!host.file("/var/log/auth.log").contains("192.0.2.99"))
        // A restarted syslog daemon makes its socket again: restricted again at the next tick.
        _ = try host.run(["chmod", "0666", "/dev/log"])
        #expect(try eventually(within: 10) { (try? host.run(["stat", "-c", "%a", "/dev/log"]).stdout) == "660\n" })

        lab.stopLfd()
        try lab.setConfig(["RESTRICT_SYSLOG": "1"])
        let again = try host.run(["env", "CSF_ROOT=\(lab.root)", "NFTCSF_FORBID_NETNS=\(NetLab.rootNetns)", "NFTCSF_PROCESS_SCOPE=0",
                                  "NFTCSF_DETECTORS=\(Repo.path("compat/detectors"))", NetLab.lfdBinary])
        #expect(again.status == 0, "\(again)")
        #expect(try eventually(within: 5) { lab.lfdLog.contains("*WARNING* RESTRICT_SYSLOG = 1: LF_SSHD") && lab.lfdLog.contains(" turned off") }, "\(lab.lfdLog)")
    }
}
