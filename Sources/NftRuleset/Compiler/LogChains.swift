import CsfCompat
import CsfPolicy

extension RulesetCompiler {
    func logDropIn() -> NftChain {
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

    func logDropOut() -> NftChain {
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

    func invalidChain() -> NftChain {
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
                chain.add(logRule(matches, prefix: prefix, comment: "DROP_PF_LOGGING"))
            }
            chain.add(NftRule(matches, [], .jump(C.invalidDrop), comment: "PACKET_FILTER \(prefix)"))
        }
        return chain
    }

    func invalidDropChain() -> NftChain {
        var chain = NftChain(name: C.invalidDrop)
        chain.add(NftRule([], [], verdict(policy.drop), comment: "PACKET_FILTER"))
        return chain
    }
}
