#if canImport(Glibc)
import Glibc
#endif
import CsfCompat

/// `csf -m` (reference §1.2): the server security check, kept to what fits any Linux host — csf's settings,
/// sshd's, the kernel's network and memory hardening, world-writable directories, services listening where they
/// should not, and pending package updates. Each finding is pass, warn or fail with a one-line fix. The facts are
/// read first (`Facts.read`, through CSF_ROOT where they are files) and judged by a pure function.
public enum ServerCheck {
    public enum Status: String, Sendable, Codable, Comparable {
        case pass, info, warn, fail

        var rank: Int {
            switch self {
            case .pass: 0
            case .info: 1
            case .warn: 2
            case .fail: 3
            }
        }

        public static func < (a: Status, b: Status) -> Bool { a.rank < b.rank }
    }

    public struct Finding: Sendable, Codable, Equatable {
        public var section: String
        public var check: String
        public var status: Status
        public var detail: String
        public var fix: String
    }

    public struct Listener: Sendable, Equatable {
        public var proto: String
        public var port: Int
        public var address: String
        public var isLoopback: Bool
    }

    /// What the check looks at, read from the host.
    public struct Facts: Sendable {
        public var firewallRunning: Bool?
        public var hostHasGlobalIPv6 = false
        public var sshd: [String: String] = [:]
        public var sshdConfigFound = false
        public var sysctls: [String: String] = [:]
        public var stickyMissing: [String] = []
        public var worldWritable: [String] = []
        public var listeners: [Listener] = []
        /// Pending package updates: nil when the package manager could not tell.
        public var updates: Int?
        public var packageManager = ""

        public init() {}
    }

    static let sysctlKeys = ["net/ipv4/tcp_syncookies", "net/ipv4/conf/all/rp_filter", "net/ipv4/conf/all/accept_redirects",
                             "net/ipv4/conf/all/send_redirects", "net/ipv4/conf/all/accept_source_route",
                             "net/ipv6/conf/all/accept_redirects", "kernel/randomize_va_space", "kernel/kptr_restrict",
                             "fs/protected_symlinks", "fs/protected_hardlinks"]

    /// Services that should not face the network, by port: what they are.
    static let riskyPorts: [Int: String] = [23: "telnet", 69: "tftp", 79: "finger", 111: "rpcbind", 512: "rexec", 513: "rlogin",
                                            514: "rsh", 2049: "NFS", 3306: "MySQL/MariaDB", 5432: "PostgreSQL", 6379: "Redis",
                                            11211: "memcached", 27017: "MongoDB", 9200: "Elasticsearch", 5984: "CouchDB"]

    // MARK: judging

    public static func evaluate(config: CsfConfig, facts: Facts) -> [Finding] {
        firewall(config, facts) + sshd(facts) + kernel(facts) + files(facts) + services(config, facts) + packages(facts)
    }

    static func firewall(_ c: CsfConfig, _ f: Facts) -> [Finding] {
        var out: [Finding] = []
        func add(_ check: String, _ status: Status, _ detail: String, _ fix: String) {
            out.append(Finding(section: "Firewall", check: check, status: status, detail: detail, fix: fix))
        }
        switch f.firewallRunning {
        case true?: add("firewall", .pass, "the csf table is loaded", "")
        case false?: add("firewall", .fail, "the csf table is not loaded: the server is not filtered", "csf -s")
        case nil: add("firewall", .info, "could not ask the kernel whether the csf table is loaded", "run csf -m as root")
        }
        if c.bool("TESTING") {
            add("TESTING", .fail, "TESTING = \"1\": the firewall is flushed every TESTING_INTERVAL minutes and lfd does not run",
                "set TESTING = \"0\" in csf.conf, then csf -r")
        } else {
            add("TESTING", .pass, "TESTING is off", "")
        }
        if !c.bool("IPV6") && f.hostHasGlobalIPv6 {
            add("IPV6", .fail, "the server has a global IPv6 address but IPV6 = \"0\": IPv6 traffic is not filtered",
                "set IPV6 = \"1\" (and TCP6_IN/UDP6_IN), then csf -r")
        } else {
            add("IPV6", .pass, c.bool("IPV6") ? "IPv6 is filtered" : "no global IPv6 address", "")
        }
        let open = openPorts(c)
        let risky = riskyPorts.keys.sorted().filter(open.contains)
        if risky.isEmpty {
            add("TCP_IN", .pass, "no database, file-sharing or plain-text remote-shell port is open in TCP_IN", "")
        } else {
            add("TCP_IN", .warn, "TCP_IN opens \(risky.map { "\($0) (\(riskyPorts[$0] ?? ""))" }.joined(separator: ", ")) to everyone",
                "remove them from TCP_IN and allow the hosts that need them in csf.allow (tcp|in|d=PORT|s=ADDRESS)")
        }
        for (key, what, fix) in [("LF_DAEMON", "lfd (login failure blocking and every host check)", "LF_DAEMON = \"1\""),
                                 ("LF_SSHD", "blocking of SSH login failures", "LF_SSHD = \"5\""),
                                 ("LF_INTEGRITY", "the system integrity check", "LF_INTEGRITY = \"3600\""),
                                 ("LF_DIRWATCH", "directory watching of /tmp and the cron directories", "LF_DIRWATCH = \"300\""),
                                 ("PT_LIMIT", "process tracking", "PT_LIMIT = \"60\"")] {
            if c.int(key) > 0 {
                add(key, .pass, "\(what) is on", "")
            } else {
                add(key, key == "LF_DAEMON" ? .fail : .warn, "\(what) is off", "set \(fix) in csf.conf, then csf -ra")
            }
        }
        if c.bool("SMTP_BLOCK") {
            add("SMTP_BLOCK", .pass, "only root and the MTA may send mail straight to port 25", "")
        } else {
            add("SMTP_BLOCK", .warn, "any local process may send mail straight to port 25 (a compromised web script can spam)",
                "set SMTP_BLOCK = \"1\", then csf -r")
        }
        if c.int("RESTRICT_SYSLOG") == 0 {
            add("RESTRICT_SYSLOG", .warn, "any user can write log lines lfd acts on (RESTRICT_SYSLOG = \"0\")",
                "set RESTRICT_SYSLOG = \"3\" and RESTRICT_SYSLOG_GROUP, then csf -ra")
        } else {
            add("RESTRICT_SYSLOG", .pass, "RESTRICT_SYSLOG = \"\(c.int("RESTRICT_SYSLOG"))\"", "")
        }
        return out
    }

    /// The ports TCP_IN opens (ranges expanded up to the risky ports' highest).
    static func openPorts(_ c: CsfConfig) -> Set<Int> {
        let ranges = (try? PortList.parse(c["TCP_IN"])) ?? []
        return Set(riskyPorts.keys.filter { port in ranges.contains { Int($0.low) <= port && port <= Int($0.high) } })
    }

    static func sshd(_ f: Facts) -> [Finding] {
        var out: [Finding] = []
        func add(_ check: String, _ status: Status, _ detail: String, _ fix: String) {
            out.append(Finding(section: "SSH", check: check, status: status, detail: detail, fix: fix))
        }
        guard f.sshdConfigFound else {
            add("sshd_config", .info, "no /etc/ssh/sshd_config", "")
            return out
        }
        let root = (f.sshd["permitrootlogin"] ?? "prohibit-password").lowercased()
        switch root {
        case "yes": add("PermitRootLogin", .fail, "root may log in with a password", "PermitRootLogin prohibit-password (or no) in sshd_config")
        case "no", "prohibit-password", "without-password", "forced-commands-only": add("PermitRootLogin", .pass, "PermitRootLogin \(root)", "")
        default: add("PermitRootLogin", .warn, "PermitRootLogin \(shown(root))", "PermitRootLogin prohibit-password")
        }
        if (f.sshd["passwordauthentication"] ?? "yes").lowercased() == "yes" {
            add("PasswordAuthentication", .warn, "passwords are accepted: keys cannot be guessed, passwords can",
                "PasswordAuthentication no in sshd_config, once every user has a key")
        } else {
            add("PasswordAuthentication", .pass, "only keys are accepted", "")
        }
        if (f.sshd["permitemptypasswords"] ?? "no").lowercased() == "yes" {
            add("PermitEmptyPasswords", .fail, "accounts without a password may log in", "PermitEmptyPasswords no")
        }
        let ports = (f.sshd["port"] ?? "22").split(separator: " ").map(String.init)
        if ports.contains("22") {
            add("Port", .info, "sshd listens on port 22, where every scanner knocks (lfd blocks them; a quieter log on another port)",
                "Port NNNN in sshd_config and in TCP_IN")
        } else {
            add("Port", .pass, "sshd listens on \(ports.joined(separator: ", "))", "")
        }
        return out
    }

    static func kernel(_ f: Facts) -> [Finding] {
        var out: [Finding] = []
        let rules: [(String, (String) -> Bool, String, String)] = [
            ("net/ipv4/tcp_syncookies", { $0 == "1" }, "SYN cookies keep the server answering during a SYN flood", "net.ipv4.tcp_syncookies = 1"),
            ("net/ipv4/conf/all/rp_filter", { $0 == "1" || $0 == "2" }, "reverse-path filtering drops spoofed sources", "net.ipv4.conf.all.rp_filter = 1"),
            ("net/ipv4/conf/all/accept_redirects", { $0 == "0" }, "ICMP redirects are not accepted", "net.ipv4.conf.all.accept_redirects = 0"),
            ("net/ipv6/conf/all/accept_redirects", { $0 == "0" }, "ICMPv6 redirects are not accepted", "net.ipv6.conf.all.accept_redirects = 0"),
            ("net/ipv4/conf/all/send_redirects", { $0 == "0" }, "the server sends no ICMP redirects (it is not a router)", "net.ipv4.conf.all.send_redirects = 0"),
            ("net/ipv4/conf/all/accept_source_route", { $0 == "0" }, "source-routed packets are refused", "net.ipv4.conf.all.accept_source_route = 0"),
            ("kernel/randomize_va_space", { $0 == "2" }, "full address-space layout randomisation", "kernel.randomize_va_space = 2"),
            ("kernel/kptr_restrict", { $0 != "0" }, "kernel addresses are hidden from users", "kernel.kptr_restrict = 1"),
            ("fs/protected_symlinks", { $0 == "1" }, "symlink attacks in sticky directories are blocked", "fs.protected_symlinks = 1"),
            ("fs/protected_hardlinks", { $0 == "1" }, "hard-link attacks are blocked", "fs.protected_hardlinks = 1"),
        ]
        for (key, good, meaning, fix) in rules {
            let name = key.replacingSlashes()
            guard let value = f.sysctls[key] else {
                out.append(Finding(section: "Kernel", check: name, status: .info, detail: "not available", fix: ""))
                continue
            }
            let ok = good(value)
            out.append(Finding(section: "Kernel", check: name, status: ok ? .pass : .warn,
                               detail: ok ? meaning : "\(name) = \(value): \(meaning) only with the fix",
                               fix: ok ? "" : "\(fix) in /etc/sysctl.d/90-hardening.conf, then sysctl --system"))
        }
        return out
    }

    static func files(_ f: Facts) -> [Finding] {
        var out: [Finding] = []
        if f.stickyMissing.isEmpty {
            out.append(Finding(section: "Files", check: "sticky /tmp", status: .pass, detail: "/tmp, /var/tmp and /dev/shm have the sticky bit", fix: ""))
        } else {
            out.append(Finding(section: "Files", check: "sticky /tmp", status: .fail,
                               detail: "\(f.stickyMissing.joined(separator: ", ")): world-writable without the sticky bit (anyone may delete or replace anyone's files)",
                               fix: "chmod 1777 \(f.stickyMissing.joined(separator: " "))"))
        }
        if f.worldWritable.isEmpty {
            out.append(Finding(section: "Files", check: "world-writable", status: .pass, detail: "no world-writable directory without the sticky bit under /etc, /usr, /var, /opt, /srv", fix: ""))
        } else {
            let shownList = f.worldWritable.prefix(10).joined(separator: ", ") + (f.worldWritable.count > 10 ? " and \(f.worldWritable.count - 10) more" : "")
            out.append(Finding(section: "Files", check: "world-writable", status: .warn,
                               detail: "world-writable directories without the sticky bit: \(shownList)", fix: "chmod o-w (or chmod +t) each of them"))
        }
        return out
    }

    static func services(_ c: CsfConfig, _ f: Facts) -> [Finding] {
        var out: [Finding] = []
        let exposed = f.listeners.filter { !$0.isLoopback && riskyPorts[$0.port] != nil }
        let unique = Set(exposed.map { "\($0.proto) \($0.port)" }).sorted()
        if exposed.isEmpty {
            out.append(Finding(section: "Services", check: "listening", status: .pass,
                               detail: "no database, file-sharing or plain-text remote-shell service listens beyond loopback", fix: ""))
        } else {
            let open = openPorts(c)
            for key in unique {
                guard let l = exposed.first(where: { "\($0.proto) \($0.port)" == key }) else { continue }
                out.append(Finding(section: "Services", check: "\(l.proto)/\(l.port)", status: .warn,
                                   detail: "\(riskyPorts[l.port] ?? "a service") listens on \(l.address) port \(l.port) (TCP_IN \(open.contains(l.port) ? "opens" : "does not open") it)",
                                   fix: "bind it to 127.0.0.1 (or stop it) if only this server uses it"))
            }
        }
        return out
    }

    static func packages(_ f: Facts) -> [Finding] {
        guard let n = f.updates else {
            return [Finding(section: "Packages", check: "updates", status: .info,
                            detail: "the package manager could not be asked\(f.packageManager == "apt" ? " (no package lists)" : "")",
                            fix: f.packageManager == "apt" ? "apt-get update, then csf -m again" : "")]
        }
        return [Finding(section: "Packages", check: "updates", status: n == 0 ? .pass : .warn,
                        detail: n == 0 ? "no pending updates (\(f.packageManager))" : "\(n) pending update(s) (\(f.packageManager))",
                        fix: n == 0 ? "" : (f.packageManager == "apt" ? "apt-get update && apt-get upgrade" : "dnf upgrade"))]
    }

    // MARK: output

    /// `--json`: every finding and the counts.
    public struct Report: Sendable, Codable {
        public var checks: [Finding]
        public var passed: Int
        public var warnings: Int
        public var failed: Int

        public init(_ findings: [Finding]) {
            checks = findings
            passed = findings.filter { $0.status == .pass }.count
            warnings = findings.filter { $0.status == .warn }.count
            failed = findings.filter { $0.status == .fail }.count
        }
    }

    /// `csf -m ADDRESS`: the text report mailed through SENDMAIL (or LF_ALERT_SMTP), as csf's "Server Check on
    /// [hostname]". The address must be one plain address: it becomes a header.
    public static func mail(_ findings: [Finding], to: String, config: CsfConfig) throws(CsfError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.@+-_".utf8)
        guard !to.isEmpty, to.utf8.count <= 254, to.utf8.allSatisfy(allowed.contains), to.contains("@") else {
            throw .refused("csf: '\(shown(to))' is not an e-mail address")
        }
        let host = LfdLogFile.shortHostname()
        let fromSetting = config["LF_ALERT_FROM"].trimmingWhitespace()
        let from = fromSetting.isEmpty || fromSetting.contains(where: { $0 == "\n" || $0 == "\r" }) ? "root" : fromSetting
        let message = "From: \(from)\nTo: \(to)\nSubject: Server Check on \(host)\nContent-Type: text/plain; charset=utf-8\n\n" + text(findings, host: host)
        let smtp = config["LF_ALERT_SMTP"].trimmingWhitespace()
        if !smtp.isEmpty {
            if let error = SmtpClient.send(server: smtp, from: from, to: to, message: message) { throw .refused("csf: mail via \(smtp) failed: \(error)") }
            return
        }
        let sendmail = config["SENDMAIL"].trimmingWhitespace()
        guard FileSystem.isExecutableFile(sendmail) else { throw .refused("csf: SENDMAIL (\(sendmail)) is not executable") }
        guard Subprocess.run([sendmail, "-f", from, "-t"], input: message + "\n", timeout: 30, quiet: true) == .exited(0) else {
            throw .refused("csf: \(sendmail) failed to send the report")
        }
    }

    public static func text(_ findings: [Finding], host: String) -> String {
        var out = "Server Check on \(host)\n"
        var section = ""
        for f in findings {
            if f.section != section {
                section = f.section
                out += "\n\(section)\n"
            }
            out += "  [\(f.status.rawValue.uppercased())] \(f.check): \(f.detail)\n"
            if !f.fix.isEmpty { out += "         fix: \(f.fix)\n" }
        }
        let counts = Dictionary(grouping: findings, by: \.status).mapValues(\.count)
        out += "\n\(counts[.pass] ?? 0) passed, \(counts[.warn] ?? 0) warning(s), \(counts[.fail] ?? 0) failed, \(counts[.info] ?? 0) note(s)\n"
        return out
    }
}

extension String {
    fileprivate func replacingSlashes() -> String { String(map { $0 == "/" ? "." : $0 }) }
}
