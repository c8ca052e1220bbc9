import CsfCompat
import CsfPolicy

/// Compiles the policy model into the `inet csf` table, following csf's chain order (reference §5.2):
/// INPUT → LOCALINPUT (ALLOWIN before DENYIN: allow beats deny) → loopback → packet filter → ICMP →
/// established → open ports → LOGDROPIN. OUTPUT and FORWARD mirror it.
public struct RulesetCompiler {
    typealias C = CsfTableLayout.Chain

    typealias S = CsfTableLayout.SetName

    public let policy: FirewallPolicy

    /// Filters are few but lists can hold a million addresses: find them once, not once per chain.
    let allowFilters: [(AdvancedFilter, AccessEntry)]

    let denyFilters: [(AdvancedFilter, AccessEntry)]

    /// CT_MARK_FASTPATH's generation: new for every load, so no connection keeps a mark from the last one.
    let connectionMark: ConnectionMark

    public init(policy: FirewallPolicy, connectionMark: ConnectionMark = .fresh()) {
        self.policy = policy
        self.connectionMark = connectionMark
        allowFilters = policy.allow.filters
        denyFilters = policy.deny.filters
    }

    public static func compile(_ policy: FirewallPolicy, connectionMark: ConnectionMark = .fresh()) -> NftTable {
        RulesetCompiler(policy: policy, connectionMark: connectionMark).compile()
    }

    public func compile() -> NftTable {
        var table = NftTable(name: CsfTableLayout.tableName)
        table.sets = sets()
        table.chains = [inputChain(), outputChain(), forwardChain(),
                        localInput(), localOutput(), allowIn(), allowOut(), denyIn(), denyOut(),
                        logDropIn(), logDropOut()] + remoteListChains() + countryChains()
        if establishedFastPath { table.chains += establishedInChains() }
        if markFastPath { table.connectionMark = connectionMark }
        if policy.packetFilter && (policy.spi || (policy.ipv6 && policy.spi6)) {
            table.chains += [invalidChain(), invalidDropChain()]
        }
        if let smtp = policy.smtp { table.chains.append(smtpOutput(smtp)) }
        if let flood = policy.synFlood { table.chains.append(synFloodChain(flood)) }
        if !policy.connLimits.isEmpty { table.chains.append(connLimitChain()) }
        if !policy.portFloods.isEmpty { table.chains += portFloodChains() }
        if let udp = policy.udpFlood { table.chains.append(udpFloodChain(udp)) }
        table.chains += portKnockChains()
        table.chains += natChains()
        table.chains = table.chains.map(Self.counted)
        return table
    }

    /// Every rule counts what it matches, so `csf -l` shows packets and bytes per rule as csf's did.
    static func counted(_ chain: NftChain) -> NftChain {
        var chain = chain
        for i in chain.rules.indices {
            let hasCounter = chain.rules[i].statements.contains { if case .counter = $0 { return true } else { return false } }
            if !hasCounter { chain.rules[i].statements.insert(.counter, at: 0) }
        }
        return chain
    }

    func verdict(_ action: FirewallPolicy.DropAction) -> NftVerdict { action == .drop ? .drop : .reject }

    /// Listed addresses (csf.deny, temp bans): LOGDROPIN only with DROP_IP_LOGGING.
    var dropListedIn: NftVerdict { policy.logging.dropIPLogging ? .jump(C.logDropIn) : verdict(policy.drop) }

    var dropListedOut: NftVerdict { policy.logging.dropOutLogging ? .jump(C.logDropOut) : verdict(policy.dropOut) }

    /// ICMP and csf.sips drops follow DROP_LOGGING.
    var dropIn: NftVerdict { policy.logging.dropLogging ? .jump(C.logDropIn) : verdict(policy.drop) }

    var dropOut: NftVerdict { policy.logging.dropLogging ? .jump(C.logDropOut) : verdict(policy.dropOut) }

    func scope(_ family: IPAddress.Family) -> FirewallPolicy.InterfaceScope {
        family == .v4 ? policy.ethIn : policy.ethIn6
    }

    func ethIn(_ s: FirewallPolicy.InterfaceScope) -> [NftMatch] {
        switch s {
        case .allButLoopback: return [.iifname(Self.loopback, negated: true)]
        case .device(let d): return [.iifname(d, negated: false)]
        }
    }

    /// $ethin for INPUT rules below the early loopback accept: "every interface but lo" needs no match there,
    /// and an interface-name compare on every rule is a measurable share of the per-packet cost.
    func inScope(_ s: FirewallPolicy.InterfaceScope) -> [NftMatch] {
        s == .allButLoopback ? [] : ethIn(s)
    }

    func ethOut(_ s: FirewallPolicy.InterfaceScope) -> [NftMatch] {
        switch s {
        case .allButLoopback: return [.oifname(Self.loopback, negated: true)]
        case .device(let d): return [.oifname(d, negated: false)]
        }
    }

    static let loopback = InterfaceName(trusted: "lo")

    /// Emits a rule for both families: once when the families behave alike, else once per family.
    func bothFamilies(_ make: (IPAddress.Family, [NftMatch]) -> NftRule?, sameFor6: Bool) -> [NftRule] {
        if !policy.ipv6 || sameFor6 { return [make(.v4, [])].compactMap { $0 } }
        return [make(.v4, [.family(.ipv4)]), make(.v6, [.family(.ipv6)])].compactMap { $0 }
    }

    var ipv6Bypass: [NftRule] {
        policy.ipv6 ? [] : [NftRule([.family(.ipv6)], [], .accept, comment: "IPV6=0: IPv6 is not filtered")]
    }

    var families: [IPAddress.Family] { policy.ipv6 ? [.v4, .v6] : [.v4] }

    /// `meta nfproto …` for rules that exist once per family; nothing when only IPv4 is filtered.
    func familyMatch(_ family: IPAddress.Family) -> [NftMatch] {
        policy.ipv6 ? [.family(family == .v4 ? .ipv4 : .ipv6)] : []
    }

    /// iptables' `--syn`: SYN set, FIN/RST/ACK clear.
    static let newSyn = NftMatch.tcpFlags(mask: [.fin, .syn, .rst, .ack], equals: .syn, negated: false)

    static let logLimit = Rate(count: 30, unit: .minute)
    /// NFLOG's own budget, per source address: a scan of 100 ports in a second reaches lfd whole, and a source
    /// flooding junk is held to its own bucket instead of using up everyone's.
    static let nflogRate = Rate(count: 100, unit: .second)
    static let nflogBurst = 200

    /// csf's rate-limited LOG rule (kernel log, 30/minute as csf's). With NFLOG_GROUP the packet also goes to that
    /// NFLOG group, where lfd reads it (the kernel log is not readable from containers and many distributions no
    /// longer keep one), through a rule of its own with a bucket per source: sharing csf's 30/minute let a fast
    /// scan through with a handful of packets logged, and let one source starve every other's logging.
    func logRule(_ matches: [NftMatch], prefix: String, uid: Bool = false, tag: String = "Firewall: ",
                 comment: String = "DROP_LOGGING") -> [NftRule] {
        let text = "\(tag)\(prefix) "
        var rules = [NftRule(matches + [.limit(Self.logLimit, burst: 5)], [.log(prefix: text, uid: uid, group: nil)], nil, comment: comment)]
        guard let group = policy.nflogGroup else { return rules }
        // A rule with a family match sees that family only; one without sees both and gets a match per family.
        let own = matches.lazy.compactMap { m -> NftFamilyMatch? in if case .family(let f) = m { return f } else { return nil } }.first
        for family in families {
            let match: NftFamilyMatch = family == .v4 ? .ipv4 : .ipv6
            guard own == nil || own == match else { continue }
            let fm: [NftMatch] = own == nil ? [.family(match)] : []
            rules.append(NftRule(fm + matches, [.setLimitSource(set: S.nflog(family), family: family, rate: Self.nflogRate, burst: Self.nflogBurst),
                                                .log(prefix: text, uid: false, group: group)],
                                 nil, comment: "\(comment) NFLOG_GROUP, per source"))
        }
        return rules
    }

}
