/// RESTRICT_SYSLOG (reference §4.1.1): on a host where any user can write to syslog, a user can forge the lines
/// lfd acts on — `logger -t sshd "Failed password for root from <victim>"` blocks anyone. csf's answers: 1 turns
/// the checks that read syslog off, 3 keeps them and restricts /dev/log to RESTRICT_SYSLOG_GROUP.
///
/// nftcsf applies this where it still holds: a log *file* written by a syslog daemon cannot say who wrote a line,
/// so with 1 the checks reading such files are off, as in csf; the journal stamps every entry with the writer's
/// real uid (`_UID`, set by the kernel, not the writer), so checks reading the journal stay on and only entries
/// from root and system accounts (and, with 3, RESTRICT_SYSLOG_GROUP's members and csf.syslogusers) count. Port
/// scans, UID tracking and port knocking come from the kernel (NFLOG), which no user can forge: never affected.
public enum RestrictSyslog {
    /// The switches csf zeroes with RESTRICT_SYSLOG = 1, each with the log it reads.
    public static let switches: [(key: String, log: String)] = [
        ("LF_SSHD", "SSHD_LOG"), ("LF_FTPD", "FTPD_LOG"), ("LF_IMAPD", "IMAPD_LOG"), ("LF_POP3D", "POP3D_LOG"),
        ("LF_BIND", "BIND_LOG"), ("LF_SUHOSIN", "SUHOSIN_LOG"), ("LF_SSH_EMAIL_ALERT", "SSHD_LOG"),
        ("LF_SU_EMAIL_ALERT", "SU_LOG"), ("LF_CONSOLE_EMAIL_ALERT", "SSHD_LOG"), ("LF_DISTFTP", "FTPD_LOG"),
        ("LT_POP3D", "POP3D_LOG"), ("LT_IMAPD", "IMAPD_LOG"), ("LF_WEBMIN", "WEBMIN_LOG"),
        ("LF_WEBMIN_EMAIL_ALERT", "WEBMIN_LOG"), ("LF_SUDO_EMAIL_ALERT", "SUDO_LOG"),
    ]

    /// With RESTRICT_SYSLOG = 1: the switches turned off because their log is a file here; `config` is changed.
    public static func apply(to config: inout CsfConfig, host: LogSourcePlan.Host = .current) -> [String] {
        guard config.int("RESTRICT_SYSLOG") == 1 else { return [] }
        var off: [String] = []
        for (key, log) in switches where !config[key].trimmingWhitespace().isEmpty && config[key].trimmingWhitespace() != "0" {
            let plan = LogSourcePlan.resolve(keys: [log], config: config, host: host)
            if case .journal = plan.entries[log]?.source { continue }
            config.set(key, "0")
            off.append(key)
        }
        // LF_DISTATTACK counts what the login checks saw; with every one of them off it has nothing to count.
        return off
    }

    /// Whether the journal's entries must come from a trusted writer.
    public static func filtersJournal(_ config: CsfConfig) -> Bool { [1, 3].contains(config.int("RESTRICT_SYSLOG")) }

    /// The highest uid of a system account (Debian's and Red Hat's UID_MIN is 1000).
    public static let systemUIDLimit: UInt32 = 999
}
