import Testing
@testable import CsfCompat
@testable import LfdCore

/// Issue 16 (login alerts): the logins csf's lfd mails about, read from their daemons' lines in any syslog header,
/// with csf's lfd.log wording; root's su and sudo and other lines are not reported.
@Suite struct LoginAlertTests {
    @Test func sshLoginsInEveryHeader() {
        let lines = [
            "Dec  1 13:15:22 vm sshd[4930]: Accepted publickey for alice from 198.51.100.2 port 50022 ssh2: ED25519 SHA256:abc",
            "2026-12-01T13:15:22.123456+00:00 vm sshd-session[4930]: Accepted publickey for alice from 198.51.100.2 port 50022 ssh2: ED25519 SHA256:abc",
            "<38>1 2026-12-01T13:15:22.123456+00:00 vm sshd 4930 - -  Accepted publickey for alice from 198.51.100.2 port 50022 ssh2",
        ]
        for line in lines {
            let a = LoginAlert.parse(line, key: "SSHD_LOG")
            #expect(a == .ssh(ip: IPAddress("198.51.100.2")!, account: "alice", method: "publickey"), "\(line)")
            #expect(a?.message == "*SSH login* from 198.51.100.2 into the alice account using publickey authentication")
        }
        let password = LoginAlert.parse("Dec  1 13:15:22 vm sshd[1]: Accepted password for root from 2001:db8::7 port 22 ssh2", key: "SSHD_LOG")
        #expect(password == .ssh(ip: IPAddress("2001:db8::7")!, account: "root", method: "password"))
        #expect(password?.alert(line: "x").values["method"] == "password")
        #expect(LoginAlert.parse("Dec  1 13:15:22 vm sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2", key: "SSHD_LOG") == nil)
        #expect(LoginAlert.parse("Dec  1 13:15:22 vm sshd[1]: Accepted password for root from 192.0.2.1 port 22 ssh2", key: "SU_LOG") == nil)
        #expect(LoginAlert.parse("Dec  1 13:15:22 vm cron[1]: Accepted password for root from 192.0.2.1 port 22", key: "SSHD_LOG") == nil,
                "another program's words are not sshd's")
    }

    @Test func suSudoConsoleAndWebmin() {
        let su = LoginAlert.parse("Dec  1 13:20:01 vm su[812]: pam_unix(su-l:session): session opened for user root(uid=0) by alice(uid=2001)", key: "SU_LOG")
        #expect(su == .su(from: "alice", to: "root", success: true))
        #expect(su?.message == "*SU login* from account alice to account root: Successful login")
        let unnamed = LoginAlert.parse("Dec  1 13:20:01 vm su[812]: pam_unix(su:session): session opened for user alice(uid=2001) by (uid=2001)",
                                       key: "SU_LOG", userName: { $0 == 2001 ? "alice" : nil })
        #expect(unnamed == .su(from: "alice", to: "alice", success: true), "PAM named no one: the uid is looked up")
        #expect(LoginAlert.parse("Dec  1 13:20:01 vm su[812]: pam_unix(su:session): session opened for user bob(uid=2002) by (uid=2003)",
                                 key: "SU_LOG") == .su(from: "(uid=2003)", to: "bob", success: true))
        let suFailed = LoginAlert.parse("Dec  1 13:20:01 vm su[812]: pam_unix(su:auth): authentication failure; logname=alice uid=2001 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=root", key: "SU_LOG")
        #expect(suFailed == .su(from: "alice", to: "root", success: false))
        #expect(LoginAlert.parse("Dec  1 13:20:01 vm su[812]: pam_unix(su:session): session opened for user alice(uid=2001) by (uid=0)", key: "SU_LOG") == nil,
                "root's su is not reported")
        let sudo = LoginAlert.parse("Dec  1 13:21:00 vm sudo[900]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id", key: "SUDO_LOG")
        #expect(sudo == .sudo(from: "alice", to: "root", success: true))
        let refused = LoginAlert.parse("Dec  1 13:21:00 vm sudo[900]:      bob : user NOT in sudoers ; TTY=pts/0 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/id", key: "SUDO_LOG")
        #expect(refused == .sudo(from: "bob", to: "root", success: false))
        #expect(refused?.alert(line: "x").values["status"] == "Failed login")
        #expect(LoginAlert.parse("Dec  1 13:21:00 vm sudo[900]:     root : TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/usr/bin/id", key: "SUDO_LOG") == nil)
        let console = LoginAlert.parse("Dec  1 13:22:00 vm login[700]: ROOT LOGIN  on '/dev/tty1'", key: "SSHD_LOG")
        #expect(console?.message == "*CONSOLE login* to root")
        let webmin = LoginAlert.parse("Dec  1 13:23:00 vm webmin[600]: Successful login as admin from 203.0.113.9", key: "WEBMIN_LOG")
        #expect(webmin == .webmin(ip: IPAddress("203.0.113.9")!, account: "admin"))
        #expect(webmin?.message == "*Webmin login* from 203.0.113.9 into the admin account")
    }
}

@Suite struct CpanelAlertTests {
    @Test func aServedWHMPageIsAnAccessAndAnythingElseIsNot() {
        let line = "192.0.2.7 - root [12/01/2026:15:30:00 -0000] \"GET /cpsess8765/scripts/command HTTP/1.1\" 200 0 \"https://host:2087/\" \"Mozilla/5.0\" \"s\" \"-\" 2087"
        let alert = LoginAlert.parse(line, key: "CPANEL_ACCESSLOG")
        #expect(alert == .cpanel(ip: IPAddress("192.0.2.7")!, user: "root"))
        #expect(alert?.message == "*WHM/cPanel root access* from 192.0.2.7")
        #expect(alert?.alert(line: line).template == "cpanelalert.txt")
        #expect(LoginAlert.parse(line.replacingOccurrences(of: "\" 200 ", with: "\" 401 "), key: "CPANEL_ACCESSLOG") == nil)
        #expect(LoginAlert.parse("192.0.2.7 - - [12/01/2026:15:30:00 -0000] \"GET / HTTP/1.1\" 200 0", key: "CPANEL_ACCESSLOG") == nil, "no account")
        #expect(LoginAlert.parse(line, key: "SSHD_LOG") == nil)
    }
}
