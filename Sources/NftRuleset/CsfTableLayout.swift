import CsfCompat

/// Every name in the `inet csf` table, in one place. Chains keep csf's iptables names so `nft list ruleset`
/// reads like `csf -l` did; sets are named after the list, direction and family they hold.
public enum CsfTableLayout {
    public static let tableName = "csf"
    public static let family = "inet"

    public enum ListKind: String, Sendable { case allow, deny, sips }

    public enum Chain {
        public static let input = "INPUT"
        public static let output = "OUTPUT"
        public static let forward = "FORWARD"
        public static let localInput = "LOCALINPUT"
        /// GLOBAL_ALLOW and GLOBAL_DENY, csf's chain names.
        public static let globalAllowIn = "GALLOWIN"
        public static let globalAllowOut = "GALLOWOUT"
        public static let globalDenyIn = "GDENYIN"
        public static let globalDenyOut = "GDENYOUT"
        public static let dyndnsIn = "ALLOWDYNIN"
        public static let dyndnsOut = "ALLOWDYNOUT"
        public static let globalDyndnsIn = "GDYNIN"
        public static let globalDyndnsOut = "GDYNOUT"
        /// CC_* chains, csf's names.
        public static let ccAllow = "CC_ALLOW"
        public static let ccDeny = "CC_DENY"
        public static let ccAllowFilter = "CC_ALLOWF"
        public static let ccAllowPorts = "CC_ALLOWP"
        public static let ccAllowPortsAccept = "CC_ALLOWPORTS"
        public static let ccDenyPorts = "CC_DENYP"
        public static let ccDenyPortsDrop = "CC_DENYPORTS"
        public static let localOutput = "LOCALOUTPUT"
        public static let allowIn = "ALLOWIN"
        public static let allowOut = "ALLOWOUT"
        public static let denyIn = "DENYIN"
        public static let denyOut = "DENYOUT"
        public static let logDropIn = "LOGDROPIN"
        public static let logDropOut = "LOGDROPOUT"
        public static let invalid = "INVALID"
        public static let invalidDrop = "INVDROP"
        public static let smtpOutput = "SMTPOUTPUT"
        public static let natPrerouting = "PREROUTING"
        public static let natPostrouting = "POSTROUTING"
        public static let natOutput = "NAT_OUTPUT"
        public static let synFlood = "SYNFLOOD"
        public static let portFlood = "PORTFLOOD"
        public static let connLimit = "CONNLIMIT"
        public static let udpFlood = "UDPFLOOD"
        public static let establishedIn = "ESTABLISHEDIN"
        public static let establishedIn6 = "ESTABLISHEDIN6"
        /// `csf --trace`: a raw-priority prerouting chain added on demand, gone with the next start (as csf's).
        public static let trace = "TRACE"

        /// A blocklist's lookups: its sets' matches only, so lfd can point them at a fresh slot of sets
        /// (BlocklistLookups) without the rest of the policy. LOCALINPUT jumps to the first, each family's
        /// established path to its own.
        public static func blocklistIn(_ name: String) -> String { "BLIN_\(name)" }
        public static func blocklistEstablished(_ name: String, _ family: IPAddress.Family) -> String {
            family == .v4 ? "BLEST4_\(name)" : "BLEST6_\(name)"
        }
        /// Where every blocklist's match goes: csf's drop for listed sources (DROP_IP_LOGGING).
        public static let blocklistDrop = "BLOCKLISTDROP"

        /// One chain per PORTFLOOD item.
        public static func portFlood(port: UInt16, proto: IPProtocol) -> String { "PORTFLOOD_\(port)_\(proto.rawValue)" }

        /// One chain per knock after the first: it consumes the previous step and records this one.
        public static func knock(port: UInt16, proto: IPProtocol, step: Int) -> String { "PK_\(port)_\(proto.rawValue)_S\(step)_IN" }
    }

    /// The shapes a list's entries take in the kernel: plain addresses in hash sets, networks in interval sets
    /// (nft-notes §C2), per-port temporary entries in `addr . inet_proto . inet_service` interval sets.
    /// The CC_* settings with a set each (per family).
    public enum CountryKind: String, Sendable, CaseIterable {
        case allow, deny, allowFilter = "allowf", allowPorts = "allowp", denyPorts = "denyp"
        /// CC_MESSENGER_ALLOW / _DENY: which blocked sources the messenger tells.
        case messengerAllow = "msgallow", messengerDeny = "msgdeny"
    }

    public enum Shape: String, Sendable, CaseIterable { case host, network, port }

    public enum SetName {
        private static func suffix(_ family: IPAddress.Family) -> String { family == .v4 ? "4" : "6" }

        /// csf.allow's and csf.deny's sets come in two slots (`deny4`, `deny4b`): a whole reload of a large list
        /// fills the slot not running and points the rules at it in the table's own transaction, instead of emptying
        /// and refilling the running set in place (NftablesKernel). Everything above the kernel layer names slot 0;
        /// the kernel layer finds the running one.
        public static func hosts(_ list: ListKind, _ family: IPAddress.Family, slot: Int = 0) -> String {
            "\(list.rawValue)\(suffix(family))\(slot == 0 ? "" : "b")"
        }
        public static func networks(_ list: ListKind, _ family: IPAddress.Family, slot: Int = 0) -> String {
            hosts(list, family, slot: slot) + "_net"
        }

        /// Both slots' names (slot 0 first) of the csf.allow or csf.deny set named by either; nil for every other set.
        public static func listSlots(_ name: String) -> [String]? {
            for list in [ListKind.allow, .deny] {
                for family in [IPAddress.Family.v4, .v6] {
                    for pair in [[hosts(list, family), hosts(list, family, slot: 1)], [networks(list, family), networks(list, family, slot: 1)]]
                    where pair.contains(name) { return pair }
                }
            }
            return nil
        }

        /// csf.tempallow / csf.tempban: one set per list, direction, family and shape, with per-element timeouts.
        public static func temporary(_ kind: TempEntry.Kind, inbound: Bool, _ family: IPAddress.Family, _ shape: Shape) -> String {
            let base = "temp\(kind.rawValue)_\(inbound ? "in" : "out")\(suffix(family))"
            switch shape {
            case .host: return base
            case .network: return base + "_net"
            case .port: return base + "_port"
            }
        }

        /// A downloaded list's sets: single addresses in a hash set named as csf's ipsets (`bl_NAME`, `bl_6_NAME`),
        /// networks and ranges in an interval set beside it (`…_net`). A million single addresses load several times
        /// faster into a hash than into the kernel's interval tree.
        /// A blocklist's sets come in two slots: lfd fills the one not in use and swaps the rules over to it
        /// (BlocklistLookups); csf -r always loads slot 0. Other lists have one.
        /// `shard` numbers a blocklist's address sets (HostShards); shard 0 keeps the list's plain name (`bl_NAME`),
        /// the others put their number in the prefix (`bl3_NAME`), where no list's name can reach.
        public static func remote(_ list: RemoteList, _ family: IPAddress.Family, networks: Bool = false, slot: Int = 0,
                                  shard: Int = 0) -> String {
            let base: String
            switch list {
            case .blocklist(let name):
                let prefix = (slot == 0 ? "bl" : "blb") + (shard == 0 || networks ? "" : "\(shard)")
                base = family == .v4 ? "\(prefix)_\(name)" : "\(prefix)_6_\(name)"
            case .globalAllow: base = "gallow\(suffix(family))"
            case .globalDeny: base = "gdeny\(suffix(family))"
            case .globalIgnore: base = "gignore\(suffix(family))"
            case .dyndns: base = "dyn\(suffix(family))"
            case .globalDyndns: base = "gdyn\(suffix(family))"
            }
            return networks ? base + "_net" : base
        }

        /// Both sets of a downloaded list for one family: addresses, then networks.
        /// A list's sets of `family` and `slot`: its address sets (`shards` of them: a big blocklist's count,
        /// HostShards) and its interval set.
        public static func remoteSets(_ list: RemoteList, _ family: IPAddress.Family, slot: Int = 0, shards: Int = 1) -> [String] {
            remoteHostSets(list, family, slot: slot, shards: shards) + [remote(list, family, networks: true, slot: slot)]
        }

        public static func remoteHostSets(_ list: RemoteList, _ family: IPAddress.Family, slot: Int = 0, shards: Int) -> [String] {
            (0..<max(1, shards)).map { remote(list, family, slot: slot, shard: $0) }
        }

        /// How many address sets a list of `family` has in `slot` of a table with the sets `names`.
        public static func runningShards(_ list: RemoteList, _ family: IPAddress.Family, slot: Int, in names: Set<String>) -> Int {
            var n = 1
            while n < HostShards.most && names.contains(remote(list, family, slot: slot, shard: n)) { n += 1 }
            return n
        }

        /// The sets of either slot that could hold `address` whatever the list's shard count (one of each slot
        /// exists at a time), and the interval sets; the one set pair of any other list.
        public static func remoteSetsThatCouldHold(_ address: IPAddress, _ list: RemoteList) -> [String] {
            guard case .blocklist = list else { return remoteSets(list, address.family) }
            var out: [String] = []
            for slot in [0, 1] {
                for count in HostShards.possibleCounts {
                    let name = remote(list, address.family, slot: slot, shard: HostShards.index(address, of: count))
                    if !out.contains(name) { out.append(name) }
                }
                out.append(remote(list, address.family, networks: true, slot: slot))
            }
            return out
        }

        /// csf.dyndns's advanced filter number `index` (from 1): the addresses its host name resolved to.
        public static func dyndnsFilter(_ index: Int, _ family: IPAddress.Family) -> String { "dyn\(suffix(family))_f\(index)" }

        public static func country(_ kind: CountryKind, _ family: IPAddress.Family) -> String { "cc_\(kind.rawValue)\(suffix(family))" }

        public static func portFlood(_ family: IPAddress.Family, port: UInt16, proto: IPProtocol, meter: String) -> String {
            "portflood\(suffix(family))_\(port)_\(proto.rawValue)_\(meter)"
        }

        public static func connLimit(_ family: IPAddress.Family, port: UInt16) -> String { "connlimit\(suffix(family))_\(port)" }
        public static func synFlood(_ family: IPAddress.Family) -> String { "synflood\(suffix(family))" }
        /// MESSENGER_RATE's per-source budget.
        public static func messenger(_ family: IPAddress.Family) -> String { "messenger\(suffix(family))" }
        /// NFLOG_GROUP's per-source budget.
        public static func nflog(_ family: IPAddress.Family) -> String { "nflog\(suffix(family))" }

        public static func knock(_ family: IPAddress.Family, port: UInt16, proto: IPProtocol, step: Int) -> String {
            "knock\(suffix(family))_\(port)_\(proto.rawValue)_s\(step)"
        }

        /// Every set an address of `family` can be listed in: permanent lists and temporary entries of every shape.
        public static func holdingAddresses(_ family: IPAddress.Family) -> [String] {
            var names: [String] = []
            for list in [ListKind.allow, .deny] { names += [hosts(list, family), networks(list, family)] }
            for kind in [TempEntry.Kind.allow, .deny] {
                for inbound in [true, false] {
                    names += Shape.allCases.map { temporary(kind, inbound: inbound, family, $0) }
                }
            }
            return names
        }
    }
}
