import Foundation
import Testing
import CsfTestSupport

/// Issue 17: the log scanner (LOGSCANNER, csf.logfiles, csf.logignore, csf -lr) and X-ARF abuse reports, mailed
/// through the lab's sendmail.
@Suite(.serialized, .enabled(if: NetLab.available, "needs root"))
struct LogScannerKernelTests {
    static func mail(_ lab: NetLab) -> String { (try? String(contentsOfFile: lab.root + "/sent-mail", encoding: .utf8)) ?? "" }

    @Test func theReportHoldsTheLinesNotIgnoredGroupedByFileAndIsSentOnRequest() throws {
        let lab = try NetLab(peers: 1)
        let app = lab.root + "/app.log", logs = lab.root + "/logs"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        for path in [app, logs + "/a.log", logs + "/b.log"] { FileManager.default.createFile(atPath: path, contents: nil) }
        try lab.write("csf.logfiles", "\(app)\n\(logs)/*.log\n")
        try lab.write("csf.logignore", "routine noise\n^DEBUG\n")
        let off = try lab.csf("-lr")
        #expect(off.status == 1 && (off.stdout + off.stderr).contains("Option LOGSCANNER needs to be enabled in csf.conf for this feature"), "\(off)")
        try lab.setConfig(["LOGSCANNER": "1", "LOGSCANNER_INTERVAL": "manual", "LOGSCANNER_LINES": "4", "LF_PARSE": "1"])
        #expect(try lab.csf("-s").status == 0)
        #expect(try lab.lfd().status == 0)
        #expect(try eventually(within: 5) { lab.lfdLog.contains("Log Scanner: 3 file(s) of csf.logfiles, 2 csf.logignore expression(s), reports manual") }, "\(lab.lfdLog)")
        try lab.appendLog(app, ["Dec  1 10:00:00 web1 app[1]: disk almost full", "Dec  1 10:00:01 web1 app[1]: routine noise here"])
        try lab.appendLog(logs + "/b.log", ["DEBUG chatter", "Dec  1 10:00:02 web1 kernel: \u{1b}[31mI/O error on sda"])
        try lab.appendLog(app, ["Dec  1 10:00:03 web1 app[1]: disk full"])
        usleep(1_500_000)
        let r = try lab.csf("-lr")
        #expect(r.status == 0 && r.stdout.contains("lfd will send the log scanner report"), "\(r)")
        #expect(try eventually(within: 5) { Self.mail(lab).contains("log scanner report for hour") }, "\(lab.lfdLog)")
        let mail = Self.mail(lab)
        #expect(mail.contains("3 lines"), "\(mail)")
        #expect(mail.contains("\(app):\nDec  1 10:00:00 web1 app[1]: disk almost full\nDec  1 10:00:03 web1 app[1]: disk full\n"), "\(mail)")
        #expect(mail.contains("\(logs)/b.log:\nDec  1 10:00:02 web1 kernel: \\x1b[31mI/O error on sda"), "control bytes are shown, not sent\n\(mail)")
        #expect(!mail.contains("routine noise") && !mail.contains("DEBUG chatter"))
        #expect(((try? String(contentsOfFile: lab.root + "/var/lib/csf/csf.logtemp", encoding: .utf8)) ?? "x").isEmpty, "emptied after the report")

        // Past LOGSCANNER_LINES the report says it was cut.
        try lab.appendLog(app, (1...6).map { "Dec  1 11:00:0\($0) web1 app[1]: line \($0)" })
        usleep(1_500_000)
        #expect(try lab.csf("-lr").status == 0)
        #expect(try eventually(within: 5) { Self.mail(lab).contains("...Report truncated as it exceeded 4 of log lines...") }, "\(Self.mail(lab))")
        #expect(Self.mail(lab).contains("line 4") && !Self.mail(lab).contains("line 5"))
    }

    @Test func aBrokenLogignoreExpressionStopsLfdWithItsFileAndLine() throws {
        let lab = try NetLab(peers: 1)
        try lab.write("csf.logignore", "fine\n(unclosed\n")
        try lab.setConfig(["LOGSCANNER": "1"])
        #expect(try lab.csf("-s").status == 0)
        let r = try lab.lfd()
        #expect(r.status != 0 && r.stderr.contains("csf.logignore:2: error: invalid regular expression"), "\(r.stdout)\(r.stderr)")
    }

    /// X_ARF: a login-failure block sends an X-ARF report to X_ARF_TO; a log line carrying a MIME boundary of
    /// its own stays inside the evidence part.
    @Test func aBlockSendsAnXArfReport() throws {
        let lab = try NetLab(peers: 1)
        let auth = lab.root + "/auth.log", ip = lab.peers[0].v4
        FileManager.default.createFile(atPath: auth, contents: nil)
        try lab.setConfig(["SSHD_LOG": auth, "LF_SSHD": "3", "LF_SSHD_PERM": "60", "X_ARF": "1", "X_ARF_TO": "abuse-desk@example.net",
                           "X_ARF_FROM": "noc@example.org", "LF_EMAIL_ALERT": "0"])
        #expect(try lab.csf("-s").status == 0)
        #expect(try lab.lfd().status == 0)
        try lab.appendLog(auth, (1...3).map { "Jan  5 09:05:0\($0) web1 sshd[22\($0)]: Failed password for invalid user --Abuse-x from \(ip) port 5\($0)022 ssh2" })
        #expect(try eventually(within: 5) { Self.mail(lab).contains("X-XARF: PLAIN") }, "\(lab.lfdLog)")
        let mail = Self.mail(lab)
        #expect(mail.contains("To: abuse-desk@example.net") && mail.contains("From: noc@example.org"), "\(mail)")
        #expect(mail.contains("Subject: abuse report about \(ip) - "))
        #expect(mail.contains("Source: \(ip)\n") && mail.contains("Source-Type: ipv4") && mail.contains("Report-Type: login-attack") && mail.contains("Service: sshd"))
        #expect(mail.contains("Reported-From: noc@example.org"))
        let boundary = mail.components(separatedBy: "boundary=\"Abuse-").dropFirst().first?.prefix(24) ?? ""
        #expect(boundary.count == 24 && boundary.allSatisfy(\.isHexDigit), "a random boundary: \(boundary)")
        #expect(mail.contains("Failed password for invalid user --Abuse-x from \(ip)"))
        #expect(!mail.contains("lfd on") , "LF_EMAIL_ALERT = 0: only the X-ARF report")
    }

    /// X_ARF_ABUSE: the abuse contact of the blocked address, from a real BIND answering for
    /// abuse-contacts.abusix.org in a private host (whose resolv.conf names 127.0.0.1), gets the report too; a
    /// TXT answer that tries to add a header is not used.
    @Test func xArfAbuseAddsTheAbuseContactFromDNS() throws {
        let lab = try NetLab(peers: 2)
        let host = try PrivateHost(lab: lab, way: .traditional)
        defer { host.stop() }
        let (p1, p2) = (lab.peers[0], lab.peers[1])
        func reversed(_ v4: String) -> String { v4.split(separator: ".").reversed().joined(separator: ".") }
        let d = host.dir + "/bind"
        try DaemonMatrix.mkdir(d, mode: 0o777)
        try DaemonMatrix.write("""
        $TTL 300
        @ IN SOA ns.abusix.test. admin.abusix.test. 1 300 300 3000 300
        @ IN NS ns.abusix.test.
        \(reversed(p1.v4)) IN TXT "abuse@net-one.example"
        \(reversed(p2.v4)) IN TXT "abuse@net-two.example\\010Bcc: everyone@example.org"

        """, d + "/abusix.zone")
        try DaemonMatrix.writeNamedConf(d, zone: "abuse-contacts.abusix.org", file: d + "/abusix.zone")
        let auth = "/var/log/auth.log"
        try lab.setConfig(["SSHD_LOG": auth, "LF_SSHD": "2", "LF_SSHD_PERM": "60", "X_ARF": "1", "X_ARF_TO": "desk@example.net",
                           "X_ARF_FROM": "noc@example.org", "X_ARF_ABUSE": "1", "LF_EMAIL_ALERT": "0", "LF_PARSE": "1"])
        #expect(try lab.csf("-s").status == 0)
        let started = try host.start(daemons: """
        run named /usr/sbin/named -f -u bind -c \(d)/named.conf
        """)
        #expect(started.status == 0, "\(started.stdout)\(started.stderr)\n\(host.logs)")
        #expect(try eventually(within: 10) {
            // named listens on the lab's loopback (the firewall namespace), where lfd asks.
            try Shell.run(["ip", "netns", "exec", lab.fw, "dig", "+short", "+time=1", "+tries=1", "@127.0.0.1", "TXT",
                           "\(reversed(p1.v4)).abuse-contacts.abusix.org"]).stdout.contains("net-one")
        }, "\(host.logs)")
        for (peer, n) in [(p1, 1), (p2, 3)] {
            let lines = (n...(n + 1)).map { "Jan  5 09:05:0\($0) web1 sshd[22\($0)]: Failed password for root from \(peer.v4) port 5\($0)022 ssh2" }
            #expect(try host.run(["sh", "-c", lines.map { "logger -p auth.info -t sshd --id=22 '\($0.split(separator: ":", maxSplits: 3).last.map { String($0.dropFirst()) } ?? "")'" }.joined(separator: "; ")]).status == 0)
        }
        let mail = { host.file("/run/sendmail.out") + ((try? String(contentsOfFile: lab.root + "/sent-mail", encoding: .utf8)) ?? "") }
        #expect(try eventually(within: 15) { mail().components(separatedBy: "X-XARF: PLAIN").count == 3 }, "\(mail())\n\(lab.lfdLog)\n\(host.logs)")
        let reports = ("\n" + mail()).components(separatedBy: "\nFrom: noc@example.org\nTo: ").dropFirst().map { "To: " + $0 }
        let one = reports.first { $0.contains("Source: \(p1.v4)\n") } ?? ""
        let two = reports.first { $0.contains("Source: \(p2.v4)\n") } ?? ""
        #expect(one.contains("To: desk@example.net,abuse@net-one.example") && one.contains("Abuse Contact for \(p1.v4): [abuse@net-one.example]"), "\(one)")
        #expect(two.contains("To: desk@example.net\n") && !two.contains("everyone@example.org") && !two.contains("Abuse Contact for"), "\(two)")
    }
}
