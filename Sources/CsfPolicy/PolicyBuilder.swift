import CsfCompat

/// Everything a policy is built from, already read from disk: the builder itself does no I/O, so the same
/// inputs always give the same policy.
public struct PolicyInputs: Sendable {
    public var config: CsfConfig
    public var allow: AccessList
    public var deny: AccessList
    public var sips: ListReader
    public var redirects: ListReader
    public var tempAllow: TempList
    public var tempDeny: TempList
    /// csf.blocklists as parsed, and the cached networks of every configured remote list.
    public var blocklists: [Blocklist] = []
    public var remoteLists: [RemoteList: [IPNetwork]] = [:]
    /// The ranges of every country the CC_* settings name (IPv6 ones only with CC6_LOOKUPS), and whether the
    /// country data could be read at all.
    public var countryRanges: [String: [AddressRange]] = [:]
    public var countryDataMissing: String?
    /// The ranges of each ASN the CC_* settings name (AsnData), and why there are none when the file is missing.
    public var asnRanges: [UInt32: [AddressRange]] = [:]
    /// GLOBAL_ALLOW / GLOBAL_DENY advanced filters from their cached copies.
    public var remoteFilters: [RemoteList: [AdvancedFilter]] = [:]
    /// csf.dyndns's advanced filters and their last answers (csf.tempdynf), by filter text.
    public var dyndnsFilters: [DynDnsFilter] = []
    public var dyndnsFilterAnswers: [String: [IPAddress]] = [:]
    public var asnDataMissing: String?
    /// The text of resolv.conf, nil when it could not be read.
    public var resolvConf: String?
    public var host: HostAddresses
    public var accounts: any AccountDirectory
    /// The time temporary entries are measured against.
    public var now: Int

    public init(config: CsfConfig, allow: AccessList = AccessList(), deny: AccessList = AccessList(),
                sips: ListReader = ListReader(), redirects: ListReader = ListReader(),
                tempAllow: TempList = TempList(kind: .allow, path: "csf.tempallow"),
                tempDeny: TempList = TempList(kind: .deny, path: "csf.tempban"),
                resolvConf: String? = nil, host: HostAddresses = HostAddresses(),
                accounts: any AccountDirectory = SystemAccounts(), now: Int = 0) {
        self.config = config
        self.allow = allow
        self.deny = deny
        self.sips = sips
        self.redirects = redirects
        self.tempAllow = tempAllow
        self.tempDeny = tempDeny
        self.resolvConf = resolvConf
        self.host = host
        self.accounts = accounts
        self.now = now
    }
}

/// Builds the policy model from csf.conf and the lists, collecting every problem with its location.
public struct PolicyBuilder {
    public let inputs: PolicyInputs
    var host: HostAddresses { inputs.host }
    var accounts: any AccountDirectory { inputs.accounts }

    public struct Outcome: Sendable {
        public var policy: FirewallPolicy
        public var config: CsfConfig
        /// Every problem found, settings first.
        public var diagnostics: [Diagnostic]
        /// How many of the last diagnostics are about single list lines: such a line is left out and the rest of
        /// the list loads (a firewall that refuses to start over one damaged line protects nothing).
        public var lineDiagnostics: Int = 0

        /// Problems that stop a start: settings, and list files that cannot be read at all.
        public var fatal: [Diagnostic] {
            diagnostics.dropLast(lineDiagnostics).filter { $0.severity == .error }
                + diagnostics.suffix(lineDiagnostics).filter { $0.severity == .error && $0.line == 0 }
        }

        public var hasErrors: Bool { !fatal.isEmpty }

        /// The problems as a start reports them: a skipped line is a warning there.
        public var startWarnings: [Diagnostic] {
            let lines = diagnostics.suffix(lineDiagnostics).map { d -> Diagnostic in
                guard d.severity == .error, d.line > 0 else { return d }
                return Diagnostic(.warning, file: d.file, line: d.line, "\(d.message) (line skipped)")
            }
            return diagnostics.dropLast(lineDiagnostics).filter { $0.severity == .warning } + lines.filter { $0.severity == .warning }
        }
    }

    public static func build(_ inputs: PolicyInputs) -> Outcome {
        PolicyBuilder(inputs: inputs).build()
    }

    func build() -> Outcome {
        let config = inputs.config
        var diags: [Diagnostic] = []
        var p = FirewallPolicy()
        func warn(_ key: String, _ message: String) {
            diags.append(config.diagnostic(.warning, key, message))
        }

        p.ipv6 = config.bool("IPV6")
        p.spi = config.bool("LF_SPI")
        p.spi6 = config.bool("IPV6_SPI")
        p.ctMarkFastPath = config.bool("CT_MARK_FASTPATH")
        p.ethIn = scope(config["ETH_DEVICE"])
        p.ethIn6 = config["ETH6_DEVICE"].isEmpty ? p.ethIn : scope(config["ETH6_DEVICE"])
        for name in config.list("ETH_DEVICE_SKIP") {
            guard let dev = InterfaceName(csf: name) else { continue }
            if !dev.isWildcard && !host.interfaces.contains(dev.name) {
                warn("ETH_DEVICE_SKIP", "ETH_DEVICE_SKIP device \(dev) does not exist (rule added anyway)")
            }
            p.skipDevices.append(dev)
        }
        p.ports4 = .init(tcpIn: config.ports("TCP_IN"), tcpOut: config.ports("TCP_OUT"),
                         udpIn: config.ports("UDP_IN"), udpOut: config.ports("UDP_OUT"))
        p.ports6 = .init(tcpIn: config.ports("TCP6_IN"), tcpOut: config.ports("TCP6_OUT"),
                         udpIn: config.ports("UDP6_IN"), udpOut: config.ports("UDP6_OUT"))
        if !p.ipv6, let exposed = host.addresses.sorted(by: { $0.description < $1.description }).first(where: Self.isRoutableV6) {
            warn("IPV6", "IPV6 is off but this host has the IPv6 address \(exposed): IPv6 traffic passes unfiltered")
        }
        for key in Self.portKeys(ipv6: p.ipv6) where config.values[key] == nil {
            diags.append(config.diagnostic(.warning, key, Self.missingPortKeyMessage(key)))
        }
        p.icmp = .init(inbound: config.bool("ICMP_IN"), inboundRate: config.rate("ICMP_IN_RATE"),
                       outbound: config.bool("ICMP_OUT"), outboundRate: config.rate("ICMP_OUT_RATE"),
                       timestampDrop: config.bool("ICMP_TIMESTAMPDROP"), ipv6Strict: config.bool("IPV6_ICMP_STRICT"))
        p.packetFilter = config.bool("PACKET_FILTER")
        switch config["DROP"] {
        case "REJECT": p.drop = .reject
        case "TARPIT":
            warn("DROP", "DROP = \"TARPIT\" has no nftables equivalent; dropping instead")
            p.drop = .drop
        default: p.drop = .drop
        }
        p.dropOut = config["DROP_OUT"] == "DROP" ? .drop : .reject
        // csf forces DROP_IP_LOGGING off in port-scan mode so that banned sources do not feed the scanner.
        p.logging = .init(dropLogging: config.bool("DROP_LOGGING"),
                          dropIPLogging: config.bool("DROP_IP_LOGGING") && config.int("PS_INTERVAL") == 0,
                          dropOutLogging: config.bool("DROP_OUT_LOGGING"), dropUIDLogging: config.bool("DROP_UID_LOGGING"),
                          dropOnlyReserved: config.bool("DROP_ONLYRES"), dropPacketFilterLogging: config.bool("DROP_PF_LOGGING"),
                          silentPorts: config.ports("DROP_NOLOG"))
        p.blockInOnly = config.bool("LF_BLOCKINONLY")
        p.dnsStrict = config.bool("DNS_STRICT")
        if !config.bool("DNS_STRICT_NS") { p.nameservers = nameservers(inputs.resolvConf ?? "") }
        if config.bool("SMTP_BLOCK") { p.smtp = smtpBlock(config, warn: warn) }
        if config.bool("DOCKER") {
            if let dev = InterfaceName(csf: config["DOCKER_DEVICE"]) {
                p.docker = .init(device: dev, network4: IPNetwork(config["DOCKER_NETWORK4"])?.network,
                                 network6: p.ipv6 ? IPNetwork(config["DOCKER_NETWORK6"])?.network : nil)
            } else {
                warn("DOCKER_DEVICE", "DOCKER is on but DOCKER_DEVICE is empty; Docker rules skipped")
            }
        }

        if config.bool("SYNFLOOD") {
            if let rate = config.rate("SYNFLOOD_RATE"), config.int("SYNFLOOD_BURST") > 0 {
                p.synFlood = .init(rate: rate, burst: config.int("SYNFLOOD_BURST"), perSource: config.bool("SYNFLOOD_PER_SOURCE"))
            } else {
                diags.append(config.diagnostic(.error, "SYNFLOOD_RATE", "SYNFLOOD needs SYNFLOOD_RATE like \"100/s\" and a positive SYNFLOOD_BURST"))
            }
        }
        let (floods, floodDiags) = Self.portFloods(config)
        p.portFloods = floods
        diags += floodDiags
        let (limits, limitDiags) = Self.connLimits(config)
        p.connLimits = limits
        p.connLimitLogging = config.bool("CONNLIMIT_LOGGING")
        diags += limitDiags

        if config.bool("UDPFLOOD") {
            let (flood, floodDiags) = udpFlood(config)
            p.udpFlood = flood
            diags += floodDiags
        }
        let (knocks, knockDiags) = Self.portKnocks(config)
        p.portKnocks = knocks
        p.portKnockingLog = config.bool("PORTKNOCKING_LOG")
        diags += knockDiags
        for k in knocks where PortList.contains(p.ports4.tcpIn, k.port) && k.proto == .tcp {
            warn("PORTKNOCKING", "PORTKNOCKING port \(k.port) is also in TCP_IN, so it is open without knocking")
        }
        if config.bool("MESSENGER") {
            let (messenger, messengerDiags) = messenger(config)
            p.messenger = messenger
            diags += messengerDiags
        }
        let group = config.int("NFLOG_GROUP")
        p.nflogGroup = group > 0 && group <= 65535 ? UInt16(group) : nil
        // lfd's packet checks only see what the firewall logs.
        let packetChecks = ["PS_INTERVAL": "DROP_LOGGING", "UID_INTERVAL": "DROP_OUT_LOGGING", "PORTKNOCKING_ALERT": "PORTKNOCKING_LOG"]
        for (check, needs) in packetChecks.sorted(by: { $0.key < $1.key }) where config.bool(check) {
            if !config.bool(needs) { warn(check, "\(check) sees nothing with \(needs) = \"0\" (nothing is logged for lfd)") }
            if p.nflogGroup == nil { warn(check, "\(check) needs NFLOG_GROUP: lfd reads logged packets from that NFLOG group") }
        }

        for key in Self.notYetImplemented where config.bool(key) {
            warn(key, "\(key) is set but not implemented yet by nftcsf; it has no effect")
        }
        for key in ["CLUSTER_SENDTO", "CLUSTER_RECVFROM"] where !config[key].isEmpty && config["CLUSTER_DB"].isEmpty {
            warn(key, "\(key) has no effect without CLUSTER_DB: nftcsf's fleet shares decisions through PostgreSQL, not csf's port \(config["CLUSTER_PORT"])")
        }

        p.allow = inputs.allow
        p.allow.entries += Self.fleetDatabaseAccess(config).entries
        p.deny = inputs.deny
        let settingCount = diags.count
        diags += p.allow.diagnostics + p.deny.diagnostics
        if !p.ipv6 {
            p.allow.entries.removeAll { $0.family == .v6 }
            p.deny.entries.removeAll { $0.family == .v6 }
        }
        let (sips, sipsDiags) = loadSips()
        p.sips = p.ipv6 ? sips : sips.filter { $0.family == .v4 }
        diags += sipsDiags
        let (redirects, redirectDiags) = loadRedirects()
        p.redirects = redirects
        diags += redirectDiags
        p.now = inputs.now
        let (tempAllow, tempDeny) = (inputs.tempAllow, inputs.tempDeny)
        p.tempAllow = tempAllow.active(now: p.now)
        p.tempDeny = tempDeny.active(now: p.now)
        diags += tempAllow.diagnostics + tempDeny.diagnostics
        loadRemoteLists(into: &p, config: config)
        diags += loadCountries(into: &p, config: config)
        return Outcome(policy: p, config: config, diagnostics: diags, lineDiagnostics: diags.count - settingCount)
    }

    /// An IPv6 address others can reach: not loopback, link-local, unspecified or IPv4-mapped.
    static func isRoutableV6(_ address: IPAddress) -> Bool {
        guard address.family == .v6, !address.isLoopback, !address.isUnspecified, address.unmapped == nil else { return false }
        return !(IPNetwork("fe80::/10")?.contains(address) ?? false)
    }

    /// The port lists a csf.conf must set: csf reads a missing one as empty, which closes every port of it.
    static func portKeys(ipv6: Bool) -> [String] {
        let v4 = ["TCP_IN", "TCP_OUT", "UDP_IN", "UDP_OUT"]
        return ipv6 ? v4 + ["TCP6_IN", "TCP6_OUT", "UDP6_IN", "UDP6_OUT"] : v4
    }

    static func missingPortKeyMessage(_ key: String) -> String {
        let proto = key.hasPrefix("TCP") ? "TCP" : "UDP"
        let family = key.contains("6") ? "IPv6 " : ""
        let direction = key.hasSuffix("_IN") ? "inbound" : "outbound"
        let ssh = key == "TCP_IN" || key == "TCP6_IN" ? " (SSH included)" : ""
        return "\(key) is not set: every \(direction) \(family)\(proto) port is closed\(ssh)"
    }

    /// `PORTFLOOD = "22;tcp;5;300,..."`: port, tcp or udp, hits (1 or more; no 20-hit cap), seconds.
    static func portFloods(_ config: CsfConfig) -> ([FirewallPolicy.PortFlood], [Diagnostic]) {
        var out: [FirewallPolicy.PortFlood] = []
        var diags: [Diagnostic] = []
        for item in config.list("PORTFLOOD") {
            let f = item.split(separator: ";").map { String($0).trimmingWhitespace().lowercased() }
            guard f.count == 4, let port = UInt16(f[0]), f[1] == "tcp" || f[1] == "udp", let hits = Int(f[2]), hits >= 1,
                  let seconds = Int(f[3]), seconds >= 1, seconds <= 86400 * 7 else {
                diags.append(config.diagnostic(.error, "PORTFLOOD", "PORTFLOOD item '\(item)' is not port;tcp|udp;hits;seconds"))
                continue
            }
            out.append(.init(port: port, proto: f[1] == "tcp" ? .tcp : .udp, hits: hits, seconds: seconds))
        }
        return (out, diags)
    }

    /// `CONNLIMIT = "22;5,80;20"`: a bad item is an error with the setting's location (csf stopped on it too).
    static func connLimits(_ config: CsfConfig) -> ([FirewallPolicy.ConnLimit], [Diagnostic]) {
        var out: [FirewallPolicy.ConnLimit] = []
        var diags: [Diagnostic] = []
        for item in config.list("CONNLIMIT") {
            let parts = item.split(separator: ";").map { String($0).trimmingWhitespace() }
            guard parts.count == 2, let port = UInt16(parts[0]), let limit = Int(parts[1]), limit >= 1 else {
                diags.append(config.diagnostic(.error, "CONNLIMIT", "CONNLIMIT item '\(item)' is not port;limit (port 0-65535, limit 1 or more)"))
                continue
            }
            out.append(.init(port: port, limit: limit))
        }
        return (out, diags)
    }

    /// MESSENGER: the HTML, TEXT and HTTPS servers' ports and what is redirected to them. As csf, it stays off
    /// when MESSENGER_USER is missing or root, or an _IN list names more than 15 ports.
    private func messenger(_ config: CsfConfig) -> (FirewallPolicy.Messenger?, [Diagnostic]) {
        var diags: [Diagnostic] = []
        let user = config["MESSENGER_USER"].trimmingWhitespace()
        guard let uid = accounts.uid(named: user), uid != 0 else {
            return (nil, [config.diagnostic(.warning, "MESSENGER_USER", "MESSENGER_USER '\(user)' \(user == "root" ? "is root" : "does not exist"): the messenger stays off (a blocked source's connections are dropped)")])
        }
        func service(_ portKey: String, _ inKey: String) -> FirewallPolicy.Messenger.Service? {
            let inbound = config.ports(inKey)
            guard !inbound.isEmpty else { return nil }
            guard inbound.count <= 15 else {
                diags.append(config.diagnostic(.warning, inKey, "\(inKey) lists more than 15 ports; that messenger is off, as in csf"))
                return nil
            }
            let port = config.int(portKey)
            guard port > 0, port <= 65535 else { return nil }
            return .init(port: UInt16(port), inbound: inbound)
        }
        guard let rate = config.rate("MESSENGER_RATE"), config.int("MESSENGER_BURST") > 0 else {
            return (nil, [config.diagnostic(.error, "MESSENGER_RATE", "MESSENGER needs MESSENGER_RATE like \"100/s\" and a positive MESSENGER_BURST")])
        }
        let m = FirewallPolicy.Messenger(html: service("MESSENGER_HTML", "MESSENGER_HTML_IN"), text: service("MESSENGER_TEXT", "MESSENGER_TEXT_IN"),
                                         https: service("MESSENGER_HTTPS", "MESSENGER_HTTPS_IN"), permanent: config.bool("MESSENGER_PERM"), temporary: config.bool("MESSENGER_TEMP"),
                                         rate: rate, burst: config.int("MESSENGER_BURST"))
        return (m.services.isEmpty ? nil : m, diags)
    }

    /// UDPFLOOD_LIMIT / _BURST / _ALLOWUSER (names or uids) / UDPFLOOD_LOGGING.
    private func udpFlood(_ config: CsfConfig) -> (FirewallPolicy.UdpFlood?, [Diagnostic]) {
        guard let rate = config.rate("UDPFLOOD_LIMIT"), config.int("UDPFLOOD_BURST") > 0 else {
            return (nil, [config.diagnostic(.error, "UDPFLOOD_LIMIT", "UDPFLOOD needs UDPFLOOD_LIMIT like \"100/s\" and a positive UDPFLOOD_BURST")])
        }
        var users: [UInt32] = []
        var diags: [Diagnostic] = []
        for name in config.list("UDPFLOOD_ALLOWUSER") {
            if let uid = ConfigSchema.isUnsigned(name) ? UInt32(name) : accounts.uid(named: name) { users.append(uid) }
            else { diags.append(config.diagnostic(.warning, "UDPFLOOD_ALLOWUSER", "UDPFLOOD_ALLOWUSER: no such user '\(name)'; skipped")) }
        }
        return (.init(rate: rate, burst: config.int("UDPFLOOD_BURST"), users: users, logging: config.bool("UDPFLOOD_LOGGING")), diags)
    }

    /// `PORTKNOCKING = "22;tcp;20;100;200;300"`: at least three knocks, as csf demands.
    static func portKnocks(_ config: CsfConfig) -> ([FirewallPolicy.PortKnock], [Diagnostic]) {
        var out: [FirewallPolicy.PortKnock] = []
        var diags: [Diagnostic] = []
        func fail(_ message: String) { diags.append(config.diagnostic(.error, "PORTKNOCKING", message)) }
        for item in config.list("PORTKNOCKING") {
            let f = item.split(separator: ";").map { String($0).trimmingWhitespace().lowercased() }
            guard f.count >= 3, let port = UInt16(f[0]), f[1] == "tcp" || f[1] == "udp", let timeout = Int(f[2]), timeout >= 1,
                  timeout <= 86400 else {
                fail("PORTKNOCKING item '\(item)' is not port;tcp|udp;timeout;knock1;knock2;knock3...")
                continue
            }
            let knocks = f.dropFirst(3).compactMap { UInt16($0) }
            guard knocks.count == f.count - 3 else {
                fail("PORTKNOCKING item '\(item)': knocks must be port numbers")
                continue
            }
            guard knocks.count >= 3 else {
                fail("csf: Error - not enough Port Knocks for port \(port)")
                continue
            }
            out.append(.init(port: port, proto: f[1] == "tcp" ? .tcp : .udp, timeout: timeout, knocks: Array(knocks)))
        }
        return (out, diags)
    }

    /// CLUSTER_DB: the node's connection to the fleet database is let out (csf opened CLUSTER_PORT to its members
    /// the same way): to the database's address, or to its port anywhere when it is named by a host name (the
    /// policy resolves no names).
    static func fleetDatabaseAccess(_ config: CsfConfig) -> AccessList {
        guard let db = config.clusterDatabase else { return AccessList() }
        let destination = IPAddress(db.host).map { "|d=\($0)" } ?? ""
        return AccessList.parse(text: "tcp|out|d=\(db.port)\(destination) # CLUSTER_DB\n", path: "csf.conf (CLUSTER_DB)")
    }

    /// Firewall settings csf honours that this version does not build yet: said out loud, never ignored silently.
    static let notYetImplemented = [
        "USE_FTPHELPER", "LFDSTART",
    ]

    private func scope(_ value: String) -> FirewallPolicy.InterfaceScope {
        if value.isEmpty { return .allButLoopback }
        return InterfaceName(csf: value).map { .device($0) } ?? .allButLoopback
    }

    private func smtpBlock(_ config: CsfConfig, warn: (String, String) -> Void) -> FirewallPolicy.SmtpBlock {
        var users: [UInt32] = []
        var groups: [UInt32] = []
        for name in config.list("SMTP_ALLOWUSER") {
            if let uid = ConfigSchema.isUnsigned(name) ? UInt32(name) : accounts.uid(named: name) { users.append(uid) }
            else { warn("SMTP_ALLOWUSER", "SMTP_ALLOWUSER: no such user '\(name)'; skipped") }
        }
        for name in config.list("SMTP_ALLOWGROUP") {
            if let gid = ConfigSchema.isUnsigned(name) ? UInt32(name) : accounts.gid(named: name) { groups.append(gid) }
            else { warn("SMTP_ALLOWGROUP", "SMTP_ALLOWGROUP: no such group '\(name)'; skipped") }
        }
        return .init(ports: config.ports("SMTP_PORTS"), allowLocal: config.bool("SMTP_ALLOWLOCAL"),
                     redirect: config.bool("SMTP_REDIRECT"), users: users, groups: groups)
    }

    /// Non-local resolvers from resolv.conf, which csf lets through above LOCALINPUT.
    private func nameservers(_ text: String) -> [IPAddress] {
        var out: [IPAddress] = []
        for line in LineScanner.lines(text) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver", let addr = IPAddress(fields[1]) else { continue }
            if !host.isLocal(addr) && !out.contains(addr) { out.append(addr) }
        }
        return out
    }

    private func loadSips() -> ([IPNetwork], [Diagnostic]) {
        let reader = inputs.sips
        var diags = reader.diagnostics
        var out: [IPNetwork] = []
        for line in reader.lines {
            switch IPNetwork.parse(line.tokenBytes) {
            case .success(let net) where net.prefix > 0: out.append(net.network)
            default: diags.append(Diagnostic(.error, file: line.file, line: line.line, "'\(line.token)' is not a valid IP address"))
            }
        }
        return (out, diags)
    }

    private func loadRedirects() -> ([RedirectRule], [Diagnostic]) {
        let reader = inputs.redirects
        var diags = reader.diagnostics
        var out: [RedirectRule] = []
        for line in reader.lines {
            switch RedirectRule.parse(Substring(line.token)) {
            case .success(var rule):
                rule.comment = line.comment
                out.append(rule)
            case .failure(let reason):
                diags.append(Diagnostic(.error, file: line.file, line: line.line, "invalid csf.redirect entry '\(line.token)': \(reason)"))
            }
        }
        return (out, diags)
    }
}

extension AccessEntry {
    /// The address family the entry applies to; owner filters apply to both and report nil.
    var family: IPAddress.Family? {
        switch kind {
        case .network(let n): return n.family
        case .filter(let f): return f.owner != nil ? nil : f.address?.network.family
        }
    }
}
