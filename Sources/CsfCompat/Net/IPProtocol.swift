/// The transport protocols csf's settings and lists name (`53;udp`, `PORTFLOOD = "22;tcp;..."`).
public enum IPProtocol: String, Sendable, Hashable, Codable {
    case tcp, udp, icmp, icmpv6

    /// The protocol number in the IP header (and in netlink keys).
    public var number: UInt8 {
        switch self {
        case .tcp: return 6
        case .udp: return 17
        case .icmp: return 1
        case .icmpv6: return 58
        }
    }
}
