import Foundation
import Testing
import CsfTestSupport

/// Issue 17 (mail abuse): real Exim and Postfix in private hosts, real mail from a peer and from a local script;
/// lfd counts what the MTA logged (RT_*, LF_SCRIPT_*), blocks where csf blocks, and asks the MTA for its queue.
@Suite(.serialized, .enabled(if: NetLab.available, "needs root"))
struct MailAbuseKernelTests {
    static let exim = DaemonMatrix.unpacked + "/exim4-daemon-light/usr/sbin/exim4"

    static func eximConfig(_ d: String) -> String {
        """
        primary_hostname = mail.example.test
        exim_user = alice
        exim_group = alice
        spool_directory = \(d)/spool
        log_file_path = /var/log/exim4/%slog
        log_selector = +received_recipients +arguments
        daemon_smtp_ports = 2526
        local_interfaces = 0.0.0.0
        host_lookup =
        rfc1413_hosts =
        auth_advertise_hosts = *
        domainlist local_domains = example.test
        acl_smtp_rcpt = acl_check_rcpt
        begin acl
        acl_check_rcpt:
          accept domains = +local_domains
          accept authenticated = *
          deny
        begin routers
        blackhole:
          driver = redirect
          data = :blackhole:
        begin authenticators
        plain_server:
          driver = plaintext
          public_name = PLAIN
          server_prompts = :
          server_condition = ${if and {{eq{$auth2}{alice}}{eq{$auth3}{secret}}}}
          server_set_id = $auth2
        """
    }

    /// Exim: a peer relaying 6 messages × 2 recipients (RELAY, limit 10) is told and blocked on the SMTP ports
    /// for RT_RELAY_BLOCK seconds; an authenticated peer (AUTHRELAY) under its limit is not; a PHP script of
    /// alice's under /home sends 4 mails through exim (LOCALRELAY by account, and LF_SCRIPT_ALERT with
    /// LF_SCRIPT_PERM locking the directory); the queue (-bpc) is asked every LF_QUEUE_INTERVAL.
    @Test func eximRelayScriptAndQueue() throws {
        let lab = try NetLab(peers: 2)
        let host = try PrivateHost(lab: lab, way: .file)
        defer { host.stop() }
        let d = host.dir + "/exim"
        // Exim run by alice with -C gives up root and keeps its spool files as its exim_user: alice here.
        for sub in ["/spool", "/spool/input", "/spool/msglog", "/spool/db"] { try DaemonMatrix.mkdir(d + sub, mode: 0o777) }
        try DaemonMatrix.write(Self.eximConfig(d), d + "/exim.conf")
        try lab.setConfig(["TCP_IN": "22,2526", "SMTPRELAY_LOG": "/var/log/exim4/mainlog", "SCRIPT_LOG": "/var/log/exim4/mainlog",
                           "RT_RELAY_ALERT": "1", "RT_RELAY_LIMIT": "10", "RT_RELAY_BLOCK": "600", "PORTS_smtpauth": "2526",
                           "RT_AUTHRELAY_ALERT": "1", "RT_AUTHRELAY_LIMIT": "50", "RT_AUTHRELAY_BLOCK": "1",
                           "RT_LOCALRELAY_ALERT": "1", "RT_LOCALRELAY_LIMIT": "3",
                           "LF_SCRIPT_ALERT": "1", "LF_SCRIPT_LIMIT": "3", "LF_SCRIPT_PERM": "1",
                           "LF_QUEUE_ALERT": "2", "LF_QUEUE_INTERVAL": "60", "LF_QUEUE_COMMAND": "\(Self.exim) -C \(d)/exim.conf -bpc",
                           "LF_SMTPAUTH": "0", "LF_PARSE": "1"])
        #expect(try lab.csf("-s").status == 0)
        let script = "<?php mail('x@example.test', 'hi', 'body'); ?>\n"
        let daemons = """
        mkdir -p /var/log/exim4 && chmod 777 /var/log/exim4 && touch /var/log/exim4/mainlog && chmod 666 /var/log/exim4/mainlog
        mount -t tmpfs -o mode=755 tmpfs /home
        mkdir -p /home/alice/public_html && printf '%s' "\(script)" > /home/alice/public_html/contact.php && chown -R 2001:2001 /home/alice
        run exim \(Self.exim) -C \(d)/exim.conf -bdf -oX 2526 -oP \(d)/exim.pid
        for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/2526) 2>/dev/null && break; sleep 0.05; done
        """
        let started = try host.start(daemons: daemons, extraUsers: ["Debian-exim:x:2002:2002::/nonexistent:/usr/sbin/nologin"])
        #expect(started.status == 0, "\(started.stdout)\(started.stderr)\n\(host.logs)")
        let (p1, p2) = (lab.peers[0], lab.peers[1])

        let relayed = try lab.peerRun(p1, ["send-mail", p1.fwV4, "2526", "6", "2", "-", "-"])
        #expect(relayed.stdout.contains("6"), "\(relayed)\n\(host.logs)")
        #expect(try eventually(within: 5) { lab.lfdLog.contains("*Exceeded RELAY limit* from \(p1.v4) (12 in the last hour)") }, "\(lab.lfdLog)\n\(host.logs)")
        #expect(try eventually(within: 5) { lab.lfdLog.contains("\(p1.v4) (-) RELAY limit exceeded - *Blocked in csf* port=2526 for 600 secs [RT_RELAY_LIMIT]") },
                "\(lab.lfdLog)")
        #expect(try !lab.tcpOpen(from: p1, port: 2526, timeout: 0.5), "blocked on the SMTP AUTH ports")
        let mail = { host.file("/run/sendmail.out") + ((try? String(contentsOfFile: lab.root + "/sent-mail", encoding: .utf8)) ?? "") }
        #expect(try eventually(within: 5) { mail().contains("exceeded the RELAY, Remote IP relay limit") }, "\(mail())")
        #expect(mail().contains("Block:   Temporary Block for 600 seconds [RT_RELAY_LIMIT]") && mail().contains(" <= sender@client.example H="))

        let authed = try lab.peerRun(p2, ["send-mail", p2.fwV4, "2526", "5", "1", "alice", "secret"])
        #expect(authed.stdout.contains("5"), "\(authed)")
        usleep(1_500_000)
        #expect(!lab.lfdLog.contains("from \(p2.v4)"), "AUTHRELAY: 5 is under its limit\n\(lab.lfdLog)")
        #expect(try lab.tcpOpen(from: p2, port: 2526))

        // A PHP script of alice's sending through Exim's sendmail interface, as PHP's mail() does. A setuid Exim
        // run by alice logs `U=alice P=local`; a test Exim with -C loses that privilege for anyone but root, so
        // root submits with alice's ident (-oMt) from her directory: the same log lines.
        try DaemonMatrix.write("for i in 1 2 3 4; do printf 'To: x@example.test\\nSubject: s\\n\\nb\\n' | \(Self.exim) -C \(d)/exim.conf -oMt alice -odq -t; done\n",
                               host.dir + "/send.sh")
        let sent = try host.run(["sh", "-c", "cd /home/alice/public_html && sh \(host.dir)/send.sh"])
        #expect(sent.status == 0, "\(sent)\n\(host.logs)")
        #expect(try eventually(within: 5) { lab.lfdLog.contains("*Exceeded LOCALRELAY limit* from alice (4 in the last hour)") }, "\(lab.lfdLog)\n\(host.logs)")
        #expect(try eventually(within: 5) { lab.lfdLog.contains("*Script Alert* - A script in '/home/alice/public_html' has sent an email 4 times within the last hour") },
                "\(lab.lfdLog)\n\(host.file("/var/log/exim4/mainlog"))")
        #expect(try eventually(within: 5) { mail().contains("scripts sending mail from '/home/alice/public_html'") }, "\(mail())")
        #expect(mail().contains("'/home/alice/public_html/contact.php'") && mail().contains("has been disabled with 000 permissions"), "\(mail())")
        let mode = try host.run(["stat", "-c", "%a", "/home/alice/public_html"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(mode == "0", "LF_SCRIPT_PERM: mode \(mode)")
        _ = try? host.run(["chattr", "-i", "/home/alice/public_html"])
        #expect(!lab.lfdLog.contains("*Blocked in csf* port=2526 for 600 secs [RT_LOCALRELAY"), "accounts are never blocked")

        // Nothing is delivered (no exim at /usr/sbin for the delivery process): the queue holds the messages and
        // goes over LF_QUEUE_ALERT = 2 with the relayed ones; the size told is Exim's own count at that moment.
        let told = { () -> Int? in
            guard let line = lab.lfdLog.split(separator: "\n").first(where: { $0.contains("*Email Queue* The exim delivery queue size is ") }) else { return nil }
            return Int(line.split(separator: " ").last ?? "")
        }
        #expect(try eventually(within: 70, every: 1) { told() != nil }, "\(lab.lfdLog)")
        #expect((told() ?? 0) > 2)
        let queued = Int(try host.run([Self.exim, "-C", d + "/exim.conf", "-bpc"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(queued >= (told() ?? .max), "Exim's -bpc now: \(queued)")
        #expect(try eventually(within: 5) { mail().contains("The exim delivery queue size is \(told() ?? -1)") }, "\(mail())")
        #expect(lab.lfdLog.components(separatedBy: "*Email Queue*").count == 2, "told once per LF_FLUSH")
    }

    /// SMTPAUTH_RESTRICT: csf -s writes /etc/exim.smtpauth from csf.smtpauth, and a real Exim offering AUTH
    /// only to the hosts in it lets the listed peer log in and not the other.
    @Test func smtpAuthRestrictWritesTheFileEximReads() throws {
        let lab = try NetLab(peers: 2)
        let host = try PrivateHost(lab: lab, way: .file)
        defer { host.stop() }
        let (p1, p2) = (lab.peers[0], lab.peers[1])
        let d = host.dir + "/exim"
        for sub in ["/spool", "/spool/input", "/spool/msglog", "/spool/db"] { try DaemonMatrix.mkdir(d + sub, mode: 0o777) }
        let file = lab.root + "/etc/exim.smtpauth"
        // As cPanel's Exim uses it: AUTH advertised to, and accepted from, the listed hosts only.
        let config = Self.eximConfig(d)
            .replacingOccurrences(of: "auth_advertise_hosts = *", with: "auth_advertise_hosts = net-iplsearch;\(file)\nacl_smtp_auth = acl_check_auth")
            .replacingOccurrences(of: "begin acl\n", with: "begin acl\nacl_check_auth:\n  accept hosts = net-iplsearch;\(file)\n  deny message = AUTH is not allowed from your address\n")
        try DaemonMatrix.write(config, d + "/exim.conf")
        try lab.write("csf.smtpauth", "\(p1.v4) # the office\n2001:db8:9::/48\nnot-an-address\n")
        try lab.setConfig(["TCP_IN": "22,2526", "SMTPAUTH_RESTRICT": "1", "LF_SMTPAUTH": "0"])
        let r = try lab.csf("-s")
        #expect(r.status == 0 && (r.stdout + r.stderr).contains("csf.smtpauth:3: warning: 'not-an-address'"), "\(r)")
        let written = try String(contentsOfFile: file, encoding: .utf8)
        #expect(written.contains("127.0.0.0/8\n\"::1\"\n\"::1/128\"\n\(p1.v4)\n\"2001:db8:9::/48\"\n"), "\(written)")
        #expect(!written.contains("not-an-address"))
        // Exim reads it as its exim_user (the lab's root is 0700); a lookup it cannot do would advertise AUTH to all.
        #expect(chmod(lab.root, 0o711) == 0 && chmod(lab.root + "/etc", 0o755) == 0)
        let started = try host.start(daemons: """
        mkdir -p /var/log/exim4 && chmod 777 /var/log/exim4
        run exim \(Self.exim) -C \(d)/exim.conf -bdf -oX 2526 -oP \(d)/exim.pid
        for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/2526) 2>/dev/null && break; sleep 0.05; done
        """, extraUsers: ["Debian-exim:x:2002:2002::/nonexistent:/usr/sbin/nologin"])
        #expect(started.status == 0, "\(started.stdout)\(started.stderr)")
        #expect(DaemonMatrix.count(try lab.peerRun(p1, ["smtp-auth", p1.fwV4, "2526", "alice", "secret", "1"])) == 1, "\(host.logs)")
        let refused = try lab.peerRun(p2, ["smtp-auth", p2.fwV4, "2526", "alice", "secret", "1"])
        #expect(DaemonMatrix.count(refused) == 0, "\(refused)\n\(host.logs)")
    }

    /// Postfix: unauthenticated relaying into a relay domain counted by recipients (smtpd's client= tied to
    /// qmgr's nrcpt= by queue id), with csf.mignore honoured for another peer.
    @Test func postfixRelayIsCountedByRecipients() throws {
        let lab = try NetLab(peers: 2)
        let host = try PrivateHost(lab: lab, way: .traditional)
        defer { host.stop() }
        let d = host.dir + "/postfix"
        for sub in ["", "/queue", "/data"] { try DaemonMatrix.mkdir(d + sub) }
        try DaemonMatrix.write("""
        compatibility_level = 3.6
        queue_directory = \(d)/queue
        data_directory = \(d)/data
        mail_owner = postfix
        setgid_group = postdrop
        myhostname = mail.example.test
        mydestination =
        relay_domains = example.test
        relay_transport = discard:
        inet_interfaces = all
        inet_protocols = ipv4
        smtpd_tls_security_level = none
        smtpd_relay_restrictions = reject_unauth_destination
        smtpd_end_of_data_restrictions = check_client_access cidr:\(d)/hold.cidr
        """, d + "/main.cf")
        try DaemonMatrix.write(DaemonMatrix.postfixMasterCf(port: 2525), d + "/master.cf")
        let (p1, p2) = (lab.peers[0], lab.peers[1])
        // p2's mail is put on hold: it stays in the queue for LF_QUEUE_ALERT (postqueue -j).
        try DaemonMatrix.write("\(p2.v4)/32 HOLD\n", d + "/hold.cidr")
        try lab.write("csf.mignore", "\(p2.v4)\n")
        try lab.setConfig(["TCP_IN": "22,2525", "SMTPRELAY_LOG": "/var/log/mail.log", "RT_RELAY_ALERT": "1", "RT_RELAY_LIMIT": "8",
                           "LF_QUEUE_ALERT": "3", "LF_QUEUE_INTERVAL": "60", "LF_QUEUE_COMMAND": "/usr/sbin/postqueue -c \(d) -j",
                           "LF_SMTPAUTH": "0", "LF_PARSE": "1"])
        #expect(try lab.csf("-s").status == 0)
        let started = try host.start(daemons: """
        chown postfix \(d)/data
        /usr/sbin/postfix -c \(d) check >>\(host.dir)/run/postfix.out 2>&1
        run postfix /usr/sbin/postfix -c \(d) start-fg
        for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/2525) 2>/dev/null && break; sleep 0.05; done
        """)
        #expect(started.status == 0, "\(started.stdout)\(started.stderr)\n\(host.logs)")
        #expect(try lab.peerRun(p2, ["send-mail", p2.fwV4, "2525", "5", "3", "-", "-"]).stdout.contains("5"))
        #expect(try lab.peerRun(p1, ["send-mail", p1.fwV4, "2525", "2", "3", "-", "-"]).stdout.contains("2"))
        usleep(1_500_000)
        #expect(!lab.lfdLog.contains("*Exceeded RELAY limit*"), "6 recipients from p1, p2 ignored\n\(lab.lfdLog)\n\(host.logs)")
        #expect(try lab.peerRun(p1, ["send-mail", p1.fwV4, "2525", "1", "3", "-", "-"]).stdout.contains("1"))
        #expect(try eventually(within: 5) { lab.lfdLog.contains("*Exceeded RELAY limit* from \(p1.v4) (9 in the last hour)") }, "\(lab.lfdLog)\n\(host.logs)")
        #expect(!lab.lfdLog.contains("from \(p2.v4)"), "csf.mignore")
        #expect(!lab.lfdLog.contains("*Blocked in csf*"), "RT_RELAY_BLOCK unset: alert only")
        // The 5 held messages, from postqueue -j, at the next LF_QUEUE_INTERVAL.
        #expect(try eventually(within: 70, every: 1) { lab.lfdLog.contains("*Email Queue* The postfix delivery queue size is 5") }, "\(lab.lfdLog)\n\(host.logs)")
    }
}
