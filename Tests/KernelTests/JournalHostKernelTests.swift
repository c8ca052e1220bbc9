import Foundation
import Testing
import CsfTestSupport

enum JournalHost {
    /// Under CI=true the test runs whatever is installed, so a missing tool fails it instead of skipping it.
    static var toolsPresent: Bool {
        ProcessInfo.processInfo.environment["CI"] == "true" || ["/usr/sbin/sshd", "/usr/bin/sshpass", "/lib/systemd/systemd-journald", "/usr/bin/systemd-cat"]
            .allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// A host like a fresh Debian 12: no rsyslog, so no /var/log/secure or auth.log, and sshd's messages only in the
/// journal. The firewall namespace gets a private mount namespace with its own /run and /var/log (tmpfs) and a
/// private systemd-journald; a real sshd logs into it; csf and lfd run on the shipped csf.conf with only TESTING
/// turned off, and a peer's failed SSH logins end in a ban its packets prove (issue 13).
@Suite(.serialized, .enabled(if: NetLab.available && JournalHost.toolsPresent, "needs root, sshd, sshpass and systemd-journald"))
struct JournalHostKernelTests {
    @Test func journalOnlySshdOnTheShippedDefaultsIsBanned() throws {
        let lab = try NetLab(peers: 1)
        let peer = lab.peers[0]
        // The shipped csf.conf as it is, TESTING aside: SSHD_LOG still names Red Hat's /var/log/secure.
        try Shell.check(["cp", Repo.path("compat/etc/csf/csf.conf"), lab.etc + "/csf.conf"])
        try lab.setConfig(["TESTING": "0", "SENDMAIL": lab.root + "/sendmail"])
        #expect(try lab.csf("-s").status == 0)

        let host = try PrivateHost(lab: lab, way: .journal)
        defer { host.stop() }
        let dir = host.dir
        try Shell.check(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir + "/hostkey"])
        try """
        Port 22
        HostKey \(dir)/hostkey
        PasswordAuthentication yes
        KbdInteractiveAuthentication no
        UsePAM no
        PermitRootLogin yes
        PidFile \(dir)/sshd.pid
        MaxStartups 50
        """.write(toFile: dir + "/sshd_config", atomically: true, encoding: .utf8)
        // sshd's messages go to the journal only, as under systemd (stderr into a journal stream).
        let started = try host.start(daemons: """
            mkdir -p /run/sshd
            run sshd bash -c '/usr/sbin/sshd -D -e -f \(dir)/sshd_config 2>&1 | systemd-cat -t sshd'
            for i in $(seq 100); do [ -s \(dir)/sshd.pid ] && break; sleep 0.05; done
            """)
        #expect(started.status == 0 && started.stdout.contains("lfd: started"), "\(started)")
        #expect(lab.lfdLog.contains("SSHD_LOG: /var/log/secure does not exist; reading the journal"), "\(lab.lfdLog)")
        #expect(lab.lfdLog.contains("Watching journal:SYSLOG_IDENTIFIER=sshd,SYSLOG_IDENTIFIER=sshd-session,SYSLOG_IDENTIFIER=login..."))
        #expect(try lab.tcpOpen(from: peer, port: 22))

        func failLogin() throws {
            _ = try Shell.run(["ip", "netns", "exec", peer.ns, "timeout", "8", "sshpass", "-p", "wrong-password", "ssh",
                               "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "PubkeyAuthentication=no",
                               "-o", "PreferredAuthentications=password", "-o", "NumberOfPasswordPrompts=1", "-o", "ConnectTimeout=2",
                               "root@\(peer.fwV4)", "true"])
        }
        // LF_SSHD = "5" as shipped; the client's "none" probe and its password each log a failure.
        var attempts = 0
        while !lab.lfdLog.contains("*Blocked in csf*"), attempts < 6 {
            try failLogin()
            attempts += 1
            _ = try eventually(within: 1) { lab.lfdLog.contains("*Blocked in csf*") }
        }
        #expect(lab.lfdLog.contains("(sshd) Failed SSH login from \(peer.v4) (-): 5 in the last 3600 secs - *Blocked in csf* [LF_SSHD]"), "\(lab.lfdLog)")
        #expect(try !lab.tcpOpen(from: peer, port: 22, timeout: 0.5), "the peer's SYN is dropped")
        #expect(lab.file("csf.deny").contains("\(peer.v4) # lfd: (sshd) Failed SSH login"), "LF_SSHD_PERM = 1: permanent")
    }

    /// Dovecot logging to the journal only (as under systemd, stderr into a journal stream), the shipped csf.conf
    /// with LF_IMAPD on: IMAPD_LOG names Red Hat's /var/log/maillog, lfd reads dovecot's journal entries instead,
    /// and a peer's failed IMAP logins end in a ban (issue 14: a real daemon, the journal format).
    @Test(.enabled(if: RealDaemons.present(["/usr/sbin/dovecot"]), "needs dovecot"))
    func journalOnlyDovecotIsBanned() throws {
        let lab = try NetLab(peers: 2)
        let (attacker, user) = (lab.peers[0], lab.peers[1])
        try Shell.check(["cp", Repo.path("compat/etc/csf/csf.conf"), lab.etc + "/csf.conf"])
        try lab.setConfig(["TESTING": "0", "SENDMAIL": lab.root + "/sendmail", "TCP_IN": "22,1143", "LF_IMAPD": "3", "LF_IMAPD_PERM": "120"])
        #expect(try lab.csf("-s").status == 0)
        let dir = try RealDaemons.dovecotDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try RealDaemons.dovecotConfig(dir: dir, logPath: "/dev/stderr", timestamp: "")
            .write(toFile: dir + "/dovecot.conf", atomically: true, encoding: .utf8)
        let host = try PrivateHost(lab: lab, way: .journal)
        defer { host.stop() }
        // Its own session, so that stopping it reaches every worker; stderr into a journal stream as under systemd.
        let started = try host.start(daemons: """
            run dovecot bash -c '/usr/sbin/dovecot -F -c \(dir)/dovecot.conf 2>&1 | systemd-cat -t dovecot'
            for i in $(seq 100); do [ -s \(dir)/run/master.pid ] && break; sleep 0.05; done
            """)
        #expect(started.status == 0 && started.stdout.contains("lfd: started"), "\(started)")
        #expect(lab.lfdLog.contains("IMAPD_LOG: /var/log/maillog does not exist; reading the journal"), "\(lab.lfdLog)")
        func logins(_ peer: NetLab.Peer, _ password: String, _ attempts: Int) throws -> String {
            try lab.peerRun(peer, ["mail-login", "imap", peer.fwV4, "1143", "alice", password, String(attempts)])
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try logins(user, "secret", 1) == "1", "a real login")
        #expect(try logins(attacker, "guess", 3) == "0")
        #expect(try eventually(within: 10) { lab.lfdLog.contains("(imapd) Failed IMAP login from \(attacker.v4) (-): 3 in the last") }, "\(lab.lfdLog)")
        #expect(try !lab.tcpOpen(from: attacker, port: 1143, timeout: 0.5), "the attacker's SYN is dropped")
        #expect(try logins(user, "secret", 1) == "1", "the user is not banned")
    }
}
