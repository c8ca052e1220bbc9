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

        let pid = try #require(Int32((try String(contentsOfFile: host.dir + "/pids/rsyslogd.pid", encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(pid, SIGKILL)
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
