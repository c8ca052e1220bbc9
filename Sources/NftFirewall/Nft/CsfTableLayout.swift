/// Names in the `inet csf` table. Chains keep csf's iptables names so `nft list ruleset` reads like `csf -l` did.
public enum CsfTableLayout {
    public static let tableName = "csf"
    public static let family = "inet"

    public enum Chain {
        public static let input = "INPUT"
        public static let output = "OUTPUT"
        public static let forward = "FORWARD"
        public static let localInput = "LOCALINPUT"
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
    }

    /// Set names: plain addresses live in hash sets, networks in interval sets (reference nft-notes §C2).
    public enum SetName {
        public static func hosts(_ list: ListKind, _ family: IPAddress.Family) -> String {
            "\(list.rawValue)\(family == .v4 ? "4" : "6")"
        }
        public static func networks(_ list: ListKind, _ family: IPAddress.Family) -> String {
            hosts(list, family) + "_net"
        }
    }

    public enum ListKind: String, Sendable { case allow, deny, sips }
}
