import Foundation
import CsfTestSupport
import Testing

/// One way of failing to log in to a daemon, from one peer: what lfd must say, after how many lines, and which
/// port the ban must close.
struct MatrixAttack: Sendable {
    let name: String
    /// lfd.log's text before the address: "(sshd) Failed SSH login from".
    let expect: String
    /// The csf.conf key holding the trigger; the matrix sets it (and only it counts these lines).
    let trigger: String
    /// Lines csf counts for one attempt (sshd logs "Invalid user" and "Failed ... for invalid user" for one try).
    let linesPerAttempt: Int
    let port: Int
    /// lfd.log's ban text for an address and the trigger; `expect IP (-): N in the last` unless given.
    var banned: (@Sendable (String, Int) -> String)? = nil
    /// csf's Apache counters block on going past the trigger, not on reaching it.
    var overTrigger = false
    /// One attempt from the peer (the private host's directory holds the daemon's files).
    let attempt: @Sendable (NetLab, NetLab.Peer, _ dir: String) throws -> Void
}

/// A real daemon of a Debian package, configured privately (own ports, directories and users, in the private
/// host's mount namespace), with a login that must succeed and attacks that must end in bans.
struct MatrixDaemon: Sendable {
    let name: String
    let binaries: [String]
    let ways: [LogWay]
    let tcp: [Int]
    /// csf.conf keys for this daemon (its *_LOG keys name Debian's files; with `.journal` none exists).
    let config: @Sendable (LogWay) -> [String: String]
    /// Writes the daemon's files under `dir` and returns the shell lines that start it (with `run NAME cmd...`).
    let prepare: @Sendable (_ dir: String, _ way: LogWay) throws -> String
    let success: @Sendable (NetLab, NetLab.Peer, _ dir: String) throws -> Bool
    let attacks: [MatrixAttack]
    var extraUsers: [String] = []
}

struct MatrixCase: Sendable, CustomTestStringConvertible {
    let daemon: MatrixDaemon
    let way: LogWay
    var testDescription: String { "\(daemon.name) × \(way.rawValue)" }
}

enum DaemonMatrix {
    static let syslogWays: [LogWay] = [.traditional, .precise, .rfc5424, .journal]

    /// Every daemon × way; `NFTCSF_MATRIX=text` keeps the cases whose name contains it (to work on one daemon).
    static var cases: [MatrixCase] {
        let only = ProcessInfo.processInfo.environment["NFTCSF_MATRIX"] ?? ""
        return [sshd, sshdKeys, dovecot, postfix, exim, vsftpd, proftpd, pureftpd, apache, nginx, bind]
            .flatMap { d in d.ways.map { MatrixCase(daemon: d, way: $0) } }
            .filter { only.isEmpty || $0.testDescription.contains(only) }
    }

    /// A private BIND's named.conf: authoritative for `zone` from `file`, on the namespace's 127.0.0.1:53 only,
    /// every file of its own in `directory`.
    static func writeNamedConf(_ directory: String, zone: String, file: String) throws {
        try write("""
        options {
          directory "\(directory)";
          pid-file "\(directory)/named.pid";
          session-keyfile "\(directory)/session.key";
          managed-keys-directory "\(directory)";
          listen-on port 53 { 127.0.0.1; };
          listen-on-v6 { none; };
          recursion no;
          dnssec-validation no;
        };
        zone "\(zone)" { type primary; file "\(file)"; };
        """, directory + "/named.conf")
    }

    static func write(_ text: String, _ path: String, mode: Int = 0o644) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    static func mkdir(_ path: String, mode: Int = 0o755) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
    }

    static var unpacked: String { Repo.path(".build/unpacked") }

    // MARK: clients (ordinary ones, run in the peer's namespace)

    static func ssh(_ peer: NetLab.Peer, user: String, password: String, method: String) throws -> Shell.Result {
        try Shell.run(["ip", "netns", "exec", peer.ns, "timeout", "8", "sshpass", "-p", password, "ssh",
                       "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "PubkeyAuthentication=no",
                       "-o", "PreferredAuthentications=\(method)", "-o", "NumberOfPasswordPrompts=1", "-o", "ConnectTimeout=3",
                       "\(user)@\(peer.fwV4)", "true"])
    }

    static func count(_ r: Shell.Result) -> Int { Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1 }

    static func curl(_ peer: NetLab.Peer, _ port: Int, _ path: String, user: String? = nil) throws -> Int {
        let r = try Shell.run(["ip", "netns", "exec", peer.ns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5"]
                              + (user.map { ["-u", $0] } ?? []) + ["http://\(peer.fwV4):\(port)\(path)"])
        return Int(r.stdout) ?? 0
    }

    static func dig(_ peer: NetLab.Peer, _ args: [String]) throws -> Shell.Result {
        try Shell.run(["ip", "netns", "exec", peer.ns, "dig", "@\(peer.fwV4)", "-p", "5353", "+time=2", "+tries=1"] + args)
    }

    // MARK: OpenSSH

    /// sshd's files under `dir`/sshd-PORT: a host key, alice's key (authorized) and strangers' keys.
    static func sshd(_ dir: String, port: Int, passwords: Bool) throws -> String {
        let d = dir + "/sshd-\(port)"
        try mkdir(d)
        for key in ["hostkey", "alice"] + (1...7).map({ "stranger\($0)" }) {
            try Shell.check(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", d + "/" + key])
        }
        try write(try String(contentsOfFile: d + "/alice.pub", encoding: .utf8), d + "/authorized_keys")
        // PAM on, as Debian ships it: passwords and keyboard-interactive go through pam_unix.
        try write("""
        Port \(port)
        HostKey \(d)/hostkey
        PidFile \(d)/sshd.pid
        UsePAM yes
        PasswordAuthentication \(passwords ? "yes" : "no")
        KbdInteractiveAuthentication \(passwords ? "yes" : "no")
        PubkeyAuthentication yes
        AuthorizedKeysFile \(d)/authorized_keys
        StrictModes no
        MaxStartups 50
        """, d + "/sshd_config")
        return "mkdir -p /run/sshd\nrun sshd-\(port) /usr/sbin/sshd -D -f \(d)/sshd_config"
    }

    static func keyLogin(_ peer: NetLab.Peer, port: Int, keys: [String]) throws -> Shell.Result {
        try Shell.run(["ip", "netns", "exec", peer.ns, "timeout", "8", "ssh", "-p", String(port)] + keys.flatMap { ["-i", $0] }
                      + ["-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                         "-o", "BatchMode=yes", "-o", "PreferredAuthentications=publickey", "alice@\(peer.fwV4)", "true"])
    }

    static let sshd = MatrixDaemon(
        name: "openssh", binaries: ["/usr/sbin/sshd", "/usr/bin/sshpass"], ways: syslogWays, tcp: [22],
        config: { _ in ["SSHD_LOG": "/var/log/auth.log", "LF_SSHD": "3", "LF_SSHD_PERM": "120"] },
        prepare: { dir, _ in try sshd(dir, port: 22, passwords: true) },
        success: { _, peer, dir in try keyLogin(peer, port: 22, keys: [dir + "/sshd-22/alice"]).status == 0 },
        attacks: [
            MatrixAttack(name: "password", expect: "(sshd) Failed SSH login from", trigger: "LF_SSHD", linesPerAttempt: 1, port: 22) { _, peer, _ in
                _ = try ssh(peer, user: "alice", password: "guess", method: "password")
            },
            // One try logs "Invalid user", "error: PAM: Authentication failure for illegal user" and "Failed
            // keyboard-interactive/pam for invalid user": csf counts each line (and pam_unix's too).
            MatrixAttack(name: "invalid user, keyboard-interactive/PAM", expect: "(sshd) Failed SSH login from", trigger: "LF_SSHD",
                         linesPerAttempt: 3, port: 22) { _, peer, _ in
                _ = try ssh(peer, user: "oracle", password: "guess", method: "keyboard-interactive")
            },
        ])

    /// A key-only sshd: a client offering keys that are not authorized until sshd's MaxAuthTries is spent
    /// ("maximum authentication attempts exceeded", one line a connection). A wrong key alone is not counted:
    /// a user whose agent offers other keys first would be banned for logging in.
    static let sshdKeys = MatrixDaemon(
        name: "openssh-publickey", binaries: ["/usr/sbin/sshd"], ways: syslogWays, tcp: [2222],
        config: { _ in ["SSHD_LOG": "/var/log/auth.log", "LF_SSHD": "3", "LF_SSHD_PERM": "120"] },
        prepare: { dir, _ in try sshd(dir, port: 2222, passwords: false) },
        success: { _, peer, dir in
            // Two keys that are not alice's first, then hers: a login, never a count.
            try keyLogin(peer, port: 2222, keys: [dir + "/sshd-2222/stranger1", dir + "/sshd-2222/stranger2", dir + "/sshd-2222/alice"]).status == 0
        },
        attacks: [
            MatrixAttack(name: "unauthorized keys", expect: "(sshd) Failed SSH login from", trigger: "LF_SSHD", linesPerAttempt: 1, port: 2222) { _, peer, dir in
                _ = try keyLogin(peer, port: 2222, keys: (1...7).map { "\(dir)/sshd-2222/stranger\($0)" })
            },
        ])

    // MARK: Dovecot (IMAP, POP3) and Postfix with Dovecot SASL

    /// Dovecot's own files under `dir`/dovecot; logs to syslog (mail facility) or its own file.
    static func dovecot(_ dir: String, _ way: LogWay, saslPort: Int? = nil, submission: Bool = false) throws -> String {
        let d = dir + "/dovecot"
        for sub in ["", "/run", "/state", "/mail"] { try mkdir(d + sub) }
        try write("alice:{PLAIN}secret\n", d + "/passwd")
        // No fixed 2 s pause per failure (the growing per-address penalty stays).
        var conf = RealDaemons.dovecotConfig(dir: d, logPath: way == .file ? "/var/log/dovecot.log" : "syslog", timestamp: "%b %d %H:%M:%S ")
            + "\nauth_failure_delay = 0\n"
        if submission {
            // Dovecot's own SMTP submission service; the relay is never reached (AUTH comes first).
            conf += """

            protocols = imap pop3 submission
            submission_relay_host = 127.0.0.1
            submission_relay_port = 2599
            service submission-login {
              inet_listener submission {
                port = 1587
              }
            }

            """
        }
        if let saslPort {
            conf += "\nservice auth {\n  inet_listener {\n    address = 127.0.0.1\n    port = \(saslPort)\n  }\n}\n"
        }
        try write(conf, d + "/dovecot.conf")
        return "run dovecot /usr/sbin/dovecot -F -c \(d)/dovecot.conf"
    }

    static let dovecot = MatrixDaemon(
        name: "dovecot", binaries: ["/usr/sbin/dovecot", "/usr/lib/dovecot/submission"], ways: syslogWays + [.file], tcp: [1143, 1110, 1587],
        config: { way in
            let log = way == .file ? "/var/log/dovecot.log" : "/var/log/mail.log"
            // Dovecot 2.3 delays each failure from an address more (2, 4, 8 s; no setting): triggers of 2 here.
            return ["IMAPD_LOG": log, "POP3D_LOG": log, "SMTPAUTH_LOG": log, "LF_IMAPD": "2", "LF_POP3D": "2", "LF_SMTPAUTH": "2",
                    "LF_IMAPD_PERM": "120", "LF_POP3D_PERM": "120", "LF_SMTPAUTH_PERM": "120"]
        },
        prepare: { dir, way in try dovecot(dir, way, submission: true) },
        success: { lab, peer, _ in
            try count(lab.peerRun(peer, ["mail-login", "imap", peer.fwV4, "1143", "alice", "secret", "1"])) == 1
                && count(lab.peerRun(peer, ["mail-login", "pop3", peer.fwV4, "1110", "alice", "secret", "1"])) == 1
        },
        attacks: [
            MatrixAttack(name: "IMAP", expect: "(imapd) Failed IMAP login from", trigger: "LF_IMAPD", linesPerAttempt: 1, port: 1143) { lab, peer, _ in
                _ = try lab.peerRun(peer, ["mail-login", "imap", peer.fwV4, "1143", "alice", "guess", "1"])
            },
            MatrixAttack(name: "POP3", expect: "(pop3d) Failed POP3 login from", trigger: "LF_POP3D", linesPerAttempt: 1, port: 1110) { lab, peer, _ in
                _ = try lab.peerRun(peer, ["mail-login", "pop3", peer.fwV4, "1110", "bob", "guess", "1"])
            },
            MatrixAttack(name: "submission", expect: "(smtpauth) Failed SMTP AUTH login from", trigger: "LF_SMTPAUTH", linesPerAttempt: 1,
                         port: 1587) { lab, peer, _ in
                _ = try lab.peerRun(peer, ["smtp-auth", peer.fwV4, "1587", "alice", "guess", "1"])
            },
        ])

    /// A Postfix master.cf with smtpd on `port` and the services a private instance needs.
    static func postfixMasterCf(port: Int) -> String {
        """
        \(port)      inet  n       -       n       -       -       smtpd
        cleanup   unix  n       -       n       -       0       cleanup
        qmgr      unix  n       -       n       300     1       qmgr
        rewrite   unix  -       -       n       -       -       trivial-rewrite
        bounce    unix  -       -       n       -       0       bounce
        defer     unix  -       -       n       -       0       bounce
        trace     unix  -       -       n       -       0       bounce
        verify    unix  -       -       n       -       1       verify
        proxymap  unix  -       -       n       -       -       proxymap
        smtp      unix  -       -       n       -       -       smtp
        error     unix  -       -       n       -       -       error
        retry     unix  -       -       n       -       -       error
        discard   unix  -       -       n       -       -       discard
        anvil     unix  -       -       n       -       1       anvil
        scache    unix  -       -       n       -       1       scache
        postlog   unix-dgram n  -       n       -       1       postlogd
        
        """
    }

    static let postfix = MatrixDaemon(
        name: "postfix+dovecot-sasl", binaries: ["/usr/sbin/postfix", "/usr/sbin/dovecot"], ways: syslogWays + [.file], tcp: [2525],
        config: { way in
            // Dovecot checks the passwords, with its growing delay per failing address: a trigger of 2.
            ["SMTPAUTH_LOG": way == .file ? "/var/log/postfix.log" : "/var/log/mail.log", "LF_SMTPAUTH": "2", "LF_SMTPAUTH_PERM": "120"]
        },
        prepare: { dir, way in
            let start = try dovecot(dir, way == .file ? .traditional : way, saslPort: 12345)
            let d = dir + "/postfix"
            for sub in ["", "/queue", "/data"] { try mkdir(d + sub) }
            try write("""
            compatibility_level = 3.6
            queue_directory = \(d)/queue
            data_directory = \(d)/data
            mail_owner = postfix
            setgid_group = postdrop
            myhostname = mail.example.test
            mydestination =
            inet_interfaces = all
            inet_protocols = ipv4
            smtpd_sasl_auth_enable = yes
            smtpd_sasl_type = dovecot
            smtpd_sasl_path = inet:127.0.0.1:12345
            smtpd_tls_security_level = none
            smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
            \(way == .file ? "maillog_file = /var/log/postfix.log" : "")
            """, d + "/main.cf")
            try write(postfixMasterCf(port: 2525), d + "/master.cf")
            return start + "\nchown postfix \(d)/data\n/usr/sbin/postfix -c \(d) check >>\(dir)/run/postfix.out 2>&1\n"
                + "run postfix /usr/sbin/postfix -c \(d) start-fg"
        },
        success: { lab, peer, _ in try count(lab.peerRun(peer, ["smtp-auth", peer.fwV4, "2525", "alice", "secret", "1"])) == 1 },
        attacks: [
            MatrixAttack(name: "SASL PLAIN", expect: "(smtpauth) Failed SMTP AUTH login from", trigger: "LF_SMTPAUTH", linesPerAttempt: 1, port: 2525) { lab, peer, _ in
                _ = try lab.peerRun(peer, ["smtp-auth", peer.fwV4, "2525", "alice", "guess", "1"])
            },
        ])

    // MARK: Exim 4 (unpacked: its package conflicts with postfix's)

    static let exim = MatrixDaemon(
        name: "exim4", binaries: [unpacked + "/exim4-daemon-light/usr/sbin/exim4"], ways: syslogWays + [.file], tcp: [2526],
        config: { way in
            ["SMTPAUTH_LOG": way == .file ? "/var/log/exim4/mainlog" : "/var/log/mail.log", "LF_SMTPAUTH": "3", "LF_SMTPAUTH_PERM": "120"]
        },
        prepare: { dir, way in
            let d = dir + "/exim"
            try mkdir(d + "/spool", mode: 0o777)
            try write("""
            primary_hostname = mail.example.test
            exim_user = Debian-exim
            exim_group = Debian-exim
            spool_directory = \(d)/spool
            log_file_path = \(way == .file ? "/var/log/exim4/%slog" : "syslog")
            syslog_processname = exim
            # Exim's default writes a line bound for both mainlog and rejectlog twice to syslog, and every
            # failure would count twice (as in csf); Exim's documentation suggests turning it off with syslog.
            syslog_duplication = false
            daemon_smtp_ports = 2526
            local_interfaces = 0.0.0.0
            host_lookup =
            rfc1413_hosts =
            auth_advertise_hosts = *
            acl_smtp_rcpt = acl_check_rcpt
            begin acl
            acl_check_rcpt:
              accept authenticated = *
              deny
            begin authenticators
            plain_server:
              driver = plaintext
              public_name = PLAIN
              server_prompts = :
              server_condition = ${if and {{eq{$auth2}{alice}}{eq{$auth3}{secret}}}}
              server_set_id = $auth2
            """, d + "/exim.conf")
            return "mkdir -p /var/log/exim4 && chmod 777 /var/log/exim4\n"
                + "run exim \(unpacked)/exim4-daemon-light/usr/sbin/exim4 -C \(d)/exim.conf -bdf -oX 2526 -oP \(d)/exim.pid"
        },
        success: { lab, peer, _ in try count(lab.peerRun(peer, ["smtp-auth", peer.fwV4, "2526", "alice", "secret", "1"])) == 1 },
        attacks: [
            MatrixAttack(name: "AUTH PLAIN", expect: "(smtpauth) Failed SMTP AUTH login from", trigger: "LF_SMTPAUTH", linesPerAttempt: 1, port: 2526) { lab, peer, _ in
                _ = try lab.peerRun(peer, ["smtp-auth", peer.fwV4, "2526", "alice", "guess", "1"])
            },
        ],
        extraUsers: ["Debian-exim:x:2002:2002::/nonexistent:/usr/sbin/nologin"])

    // MARK: FTP: vsftpd (installed), ProFTPD and Pure-FTPd (unpacked: one ftp-server package at a time)

    static func ftpAttack(_ port: Int) -> MatrixAttack {
        MatrixAttack(name: "USER/PASS", expect: "(ftpd) Failed FTP login from", trigger: "LF_FTPD", linesPerAttempt: 1, port: port) { lab, peer, _ in
            _ = try lab.peerRun(peer, ["ftp-login", peer.fwV4, String(port), "alice", "guess", "1"])
        }
    }

    static func ftpConfig(_ own: String) -> @Sendable (LogWay) -> [String: String] {
        { way in ["FTPD_LOG": way == .file ? own : "/var/log/syslog", "LF_FTPD": "3", "LF_FTPD_PERM": "120"] }
    }

    static let vsftpd = MatrixDaemon(
        name: "vsftpd", binaries: ["/usr/sbin/vsftpd"], ways: syslogWays + [.file], tcp: [2121],
        config: ftpConfig("/var/log/vsftpd.log"),
        prepare: { dir, way in
            let d = dir + "/vsftpd"
            try mkdir(d + "/empty")
            try write("""
            listen=YES
            listen_ipv6=NO
            listen_port=2121
            background=NO
            anonymous_enable=NO
            local_enable=YES
            pam_service_name=vsftpd
            secure_chroot_dir=\(d)/empty
            seccomp_sandbox=NO
            delay_failed_login=0
            xferlog_enable=YES
            xferlog_std_format=NO
            \(way == .file ? "vsftpd_log_file=/var/log/vsftpd.log" : "syslog_enable=YES")
            """, d + "/vsftpd.conf")
            return "run vsftpd /usr/sbin/vsftpd \(d)/vsftpd.conf"
        },
        success: { lab, peer, _ in try count(lab.peerRun(peer, ["ftp-login", peer.fwV4, "2121", "alice", "secret", "1"])) == 1 },
        attacks: [ftpAttack(2121)])

    static let proftpd = MatrixDaemon(
        name: "proftpd", binaries: [unpacked + "/proftpd-core/usr/sbin/proftpd"], ways: syslogWays + [.file], tcp: [2122],
        // Through syslog, ProFTPD's login failures go to authpriv (auth.log), not to the syslog file.
        config: { way in
            ["FTPD_LOG": way == .file ? "/var/log/proftpd/proftpd.log" : "/var/log/auth.log", "LF_FTPD": "3", "LF_FTPD_PERM": "120"]
        },
        prepare: { dir, way in
            let d = dir + "/proftpd"
            try mkdir(d)
            try write("""
            ServerName "nftcsf test"
            ServerType standalone
            DefaultServer on
            Port 2122
            UseIPv6 off
            User nobody
            Group nogroup
            PidFile \(d)/proftpd.pid
            ScoreboardFile \(d)/scoreboard
            DelayTable none
            WtmpLog off
            TransferLog none
            UseReverseDNS off
            RequireValidShell off
            AuthPAM off
            AuthOrder mod_auth_unix.c
            \(way == .file ? "SystemLog /var/log/proftpd/proftpd.log" : "")

            """, d + "/proftpd.conf")
            // Daemonized as under systemd: with -n it would log to stderr, not to syslog.
            return "mkdir -p /var/log/proftpd\nrun proftpd \(unpacked)/proftpd-core/usr/sbin/proftpd -c \(d)/proftpd.conf"
        },
        success: { lab, peer, _ in try count(lab.peerRun(peer, ["ftp-login", peer.fwV4, "2122", "alice", "secret", "1"])) == 1 },
        attacks: [ftpAttack(2122)])

    static let pureftpd = MatrixDaemon(
        name: "pure-ftpd", binaries: [unpacked + "/pure-ftpd/usr/sbin/pure-ftpd"], ways: syslogWays, tcp: [2123],
        config: ftpConfig("/var/log/syslog"),
        prepare: { dir, _ in
            "run pure-ftpd \(unpacked)/pure-ftpd/usr/sbin/pure-ftpd -S 0.0.0.0,2123 -l unix -E -f ftp -H -g \(dir)/pure-ftpd.pid"
        },
        success: { lab, peer, _ in try count(lab.peerRun(peer, ["ftp-login", peer.fwV4, "2123", "alice", "secret", "1"])) == 1 },
        attacks: [ftpAttack(2123)])

    // MARK: Apache 2 (basic auth, a 403 rule, mod_security2) and nginx (auth_basic)

    static func webConfig(_ own: String) -> @Sendable (LogWay) -> [String: String] {
        { way in
            let log = way == .file ? own : "/var/log/syslog"
            return ["HTACCESS_LOG": log, "MODSEC_LOG": log, "PORTS_mod_security": "8080,8081", "LF_HTACCESS": "3", "LF_HTACCESS_PERM": "120", "LF_APACHE_403": "3",
                    "LF_APACHE_403_PERM": "120", "LF_MODSEC": "3", "LF_MODSEC_PERM": "120", "LF_APACHE_401": "0", "LF_APACHE_404": "0"]
        }
    }

    static func htpasswd(_ path: String) throws {
        try Shell.check(["htpasswd", "-b", "-c", "-B", path, "alice", "secret"])
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
    }

    static let apache = MatrixDaemon(
        name: "apache2", binaries: ["/usr/sbin/apache2", "/usr/lib/apache2/modules/mod_security2.so"], ways: syslogWays + [.file], tcp: [8080],
        config: webConfig("/var/log/apache2/error.log"),
        prepare: { dir, way in
            let d = dir + "/apache"
            for sub in ["", "/www/private", "/www/forbidden"] { try mkdir(d + sub) }
            try mkdir(d + "/modsec", mode: 0o777)
            try write("ok\n", d + "/www/index.html")
            try write("private\n", d + "/www/private/index.html")
            try htpasswd(d + "/htpasswd")
            let modules = ["mpm_event", "authz_core", "authn_core", "authn_file", "auth_basic", "authz_user", "authz_host", "dir", "unique_id", "security2"]
                .map { "LoadModule \($0)_module /usr/lib/apache2/modules/mod_\($0).so" }.joined(separator: "\n")
            try write("""
            ServerRoot \(d)
            ServerName web.example.test
            PidFile \(d)/apache2.pid
            DefaultRuntimeDir \(d)
            Mutex file:\(d) default
            Listen 8080
            \(modules)
            User www-data
            Group www-data
            ErrorLog \(way == .file ? "/var/log/apache2/error.log" : "syslog:local1")
            LogLevel warn
            DocumentRoot \(d)/www
            DirectoryIndex index.html
            <Directory \(d)/www>
              Require all granted
            </Directory>
            <Directory \(d)/www/private>
              AuthType Basic
              AuthName "private"
              AuthUserFile \(d)/htpasswd
              Require valid-user
            </Directory>
            <Directory \(d)/www/forbidden>
              Require all denied
            </Directory>
            SecRuleEngine On
            SecRequestBodyAccess Off
            SecAuditEngine Off
            SecDataDir \(d)/modsec
            SecTmpDir \(d)/modsec
            SecRule ARGS "@contains attack" "id:10001,phase:2,deny,status:403,log,msg:'nftcsf test rule'"
            """, d + "/apache2.conf")
            return "mkdir -p /var/log/apache2\nrun apache2 /usr/sbin/apache2 -f \(d)/apache2.conf -DFOREGROUND"
        },
        success: { _, peer, _ in try curl(peer, 8080, "/private/", user: "alice:secret") == 200 && curl(peer, 8080, "/") == 200 },
        attacks: [
            MatrixAttack(name: "basic auth", expect: "(htpasswd) Failed web page login from", trigger: "LF_HTACCESS", linesPerAttempt: 1, port: 8080) { _, peer, _ in
                _ = try curl(peer, 8080, "/private/", user: "alice:guess")
            },
            // csf blocks on more than LF_APACHE_403 hits, on the web ports (PORTS_mod_security), with its own wording.
            MatrixAttack(name: "403 rule", expect: "", trigger: "LF_APACHE_403", linesPerAttempt: 1, port: 8080,
                         banned: { ip, n in "\(ip) (-), more than \(n) Apache 403 hits in the last" }, overTrigger: true) { _, peer, _ in
                _ = try curl(peer, 8080, "/forbidden/")
            },
            MatrixAttack(name: "mod_security2", expect: "(mod_security) mod_security triggered by", trigger: "LF_MODSEC", linesPerAttempt: 1, port: 8080) { _, peer, _ in
                _ = try curl(peer, 8080, "/?q=attack")
            },
        ])

    static let nginx = MatrixDaemon(
        name: "nginx", binaries: ["/usr/sbin/nginx"], ways: syslogWays + [.file], tcp: [8081],
        config: webConfig("/var/log/nginx/error.log"),
        prepare: { dir, way in
            let d = dir + "/nginx"
            for sub in ["", "/www/private", "/tmp"] { try mkdir(d + sub) }
            try write("ok\n", d + "/www/private/index.html")
            try htpasswd(d + "/htpasswd")
            let errorLog = way == .file ? "/var/log/nginx/error.log" : "syslog:server=unix:/dev/log,tag=nginx"
            try write("""
            daemon off;
            user www-data;
            pid \(d)/nginx.pid;
            error_log \(errorLog) warn;
            events {}
            http {
              access_log off;
              client_body_temp_path \(d)/tmp/body;
              proxy_temp_path \(d)/tmp/proxy;
              fastcgi_temp_path \(d)/tmp/fastcgi;
              uwsgi_temp_path \(d)/tmp/uwsgi;
              scgi_temp_path \(d)/tmp/scgi;
              server {
                listen 8081;
                root \(d)/www;
                location /private/ {
                  auth_basic "private";
                  auth_basic_user_file \(d)/htpasswd;
                }
              }
            }
            """, d + "/nginx.conf")
            return "mkdir -p /var/log/nginx\nrun nginx /usr/sbin/nginx -e stderr -c \(d)/nginx.conf"
        },
        success: { _, peer, _ in try curl(peer, 8081, "/private/", user: "alice:secret") == 200 },
        attacks: [
            MatrixAttack(name: "auth_basic", expect: "(htpasswd) Failed web page login from", trigger: "LF_HTACCESS", linesPerAttempt: 1, port: 8081) { _, peer, _ in
                _ = try curl(peer, 8081, "/private/", user: "alice:guess")
            },
        ])

    // MARK: BIND 9

    static let bind = MatrixDaemon(
        name: "bind9", binaries: ["/usr/sbin/named", "/usr/bin/dig"], ways: syslogWays + [.file], tcp: [5353],
        config: { way in
            ["BIND_LOG": way == .file ? "/var/log/named/security.log" : "/var/log/syslog", "LF_BIND": "3", "LF_BIND_PERM": "120"]
        },
        prepare: { dir, way in
            let d = dir + "/bind"
            try mkdir(d, mode: 0o777)
            try write("""
            $TTL 300
            @ IN SOA ns.example.test. admin.example.test. 1 300 300 3000 300
            @ IN NS ns.example.test.
            ns IN A 192.0.2.53
            www IN A 192.0.2.80

            """, d + "/example.test.zone")
            let channel = way == .file
                ? "file \"/var/log/named/security.log\"; print-time yes; print-category yes; print-severity yes;"
                : "syslog daemon;"
            try write("""
            options {
              directory "\(d)";
              pid-file "\(d)/named.pid";
              session-keyfile "\(d)/session.key";
              managed-keys-directory "\(d)";
              listen-on port 5353 { any; };
              listen-on-v6 { none; };
              recursion no;
              allow-query { 127.0.0.1; };
              allow-transfer { none; };
              dnssec-validation no;
            };
            zone "example.test" { type primary; file "\(d)/example.test.zone"; allow-query { any; }; };
            zone "private.test" { type primary; file "\(d)/example.test.zone"; allow-query { 127.0.0.1; }; };
            logging {
              channel security_log { \(channel) severity info; };
              category security { security_log; };
              category default { security_log; };
            };
            """, d + "/named.conf")
            return "mkdir -p /var/log/named && chmod 777 /var/log/named\nrun named /usr/sbin/named -f -u bind -c \(d)/named.conf"
        },
        success: { _, peer, _ in try dig(peer, ["+short", "www.example.test", "A"]).stdout.contains("192.0.2.80") },
        attacks: [
            MatrixAttack(name: "refused query", expect: "(bind) bind triggered by", trigger: "LF_BIND", linesPerAttempt: 1, port: 5353) { _, peer, _ in
                _ = try dig(peer, ["www.private.test", "A"])
            },
            MatrixAttack(name: "zone transfer", expect: "(bind) bind triggered by", trigger: "LF_BIND", linesPerAttempt: 1, port: 5353) { _, peer, _ in
                _ = try dig(peer, ["+tcp", "example.test", "AXFR"])
            },
        ])
}
