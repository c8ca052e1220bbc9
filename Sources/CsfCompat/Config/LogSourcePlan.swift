#if canImport(Glibc)
import Glibc
#endif

/// Where each `*_LOG` key is read from on this host. csf shipped one csf.conf per OS; ours names Red Hat's
/// paths, so a key whose file does not exist falls back to the same log's path on the other distribution
/// family (Debian's /var/log/auth.log for /var/log/secure, ...), then to the journal entries of the programs
/// that write that log (sshd logs only to the journal on a Debian without rsyslog). lfd reads what this says
/// and logs it at start; `csf --check` warns for enabled checks that would read nothing.
public struct LogSourcePlan: Sendable {
    public enum Source: Sendable, Equatable {
        /// Files to follow (globs expanded). A file that does not exist (yet) is watched for.
        case files([String])
        /// A journal source in lfd's `journal:` syntax.
        case journal(String)
    }

    public struct Entry: Sendable, Equatable {
        public var key: String
        public var configured: String
        public var source: Source
        /// Set when the source is not what csf.conf names, or when nothing exists to read.
        public var note: String?
        /// True when neither the file, an alternative nor the journal is there: the key reads nothing now.
        public var readsNothing: Bool
    }

    public var entries: [String: Entry]

    /// What the host offers: file existence, glob expansion and whether a journal is present (injected by tests).
    public struct Host: Sendable {
        public var exists: @Sendable (String) -> Bool
        public var glob: @Sendable (String) -> [String]
        public var journal: Bool

        public init(exists: @escaping @Sendable (String) -> Bool, glob: @escaping @Sendable (String) -> [String], journal: Bool) {
            self.exists = exists
            self.glob = glob
            self.journal = journal
        }

        public static var current: Host {
            // journald's socket (it runs) or this boot's volatile journal; a /var/log/journal left from an
            // earlier installation does not count.
            Host(exists: { TextFile.exists($0) }, glob: LogSourcePlan.expandGlob,
                 journal: TextFile.exists("/run/systemd/journal/socket") || FileSystem.isDirectory("/run/log/journal"))
        }
    }

    public static func resolve(keys: [String], config: CsfConfig, host: Host = .current) -> LogSourcePlan {
        var entries: [String: Entry] = [:]
        for key in Set(keys).sorted() {
            let value = config[key].trimmingWhitespace()
            guard !value.isEmpty else { continue }
            entries[key] = resolve(key: key, value: value, host: host)
        }
        return LogSourcePlan(entries: entries)
    }

    static func resolve(key: String, value: String, host: Host) -> Entry {
        if value.hasPrefix("journal:") {
            return Entry(key: key, configured: value, source: .journal(value), note: nil, readsNothing: !host.journal && !value.contains("@"))
        }
        let present = host.glob(value).filter(host.exists)
        if !present.isEmpty { return Entry(key: key, configured: value, source: .files(present), note: nil, readsNothing: false) }
        let glob = value.contains { "*?[".contains($0) }
        if let other = (alternatives[key] ?? []).first(where: { $0 != value && host.exists($0) }) {
            // A path of the admin's own (vsftpd.log before vsftpd's first line) is watched for as well; the other
            // family's default path never appears on this host.
            if !glob && !(alternatives[key] ?? []).contains(value) {
                return Entry(key: key, configured: value, source: .files([value, other]),
                             note: "\(key): \(value) does not exist yet; reading \(other) too", readsNothing: false)
            }
            return Entry(key: key, configured: value, source: .files([other]),
                         note: "\(key): \(value) does not exist; reading \(other)", readsNothing: false)
        }
        if host.journal, let matches = journalMatches[key] {
            let spec = "journal:" + matches.joined(separator: ",")
            return Entry(key: key, configured: value, source: .journal(spec),
                         note: "\(key): \(value) does not exist; reading the journal (\(matches.joined(separator: ", ")))", readsNothing: false)
        }
        return Entry(key: key, configured: value, source: .files(glob ? [] : [value]),
                     note: "\(key): \(value) does not exist\(host.journal ? "" : " and there is no journal"); nothing to read until it appears",
                     readsNothing: true)
    }

    /// The same log on the other distribution family (Red Hat ↔ Debian), in the order tried.
    static let alternatives: [String: [String]] = {
        let auth = ["/var/log/secure", "/var/log/auth.log"]
        let messages = ["/var/log/messages", "/var/log/syslog"]
        let mail = ["/var/log/maillog", "/var/log/mail.log"]
        let apache = ["/var/log/httpd/error_log", "/var/log/apache2/error.log", "/var/log/nginx/error.log"]
        return [
            "SSHD_LOG": auth, "SU_LOG": auth, "SUDO_LOG": auth, "WEBMIN_LOG": auth,
            "SMTPAUTH_LOG": ["/var/log/exim_mainlog", "/var/log/exim4/mainlog", "/var/log/exim/main.log"] + mail + auth,
            "POP3D_LOG": mail, "IMAPD_LOG": mail,
            "FTPD_LOG": messages, "BIND_LOG": messages, "SUHOSIN_LOG": messages, "SYSLOG_LOG": messages,
            "HTACCESS_LOG": apache, "MODSEC_LOG": apache,
            // Relay and script tracking: Exim's main log where it has one, else the mail log (Postfix).
            "SMTPRELAY_LOG": ["/var/log/exim_mainlog", "/var/log/exim4/mainlog", "/var/log/exim/main.log"] + mail,
            "SCRIPT_LOG": ["/var/log/exim_mainlog", "/var/log/exim4/mainlog", "/var/log/exim/main.log"],
        ]
    }()

    /// Journal matches of the programs that write each log (alternatives of one another).
    static let journalMatches: [String: [String]] = [
        // login: console root logins (LF_CONSOLE_EMAIL_ALERT), read with sshd's log as csf does.
        "SSHD_LOG": ["SYSLOG_IDENTIFIER=sshd", "SYSLOG_IDENTIFIER=sshd-session", "SYSLOG_IDENTIFIER=login"],
        "SU_LOG": ["SYSLOG_IDENTIFIER=su"],
        "SUDO_LOG": ["SYSLOG_IDENTIFIER=sudo"],
        "POP3D_LOG": ["SYSLOG_IDENTIFIER=dovecot"],
        "IMAPD_LOG": ["SYSLOG_IDENTIFIER=dovecot"],
        // The file this stands for (Debian's syslog, Red Hat's messages) leaves the auth facilities out, where
        // vsftpd's pam_unix line beside its own "FAIL LOGIN" would count one try twice; ProFTPD's own failures
        // are in authpriv.
        "FTPD_LOG": ["SYSLOG_IDENTIFIER=vsftpd", "SYSLOG_IDENTIFIER=proftpd", "SYSLOG_IDENTIFIER=pure-ftpd",
                     "!SYSLOG_IDENTIFIER=vsftpd+SYSLOG_FACILITY=4", "!SYSLOG_IDENTIFIER=vsftpd+SYSLOG_FACILITY=10"],
        "SMTPAUTH_LOG": ["SYSLOG_IDENTIFIER=postfix/smtpd", "SYSLOG_IDENTIFIER=postfix/submission/smtpd",
                         "SYSLOG_IDENTIFIER=postfix/smtps/smtpd", "SYSLOG_IDENTIFIER=dovecot", "SYSLOG_IDENTIFIER=exim"],
        "BIND_LOG": ["SYSLOG_IDENTIFIER=named"],
        "SMTPRELAY_LOG": ["SYSLOG_IDENTIFIER=postfix/smtpd", "SYSLOG_IDENTIFIER=postfix/submission/smtpd", "SYSLOG_IDENTIFIER=postfix/smtps/smtpd",
                          "SYSLOG_IDENTIFIER=postfix/pickup", "SYSLOG_IDENTIFIER=postfix/qmgr", "SYSLOG_IDENTIFIER=exim"],
        "SCRIPT_LOG": ["SYSLOG_IDENTIFIER=exim"],
        // SYSLOG_CHECK's own line: the journal is where syslog lines end up on a host without a syslog daemon.
        "SYSLOG_LOG": ["SYSLOG_IDENTIFIER=lfd"],
        // Web servers logging their errors to syslog (Apache's ErrorLog syslog:, nginx's error_log syslog:).
        // nginx writes its own host name before its tag, so journald finds no identifier: its process name.
        "HTACCESS_LOG": ["SYSLOG_IDENTIFIER=apache2", "SYSLOG_IDENTIFIER=httpd", "SYSLOG_IDENTIFIER=nginx", "_COMM=nginx"],
        "MODSEC_LOG": ["SYSLOG_IDENTIFIER=apache2", "SYSLOG_IDENTIFIER=httpd", "SYSLOG_IDENTIFIER=nginx", "_COMM=nginx"],
    ]

    public static func expandGlob(_ pattern: String) -> [String] {
        guard pattern.contains(where: { "*?[".contains($0) }) else { return [pattern] }
        var g = glob_t()
        defer { globfree(&g) }
        guard glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }
    }
}
