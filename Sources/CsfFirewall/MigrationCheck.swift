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

    /// A csf feature nftcsf lacks or does differently. It is in use when one of its `keys` is on (set, not 0);
    /// `related` keys only tune it and are reported with it, never alone. `whenChanged` rules report a key only
    /// when its value differs from csf's default (tool paths, cosmetics): on by default, they change nothing.
    struct Rule {
        var keys: [String]
        var related: [String] = []
        var kind: Kind
        var losesSecurity: Bool
        var reason: String
        var whenChanged = false
    }

    static let rules: [Rule] = [
        Rule(keys: ["CC_SRC"], related: ["MM_LICENSE_KEY", "CC_INTERVAL"], kind: .different, losesSecurity: false,
             reason: "CC_SRC 2 reads country data from tor-geoipdb (IPFire Location, offline, updated with Debian's Tor packages) where csf downloaded DB-IP's; CC_SRC 3 downloads DB-IP's Lite CSV (CC_DBIP_URL); 1 downloads MaxMind's GeoLite2 Country CSV with MM_LICENSE_KEY (CC_MAXMIND_URL), and without a key reads tor-geoipdb; ASN data comes from CC_ASN_URL (csf's CC_SRC 2 source)", whenChanged: true),
        Rule(keys: ["CC_ALLOW_SMTPAUTH"], kind: .notImplemented, losesSecurity: false,
             reason: "countries are not used for SMTP AUTH yet"),
        Rule(keys: ["CLUSTER_SENDTO", "CLUSTER_RECVFROM"],
             related: ["CLUSTER_MASTER", "CLUSTER_NAT", "CLUSTER_LOCALADDR", "CLUSTER_PORT", "CLUSTER_KEY", "CLUSTER_BLOCK",
                       "CLUSTER_CONFIG", "CLUSTER_CHILDREN"],
             kind: .different, losesSecurity: true,
             reason: "csf's TCP cluster (CLUSTER_PORT, Blowfish) is replaced by the fleet on PostgreSQL: until CLUSTER_DB names the fleet database, blocks are not shared; CLUSTER_SENDTO/RECVFROM/MASTER then name nodes by their database role"),
        Rule(keys: ["CF_ENABLE"], related: ["CF_BLOCK", "CF_TEMP"], kind: .notImplemented, losesSecurity: true,
             reason: "CloudFlare blocking is not built"),
        Rule(keys: ["LF_MODSECIPDB_ALERT"], related: ["LF_MODSECIPDB_FILE"], kind: .alertOnly, losesSecurity: false,
             reason: "the ModSecurity IP database size is not watched"),
        Rule(keys: ["UI"],
             related: ["RESTRICT_UI", "UI_PORT", "UI_IP", "UI_USER", "UI_PASS", "UI_BLOCK_PRIVATE_NET", "UI_RETRY_SHOW_REMAINING",
                       "UI_WEBMIN_SHOW_BUTTON_CONFIG", "UI_TIMEOUT", "UI_CHILDREN", "UI_RETRY", "UI_BAN", "UI_ALLOW", "UI_BLOCK",
                       "UI_ALERT", "UI_CIPHER", "UI_SSL_VERSION", "UI_CXS", "UI_CSE", "UI_CSP_ENABLED", "UI_CSP_ADVANCED_ENABLED",
                       "UI_CSP_ADVANCED_RULE", "UI_LOGS_REFRESH_TIME", "UI_LOGS_START_PAUSED"],
             kind: .different, losesSecurity: false,
             reason: "the web UI is csf-ui, its own service (csf-ui.service), running as UI_RUNAS: HTTPS only, UI_PASS must be a hash set by csf --ui-passwd, a strict Content-Security-Policy is always sent (UI_CSP_* unused), UI_CIPHER and UI_SSL_VERSION only narrow TLS 1.2+ with forward-secret AEAD suites, and the cxs/cse switchers (UI_CXS, UI_CSE) are not built"),
        Rule(keys: ["MESSENGERV3", "USE_FTPHELPER"],
             related: ["MESSENGERV3LOCATION", "MESSENGERV3RESTART", "MESSENGERV3TEST", "MESSENGERV3HTTPS_CONF", "MESSENGERV3WEBSERVER",
                       "MESSENGERV3PERMS", "MESSENGERV3GROUP", "MESSENGERV3PHPHANDLER"],
             kind: .notImplemented, losesSecurity: false,
             reason: "MESSENGERV3 (the messenger inside the host's web server) and the FTP conntrack helper are not built; MESSENGER's own servers are"),
        Rule(keys: ["MESSENGER"],
             related: ["MESSENGER_CHILDREN", "MESSENGER_HTTPS_CONF", "MESSENGER_HTTPS_KEY", "MESSENGER_HTTPS_CRT", "MESSENGER_HTTPS",
                       "MESSENGER_HTTPS_SKIPMAIL", "RECAPTCHA_SITEKEY", "RECAPTCHA_SECRET", "RECAPTCHA_ALERT", "RECAPTCHA_NAT"],
             kind: .different, losesSecurity: false,
             reason: "the messenger is lfd's child csf-ui --messenger (HTML, TEXT and HTTPS servers, the reCAPTCHA unblock) running as MESSENGER_USER: blocked sources are redirected by set membership, MESSENGER_RATE/BURST apply per source, and MESSENGER_CHILDREN is not used (the servers are asynchronous)"),
        Rule(keys: ["ST_ENABLE", "ST_SYSTEM", "ST_MYSQL", "ST_APACHE", "ST_DISKW"],
             related: ["ST_IPTABLES", "ST_LOOKUP", "ST_SYSTEM_MAXDAYS", "ST_MYSQL_USER", "ST_MYSQL_PASS", "ST_MYSQL_HOST",
                       "ST_DISKW_FREQ", "ST_DISKW_DD"],
             kind: .notImplemented, losesSecurity: false, reason: "statistics and graphs are not built"),
        Rule(keys: ["LF_LOOKUPS"], kind: .notImplemented, losesSecurity: false,
             reason: "addresses are not resolved for lfd.log and alerts (shown as '-'); csf.rignore still resolves"),
        Rule(keys: ["LF_IPSET", "FASTSTART", "SAFECHAINUPDATE", "WAITLOCK", "MONOLITHIC_KERNEL", "VPS", "USE_CONNTRACK"],
             related: ["LF_IPSET_HASHSIZE", "LF_IPSET_MAXELEM", "WAITLOCK_TIMEOUT"], kind: .different,
             losesSecurity: false, reason: "iptables mechanics: nftcsf always uses nft sets, conntrack and one atomic transaction"),
        Rule(keys: ["IPTABLES_LOG"], kind: .different, losesSecurity: false,
             reason: "lfd reads dropped packets from the firewall's NFLOG group (NFLOG_GROUP), not from this file", whenChanged: true),
        Rule(keys: ["AUTO_UPDATES"], kind: .different, losesSecurity: false, reason: "updates come from the package manager"),
        Rule(keys: ["LF_REPEATBLOCK"], kind: .different, losesSecurity: false,
             reason: "a repeated deny is reported as already there instead of being added again (the kernel set holds it once)"),
        Rule(keys: ["URLGET"], kind: .different, losesSecurity: false,
             reason: "lfd downloads with libcurl whatever this says (URLPROXY is honoured)", whenChanged: true),
        Rule(keys: ["LF_APACHE_ERRPORT"], kind: .different, losesSecurity: false,
             reason: "Apache's client field is read with or without :port whatever this says", whenChanged: true),
        Rule(keys: ["LFD_PROCESS_BIND"], kind: .different, losesSecurity: false, reason: "lfd is one process; there are no children to bind"),
        Rule(keys: ["IPTABLES", "IPTABLES_SAVE", "IPTABLES_RESTORE", "IP6TABLES", "IP6TABLES_SAVE", "IP6TABLES_RESTORE", "MODPROBE",
                    "IFCONFIG", "PS", "VMSTAT", "NETSTAT", "LS", "MD5SUM", "TAR", "CHATTR", "UNZIP", "GUNZIP", "DD", "TAIL", "GREP",
                    "ZGREP", "IPSET", "SYSTEMCTL", "HOST", "CURL", "WGET"],
             kind: .different, losesSecurity: false, reason: "nftcsf runs none of csf's helper programs", whenChanged: true),
        Rule(keys: ["SPONSOR_LICENSE", "SPONSOR_RELEASE_INSIDERS", "SPONSOR_ICON_ANIM", "SPONSOR_ICON_HIDE", "STYLE_CUSTOM",
                    "STYLE_MOBILE", "VERBOSE", "DEBUG", "GENERIC"],
             kind: .different, losesSecurity: false, reason: "cosmetics and licensing of csf's UI and fork; no effect here", whenChanged: true),
    ]

    /// csf's generic default, which the catalogue records (nftcsf ships a few other values, IPV6 among them).
    static func csfDefault(_ key: String) -> String { ConfigSchema.byName[key]?.defaultValue ?? "" }

    /// Every key a rule names, as a feature or as one of its settings.
    static var coveredKeys: Set<String> { Set(rules.flatMap { $0.keys + $0.related }) }

    public static func run(paths: CsfPaths, host: HostAddresses = .current()) -> Report {
        let outcome = PolicyLoader.load(paths: paths, host: host, now: SystemTime.wallSeconds)
        return Report(findings: findings(outcome.config, paths: paths), diagnostics: outcome.diagnostics)
    }

    static func findings(_ config: CsfConfig, paths: CsfPaths) -> [Finding] {
        var out: [Finding] = []
        for rule in rules {
            for key in rule.keys where rule.whenChanged ? config[key] != csfDefault(key) : config.bool(key) {
                out.append(Finding(key: key, value: config[key], kind: rule.kind, losesSecurity: rule.losesSecurity, reason: rule.reason))
            }
        }
        if config["DROP"].uppercased() == "TARPIT" {
            out.append(Finding(key: "DROP", value: "TARPIT", kind: .different, losesSecurity: false, reason: "nftables has no TARPIT; packets are dropped"))
        }
        if !TextFile.exists(paths.etc("regex.custom")), let pm = RegexCustomPm.load(paths) {
            if pm.translated > 0 {
                out.append(Finding(key: "regex.custom.pm", value: "\(pm.translated) rule(s)", kind: .different, losesSecurity: false,
                                   reason: "translated into lfd's rule format and used; csf --migrate-regex prints them for /etc/csf/regex.custom"))
            }
            for d in pm.diagnostics {
                out.append(Finding(key: "regex.custom.pm:\(d.line)", value: "", kind: .notImplemented, losesSecurity: true,
                                   reason: "\(d.message); this custom rule does not run"))
            }
        }
        // Blocklists are downloaded by lfd; a line csf would load but this parser refuses is a list lost.
        let blocklists = paths.etc("csf.blocklists")
        if let text = try? TextFile.read(blocklists) {
            for d in Blocklists.parse(text, path: blocklists).1 where d.severity == .error {
                out.append(Finding(key: "csf.blocklists:\(d.line)", value: "", kind: .notImplemented, losesSecurity: true,
                                   reason: "\(d.message); this list is not loaded"))
            }
        }
        // An advanced filter in csf.dyndns nftcsf cannot read is an allow csf would make and nftcsf does not.
        if RemoteList.resolvedLists(config).contains(.dyndns) {
            for d in DynDnsNames.parse(ListReader.read(paths.etc("csf.dyndns")), filters: true).problems where d.message.contains("advanced filter") {
                out.append(Finding(key: "csf.dyndns:\(d.line)", value: "", kind: .notImplemented, losesSecurity: false,
                                   reason: "\(d.message); that host is filtered like everyone else"))
            }
        }
        return out
    }
}
