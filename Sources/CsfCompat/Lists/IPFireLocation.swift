#if canImport(Glibc)
import Glibc
#endif

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
        case unreadableFile(String)

        public var description: String {
            switch self {
            case .unsorted(let line): return "line \(line): the networks are not in address order"
            case .noNetworks: return "no network with an ASN"
            case .unreadableFile(let reason): return reason
            }
        }
    }

    /// `location dump` → iptoasn lines. Networks without an ASN (or with ASN 0) leave holes where they are the
    /// most specific; adjacent ranges of one AS and country are joined.
    public static func asnLines(dump: UnsafeBufferPointer<UInt8>) throws(Unreadable) -> [UInt8] {
        var converter = Converter()
        LineBytes.forEach(dump) { converter.feed($0) }
        return try converter.finish()
    }

    /// The same from the dump's file, read a megabyte at a time: the whole database's dump is 135 MB, its
    /// conversion 25 MB, and lfd keeps only the conversion in memory.
    public static func asnLines(file path: String) throws(Unreadable) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadableFile("\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var converter = Converter()
        var carry: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { throw .unreadableFile("\(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            // Complete lines only; the last partial one waits for the next chunk.
            guard let lastNewline = chunk[..<n].lastIndex(of: 0x0A) else {
                carry += chunk[..<n]
                continue
            }
            carry += chunk[...lastNewline]
            carry.withUnsafeBufferPointer { buffer in LineBytes.forEach(buffer) { converter.feed($0) } }
            carry = Array(chunk[(lastNewline + 1)..<n])
        }
        carry.withUnsafeBufferPointer { buffer in LineBytes.forEach(buffer) { converter.feed($0) } }
        return try converter.finish()
    }

    /// The dump read line by line: AS records (`aut-num: AS64500`, `name:`) and networks (`net:`, `country:`,
    /// `aut-num: 64500`, flags), each record's lines after its first.
    struct Converter {
        private var names: [UInt32: String] = [:]
        private var flattener = Flattener()
        private var pendingName: UInt32?
        private var net: Network?
        private var lineNumber = 0
        private var failure: Unreadable?

        mutating func feed(_ line: UnsafeBufferPointer<UInt8>) {
            lineNumber += 1
            guard failure == nil, let (key, value) = IPFireLocation.field(line) else { return }
            switch key {
            case "net":
                if let done = net, !flattener.add(done, names) { failure = .unsorted(line: lineNumber) }
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

        mutating func finish() throws(Unreadable) -> [UInt8] {
            if let failure { throw failure }
            if let done = net, !flattener.add(done, names) { throw .unsorted(line: lineNumber) }
            flattener.finish(names)
            guard !flattener.out.isEmpty else { throw .noNetworks }
            return flattener.out
        }
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
    /// networks, and the first address not yet given to a range. Ranges are written out as soon as the next one
    /// cannot join them.
    struct Flattener {
        private(set) var out: [UInt8] = []
        private var pending: Network?
        private var open: [Network] = []
        private var cursor: IPAddress?
        private var previous: IPAddress?

        /// False when `net` starts before the previous network (the dump is not in the order the sweep needs:
        /// addresses ascending, IPv4 before IPv6, as AsnData's lookups also need).
        mutating func add(_ net: Network, _ names: [UInt32: String]) -> Bool {
            if let previous {
                if previous.family == .v6 && net.first.family == .v4 { return false }
                if previous.family == net.first.family && net.first < previous { return false }
                if previous.family != net.first.family { close(until: nil, names) }
            }
            previous = net.first
            close(until: net.first, names)
            if let top = open.last, let c = cursor, c < net.first, let end = net.first.predecessor { emit(c, end, top, names) }
            cursor = net.first
            open.append(net)
            return true
        }

        mutating func finish(_ names: [UInt32: String]) {
            close(until: nil, names)
            write(names)
        }

        /// Ends the open networks that stop before `limit` (all of them for nil), giving each what is left of it
        /// after the networks inside it. A nil cursor: the family's last address is given already.
        private mutating func close(until limit: IPAddress?, _ names: [UInt32: String]) {
            while let top = open.last, limit.map({ top.last < $0 }) ?? true {
                if let c = cursor, c <= top.last {
                    emit(c, top.last, top, names)
                    cursor = top.last.successor
                }
                open.removeLast()
            }
        }

        private mutating func emit(_ first: IPAddress, _ last: IPAddress, _ net: Network, _ names: [UInt32: String]) {
            guard net.asn != 0 else { return }
            if let joined = pending, joined.asn == net.asn, joined.country == net.country, joined.last.successor == first {
                pending?.last = last
                return
            }
            write(names)
            pending = Network(first: first, last: last, asn: net.asn, country: net.country)
        }

        private mutating func write(_ names: [UInt32: String]) {
            guard let r = pending else { return }
            out += "\(r.first)\t\(r.last)\t\(r.asn)\t\(r.country)\t\(names[r.asn] ?? "")\n".utf8
            pending = nil
        }
    }
}
