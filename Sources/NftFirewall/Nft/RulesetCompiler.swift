/// Compiles the policy model into the `inet csf` table, following csf's chain order (reference §5.2):
/// INPUT → LOCALINPUT (ALLOWIN before DENYIN: allow beats deny) → loopback → packet filter → ICMP →
/// established → open ports → LOGDROPIN. OUTPUT and FORWARD mirror it.
public struct RulesetCompiler {
    typealias C = CsfTableLayout.Chain
    typealias S = CsfTableLayout.SetName

    public let policy: FirewallPolicy
    /// Filters are few but lists can hold a million addresses: find them once, not once per chain.
    private let allowFilters: [(AdvancedFilter, AccessEntry)]
    private let denyFilters: [(AdvancedFilter, AccessEntry)]

    public init(policy: FirewallPolicy) {
        self.policy = policy
        allowFilters = policy.allow.filters
        denyFilters = policy.deny.filters
    }

    public static func compile(_ policy: FirewallPolicy) -> NftTable {
        RulesetCompiler(policy: policy).compile()
    }

    public func compile() -> NftTable {
        var table = NftTable(name: CsfTableLayout.tableName)
        table.sets = listSets()
        table.chains = [inputChain(), outputChain(), forwardChain(),
                        localInput(), localOutput(), allowIn(), allowOut(), denyIn(), denyOut(),
                        logDropIn(), logDropOut()]
        if establishedFastPath { table.chains += establishedInChains() }
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
        return table
    }

    // MARK: verdicts csf chooses between

    private func verdict(_ action: FirewallPolicy.DropAction) -> NftVerdict { action == .drop ? .drop : .reject }
    /// Listed addresses (csf.deny, temp bans): LOGDROPIN only with DROP_IP_LOGGING.
    private var dropListedIn: NftVerdict { policy.logging.dropIPLogging ? .jump(C.logDropIn) : verdict(policy.drop) }
    private var dropListedOut: NftVerdict { policy.logging.dropOutLogging ? .jump(C.logDropOut) : verdict(policy.dropOut) }
    /// ICMP and csf.sips drops follow DROP_LOGGING.
    private var dropIn: NftVerdict { policy.logging.dropLogging ? .jump(C.logDropIn) : verdict(policy.drop) }
    private var dropOut: NftVerdict { policy.logging.dropLogging ? .jump(C.logDropOut) : verdict(policy.dropOut) }

    // MARK: interface scope ($ethin / $ethout)

    private func scope(_ family: IPAddress.Family) -> FirewallPolicy.InterfaceScope {
        family == .v4 ? policy.ethIn : policy.ethIn6
    }

    private func ethIn(_ s: FirewallPolicy.InterfaceScope) -> [NftMatch] {
        switch s {
        case .allButLoopback: return [.iifname(Self.loopback, negated: true)]
        case .device(let d): return [.iifname(d, negated: false)]
        }
    }

    /// $ethin for INPUT rules below the early loopback accept: "every interface but lo" needs no match there,
    /// and an interface-name compare on every rule is a measurable share of the per-packet cost.
    private func inScope(_ s: FirewallPolicy.InterfaceScope) -> [NftMatch] {
        s == .allButLoopback ? [] : ethIn(s)
    }

    private func ethOut(_ s: FirewallPolicy.InterfaceScope) -> [NftMatch] {
        switch s {
        case .allButLoopback: return [.oifname(Self.loopback, negated: true)]
        case .device(let d): return [.oifname(d, negated: false)]
        }
    }

    private static let loopback = InterfaceName(trusted: "lo")

    /// Emits a rule for both families: once when the families behave alike, else once per family.
    private func bothFamilies(_ make: (IPAddress.Family, [NftMatch]) -> NftRule?, sameFor6: Bool) -> [NftRule] {
        if !policy.ipv6 || sameFor6 { return [make(.v4, [])].compactMap { $0 } }
        return [make(.v4, [.family(.ipv4)]), make(.v6, [.family(.ipv6)])].compactMap { $0 }
    }

    private var ipv6Bypass: [NftRule] {
        policy.ipv6 ? [] : [NftRule([.family(.ipv6)], [], .accept, comment: "IPV6=0: IPv6 is not filtered")]
    }

    // MARK: sets

    private func listSets() -> [NftSet] {
        var sets: [NftSet] = []
        for (kind, list) in [(CsfTableLayout.ListKind.allow, policy.allow), (.deny, policy.deny)] {
            let file = kind == .allow ? "csf.allow" : "csf.deny"
            let (hosts, nets) = Self.partition(list)
            for family in [IPAddress.Family.v4, .v6] {
                let keyType: NftSet.KeyType = family == .v4 ? .ipv4 : .ipv6
                sets.append(NftSet(name: S.hosts(kind, family), keyType: keyType, comment: "\(file) addresses",
                                   elements: hosts.filter { $0.family == family }.map { NftSetElement($0) }))
                sets.append(NftSet(name: S.networks(kind, family), keyType: keyType, flags: [.interval], comment: "\(file) networks",
                                   elements: Self.withoutCoveredNetworks(nets.filter { $0.family == family }.map { NftSetElement($0) })))
            }
        }
        for family in [IPAddress.Family.v4, .v6] {
            let elements = Self.withoutCoveredNetworks(policy.sips.filter { $0.family == family }.map { NftSetElement($0) })
            sets.append(NftSet(name: S.hosts(.sips, family), keyType: family == .v4 ? .ipv4 : .ipv6, flags: [.interval],
                               comment: "csf.sips", elements: elements))
        }
        for flood in policy.portFloods {
            for family in families {
                for kind in ["window", "bucket", "block"] {
                    var set = NftSet(name: Self.portFloodSet(family, flood, kind), keyType: family == .v4 ? .ipv4 : .ipv6,
                                     flags: [.dynamic, .timeout],
                                     comment: "PORTFLOOD \(flood.port);\(flood.proto.rawValue);\(flood.hits);\(flood.seconds) \(kind)", size: 65535)
                    set.defaultTimeout = flood.seconds
                    sets.append(set)
                }
            }
        }
        for limit in policy.connLimits {
            for family in families {
                sets.append(NftSet(name: Self.connLimitSet(family, limit.port), keyType: family == .v4 ? .ipv4 : .ipv6,
                                   flags: [.dynamic], comment: "CONNLIMIT \(limit.port);\(limit.limit) connection counts", size: 65535))
            }
        }
        if let flood = policy.synFlood, flood.perSource {
            // A source idle for longer than its bucket takes to refill starts full again either way.
            let refill = Int((Double(flood.burst) / flood.rate.perSecond).rounded(.up))
            for family in families {
                var set = NftSet(name: Self.synFloodSet(family), keyType: family == .v4 ? .ipv4 : .ipv6, flags: [.dynamic, .timeout],
                                 comment: "SYNFLOOD_PER_SOURCE: one \(flood.rate) bucket per source", size: 65535)
                set.defaultTimeout = max(60, refill + 1)
                sets.append(set)
            }
        }
        for knock in policy.portKnocks {
            for family in families {
                for step in 1...knock.knocks.count {
                    var set = NftSet(name: Self.knockSet(family, knock, step), keyType: family == .v4 ? .ipv4 : .ipv6,
                                     flags: [.dynamic, .timeout],
                                     comment: "PORTKNOCKING \(knock.port): sources past knock \(step) (port \(knock.knocks[step - 1]))", size: 65535)
                    set.defaultTimeout = knock.timeout
                    sets.append(set)
                }
            }
        }
        let temp = policy.tempAllow.map { (TempEntry.Kind.allow, $0) } + policy.tempDeny.map { (TempEntry.Kind.deny, $0) }
        return sets + TempSets.populated(temp.filter { families.contains($0.1.target.family) }, now: policy.now)
    }

    /// Plain addresses (deduplicated, sorted) and networks of a list. Per-element comments stay in the
    /// files: carrying them into the kernel makes a million-entry load five times slower.
    static func partition(_ list: AccessList) -> (hosts: [IPNetwork], networks: [IPNetwork]) {
        var v4: [UInt32] = []
        var v6: [IPAddress] = []
        var nets: [IPNetwork] = []
        v4.reserveCapacity(list.entries.count)
        for entry in list.entries {
            guard case .network(let net) = entry.kind else { continue }
            if !net.isHost {
                nets.append(net)
            } else if case .v4(let a) = net.address {
                v4.append(a)
            } else {
                v6.append(net.address)
            }
        }
        v4.sort()
        var hosts: [IPNetwork] = []
        hosts.reserveCapacity(v4.count + v6.count)
        var last: UInt32?
        for a in v4 where a != last {
            hosts.append(IPNetwork(address: .v4(a), prefix: 32))
            last = a
        }
        for a in Set(v6).sorted() { hosts.append(IPNetwork(host: a)) }
        return (hosts, nets)
    }

    /// An interval set without auto-merge refuses overlaps, so a network inside another listed one is
    /// dropped (the outer one already covers it). Adjacent networks stay separate so each can be removed.
    static func withoutCoveredNetworks(_ elements: [NftSetElement]) -> [NftSetElement] {
        let sorted = elements.sorted { a, b in
            a.network.address != b.network.address ? a.network.address < b.network.address : a.network.prefix < b.network.prefix
        }
        var out: [NftSetElement] = []
        out.reserveCapacity(sorted.count)
        for e in sorted {
            if let last = out.last, last.network.contains(e.network) { continue }
            out.append(e)
        }
        return out
    }

    private func setMatches(_ kind: CsfTableLayout.ListKind, _ family: IPAddress.Family, source: Bool) -> [[NftMatch]] {
        let make: (String) -> NftMatch = { name in
            source ? .saddr(family, .set(name)) : .daddr(family, .set(name))
        }
        return [[make(S.hosts(kind, family))], [make(S.networks(kind, family))]]
    }

    private var families: [IPAddress.Family] { policy.ipv6 ? [.v4, .v6] : [.v4] }

    /// `meta nfproto …` for rules that exist once per family; nothing when only IPv4 is filtered.
    private func familyMatch(_ family: IPAddress.Family) -> [NftMatch] {
        policy.ipv6 ? [.family(family == .v4 ? .ipv4 : .ipv6)] : []
    }

    // MARK: INPUT

    private func inputChain() -> NftChain {
        var chain = NftChain(name: C.input, base: .init(kind: .filter, hook: .input, priority: "filter", policy: .drop))
        chain.rules += ipv6Bypass
        for dev in policy.skipDevices {
            chain.add(NftRule([.iifname(dev, negated: false)], [], .accept, comment: "ETH_DEVICE_SKIP"))
        }
        for ns in policy.nameservers where families.contains(ns.family) {
            for p in [NftL4.udp, .tcp] {
                for sport in [true, false] {
                    let port: NftMatch = sport ? .sport(p, [PortRange(53)]) : .dport(p, [PortRange(53)])
                    chain.add(NftRule(ethIn(scope(ns.family)) + [.saddr(ns.family, .network(IPNetwork(host: ns))), port],
                                      [], .accept, comment: "DNS_STRICT_NS=0: resolver"))
                }
            }
        }
        // csf accepts lo after LOCALINPUT, which lo never enters: the same verdicts, one compare earlier.
        chain.add(NftRule([.iifLoopback], [], .accept, comment: "loopback"))
        if establishedFastPath {
            chain.add(NftRule([.ctState([.established, .related])], [], .jump(C.establishedIn), comment: "LF_SPI: established traffic"))
        }
        chain.rules += bothFamilies({ f, fm in
            NftRule(fm + inScope(scope(f)), [], .jump(C.localInput), comment: "csf allow/deny lists")
        }, sameFor6: policy.ethIn == policy.ethIn6)
        if policy.synFlood != nil {
            chain.rules += bothFamilies({ f, fm in
                NftRule(fm + inScope(scope(f)) + [Self.newSyn], [], .jump(C.synFlood), comment: "SYNFLOOD")
            }, sameFor6: policy.ethIn == policy.ethIn6)
        }
        chain.rules += packetFilterJump(inbound: true)
        chain.rules += portFloodJumps()
        chain.rules += connLimitRules()
        chain.rules += icmpIn()
        chain.rules += stateRules(inbound: true)
        chain.rules += portKnockRules()
        chain.rules += portRules(inbound: true)
        chain.rules += bothFamilies({ f, fm in
            NftRule(fm + inScope(scope(f)), [], .jump(C.logDropIn), comment: "closed port")
        }, sameFor6: policy.ethIn == policy.ethIn6)
        return chain
    }

    /// With SPI on for every filtered family, packets of established connections take a short path: only
    /// the deny-side lookups (a hit re-runs LOCALINPUT, so allow still beats deny and bans still cut live
    /// connections), csf's INVALID checks, then accept. ICMP keeps the full path (ICMP_IN_RATE applies to
    /// echo requests conntrack calls established), and so does every connection when csf.deny has filters.
    private var establishedFastPath: Bool { policy.spi && (!policy.ipv6 || policy.spi6) }

    /// One chain per family, so an IPv4 packet meets no IPv6 rule (each costs a compare per packet).
    private func establishedInChains() -> [NftChain] {
        var head = NftChain(name: C.establishedIn)
        if policy.ipv6 { head.add(NftRule([.family(.ipv6)], [], .goto(C.establishedIn6), comment: "IPv6")) }
        var chains = [establishedIn(.v4, into: head)]
        if policy.ipv6 { chains.append(establishedIn(.v6, into: NftChain(name: C.establishedIn6))) }
        return chains
    }

    private func establishedIn(_ f: IPAddress.Family, into chain: NftChain) -> NftChain {
        var chain = chain
        chain.add(NftRule([.l4proto(f == .v4 ? .icmp : .icmpv6)], [], .return, comment: "ICMP: full path"))
        let scoped = inScope(scope(f))
        if denyFilters.isEmpty {
            for m in setMatches(.deny, f, source: true) + TempSets.matches(.deny, inbound: true, family: f) {
                chain.add(NftRule(scoped + m, [], .jump(C.localInput), comment: "listed: full csf check"))
            }
            if policy.sips.contains(where: { $0.family == f }) {
                chain.add(NftRule(scoped + [.daddr(f, .set(S.hosts(.sips, f)))], [], .jump(C.localInput), comment: "csf.sips"))
            }
        } else {
            chain.add(NftRule(scoped, [], .jump(C.localInput), comment: "csf.deny has filters: full csf check"))
        }
        if policy.packetFilter {
            chain.add(NftRule(scoped + [.l4proto(.tcp)], [], .jump(C.invalid), comment: "PACKET_FILTER"))
        }
        chain.add(NftRule([], [], .accept, comment: "LF_SPI"))
        return chain
    }

    private func packetFilterJump(inbound: Bool) -> [NftRule] {
        guard policy.packetFilter else { return [] }
        let on4 = policy.spi, on6 = policy.ipv6 && policy.spi6
        guard on4 || on6 else { return [] }
        return bothFamilies({ f, fm in
            guard f == .v4 ? on4 : on6 else { return nil }
            let iface = inbound ? inScope(scope(f)) : ethOut(scope(f))
            let qualifier = fm.isEmpty && policy.ipv6 && on4 != on6 ? [NftMatch.family(.ipv4)] : fm
            return NftRule(qualifier + iface + [.l4proto(.tcp)], [], .jump(C.invalid), comment: "PACKET_FILTER")
        }, sameFor6: on4 == on6 && policy.ethIn == policy.ethIn6)
    }

    private func icmpIn() -> [NftRule] {
        var rules: [NftRule] = []
        let icmp = policy.icmp
        if icmp.inbound, let rate = icmp.inboundRate {
            rules.append(NftRule([.icmpType(.v4, ["echo-request"]), .limit(rate, burst: 5)], [], .accept, comment: "ICMP_IN_RATE"))
            rules.append(NftRule([.icmpType(.v4, ["echo-request"])], [], dropIn, comment: "ICMP_IN_RATE exceeded"))
        } else if !icmp.inbound {
            rules.append(NftRule([.icmpType(.v4, ["echo-request"])], [], dropIn, comment: "ICMP_IN=0"))
        }
        if icmp.timestampDrop {
            rules.append(NftRule([.icmpType(.v4, ["timestamp-request"])], [], dropIn, comment: "ICMP_TIMESTAMPDROP"))
        }
        rules.append(NftRule([.l4proto(.icmp)], [], .accept, comment: "ICMP_IN"))
        guard policy.ipv6 else { return rules }
        if icmp.ipv6Strict {
            rules.append(NftRule([.icmpType(.v6, ["destination-unreachable", "packet-too-big", "time-exceeded",
                                                 "parameter-problem", "echo-request", "echo-reply"])],
                                 [], .accept, comment: "IPV6_ICMP_STRICT"))
            rules.append(NftRule([.icmpType(.v6, ["nd-router-advert", "nd-neighbor-solicit", "nd-neighbor-advert", "nd-redirect"]),
                                  .hopLimit(255)], [], .accept, comment: "IPV6_ICMP_STRICT neighbour discovery"))
        } else {
            rules.append(NftRule([.l4proto(.icmpv6)], [], .accept, comment: "IPV6_ICMP_STRICT=0"))
        }
        return rules
    }

    private func stateRules(inbound: Bool) -> [NftRule] {
        var rules: [NftRule] = []
        for f in families {
            let spi = f == .v4 ? policy.spi : policy.spi6
            let fm: [NftMatch] = policy.ipv6 && policy.spi != policy.spi6 ? [.family(f == .v4 ? .ipv4 : .ipv6)] : []
            if f == .v6 && policy.spi == policy.spi6 { continue }   // the v4 rule already covers both
            if spi {
                rules.append(NftRule(fm + [.ctState([.established, .related])], [], .accept,
                                     comment: f == .v4 ? "LF_SPI" : "IPV6_SPI"))
            } else if inbound {
                let ephemeral = [PortRange(32768, 61000)]
                rules.append(NftRule(fm + [.dport(.udp, ephemeral)], [], .accept, comment: "LF_SPI=0: ephemeral udp"))
                rules.append(NftRule(fm + [.dport(.tcp, ephemeral), .tcpFlags(mask: [.fin, .syn, .rst, .ack], equals: .syn, negated: true)],
                                     [], .accept, comment: "LF_SPI=0: ephemeral tcp"))
            }
        }
        return rules
    }

    private func portRules(inbound: Bool) -> [NftRule] {
        var rules: [NftRule] = []
        for f in families {
            let ports = f == .v4 ? policy.ports4 : policy.ports6
            let spi = f == .v4 ? policy.spi : policy.spi6
            let fm: NftMatch = .family(f == .v4 ? .ipv4 : .ipv6)
            let v6 = f == .v6 ? "6" : ""
            let dir = inbound ? "IN" : "OUT"
            for (proto, list) in [(NftL4.tcp, inbound ? ports.tcpIn : ports.tcpOut), (.udp, inbound ? ports.udpIn : ports.udpOut)] {
                guard !list.isEmpty else { continue }
                let state: [NftMatch] = spi ? [.ctState([.new])] : []
                rules.append(NftRule([fm, .dport(proto, list)] + state, [], .accept,
                                     comment: "\(proto.rawValue.uppercased())\(v6)_\(dir)"))
            }
        }
        return rules
    }

    // MARK: OUTPUT

    private func outputChain() -> NftChain {
        var chain = NftChain(name: C.output, base: .init(kind: .filter, hook: .output, priority: "filter", policy: .drop))
        chain.rules += ipv6Bypass
        for dev in policy.skipDevices {
            chain.add(NftRule([.oifname(dev, negated: false)], [], .accept, comment: "ETH_DEVICE_SKIP"))
        }
        for ns in policy.nameservers where families.contains(ns.family) {
            for p in [NftL4.udp, .tcp] {
                for sport in [true, false] {
                    let port: NftMatch = sport ? .sport(p, [PortRange(53)]) : .dport(p, [PortRange(53)])
                    chain.add(NftRule(ethOut(scope(ns.family)) + [.daddr(ns.family, .network(IPNetwork(host: ns))), port],
                                      [], .accept, comment: "DNS_STRICT_NS=0: resolver"))
                }
            }
        }
        let same = policy.ethIn == policy.ethIn6
        chain.rules += bothFamilies({ f, fm in
            NftRule(fm + ethOut(scope(f)), [], .jump(C.localOutput), comment: "csf allow/deny lists")
        }, sameFor6: same)
        if !policy.dnsStrict {
            for p in [NftL4.udp, .tcp] {
                for sport in [true, false] {
                    let port: NftMatch = sport ? .sport(p, [PortRange(53)]) : .dport(p, [PortRange(53)])
                    chain.rules += bothFamilies({ f, fm in
                        NftRule(fm + ethOut(scope(f)) + [port], [], .accept, comment: "DNS_STRICT=0")
                    }, sameFor6: same)
                }
            }
        }
        if policy.smtp != nil {
            chain.add(NftRule([], [], .jump(C.smtpOutput), comment: "SMTP_BLOCK"))
        }
        chain.add(NftRule([.oifname(Self.loopback, negated: false)], [], .accept, comment: "loopback"))
        chain.rules += packetFilterJump(inbound: false)
        chain.rules += icmpOut()
        chain.rules += stateRules(inbound: false)
        chain.rules += portRules(inbound: false)
        for f in families where !(f == .v4 ? policy.spi : policy.spi6) {
            let fm: [NftMatch] = policy.ipv6 && policy.spi != policy.spi6 ? [.family(f == .v4 ? .ipv4 : .ipv6)] : []
            if f == .v6 && policy.spi == policy.spi6 { continue }
            chain.add(NftRule(fm + ethOut(scope(f)), [], .accept, comment: "LF_SPI=0: all outbound"))
        }
        let final: NftVerdict = policy.logging.dropOutLogging ? .jump(C.logDropOut) : verdict(policy.dropOut)
        chain.rules += bothFamilies({ f, fm in
            NftRule(fm + ethOut(scope(f)), [], final, comment: "closed port")
        }, sameFor6: same)
        return chain
    }

    private func icmpOut() -> [NftRule] {
        var rules: [NftRule] = []
        let icmp = policy.icmp
        if icmp.outbound, let rate = icmp.outboundRate {
            rules.append(NftRule([.icmpType(.v4, ["echo-request"]), .limit(rate, burst: 5)], [], .accept, comment: "ICMP_OUT_RATE"))
            rules.append(NftRule([.icmpType(.v4, ["echo-request"])], [], dropOut, comment: "ICMP_OUT_RATE exceeded"))
        } else if !icmp.outbound {
            rules.append(NftRule([.icmpType(.v4, ["echo-request"])], [], dropOut, comment: "ICMP_OUT=0"))
        }
        if icmp.timestampDrop {
            rules.append(NftRule([.icmpType(.v4, ["timestamp-reply"])], [], dropOut, comment: "ICMP_TIMESTAMPDROP"))
        }
        rules.append(NftRule([.l4proto(.icmp)], [], .accept, comment: "ICMP_OUT"))
        if policy.ipv6 { rules.append(NftRule([.l4proto(.icmpv6)], [], .accept, comment: "ICMPv6 out")) }
        return rules
    }

    // MARK: FORWARD

    private func forwardChain() -> NftChain {
        var chain = NftChain(name: C.forward, base: .init(kind: .filter, hook: .forward, priority: "filter", policy: .drop))
        chain.rules += ipv6Bypass
        if let docker = policy.docker {
            let dev = docker.device
            chain.add(NftRule([.oifname(dev, negated: false), .ctState([.established, .related])], [], .accept, comment: "DOCKER"))
            chain.add(NftRule([.iifname(dev, negated: false), .oifname(dev, negated: true)], [], .accept, comment: "DOCKER"))
            chain.add(NftRule([.iifname(dev, negated: false), .oifname(dev, negated: false)], [], .accept, comment: "DOCKER"))
        }
        var anyDnat = false
        for r in policy.redirects {
            guard case .dnat(_, _, let target, let targetPort) = r.action else { continue }
            anyDnat = true
            var m = ethIn(policy.ethIn) + [.daddr(.v4, .network(IPNetwork(host: target)))]
            m += targetPort.map { [NftMatch.dport(r.proto, [PortRange($0)])] } ?? [.l4proto(r.proto)]
            if policy.spi { m.append(.ctState([.new])) }
            chain.add(NftRule(m, [], .accept, comment: "csf.redirect"))
        }
        if anyDnat && policy.spi {
            chain.add(NftRule(ethIn(policy.ethIn) + [.ctState([.established, .related])], [], .accept, comment: "csf.redirect"))
            chain.add(NftRule(ethIn(policy.ethIn), [], .jump(C.logDropIn), comment: "csf.redirect"))
        }
        return chain
    }

    // MARK: LOCALINPUT / LOCALOUTPUT and the list chains

    private func localInput() -> NftChain {
        var chain = NftChain(name: C.localInput)
        chain.add(NftRule([], [], .jump(C.allowIn), comment: "csf.allow"))
        chain.add(NftRule([], [], .jump(C.denyIn), comment: "csf.deny"))
        // csf.sips changes only with a restart, so an empty one costs no lookup per packet.
        for f in families where policy.sips.contains(where: { $0.family == f }) {
            chain.add(NftRule([.daddr(f, .set(S.hosts(.sips, f)))], [], dropIn, comment: "csf.sips"))
        }
        return chain
    }

    private func localOutput() -> NftChain {
        var chain = NftChain(name: C.localOutput)
        chain.add(NftRule([], [], .jump(C.allowOut), comment: "csf.allow"))
        chain.add(NftRule([], [], .jump(C.denyOut), comment: "csf.deny"))
        for f in families {
            chain.add(NftRule([.saddr(f, .set(S.hosts(.sips, f)))], [], dropOut, comment: "csf.sips"))
        }
        if policy.udpFlood != nil { chain.add(NftRule([.l4proto(.udp)], [], .jump(C.udpFlood), comment: "UDPFLOOD")) }
        return chain
    }

    private func allowIn() -> NftChain {
        listChain(C.allowIn, .allow, filters: allowFilters, direction: .in, verdict: .accept, withSets: true)
    }

    private func allowOut() -> NftChain {
        listChain(C.allowOut, .allow, filters: allowFilters, direction: .out, verdict: .accept, withSets: true)
    }

    private func denyIn() -> NftChain {
        listChain(C.denyIn, .deny, filters: denyFilters, direction: .in, verdict: dropListedIn, withSets: true)
    }

    private func denyOut() -> NftChain {
        listChain(C.denyOut, .deny, filters: denyFilters, direction: .out, verdict: dropListedOut, withSets: !policy.blockInOnly)
    }

    /// ALLOWIN/ALLOWOUT/DENYIN/DENYOUT: the list's sets (source address inbound, destination outbound), then its
    /// filters. Temporary allows come first, as csf inserts them at the top of ALLOWIN; temporary bans follow
    /// the permanent ones, as csf appends them to DENYIN.
    private func listChain(_ name: String, _ kind: CsfTableLayout.ListKind, filters: [(AdvancedFilter, AccessEntry)],
                           direction: AdvancedFilter.Direction, verdict: NftVerdict, withSets: Bool) -> NftChain {
        var chain = NftChain(name: name)
        let file = kind == .allow ? "csf.allow" : "csf.deny"
        let temp: TempEntry.Kind = kind == .allow ? .allow : .deny
        func tempRules() {
            for f in families {
                for m in TempSets.matches(temp, inbound: direction == .in, family: f) {
                    chain.add(NftRule(m, [], verdict, comment: temp == .allow ? "csf.tempallow" : "csf.tempban"))
                }
            }
        }
        if temp == .allow { tempRules() }
        if withSets {
            for f in families {
                for m in setMatches(kind, f, source: direction == .in) { chain.add(NftRule(m, [], verdict, comment: file)) }
            }
        }
        chain.rules += filterRules(filters, direction: direction, verdict: verdict, file: file)
        if temp == .deny { tempRules() }
        return chain
    }

    /// Advanced filters for one chain: address filters of that direction, and owner filters (always OUTPUT).
    private func filterRules(_ filters: [(AdvancedFilter, AccessEntry)], direction: AdvancedFilter.Direction,
                             verdict: NftVerdict, file: String) -> [NftRule] {
        var rules: [NftRule] = []
        for (filter, entry) in filters {
            let comment = "\(file):\(entry.line)"
            switch filter.effect {
            case .ownerRule:
                guard direction == .out, let owner = filter.owner else { continue }
                var m = protoAndPort(filter, family: .v4)
                switch owner {
                case .uid(let uid): m.append(.skuid(uid))
                case .gid(let gid): m.append(.skgid(gid))
                }
                rules.append(NftRule(m, [], verdict, comment: comment))
            case .addressRule:
                guard filter.direction == direction, let address = filter.address else { continue }
                let net = address.network
                guard families.contains(net.family) else { continue }
                let addrMatch: NftMatch = address.side == .source ? .saddr(net.family, .network(net)) : .daddr(net.family, .network(net))
                rules.append(NftRule([addrMatch] + protoAndPort(filter, family: net.family), [], verdict, comment: comment))
            case .nothing:
                continue
            }
        }
        return rules
    }

    private func protoAndPort(_ filter: AdvancedFilter, family: IPAddress.Family) -> [NftMatch] {
        let l4: NftL4 = filter.proto == .tcp ? .tcp : filter.proto == .udp ? .udp : (family == .v4 ? .icmp : .icmpv6)
        guard let port = filter.port else { return [.l4proto(l4)] }
        switch port.match {
        case .ports(let ranges): return [port.side == .destination ? .dport(l4, ranges) : .sport(l4, ranges)]
        case .icmpType(let type): return [.icmpType(family, [type])]
        }
    }

    // MARK: SYNFLOOD / CONNLIMIT (reference §5.8; nft-notes C5, C6)

    /// iptables' `--syn`: SYN set, FIN/RST/ACK clear.
    static let newSyn = NftMatch.tcpFlags(mask: [.fin, .syn, .rst, .ack], equals: .syn, negated: false)

    /// csf's global token bucket: new connections within the rate return to INPUT, the rest are dropped.
    private func synFloodChain(_ flood: FirewallPolicy.SynFlood) -> NftChain {
        var chain = NftChain(name: C.synFlood)
        if flood.perSource {
            for family in families {
                let fm = familyMatch(family)
                chain.add(NftRule(fm, [.setLimitSource(set: Self.synFloodSet(family), family: family, rate: flood.rate, burst: flood.burst)],
                                  .return, comment: "SYNFLOOD_PER_SOURCE: SYNFLOOD_RATE, SYNFLOOD_BURST per source"))
            }
        } else {
            chain.add(NftRule([.limit(flood.rate, burst: flood.burst)], [], .return, comment: "SYNFLOOD_RATE, SYNFLOOD_BURST"))
        }
        if policy.logging.dropLogging { chain.add(logRule([], prefix: "*SYNFLOOD Blocked*")) }
        chain.add(NftRule([], [], .drop, comment: "SYNFLOOD"))
        return chain
    }

    static func portFloodSet(_ family: IPAddress.Family, _ f: FirewallPolicy.PortFlood, _ kind: String) -> String {
        "portflood\(family == .v4 ? "4" : "6")_\(f.port)_\(f.proto.rawValue)_\(kind)"
    }

    static func portFloodChainName(_ f: FirewallPolicy.PortFlood) -> String { "PORTFLOOD_\(f.port)_\(f.proto.rawValue)" }

    /// New connections to each PORTFLOOD port go through that port's chain.
    private func portFloodJumps() -> [NftRule] {
        policy.portFloods.flatMap { f in
            bothFamilies({ fam, fm in
                NftRule(fm + inScope(scope(fam)) + [.dport(f.proto, [PortRange(f.port)]), .ctState([.new])], [],
                        .jump(Self.portFloodChainName(f)), comment: "PORTFLOOD \(f.port);\(f.proto.rawValue);\(f.hits);\(f.seconds)")
            }, sameFor6: policy.ethIn == policy.ethIn6)
        }
    }

    /// csf's xt_recent PORTFLOOD (nft-notes C4): a blocked source stays blocked while it keeps trying (each
    /// attempt re-arms the timeout: "until `seconds` of quiet"); the hits-th new connection within `seconds` is
    /// caught by a fixed window (no refill) or a token bucket (refill hits per `seconds`), whichever sees it first.
    private func portFloodChains() -> [NftChain] {
        var chains: [NftChain] = []
        for f in policy.portFloods {
            var chain = NftChain(name: Self.portFloodChainName(f))
            let burst = max(f.hits - 1, 0)
            let bucket = Self.bucketRate(hits: f.hits, seconds: f.seconds)
            for family in families {
                let (window, tb, block) = (Self.portFloodSet(family, f, "window"), Self.portFloodSet(family, f, "bucket"),
                                           Self.portFloodSet(family, f, "block"))
                let fm = familyMatch(family)
                chain.add(NftRule(fm + [.saddr(family, .set(block))],
                                  [.setAddSource(set: block, family: family, update: true, limitOver: nil, burst: 0)],
                                  .jump(C.portFlood), comment: "PORTFLOOD: still blocked, quiet period restarts"))
                if f.hits <= 1 {
                    chain.add(NftRule(fm, [.setAddSource(set: block, family: family, update: false, limitOver: nil, burst: 0)],
                                      .jump(C.portFlood), comment: "PORTFLOOD: hits = 1"))
                    continue
                }
                chain.add(NftRule(fm, [.setAddSource(set: window, family: family, update: false, limitOver: Rate(count: 1, unit: .week), burst: burst),
                                       .setAddSource(set: block, family: family, update: false, limitOver: nil, burst: 0)],
                                  .jump(C.portFlood), comment: "PORTFLOOD: \(f.hits) new connections in this window"))
                chain.add(NftRule(fm, [.setAddSource(set: tb, family: family, update: true, limitOver: bucket, burst: burst),
                                       .setAddSource(set: block, family: family, update: false, limitOver: nil, burst: 0)],
                                  .jump(C.portFlood), comment: "PORTFLOOD: over \(f.hits) per \(f.seconds)s"))
            }
            chains.append(chain)
        }
        var drop = NftChain(name: C.portFlood)
        if policy.logging.dropLogging { drop.add(logRule([], prefix: "*Port Flood*")) }
        drop.add(NftRule([], [], .drop, comment: "PORTFLOOD"))
        chains.append(drop)
        return chains
    }

    /// hits per `seconds`, rounded up to a whole count of an nft unit (never stricter than csf's window).
    static func bucketRate(hits: Int, seconds: Int) -> Rate {
        for unit in [Rate.Unit.minute, .hour, .day] {
            let exact = Double(hits * unit.seconds) / Double(seconds)
            if exact >= 10 || unit == .day { return Rate(count: max(1, Int(exact.rounded(.up))), unit: unit) }
        }
        return Rate(count: hits, unit: .day)
    }

    static func connLimitSet(_ family: IPAddress.Family, _ port: UInt16) -> String {
        "connlimit\(family == .v4 ? "4" : "6")_\(port)"
    }

    /// One rule per port and family: a new connection from a source already holding more than the limit
    /// (counted by conntrack, as xt_connlimit does) goes to CONNLIMIT.
    private func connLimitRules() -> [NftRule] {
        var rules: [NftRule] = []
        for limit in policy.connLimits {
            for family in families {
                var m: [NftMatch] = familyMatch(family)
                m += inScope(scope(family)) + [.dport(.tcp, [PortRange(limit.port)]), Self.newSyn,
                                             .connCountOver(family, set: Self.connLimitSet(family, limit.port), limit: limit.limit)]
                rules.append(NftRule(m, [], .jump(C.connLimit), comment: "CONNLIMIT \(limit.port);\(limit.limit)"))
            }
        }
        return rules
    }

    private func connLimitChain() -> NftChain {
        var chain = NftChain(name: C.connLimit)
        if policy.connLimitLogging { chain.add(logRule([], prefix: "*ConnLimit*")) }
        chain.add(NftRule([.l4proto(.tcp)], [], .rejectTcpReset, comment: "CONNLIMIT"))
        return chain
    }

    // MARK: drop and log chains

    private static let logLimit = Rate(count: 30, unit: .minute)

    /// csf's rate-limited LOG rule. With NFLOG_GROUP the same packet also goes to that NFLOG group, where lfd
    /// reads it: the kernel log is not readable from containers and many distributions no longer keep one.
    private func logRule(_ matches: [NftMatch], prefix: String, uid: Bool = false, tag: String = "Firewall: ",
                         comment: String = "DROP_LOGGING") -> NftRule {
        let text = "\(tag)\(prefix) "
        var statements: [NftStatement] = [.log(prefix: text, uid: uid, group: nil)]
        if let group = policy.nflogGroup { statements.append(.log(prefix: text, uid: false, group: group)) }
        return NftRule(matches + [.limit(Self.logLimit, burst: 5)], statements, nil, comment: comment)
    }

    // MARK: UDPFLOOD / PORTKNOCKING (reference §5.4, §5.8)

    static func synFloodSet(_ family: IPAddress.Family) -> String { "synflood\(family == .v4 ? "4" : "6")" }

    /// Outbound UDP: root and UDPFLOOD_ALLOWUSER return, the rest shares one token bucket (csf's global limit).
    private func udpFloodChain(_ flood: FirewallPolicy.UdpFlood) -> NftChain {
        var chain = NftChain(name: C.udpFlood)
        for uid in flood.users + [0] {
            chain.add(NftRule([.l4proto(.udp), .skuid(uid)], [], .return, comment: uid == 0 ? "UDPFLOOD: root" : "UDPFLOOD_ALLOWUSER"))
        }
        chain.rules += bothFamilies({ f, fm in
            NftRule(fm + ethOut(scope(f)) + [.l4proto(.udp), .limit(flood.rate, burst: flood.burst)], [], .return,
                    comment: "UDPFLOOD_LIMIT, UDPFLOOD_BURST")
        }, sameFor6: policy.ethIn == policy.ethIn6)
        if flood.logging { chain.add(logRule([.l4proto(.udp)], prefix: "*UDPFLOOD*", uid: policy.logging.dropUIDLogging, comment: "UDPFLOOD_LOGGING")) }
        chain.rules += bothFamilies({ f, fm in
            NftRule(fm + ethOut(scope(f)) + [.l4proto(.udp)], [], verdict(policy.dropOut), comment: "UDPFLOOD")
        }, sameFor6: policy.ethIn == policy.ethIn6)
        return chain
    }

    static func knockSet(_ family: IPAddress.Family, _ k: FirewallPolicy.PortKnock, _ step: Int) -> String {
        "knock\(family == .v4 ? "4" : "6")_\(k.port)_\(k.proto.rawValue)_s\(step)"
    }

    static func knockChain(_ k: FirewallPolicy.PortKnock, _ step: Int) -> String { "PK_\(k.port)_\(k.proto.rawValue)_S\(step)_IN" }

    /// csf's xt_recent knock ladder with timeout sets: knock 1 records the source; knock n counts only from a
    /// source past knock n-1 (which it consumes); the port accepts sources past the last knock until their
    /// entry times out. A knock out of order finds no entry and changes nothing.
    private func portKnockRules() -> [NftRule] {
        var rules: [NftRule] = []
        let state: [NftMatch] = policy.spi ? [.ctState([.new])] : []
        for k in policy.portKnocks {
            let label = "PORTKNOCKING \(k.port)"
            for family in families {
                let base = familyMatch(family) + inScope(scope(family))
                let first = base + [.dport(k.proto, [PortRange(k.knocks[0])])] + state
                if policy.portKnockingLog { rules.append(logRule(first, prefix: "*\(k.port)_S1*", tag: "Knock: ", comment: label)) }
                rules.append(NftRule(first, [.setAddSource(set: Self.knockSet(family, k, 1), family: family, update: true, limitOver: nil, burst: 0)],
                                     .drop, comment: "\(label) knock 1"))
                for step in 2...k.knocks.count {
                    rules.append(NftRule(base + [.dport(k.proto, [PortRange(k.knocks[step - 1])])] + state
                                         + [.saddr(family, .set(Self.knockSet(family, k, step - 1)))], [],
                                         .jump(Self.knockChain(k, step)), comment: "\(label) knock \(step)"))
                }
                let open = base + [.dport(k.proto, [PortRange(k.port)])] + state + [.saddr(family, .set(Self.knockSet(family, k, k.knocks.count)))]
                if policy.portKnockingLog { rules.append(logRule(open, prefix: "*\(k.port)_IN*", tag: "Knock: ", comment: label)) }
                rules.append(NftRule(open, [], .accept, comment: "\(label) open"))
            }
        }
        return rules
    }

    private func portKnockChains() -> [NftChain] {
        policy.portKnocks.flatMap { k in
            (2...k.knocks.count).map { step in
                var chain = NftChain(name: Self.knockChain(k, step))
                for family in families {
                    let fm = familyMatch(family)
                    chain.add(NftRule(fm, [.setDeleteSource(set: Self.knockSet(family, k, step - 1), family: family),
                                           .setAddSource(set: Self.knockSet(family, k, step), family: family, update: true, limitOver: nil, burst: 0)],
                                      nil, comment: "PORTKNOCKING \(k.port) knock \(step)"))
                }
                if policy.portKnockingLog { chain.add(logRule([], prefix: "*\(k.port)_S\(step)*", tag: "Knock: ", comment: "PORTKNOCKING_LOG")) }
                chain.add(NftRule([], [], .drop, comment: "PORTKNOCKING \(k.port)"))
                return chain
            }
        }
    }

    private func logDropIn() -> NftChain {
        var chain = NftChain(name: C.logDropIn)
        let log = policy.logging
        if log.dropLogging {
            if !log.silentPorts.isEmpty {
                chain.add(NftRule([.dport(.tcp, log.silentPorts)], [], .drop, comment: "DROP_NOLOG"))
                chain.add(NftRule([.dport(.udp, log.silentPorts)], [], .drop, comment: "DROP_NOLOG"))
            }
            let reserved = [PortRange(0, 1023)]
            let tcp: NftMatch = log.dropOnlyReserved ? .dport(.tcp, reserved) : .l4proto(.tcp)
            let udp: NftMatch = log.dropOnlyReserved ? .dport(.udp, reserved) : .l4proto(.udp)
            chain.add(logRule([.family(.ipv4), tcp], prefix: "*TCP_IN Blocked*"))
            chain.add(logRule([.family(.ipv4), udp], prefix: "*UDP_IN Blocked*"))
            chain.add(logRule([.family(.ipv4), .l4proto(.icmp)], prefix: "*ICMP_IN Blocked*"))
            if policy.ipv6 {
                chain.add(logRule([.family(.ipv6), tcp], prefix: "*TCP6IN Blocked*"))
                chain.add(logRule([.family(.ipv6), udp], prefix: "*UDP6IN Blocked*"))
                chain.add(logRule([.family(.ipv6), .l4proto(.icmpv6)], prefix: "*ICMP6IN Blocked*"))
            }
        }
        chain.add(NftRule([], [], verdict(policy.drop), comment: "DROP"))
        return chain
    }

    private func logDropOut() -> NftChain {
        var chain = NftChain(name: C.logDropOut)
        let log = policy.logging
        if log.dropLogging {
            let syn = NftMatch.tcpFlags(mask: [.fin, .syn, .rst, .ack], equals: .syn, negated: false)
            let uid = log.dropUIDLogging
            chain.add(logRule([.family(.ipv4), syn], prefix: "*TCP_OUT Blocked*", uid: uid))
            chain.add(logRule([.family(.ipv4), .l4proto(.udp)], prefix: "*UDP_OUT Blocked*", uid: uid))
            chain.add(logRule([.family(.ipv4), .l4proto(.icmp)], prefix: "*ICMP_OUT Blocked*", uid: uid))
            if policy.ipv6 {
                chain.add(logRule([.family(.ipv6), syn], prefix: "*TCP6OUT Blocked*", uid: uid))
                chain.add(logRule([.family(.ipv6), .l4proto(.udp)], prefix: "*UDP6OUT Blocked*", uid: uid))
                chain.add(logRule([.family(.ipv6), .l4proto(.icmpv6)], prefix: "*ICMP6OUT Blocked*", uid: uid))
            }
        }
        chain.add(NftRule([], [], verdict(policy.dropOut), comment: "DROP_OUT"))
        return chain
    }

    private func invalidChain() -> NftChain {
        var chain = NftChain(name: C.invalid)
        let all = NftTcpFlags.all
        let cases: [([NftMatch], String)] = [
            ([.ctState([.invalid])], "*INVALID*"),
            ([.tcpFlags(mask: all, equals: [], negated: false)], "*INV_AN*"),
            ([.tcpFlags(mask: all, equals: all, negated: false)], "*INV_AA*"),
            ([.tcpFlags(mask: [.syn, .fin], equals: [.syn, .fin], negated: false)], "*INV_SFSF*"),
            ([.tcpFlags(mask: [.syn, .rst], equals: [.syn, .rst], negated: false)], "*INV_SRSR*"),
            ([.tcpFlags(mask: [.fin, .rst], equals: [.fin, .rst], negated: false)], "*INV_FRFR*"),
            ([.tcpFlags(mask: [.ack, .fin], equals: .fin, negated: false)], "*INV_AFF*"),
            ([.tcpFlags(mask: [.ack, .psh], equals: .psh, negated: false)], "*INV_APP*"),
            ([.tcpFlags(mask: [.ack, .urg], equals: .urg, negated: false)], "*INV_AUU*"),
            ([.tcpFlags(mask: [.fin, .syn, .rst, .ack], equals: .syn, negated: true), .ctState([.new])], "*INV_NOSYN*"),
        ]
        for (matches, prefix) in cases {
            if policy.logging.dropPacketFilterLogging {
                var log = logRule(matches, prefix: prefix)
                log.comment = "DROP_PF_LOGGING"
                chain.add(log)
            }
            chain.add(NftRule(matches, [], .jump(C.invalidDrop), comment: "PACKET_FILTER \(prefix)"))
        }
        return chain
    }

    private func invalidDropChain() -> NftChain {
        var chain = NftChain(name: C.invalidDrop)
        chain.add(NftRule([], [], verdict(policy.drop), comment: "PACKET_FILTER"))
        return chain
    }

    private func smtpOutput(_ smtp: FirewallPolicy.SmtpBlock) -> NftChain {
        var chain = NftChain(name: C.smtpOutput)
        guard !smtp.ports.isEmpty else { return chain }
        let ports = NftMatch.dport(.tcp, smtp.ports)
        if smtp.allowLocal { chain.add(NftRule([.oifname(Self.loopback, negated: false), ports], [], .accept, comment: "SMTP_ALLOWLOCAL")) }
        for gid in smtp.groups { chain.add(NftRule([.skgid(gid), ports], [], .accept, comment: "SMTP_ALLOWGROUP")) }
        for uid in smtp.users { chain.add(NftRule([.skuid(uid), ports], [], .accept, comment: "SMTP_ALLOWUSER")) }
        chain.add(NftRule([.skuid(0), ports], [], .accept, comment: "SMTP_BLOCK: root"))
        if !smtp.redirect {
            chain.add(NftRule([ports], [], dropListedOut, comment: "SMTP_BLOCK"))
        }
        return chain
    }

    // MARK: nat

    private func natChains() -> [NftChain] {
        var pre = NftChain(name: C.natPrerouting, base: .init(kind: .nat, hook: .prerouting, priority: "dstnat", policy: nil))
        var post = NftChain(name: C.natPostrouting, base: .init(kind: .nat, hook: .postrouting, priority: "srcnat", policy: nil))
        var out = NftChain(name: C.natOutput, base: .init(kind: .nat, hook: .output, priority: "-100", policy: nil))
        for r in policy.redirects {
            switch r.action {
            case .redirect(let dest, let from, let to):
                var m = ethIn(policy.ethIn)
                if let dest { m.append(.daddr(.v4, .network(IPNetwork(host: dest)))) }
                m.append(.dport(r.proto, [PortRange(from)]))
                pre.add(NftRule(m, [], .redirect(toPort: to), comment: "csf.redirect"))
            case .dnat(let dest, let port, let target, let targetPort):
                var m: [NftMatch] = [.daddr(.v4, .network(IPNetwork(host: dest)))]
                if let port { m.append(.dport(r.proto, [PortRange(port)])) }
                pre.add(NftRule(m, [], .dnat(target, port: targetPort), comment: "csf.redirect"))
                var sm = ethOut(policy.ethIn) + [.daddr(.v4, .network(IPNetwork(host: target)))]
                sm.append(targetPort.map { .dport(r.proto, [PortRange($0)]) } ?? .l4proto(r.proto))
                post.add(NftRule(sm, [], .snat(dest), comment: "csf.redirect"))
            }
        }
        if let smtp = policy.smtp, smtp.redirect, !smtp.ports.isEmpty {
            let ports = NftMatch.dport(.tcp, smtp.ports)
            if smtp.allowLocal { out.add(NftRule([.oifname(Self.loopback, negated: false), ports], [], .return, comment: "SMTP_ALLOWLOCAL")) }
            for gid in smtp.groups { out.add(NftRule([.skgid(gid), ports], [], .return, comment: "SMTP_ALLOWGROUP")) }
            for uid in smtp.users { out.add(NftRule([.skuid(uid), ports], [], .return, comment: "SMTP_ALLOWUSER")) }
            out.add(NftRule([.skuid(0), ports], [], .return, comment: "SMTP_REDIRECT: root"))
            out.add(NftRule([ports], [], .redirect(toPort: nil), comment: "SMTP_REDIRECT"))
        }
        if let docker = policy.docker {
            for net in [docker.network4, docker.network6].compactMap({ $0 }) {
                post.add(NftRule([.saddr(net.family, .network(net)), .oifname(docker.device, negated: true)], [], .masquerade, comment: "DOCKER"))
            }
        }
        return [pre, post, out].filter { !$0.rules.isEmpty }
    }
}
