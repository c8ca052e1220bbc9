/// The IPFire Location database as ASN data for the `AS1234` entries of the CC_* settings, offline and without an
/// account: Debian's `libloc-database` installs it (`location update` keeps it current) and `location dump` prints
/// it as text. Its networks nest (a /24 of one AS inside a /8 of a country); a lookup takes the most specific one,
/// so they are flattened here into non-overlapping ranges of iptoasn's line format (`FIRST<TAB>LAST<TAB>ASN<TAB>CC
/// <TAB>NAME`, IPv4 then IPv6, each sorted) and AsnData reads either source the same way.
public enum IPFireLocation {
    /// Where `location` keeps the database (Debian's package links it there).
    public static let database = "/var/lib/location/database.db"
    /// lfd's conversion of it, next to iptoasn's copy.
    public static let converted = "Geo/ipfire-asn.tsv"

    public enum Unreadable: Error, Equatable, CustomStringConvertible {
        case unsorted(line: Int)
        case noNetworks

        public var description: String {
            switch self {
            case .unsorted(let line): return "line \(line): the networks are not in address order"
            case .noNetworks: return "no network with an ASN"
            }
        }
    }

    /// `location dump` → iptoasn lines. Networks without an ASN (or with ASN 0) leave holes where they are the
    /// most specific; adjacent ranges of one AS and country are joined.
    public static func asnLines(dump: UnsafeBufferPointer<UInt8>) throws(Unreadable) -> [UInt8] {
        var names: [UInt32: String] = [:]
        var flattener = Flattener()
        var pendingName: UInt32?
        var net: Network?
        var lineNumber = 0
        var failure: Unreadable?
        LineBytes.forEach(dump) { line in
            lineNumber += 1
            guard failure == nil, let (key, value) = field(line) else { return }
            switch key {
            case "net":
                if let done = net, !flattener.add(done) { failure = .unsorted(line: lineNumber) }
                net = (try? IPNetwork.parse(value).get()).map { Network(first: $0.address.masked(to: $0.prefix), last: $0.lastAddress) }
                pendingName = nil
            case "aut-num" where value.hasPrefix("AS"):
                // An AS record (they come before the networks): its name follows.
                pendingName = UInt32(value.dropFirst(2))
            case "aut-num":
                net?.asn = UInt32(value) ?? 0
            case "country":
                if value.count == 2 { net?.country = String(value) }
            case "name":
                if let asn = pendingName { names[asn] = String(value).filter { $0 != "\t" && $0 != "\"" } }
                pendingName = nil
            default:
                break
            }
        }
        if let failure { throw failure }
        if let done = net, !flattener.add(done) { throw .unsorted(line: lineNumber) }
        flattener.finish()
        guard !flattener.ranges.isEmpty else { throw .noNetworks }
        var out: [UInt8] = []
        out.reserveCapacity(flattener.ranges.count * 48)
        for r in flattener.ranges {
            out += Array("\(r.first)\t\(r.last)\t\(r.asn)\t\(r.country)\t\(names[r.asn] ?? "")\n".utf8)
        }
        return out
    }

    /// `key:    value` with the value's padding removed.
    private static func field(_ line: UnsafeBufferPointer<UInt8>) -> (String, Substring)? {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let key = String(decoding: line[..<colon], as: UTF8.self)
        var start = colon + 1
        while start < line.count && (line[start] == 0x20 || line[start] == 0x09) { start += 1 }
        return (key, Substring(String(decoding: line[start...], as: UTF8.self)))
    }

    struct Network {
        var first: IPAddress
        var last: IPAddress
        var asn: UInt32 = 0
        var country = "None"
    }

    /// The sweep over networks in address order (each parent before the networks inside it): a stack of the open
    /// networks, and the first address not yet given to a range.
    struct Flattener {
        private(set) var ranges: [Network] = []
        private var open: [Network] = []
        private var cursor: IPAddress?
        private var previous: IPAddress?

        /// False when `net` starts before the previous network (the dump is not in the order the sweep needs:
        /// addresses ascending, IPv4 before IPv6, as AsnData's lookups also need).
        mutating func add(_ net: Network) -> Bool {
            if let previous {
                if previous.family == .v6 && net.first.family == .v4 { return false }
                if previous.family == net.first.family && net.first < previous { return false }
                if previous.family != net.first.family { close(until: nil) }
            }
            previous = net.first
            close(until: net.first)
            if let top = open.last, let c = cursor, c < net.first, let end = net.first.predecessor { emit(c, end, top) }
            cursor = net.first
            open.append(net)
            return true
        }

        mutating func finish() { close(until: nil) }

        /// Ends the open networks that stop before `limit` (all of them for nil), giving each what is left of it
        /// after the networks inside it. A nil cursor: the family's last address is given already.
        private mutating func close(until limit: IPAddress?) {
            while let top = open.last, limit.map({ top.last < $0 }) ?? true {
                if let c = cursor, c <= top.last {
                    emit(c, top.last, top)
                    cursor = top.last.successor
                }
                open.removeLast()
            }
        }

        private mutating func emit(_ first: IPAddress, _ last: IPAddress, _ net: Network) {
            guard net.asn != 0 else { return }
            if var joined = ranges.last, joined.asn == net.asn, joined.country == net.country, joined.last.successor == first {
                joined.last = last
                ranges[ranges.count - 1] = joined
                return
            }
            ranges.append(Network(first: first, last: last, asn: net.asn, country: net.country))
        }
    }
}
