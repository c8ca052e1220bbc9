#if canImport(Glibc)
import Glibc
#endif

/// ASN ranges for `AS1234` entries of the CC_* settings, from the file csf's lfd downloads for CC_SRC 2:
/// iptoasn.com's `ip2asn-combined.tsv` (`FIRST<TAB>LAST<TAB>ASN<TAB>CC<TAB>NAME`, IPv4 then IPv6, each sorted),
/// kept decompressed in /var/lib/csf/Geo. lfd fetches it (`CC_ASN_URL`) every CC_INTERVAL days; csf reads the
/// ASNs its settings name in one pass at a start.
public enum AsnData {
    /// csf's own path for it.
    public static let file = "Geo/ip2asn-combined.tsv"

    /// The copy csf reads: lfd's download of iptoasn's file when there is one, else lfd's conversion of the IPFire
    /// Location database (IPFireLocation: offline, what Debian's libloc-database installs); nil when neither exists.
    public static func chosen(_ paths: CsfPaths) -> String? {
        [file, IPFireLocation.converted].map(paths.lib).first(where: TextFile.exists)
    }

    /// Maps the chosen copy; the error names both places when there is none.
    public static func mapped(_ paths: CsfPaths) throws(CsfError) -> MappedBytes {
        guard let path = chosen(paths) else {
            throw .io(path: paths.lib(file), reason: "no such file, nor \(paths.lib(IPFireLocation.converted))")
        }
        return try MappedBytes(path: path)
    }

    /// What an admin does when there is no ASN data.
    public static let remedy = "lfd downloads CC_ASN_URL, or converts the IPFire Location database when libloc-database is installed, and restarts the firewall with it"

    /// One range and its network.
    public struct Entry: Sendable, Equatable {
        public var range: AddressRange
        public var asn: UInt32
        public var name: String
    }

    /// `AS1234` (any case) → 1234; nil for anything else (a country code).
    public static func number(_ code: String) -> UInt32? {
        let u = code.uppercased()
        guard u.hasPrefix("AS"), u.count > 2, u.count <= 12 else { return nil }
        let digits = u.dropFirst(2)
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt32(digits)
    }

    /// The ranges of each wanted ASN, merged; IPv6 ranges only with `v6`. Only the ASN field of other lines is
    /// read, so the 600k lines of the file cost a start little.
    public static func ranges(_ data: UnsafeBufferPointer<UInt8>, asns: Set<UInt32>, v6: Bool) -> [UInt32: [AddressRange]] {
        guard !asns.isEmpty else { return [:] }
        var found: [UInt32: [AddressRange]] = [:]
        LineBytes.forEach(data) { line in
            guard let fields = split(line), let asn = LineBytes.uint32(line[fields.asn]), asns.contains(asn),
                  let range = range(line, fields), v6 || range.first.family == .v4 else { return }
            found[asn, default: []].append(range)
        }
        return found.mapValues { AddressRanges.merge(ranges: $0) }
    }

    /// The network `address` belongs to, by bisecting the sorted lines (IPv4 lines before IPv6 ones); nil when
    /// no range holds it or it is not routed (ASN 0).
    public static func entry(of address: IPAddress, in data: UnsafeBufferPointer<UInt8>) -> Entry? {
        let found: Entry?? = LineBytes.bisect(data) { line in
            guard let fields = split(line), let r = range(line, fields) else { return .unreadable }
            if LineBytes.before(address, r.first) { return .before }
            if LineBytes.before(r.last, address) { return .after }
            guard let asn = LineBytes.uint32(line[fields.asn]), asn != 0 else { return .found(nil) }
            return .found(Entry(range: r, asn: asn, name: String(decoding: line[fields.name...], as: UTF8.self).filter { $0 != "\"" }))
        }
        return found ?? nil
    }

    /// Whether `data` reads as the file at all (a download that is an error page or another format is refused).
    public static func looksValid(_ data: UnsafeBufferPointer<UInt8>) -> Bool {
        LineBytes.mostlyReadable(data) { line in
            guard let f = split(line) else { return false }
            return range(line, f) != nil && LineBytes.uint32(line[f.asn]) != nil
        }
    }

    // MARK: parsing

    struct Fields {
        var first: Range<Int>, last: Range<Int>, asn: Range<Int>
        var name: Int
    }

    /// The offset of the next tab at or after `from`, by memchr (570k lines are scanned at a start).
    private static func tab(_ line: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard let base = line.baseAddress, from < line.count,
              let hit = memchr(base + from, 0x09, line.count - from) else { return nil }
        return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }

    private static func split(_ line: UnsafeBufferPointer<UInt8>) -> Fields? {
        guard let t1 = tab(line, from: 0), let t2 = tab(line, from: t1 + 1) else { return nil }
        let t3 = tab(line, from: t2 + 1) ?? line.count
        let name = tab(line, from: min(t3 + 1, line.count)).map { $0 + 1 } ?? line.count
        return Fields(first: 0..<t1, last: (t1 + 1)..<t2, asn: (t2 + 1)..<t3, name: name)
    }

    private static func range(_ line: UnsafeBufferPointer<UInt8>, _ f: Fields) -> AddressRange? {
        guard let a = IPAddress(Substring(decoding: line[f.first], as: UTF8.self)),
              let b = IPAddress(Substring(decoding: line[f.last], as: UTF8.self)),
              a.family == b.family, a <= b else { return nil }
        return AddressRange(first: a, last: b)
    }
}
