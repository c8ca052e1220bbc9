import Foundation
import Testing
import CsfTestSupport

enum RealDaemons {
    /// Under CI=true the tests run whatever is installed, so a missing daemon fails them instead of skipping.
    static func present(_ paths: [String]) -> Bool {
        ProcessInfo.processInfo.environment["CI"] == "true" || paths.allSatisfy {
            $0.hasSuffix(".so") ? FileManager.default.isReadableFile(atPath: $0) : FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// SIGTERM to a daemon's master, then SIGKILL to what is left of its process group (it made itself a session
    /// leader when it daemonized) so no worker outlives the test. Only processes whose command line holds
    /// `marker`: once the group is empty its number may be another daemon's.
    static func stop(pidFile: String, marker: String) {
        guard let master = Daemon.named(byPidFile: pidFile, marker: marker) else { return }
        Daemon.stop(master)
        for worker in Daemon.group(master.pid, marker: marker) { worker.signal(SIGKILL) }
    }

    /// Dovecot 2.3 on IMAP 1143 and POP3 1110, plain-text logins, user alice/secret in `dir`/passwd, logging to
    /// `logPath` (a file, or /dev/stderr) with `timestamp`.
    static func dovecotConfig(dir: String, logPath: String, timestamp: String) -> String {
        """
        base_dir = \(dir)/run
        state_dir = \(dir)/state
        protocols = imap pop3
        listen = *
        ssl = no
        disable_plaintext_auth = no
        auth_mechanisms = plain login
        log_path = \(logPath)
        log_timestamp = "\(timestamp)"
        default_login_user = dovenull
        default_internal_user = dovecot
        passdb {
          driver = passwd-file
          args = scheme=PLAIN \(dir)/passwd
        }
        userdb {
          driver = static
          args = uid=65534 gid=65534 home=\(dir)/mail/%u
        }
        mail_location = maildir:\(dir)/mail/%u
        service imap-login {
          inet_listener imap {
            port = 1143
          }
          inet_listener imaps {
            port = 0
          }
        }
        service pop3-login {
          inet_listener pop3 {
            port = 1110
          }
          inet_listener pop3s {
            port = 0
          }
        }
        """
    }

    /// A directory Dovecot's unprivileged login processes may traverse (the lab's own root is 0700).
    static func dovecotDirectory() throws -> String {
        let dir = "/tmp/nftcsf-dovecot-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        for sub in ["", "/run", "/state", "/mail"] {
            try FileManager.default.createDirectory(atPath: dir + sub, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir)
        try "alice:{PLAIN}secret\n".write(toFile: dir + "/passwd", atomically: true, encoding: .utf8)
        return dir
    }

    /// Shell text (bash) that closes every descriptor above 2: Foundation's Process leaks the test's output pipe
    /// to children, and a daemon started after it would keep the test waiting for end of file. No redirection may
    /// wrap the loop: bash would keep the real stderr in a spare descriptor the loop then closes, and everything
    /// after (lfd's own error included) would go to /dev/null. Only descriptors still open are closed, so nothing
    /// needs silencing.
    static let closeInherited = #"for fd in $(ls /proc/$$/fd); do if [ "$fd" -gt 2 ] && [ -e /proc/$$/fd/$fd ]; then eval "exec $fd>&-"; fi; done"#

    /// Shell text that leaves a daemon started after it no descriptor but /dev/null on 0-2.
    static let detached = #"for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done 2>/dev/null; exec </dev/null >/dev/null 2>&1; "#
}

/// Issue 14's real-daemon matrix, as far as it goes: the Debian package's daemon runs for real in the firewall
/// namespace (own config, ports, directories; never the host's service), a peer fails to log in with an
/// ordinary client library, another logs in, and lfd bans the first from the daemon's own log lines.
@Suite(.serialized, .enabled(if: NetLab.available && RealDaemons.present(["/usr/sbin/dovecot"]), "needs root and dovecot (Tests/run.sh installs it)"))
struct RealDaemonKernelTests {
    /// Dovecot 2.3 (IMAP and POP3), logging to its own file (`log_path`), read as IMAPD_LOG and POP3D_LOG.
    @Test func dovecotFailuresAreBannedAndSuccessesNeverCounted() throws {
        let lab = try NetLab(peers: 3)
        let (imapAttacker, user, popAttacker) = (lab.peers[0], lab.peers[1], lab.peers[2])
        let dir = try RealDaemons.dovecotDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/dovecot.log"
        try RealDaemons.dovecotConfig(dir: dir, logPath: log, timestamp: "%b %d %H:%M:%S ")
            .write(toFile: dir + "/dovecot.conf", atomically: true, encoding: .utf8)
        try "".write(toFile: log, atomically: true, encoding: .utf8)

        try lab.setConfig(["TCP_IN": "22,1110,1143", "IMAPD_LOG": log, "POP3D_LOG": log, "LF_IMAPD": "3", "LF_POP3D": "3",
                           "LF_IMAPD_PERM": "120", "LF_POP3D_PERM": "120", "LF_SSHD": "0", "LF_TRIGGER": "0", "LF_PERMBLOCK": "0"])
        #expect(try lab.csf("-s").status == 0)
        // Dovecot daemonizes: the descriptors Foundation's Process leaks to children are closed first, or the
        // daemon would hold the test's output pipe open.
        let start = try Shell.run(["ip", "netns", "exec", lab.fw, "bash", "-c",
                                   RealDaemons.detached + "exec /usr/sbin/dovecot -c \"$0\" 2>\"$0.err\"", dir + "/dovecot.conf"])
        #expect(start.status == 0, "\((try? String(contentsOfFile: dir + "/dovecot.conf.err", encoding: .utf8)) ?? "")")
        defer { RealDaemons.stop(pidFile: dir + "/run/master.pid", marker: "dovecot") }
        #expect(try eventually(within: 5) { try lab.tcpOpen(from: user, port: 1143, timeout: 0.3) })
        let r = try lab.lfd()
        #expect(r.status == 0, "\(r)")

        func logins(_ peer: NetLab.Peer, _ proto: String, _ port: Int, _ name: String, _ password: String, _ attempts: Int) throws -> String {
            try lab.peerRun(peer, ["mail-login", proto, peer.fwV4, String(port), name, password, String(attempts)])
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try logins(user, "imap", 1143, "alice", "secret", 1) == "1", "the real daemon accepts a real login")
        #expect(try logins(user, "pop3", 1110, "alice", "secret", 1) == "1")
        #expect(try logins(imapAttacker, "imap", 1143, "alice", "guess", 3) == "0")
        #expect(try logins(popAttacker, "pop3", 1110, "bob", "guess", 3) == "0")

        #expect(try eventually(within: 10) {
            lab.lfdLog.contains("(imapd) Failed IMAP login from \(imapAttacker.v4) (-): 3 in the last")
                && lab.lfdLog.contains("(pop3d) Failed POP3 login from \(popAttacker.v4) (-): 3 in the last")
        }, "\(lab.lfdLog)\n\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        #expect(try !lab.tcpOpen(from: imapAttacker, port: 1143, timeout: 0.5), "the IMAP attacker is banned")
        #expect(try !lab.tcpOpen(from: popAttacker, port: 1110, timeout: 0.5), "the POP3 attacker is banned")
        #expect(try logins(user, "imap", 1143, "alice", "secret", 1) == "1", "the user who logged in is not")
        #expect(!lab.lfdLog.contains(user.v4), "successful logins are never counted")
    }
}
