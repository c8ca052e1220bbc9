import CsfCompat

/// Everything `csf -s` needs, resolved and validated: the model the compiler turns into nft.
public struct FirewallPolicy: Sendable {
    public enum InterfaceScope: Sendable, Equatable {
        case allButLoopback
        case device(InterfaceName)
    }

    public enum DropAction: Sendable, Equatable { case drop, reject }

    public struct PortRules: Sendable {
        public var tcpIn: [PortRange] = []
        public var tcpOut: [PortRange] = []
        public var udpIn: [PortRange] = []
        public var udpOut: [PortRange] = []
    }

    public struct Icmp: Sendable {
        public var inbound = true
        public var inboundRate: Rate?
        public var outbound = true
        public var outboundRate: Rate?
        public var timestampDrop = false
        public var ipv6Strict = false
    }

    public struct Logging: Sendable {
        public var dropLogging = true
        public var dropIPLogging = false
        public var dropOutLogging = true
        public var dropUIDLogging = true
        public var dropOnlyReserved = false
        public var dropPacketFilterLogging = false
        public var silentPorts: [PortRange] = []
    }

    public struct SmtpBlock: Sendable {
        public var ports: [PortRange]
        public var allowLocal: Bool
        public var redirect: Bool
        public var users: [UInt32]
        public var groups: [UInt32]
    }

    public struct Docker: Sendable {
        public var device: InterfaceName
        public var network4: IPNetwork?
        public var network6: IPNetwork?
    }

    public var ipv6 = false
    public var spi = true
    public var spi6 = true
    /// CT_MARK_FASTPATH (nftcsf): established connections checked since the lists last changed skip the lists.
    public var ctMarkFastPath = true
    public var ethIn: InterfaceScope = .allButLoopback
    public var ethIn6: InterfaceScope = .allButLoopback
    public var skipDevices: [InterfaceName] = []
    public var ports4 = PortRules()
    public var ports6 = PortRules()
    public var icmp = Icmp()
    public var packetFilter = true
    public var drop: DropAction = .drop
    public var dropOut: DropAction = .reject
    public var logging = Logging()
    public var blockInOnly = false
    public var dnsStrict = false
    public var nameservers: [IPAddress] = []
    public var smtp: SmtpBlock?
    public var docker: Docker?
    /// SYNFLOOD: one global token bucket for new TCP connections (csf's semantics).
    public struct SynFlood: Sendable, Equatable {
        public var rate: Rate
        public var burst: Int
        /// SYNFLOOD_PER_SOURCE (nftcsf): one bucket per source address, so one attacker cannot starve everyone.
        public var perSource = false
    }

    /// UDPFLOOD: outbound UDP over the rate is dropped, except for root and UDPFLOOD_ALLOWUSER.
    public struct UdpFlood: Sendable, Equatable {
        public var rate: Rate
        public var burst: Int
        public var users: [UInt32]
        public var logging: Bool
    }

    /// PORTKNOCKING `port;proto;timeout;k1;k2;k3...`: the knocks, in order and each within `timeout` seconds
    /// of the previous one, open `port` to the knocking source for `timeout` seconds.
    public struct PortKnock: Sendable, Equatable {
        public var port: UInt16
        public var proto: IPProtocol
        public var timeout: Int
        public var knocks: [UInt16]
    }

    public var udpFlood: UdpFlood?
    public var portKnocks: [PortKnock] = []
    public var portKnockingLog = true
    /// NFLOG group every log rule also sends to, where lfd reads drops (port scans, UID tracking, knocks).
    public var nflogGroup: UInt16?

    /// CONNLIMIT: concurrent connections per source to one port.
    public struct ConnLimit: Sendable, Equatable {
        public var port: UInt16
        public var limit: Int
    }

    /// PORTFLOOD `port;proto;hits;seconds`: the hits-th new connection within `seconds` blocks the source
    /// from the port until `seconds` of quiet.
    public struct PortFlood: Sendable, Equatable {
        public var port: UInt16
        public var proto: IPProtocol
        public var hits: Int
        public var seconds: Int
    }

    public var portFloods: [PortFlood] = []

    /// MESSENGER: new connections from listed (csf.deny) and temporarily banned sources to the `inbound` ports
    /// are redirected to the local messenger servers, which tell the visitor why; everything else from them stays
    /// dropped.
    public struct Messenger: Sendable, Equatable {
        public struct Service: Sendable, Equatable {
            /// The local port the messenger server listens on.
            public var port: UInt16
            /// The ports a blocked source's connections are redirected from.
            public var inbound: [PortRange]
        }
        public var html: Service?
        public var text: Service?
        public var https: Service?
        public var permanent: Bool
        public var temporary: Bool
        public var rate: Rate
        public var burst: Int
        public var services: [Service] { [html, text, https].compactMap { $0 } }
    }

    public var messenger: Messenger?
    public var synFlood: SynFlood?
    public var connLimits: [ConnLimit] = []
    public var connLimitLogging = false
    public var allow = AccessList()
    public var deny = AccessList()
    public var sips: [IPNetwork] = []
    /// A downloaded list as the kernel holds it: merged ranges in an interval set per family.
    public struct LoadedList: Sendable {
        public var list: RemoteList
        public var ranges: [AddressRange]
        /// LF_BOGON_SKIP: a blocklist named BOGON does not apply to packets arriving on these interfaces.
        public var skipDevices: [InterfaceName] = []
        /// GLOBAL_ALLOW / GLOBAL_DENY: csf's advanced filters, one rule each in the list's chains.
        public var filters: [AdvancedFilter] = []

        public init(list: RemoteList, ranges: [AddressRange], skipDevices: [InterfaceName] = []) {
            self.list = list
            self.ranges = ranges
            self.skipDevices = skipDevices
        }
    }

    /// CC_*: each setting's countries as merged ranges; nil when the setting is empty (no chain, no lookup).
    public struct Countries: Sendable {
        public var allow: [AddressRange]?
        public var deny: [AddressRange]?
        public var allowFilter: [AddressRange]?
        public var allowPorts: [AddressRange]?
        public var denyPorts: [AddressRange]?
        /// CC_MESSENGER_ALLOW / CC_MESSENGER_DENY: only these / never these blocked sources meet the messenger.
        public var messengerAllow: [AddressRange]?
        public var messengerDeny: [AddressRange]?
        public var allowPortsTcp: [PortRange] = []
        public var allowPortsUdp: [PortRange] = []
        public var denyPortsTcp: [PortRange] = []
        public var denyPortsUdp: [PortRange] = []

        public init() {}

        public var anyDrop: Bool { deny != nil || allowFilter != nil || allowPorts != nil || denyPorts != nil }
    }

    public var countries = Countries()
    /// csf.blocklists entries, in the file's order; GLOBAL_ALLOW and GLOBAL_DENY when their URL is set.
    public var blocklists: [LoadedList] = []
    public var globalAllow: LoadedList?
    public var globalDeny: LoadedList?
    /// The last addresses lfd resolved for csf.dyndns (DYNDNS > 0) and GLOBAL_DYNDNS's names (csf.tempdyn,
    /// csf.tempgdyn): allowed in ALLOWDYNIN/OUT and GDYNIN/OUT.
    public var dyndns: LoadedList?
    /// csf.dyndns's advanced filters, in file order, each with the addresses its host name resolved to.
    public var dyndnsFilters: [(filter: AdvancedFilter, addresses: [IPAddress])] = []
    public var globalDyndns: LoadedList?
    public var redirects: [RedirectRule] = []
    /// csf.tempallow / csf.tempban entries, loaded with the time they are measured against.
    public var tempAllow: [TempEntry] = []
    public var tempDeny: [TempEntry] = []
    public var now: Int = 0

    public init() {}
}
