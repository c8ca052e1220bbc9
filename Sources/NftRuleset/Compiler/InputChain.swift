import CsfCompat
import CsfPolicy

extension RulesetCompiler {
    func inputChain() -> NftChain {
        var chain = NftChain(name: C.input, base: .init(kind: .filter, hook: .input, priority: "filter", policy: .drop))
        if markFastPath {
            // First: every rule before it only accepts, and only ESTABLISHEDIN marks (loopback and the bypasses
            // never get there). Not related: an ICMP error shares its connection's mark but comes from any router,
            // so it takes the full path as ICMP always has.
            chain.add(ConnectionMark.accept(inbound: true))
        }
        chain.rules += ipv6Bypass
        for dev in policy.skipDevices {
            chain.add(NftRule([.iifname(dev, negated: false)], [], .accept, comment: "ETH_DEVICE_SKIP"))
        }
        for ns in policy.nameservers where families.contains(ns.family) {
            for p in [IPProtocol.udp, .tcp] {
                for sport in [true, false] {
                    let port: NftMatch = sport ? .sport(p, [PortRange(53)]) : .dport(p, [PortRange(53)])
                    chain.add(NftRule(ethIn(scope(ns.family)) + [.saddr(ns.family, .network(IPNetwork(host: ns))), port],
                                      [], .accept, comment: "DNS_STRICT_NS=0: resolver"))
                }
            }
        }
        // csf accepts lo after LOCALINPUT, which lo never enters: the same verdicts, one compare earlier.
        chain.add(NftRule([.iifLoopback], [], .accept, comment: "loopback"))
        chain.rules += messengerAccept()
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
    var establishedFastPath: Bool { policy.spi && (!policy.ipv6 || policy.spi6) }

    /// A connection that passed ESTABLISHEDIN is marked with the lists' generation; until they change, its
    /// packets are accepted on that mark alone. csf's INVALID checks can be skipped too: conntrack calls a TCP
    /// packet with impossible flags invalid, never established.
    var markFastPath: Bool { establishedFastPath && policy.ctMarkFastPath }

    /// One chain per family, so an IPv4 packet meets no IPv6 rule (each costs a compare per packet).
    func establishedInChains() -> [NftChain] {
        var head = NftChain(name: C.establishedIn)
        if policy.ipv6 { head.add(NftRule([.family(.ipv6)], [], .goto(C.establishedIn6), comment: "IPv6")) }
        var chains = [establishedIn(.v4, into: head)]
        if policy.ipv6 { chains.append(establishedIn(.v6, into: NftChain(name: C.establishedIn6))) }
        return chains
    }

    func establishedIn(_ f: IPAddress.Family, into chain: NftChain) -> NftChain {
        var chain = chain
        chain.add(NftRule([.l4proto(f == .v4 ? .icmp : .icmpv6)], [], .return, comment: "ICMP: full path"))
        let scoped = inScope(scope(f))
        // A filter matches on ports and directions no set lookup can stand for: such a list sends every established
        // packet through the full check.
        if denyFilters.isEmpty && (policy.globalDeny?.filters.isEmpty ?? true) {
            for m in setMatches(.deny, f, source: true) + tempMatches(.deny, inbound: true, family: f) {
                chain.add(NftRule(scoped + m, [], .jump(C.localInput), comment: "listed: full csf check"))
            }
            if policy.sips.contains(where: { $0.family == f }) {
                chain.add(NftRule(scoped + [.daddr(f, .set(S.hosts(.sips, f)))], [], .jump(C.localInput), comment: "csf.sips"))
            }
            chain.rules += remoteEstablishedRules(f, scoped: scoped)
        } else {
            chain.add(NftRule(scoped, [], .jump(C.localInput), comment: denyFilters.isEmpty ? "GLOBAL_DENY has filters: full csf check" : "csf.deny has filters: full csf check"))
        }
        if policy.packetFilter {
            chain.add(NftRule(scoped + [.l4proto(.tcp)], [], .jump(C.invalid), comment: "PACKET_FILTER"))
        }
        // Statements without a verdict: with the map empty (a generation being set up) a rule stops, the accept stays.
        if markFastPath { chain.rules += ConnectionMark.record(inbound: true) }
        chain.add(NftRule([], [], .accept, comment: "LF_SPI"))
        return chain
    }

    func packetFilterJump(inbound: Bool) -> [NftRule] {
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

    func icmpIn() -> [NftRule] {
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

    func stateRules(inbound: Bool) -> [NftRule] {
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

    func portRules(inbound: Bool) -> [NftRule] {
        var rules: [NftRule] = []
        for f in families {
            let ports = f == .v4 ? policy.ports4 : policy.ports6
            let spi = f == .v4 ? policy.spi : policy.spi6
            let fm: NftMatch = .family(f == .v4 ? .ipv4 : .ipv6)
            let v6 = f == .v6 ? "6" : ""
            let dir = inbound ? "IN" : "OUT"
            for (proto, list) in [(IPProtocol.tcp, inbound ? ports.tcpIn : ports.tcpOut), (.udp, inbound ? ports.udpIn : ports.udpOut)] {
                guard !list.isEmpty else { continue }
                let state: [NftMatch] = spi ? [.ctState([.new])] : []
                rules.append(NftRule([fm, .dport(proto, list)] + state, [], .accept,
                                     comment: "\(proto.rawValue.uppercased())\(v6)_\(dir)"))
            }
        }
        return rules
    }
}
