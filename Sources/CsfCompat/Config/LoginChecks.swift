/// The log keys each login-failure check reads, as the shipped detector files declare them (a test keeps the
/// two in step). csf needs it without loading the detectors (they need PCRE2, which csf does not link) to
/// say in `--check` which enabled check would read nothing.
public enum LoginChecks {
    public static let logKeys: [String: [String]] = [
        "LF_SSHD": ["SSHD_LOG"],
        "LF_POP3D": ["POP3D_LOG"],
        "LF_IMAPD": ["IMAPD_LOG", "POP3D_LOG"],
        "LF_FTPD": ["FTPD_LOG"],
        "LF_SMTPAUTH": ["SMTPAUTH_LOG"],
        "LF_EXIMSYNTAX": ["SMTPAUTH_LOG"],
        "LF_SMTPREJECT": ["SMTPAUTH_LOG"],
        "LF_DISTFTP": ["FTPD_LOG"],
        "LF_DISTSMTP": ["SMTPAUTH_LOG"],
        "LT_POP3D": ["POP3D_LOG"],
        "LT_IMAPD": ["IMAPD_LOG"],
        "LF_HTACCESS": ["HTACCESS_LOG"],
        "LF_APACHE_404": ["HTACCESS_LOG"],
        "LF_APACHE_403": ["HTACCESS_LOG"],
        "LF_APACHE_401": ["HTACCESS_LOG"],
        "LF_MODSEC": ["MODSEC_LOG"],
        "LF_CXS": ["MODSEC_LOG"],
        "LF_QOS": ["HTACCESS_LOG"],
        "LF_SYMLINK": ["MODSEC_LOG", "HTACCESS_LOG"],
        "LF_SUHOSIN": ["SUHOSIN_LOG"],
        "LF_BIND": ["BIND_LOG"],
        "LF_PAM": ["SSHD_LOG", "FTPD_LOG", "POP3D_LOG", "IMAPD_LOG", "SU_LOG", "SUDO_LOG"],
        "LF_WEBMAIL": ["WEBMAIL_LOG"],
        "LF_WEBMIN": ["WEBMIN_LOG"],
        "LF_CPANEL": ["CPANEL_LOG"],
        "LF_INTERWORX": ["INTERWORX_LOG"],
        "LF_CWP": ["CWP_LOG"],
        "LF_VESTA": ["VESTA_LOG"],
        "LF_DIRECTADMIN": ["DIRECTADMIN_LOG"],
    ]

    /// A warning for every enabled check none of whose logs exists on this host (nor a fallback for it).
    public static func silent(_ config: CsfConfig, host: LogSourcePlan.Host = .current) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for (trigger, keys) in logKeys.sorted(by: { $0.key < $1.key }) where config.int(trigger) > 0 {
            let plan = LogSourcePlan.resolve(keys: keys, config: config, host: host)
            let entries = keys.compactMap { plan.entries[$0] }
            guard entries.allSatisfy(\.readsNothing) else { continue }
            let unset = keys.filter { config[$0].trimmingWhitespace().isEmpty }
            let missing = keys.filter { !unset.contains($0) }.map { "\($0) (\(config[$0]))" }
            var reasons = unset.map { "\($0) is not set" }
            if !missing.isEmpty {
                reasons.append("\(missing.joined(separator: ", ")) \(missing.count == 1 ? "does" : "do") not exist"
                    + (host.journal ? " and the journal has no fallback for it" : " and there is no journal"))
            }
            out.append(config.diagnostic(.warning, trigger, "\(trigger) is on but \(reasons.joined(separator: "; ")): lfd detects nothing for it"))
        }
        return out
    }
}
