import CsfCompat
import CsfPolicy

/// `csf --migrate-check`: reads an existing Perl csf installation's /etc/csf and /var/lib/csf as they are and
/// lists every setting in use that nftcsf does not implement (yet) or implements differently, with the reason.
/// A finding "loses security" when csf would have blocked, killed or denied something nftcsf will not; the
/// check passes (exit 0) only when no finding does and every file loads.
public struct MigrationCheck {
    public enum Kind: String, Sendable, Encodable { case notImplemented = "not implemented", different = "different", alertOnly = "alert not sent" }

    public struct Finding: Sendable, Encodable {
        public var key: String
        public var value: String
        public var kind: Kind
        public var losesSecurity: Bool
        public var reason: String

        enum CodingKeys: String, CodingKey {
            case key, value, kind, reason
            case losesSecurity = "loses_security"
        }
    }

    public struct Report: Sendable {
        public var findings: [Finding]
        public var diagnostics: [Diagnostic]
        public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
        public var passes: Bool { errors.isEmpty && !findings.contains { $0.losesSecurity } }
    }

    /// A csf feature nftcsf lacks or does differently, in use when any of its keys is set (non-empty, not 0).
    struct Rule {
        var keys: [String]
        var kind: Kind
        var losesSecurity: Bool
        var reason: String
    }

    static let rules: [Rule] = [
        Rule(keys: ["CC_DENY", "CC_ALLOW_FILTER", "CC_DENY_PORTS"], kind: .notImplemented, losesSecurity: true,
             reason: "country-code blocking is not built (no GeoIP download); those countries are not blocked"),
        Rule(keys: ["CC_ALLOW", "CC_ALLOW_PORTS", "CC_ALLOW_SMTPAUTH"], kind: .notImplemented, losesSecurity: false,
             reason: "country-code allows are not built; those countries are filtered like everyone else"),
        Rule(keys: ["GLOBAL_DENY"], kind: .notImplemented, losesSecurity: true,
             reason: "remote deny lists are not downloaded; their addresses are not blocked"),
        Rule(keys: ["GLOBAL_ALLOW", "GLOBAL_DYNDNS", "DYNDNS", "GLOBAL_IGNORE"], kind: .notImplemented, losesSecurity: false,
             reason: "remote/dynamic allow and ignore lists are not built; those hosts are filtered like everyone else"),
        Rule(keys: ["SMTPAUTH_RESTRICT"], kind: .notImplemented, losesSecurity: true,
             reason: "the cPanel/exim SMTP AUTH restriction file is not written"),
        Rule(keys: ["CLUSTER_SENDTO", "CLUSTER_RECVFROM"], kind: .notImplemented, losesSecurity: true,
             reason: "csf clustering is not built; blocks are not shared between members"),
        Rule(keys: ["LT_POP3D", "LT_IMAPD"], kind: .notImplemented, losesSecurity: true,
             reason: "successful-login tracking does not block"),
        Rule(keys: ["LF_DISTFTP", "LF_DISTSMTP"], kind: .notImplemented, losesSecurity: true,
             reason: "distributed FTP/SMTP account-sharing detection does not block"),
        Rule(keys: ["RT_AUTHRELAY_BLOCK", "RT_RELAY_BLOCK", "RT_POPRELAY_BLOCK", "RT_LOCALRELAY_BLOCK", "RT_LOCALHOSTRELAY_BLOCK"],
             kind: .notImplemented, losesSecurity: true, reason: "exim relay tracking does not block"),
        Rule(keys: ["PT_USERKILL", "PT_FORKBOMB", "PT_DELETED_ACTION", "LF_DIRWATCH_DISABLE", "LF_SCRIPT_PERM"],
             kind: .notImplemented, losesSecurity: true, reason: "process/file tracking does not kill processes or quarantine files"),
        Rule(keys: ["CF_ENABLE"], kind: .notImplemented, losesSecurity: true, reason: "CloudFlare blocking is not built"),
        Rule(keys: ["PT_LIMIT", "PT_USERPROC", "PT_USERMEM", "PT_USERRSS", "PT_USERTIME", "PT_LOAD", "PT_SSHDHUNG"], kind: .alertOnly,
             losesSecurity: false, reason: "process and load tracking are not built (csf only alerts with these)"),
        Rule(keys: ["LF_DIRWATCH", "LF_DIRWATCH_FILE", "LF_INTEGRITY", "LF_EXPLOIT", "AT_ALERT", "LF_SCRIPT_ALERT"], kind: .alertOnly,
             losesSecurity: false, reason: "file, integrity, exploit, account and script checks are not built (alerts only)"),
        Rule(keys: ["LF_SSH_EMAIL_ALERT", "LF_SU_EMAIL_ALERT", "LF_SUDO_EMAIL_ALERT", "LF_CONSOLE_EMAIL_ALERT",
                    "LF_WEBMIN_EMAIL_ALERT", "LF_CPANEL_ALERT"], kind: .alertOnly, losesSecurity: false,
             reason: "successful-login alerts are not sent"),
        Rule(keys: ["RT_AUTHRELAY_ALERT", "RT_RELAY_ALERT", "RT_POPRELAY_ALERT", "RT_LOCALRELAY_ALERT", "RT_LOCALHOSTRELAY_ALERT",
                    "LF_QUEUE_ALERT", "LF_MODSECIPDB_ALERT", "SYSLOG_CHECK", "LOGSCANNER", "X_ARF"], kind: .alertOnly,
             losesSecurity: false, reason: "mail-relay, queue, syslog-check, log-scanner and X-ARF reports are not sent"),
        Rule(keys: ["MESSENGER", "UI", "USE_FTPHELPER"], kind: .notImplemented, losesSecurity: false,
             reason: "the block messenger, the web UI and the FTP conntrack helper are not built"),
        Rule(keys: ["LF_IPSET", "FASTSTART", "SAFECHAINUPDATE", "WAITLOCK", "MONOLITHIC_KERNEL", "VPS"], kind: .different,
             losesSecurity: false, reason: "iptables mechanics: nftcsf always uses nft sets and one atomic transaction"),
        Rule(keys: ["IPTABLES_LOG"], kind: .different, losesSecurity: false,
             reason: "lfd reads dropped packets from the firewall's NFLOG group (NFLOG_GROUP), not from this file"),
        Rule(keys: ["AUTO_UPDATES"], kind: .different, losesSecurity: false, reason: "updates come from the package manager"),
    ]

    public static func run(paths: CsfPaths, host: HostAddresses = .current()) -> Report {
        let outcome = PolicyLoader.load(paths: paths, host: host, now: SystemTime.wallSeconds)
        return Report(findings: findings(outcome.config, paths: paths), diagnostics: outcome.diagnostics)
    }

    static func findings(_ config: CsfConfig, paths: CsfPaths) -> [Finding] {
        var out: [Finding] = []
        for rule in rules {
            for key in rule.keys where config.bool(key) {
                out.append(Finding(key: key, value: config[key], kind: rule.kind, losesSecurity: rule.losesSecurity, reason: rule.reason))
            }
        }
        if config["DROP"].uppercased() == "TARPIT" {
            out.append(Finding(key: "DROP", value: "TARPIT", kind: .different, losesSecurity: false, reason: "nftables has no TARPIT; packets are dropped"))
        }
        for line in ListReader.read(paths.etc("csf.blocklists")).lines {
            let name = line.token.split(separator: "|").first.map(String.init) ?? line.token
            out.append(Finding(key: "csf.blocklists:\(line.line)", value: name, kind: .notImplemented, losesSecurity: true,
                               reason: "blocklists are not downloaded; \(name)'s addresses are not blocked"))
        }
        return out
    }
}
