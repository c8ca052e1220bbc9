import CsfCompat
import CsfPolicy

/// A typed nftables table: the compiler builds this, and only `NftRenderer` turns it into nft syntax.
public struct NftTable: Sendable {
    public var family: String = "inet"
    public var name: String
    public var sets: [NftSet] = []
    public var chains: [NftChain] = []
    /// CT_MARK_FASTPATH's generation set and mark map, when the table has the fast path.
    public var connectionMark: ConnectionMark?

    public init(name: String) { self.name = name }

    public func chain(_ name: String) -> NftChain? { chains.first { $0.name == name } }
    public func set(_ name: String) -> NftSet? { sets.first { $0.name == name } }
}

public struct NftSet: Sendable {
    public enum KeyType: String, Sendable {
        case ipv4 = "ipv4_addr", ipv6 = "ipv6_addr"
        /// Per-port temporary entries: address (or network) . protocol . destination port.
        case ipv4Port = "ipv4_addr . inet_proto . inet_service"
        case ipv6Port = "ipv6_addr . inet_proto . inet_service"
    }
    public enum Flag: String, Sendable { case interval, timeout, dynamic }

    public var name: String
    public var keyType: KeyType
    public var flags: [Flag]
    public var comment: String
    public var elements: [NftSetElement]
    /// Dynamic sets filled by the packet path need a maximum size.
    public var size: Int?
    /// Seconds an element added by the packet path lives (set-wide `timeout`).
    public var defaultTimeout: Int?
    /// What a table load puts in it is recorded (BulkSnapshot) even when the set is small: a downloaded list's
    /// hash set, whose next refresh by lfd then sends only differences, never one transaction of everything.
    public var snapshotted = false
    /// How many sets share the list this set holds part of (HostShards): the share is loaded and sized as the
    /// list would be whole.
    public var shards = 1

    public init(name: String, keyType: KeyType, flags: [Flag] = [], comment: String, elements: [NftSetElement] = [], size: Int? = nil) {
        self.size = size
        self.name = name
        self.keyType = keyType
        self.flags = flags
        self.comment = comment
        self.elements = elements
    }
}

/// One element of a set as the table loads it.
public struct NftSetElement: Sendable, Hashable {
    public struct Port: Sendable, Hashable {
        public var proto: IPProtocol
        public var port: UInt16
        public init(_ proto: IPProtocol, _ port: UInt16) {
            self.proto = proto
            self.port = port
        }
    }

    public var network: IPNetwork
    /// The last address when the element is a range `network.address-last` of an interval set (a merged
    /// blocklist or country range that is no single network).
    public var last: IPAddress?
    /// Only in `addr . inet_proto . inet_service` sets.
    public var port: Port?
    /// Seconds until the kernel removes the element; nil for permanent entries.
    public var timeout: Int?
    /// Only temporary entries carry theirs into the kernel (inert data, shown by `nft list`).
    public var comment: String?

    public init(_ network: IPNetwork, port: Port? = nil, timeout: Int? = nil, comment: String? = nil) {
        self.network = network
        self.port = port
        self.timeout = timeout
        self.comment = comment
    }

    /// A range as one element: a network when it is exactly one (as nft lists it), else `first-last`.
    public init(_ range: AddressRange) {
        if let net = range.network {
            self.init(net)
        } else {
            self.init(IPNetwork(host: range.first))
            last = range.last
        }
    }
}

public struct NftChain: Sendable {
    public struct Base: Sendable {
        public enum Kind: String, Sendable { case filter, nat }
        public enum Hook: String, Sendable { case input, output, forward, prerouting, postrouting }
        public var kind: Kind
        public var hook: Hook
        public var priority: String
        public var policy: NftVerdict?
    }

    public var name: String
    public var base: Base?
    public var rules: [NftRule] = []

    public init(name: String, base: Base? = nil) {
        self.name = name
        self.base = base
    }

    public mutating func add(_ rule: NftRule) { rules.append(rule) }
    public mutating func add(_ rules: [NftRule]) { self.rules += rules }
}

public enum NftFamilyMatch: String, Sendable { case ipv4, ipv6 }

public enum NftCtState: String, Sendable { case new, established, related, invalid }

public enum NftAddressRef: Sendable {
    case set(String)
    case network(IPNetwork)
}

public struct NftTcpFlags: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let fin = NftTcpFlags(rawValue: 0x01)
    public static let syn = NftTcpFlags(rawValue: 0x02)
    public static let rst = NftTcpFlags(rawValue: 0x04)
    public static let psh = NftTcpFlags(rawValue: 0x08)
    public static let ack = NftTcpFlags(rawValue: 0x10)
    public static let urg = NftTcpFlags(rawValue: 0x20)
    public static let all: NftTcpFlags = [.fin, .syn, .rst, .psh, .ack, .urg]
}

/// The matches csf's rules need, each rendered with its values validated.
public enum NftMatch: Sendable {
    case family(NftFamilyMatch)
    case iifname(InterfaceName, negated: Bool)
    /// `iif "lo"`: an interface-index compare, cheaper than a name; lo exists in every namespace.
    case iifLoopback
    case oifname(InterfaceName, negated: Bool)
    case l4proto(IPProtocol)
    case dport(IPProtocol, [PortRange])
    case sport(IPProtocol, [PortRange])
    case saddr(IPAddress.Family, NftAddressRef)
    case daddr(IPAddress.Family, NftAddressRef)
    /// `ip saddr & 0.0.31.0 == 0.0.5.0`: the source's bits `mask` of its lowest 32 are `value` (which of a big
    /// blocklist's address sets could hold it, HostShards): a load, a mask and a compare, where a lookup hashes.
    case saddrLowBits(IPAddress.Family, mask: UInt32, value: UInt32)
    /// `add @set { ip saddr ct count over N }`: true when the source already has more than N connections.
    case connCountOver(IPAddress.Family, set: String, limit: Int)
    /// `ip saddr . meta l4proto . th dport @set` (source side) or the destination-address form.
    case addressPortInSet(IPAddress.Family, source: Bool, set: String)
    case ctState([NftCtState])
    /// `ct mark & mask == @set` (`!=` when negated).
    case ctMark(mask: UInt32, set: String, negated: Bool)
    /// `ct direction original`: the packet travels as the connection's first packet did (true), or is a reply.
    case ctDirectionOriginal(Bool)
    /// `ct status dnat`: the connection's destination was rewritten here (a REDIRECT or DNAT in prerouting).
    case ctStatusDnat
    case icmpType(IPAddress.Family, [String])
    case tcpFlags(mask: NftTcpFlags, equals: NftTcpFlags, negated: Bool)
    case skuid(UInt32)
    case skgid(UInt32)
    case hopLimit(UInt8)
    case limit(Rate, burst: Int)
}

public enum NftStatement: Sendable {
    case counter
    /// `ct mark set ct state map @map`.
    case ctMarkSetFromState(String)
    /// `ct mark set ct mark | bits`.
    case ctMarkOr(UInt32)
    /// `log prefix P [flags skuid]` to the kernel log, or `log prefix P group N` to NFLOG (lfd reads it there).
    case log(prefix: String, uid: Bool, group: UInt16?)
    /// `update @set { ip saddr limit rate R burst B packets }`: true while the source's own bucket has tokens.
    case setLimitSource(set: String, family: IPAddress.Family, rate: Rate, burst: Int)
    /// `delete @set { ip saddr }`: a port-knocking step consumes the previous one.
    case setDeleteSource(set: String, family: IPAddress.Family)
    /// `add @set { ip saddr [limit rate over R burst B packets] }` (or `update`, which also refreshes the timeout).
    /// With a limit it is also a condition: it holds only when the source's own bucket is exhausted.
    case setAddSource(set: String, family: IPAddress.Family, update: Bool, limitOver: Rate?, burst: Int)
}

public enum NftVerdict: Sendable, Equatable {
    case accept, drop, reject, rejectTcpReset, `return`
    case jump(String)
    case goto(String)
    case redirect(toPort: UInt16?)
    case dnat(IPAddress, port: UInt16?)
    case snat(IPAddress)
    case masquerade
}

public struct NftRule: Sendable {
    public var matches: [NftMatch]
    public var statements: [NftStatement]
    public var verdict: NftVerdict?
    /// Which csf setting produced the rule; shown by `nft list ruleset`.
    public var comment: String

    public init(_ matches: [NftMatch] = [], _ statements: [NftStatement] = [], _ verdict: NftVerdict?, comment: String) {
        self.matches = matches
        self.statements = statements
        self.verdict = verdict
        self.comment = comment
    }
}
