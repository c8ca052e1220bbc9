import CsfCompat
import CsfPolicy

extension RulesetCompiler {
    func outputChain() -> NftChain {
        var chain = NftChain(name: C.output, base: .init(kind: .filter, hook: .output, priority: "filter", policy: .drop))
        if markFastPath { chain.add(ConnectionMark.accept(inbound: false)) }
        chain.rules += ipv6Bypass
        for dev in policy.skipDevices {
            chain.add(NftRule([.oifname(dev, negated: false)], [], .accept, comment: "ETH_DEVICE_SKIP"))
        }
        for ns in policy.nameservers where families.contains(ns.family) {
            for p in [IPProtocol.udp, .tcp] {
                for sport in [true, false] {
                    let port: NftMatch = sport ? .sport(p, [PortRange(53)]) : .dport(p, [PortRange(53)])
                    chain.add(NftRule(ethOut(scope(ns.family)) + [.daddr(ns.family, .network(IPNetwork(host: ns))), port],
                                      [], .accept, comment: "DNS_STRICT_NS=0: resolver"))
                }
            }
        }
        chain.rules += messengerReplies()
        let same = policy.ethIn == policy.ethIn6
        chain.rules += bothFamilies({ f, fm in
            NftRule(fm + ethOut(scope(f)), [], .jump(C.localOutput), comment: "csf allow/deny lists")
        }, sameFor6: same)
        if !policy.dnsStrict {
            for p in [IPProtocol.udp, .tcp] {
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
        // An established packet that got here passed LOCALOUTPUT and everything else that can drop it.
        if markFastPath { chain.rules += ConnectionMark.record(inbound: false, matches: [.ctState([.established])]) }
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

    func icmpOut() -> [NftRule] {
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

    func smtpOutput(_ smtp: FirewallPolicy.SmtpBlock) -> NftChain {
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
}
