/// Country ranges in Tor's geoip format, the offline source that needs no account (issue 15): Debian's
/// `tor-geoipdb` ships the IPFire Location database as `FIRST,LAST,CC` lines — IPv4 as 32-bit integers in
/// `geoip`, IPv6 as addresses in `geoip6` — refreshed with Tor's security updates. Ranges, not CIDR explosions.
public enum CountryData {
    public static let v4File = "/usr/share/tor/geoip"
    public static let v6File = "/usr/share/tor/geoip6"

    /// One range and its country.
    public struct Entry: Sendable, Equatable {
        public var range: AddressRange
        public var country: String
    }

    /// The ranges of `countries` (upper-case ISO codes), merged, from the files' bytes. A line is split only when
    /// its code is wanted: the IPv4 file has 385k lines and a start must stay fast.
    public static func ranges(v4: UnsafeBufferPointer<UInt8>, v6: UnsafeBufferPointer<UInt8>?,
                              countries: Set<String>) -> [String: [AddressRange]] {
        guard !countries.isEmpty else { return [:] }
        // Codes compared as two bytes: no String is made for the lines of other countries.
        var wanted: [UInt16: String] = [:]
        for c in countries {
            let u = Array(c.uppercased().utf8)
            if u.count == 2, code(u[0], u[1]) != nil { wanted[UInt16(u[0]) << 8 | UInt16(u[1])] = String(decoding: u, as: UTF8.self) }
        }
        var byCountry: [UInt16: [AddressRange]] = [:]
        for (data, v6file) in [(v4, false), (v6 ?? UnsafeBufferPointer(start: nil, count: 0), true)] {
            LineBytes.forEach(data) { line in
                let n = line.count
                guard n > 3, line[n - 3] == 0x2C else { return }
                let key = UInt16(line[n - 2]) << 8 | UInt16(line[n - 1])
                guard wanted[key] != nil, let range = parseRange(line, v6: v6file) else { return }
                byCountry[key, default: []].append(range)
            }
        }
        var out: [String: [AddressRange]] = [:]
        for (key, ranges) in byCountry { if let name = wanted[key] { out[name] = AddressRanges.merge(ranges: ranges) } }
        return out
    }

    /// The country of `address`, found by bisecting the file's sorted lines (`csf -i` and lfd's messages never
    /// load 660k ranges). Nil when no range holds it or the range's country is unknown (`??`).
    public static func country(of address: IPAddress, v4: UnsafeBufferPointer<UInt8>, v6: UnsafeBufferPointer<UInt8>?) -> String? {
        let isV6 = address.family == .v6
        guard let data = isV6 ? v6 : v4, data.baseAddress != nil else { return nil }
        let found: String?? = LineBytes.bisect(data) { line in
            guard line.first != 0x23, let entry = parse(line, v6: isV6) else { return .unreadable }
            if address < entry.range.first { return .before }
            if address > entry.range.last { return .after }
            return .found(entry.country == "??" ? nil : entry.country)
        }
        return found ?? nil
    }

    /// Ranges holding fewer addresses than a /`prefix` are left out (CC_DROP_CIDR: csf skipped zone entries
    /// longer than it, to keep ipset small).
    public static func dropSmallerThan(_ prefix: Int, _ ranges: [AddressRange]) -> [AddressRange] {
        guard prefix > 0 && prefix < 32 else { return ranges }
        let minimum = UInt64(1) << UInt64(32 - prefix)
        return ranges.filter { r in
            guard case .v4(let a) = r.first, case .v4(let b) = r.last else { return true }
            return UInt64(b - a) + 1 >= minimum
        }
    }

    // MARK: parsing

    static func parse(_ line: UnsafeBufferPointer<UInt8>, v6: Bool) -> Entry? {
        let n = line.count
        guard n > 3, let cc = code(line[n - 2], line[n - 1]), let range = parseRange(line, v6: v6) else { return nil }
        return Entry(range: range, country: cc)
    }

    /// `FIRST,LAST,CC` → the range (the code is the caller's).
    static func parseRange(_ line: UnsafeBufferPointer<UInt8>, v6: Bool) -> AddressRange? {
        guard let c1 = line.firstIndex(of: 0x2C), let c2 = line[(c1 + 1)...].firstIndex(of: 0x2C), line.count - c2 == 3 else { return nil }
        let first: IPAddress, last: IPAddress
        if v6 {
            guard let a = IPAddress(Substring(decoding: line[..<c1], as: UTF8.self)),
                  let b = IPAddress(Substring(decoding: line[(c1 + 1)..<c2], as: UTF8.self)), a.family == .v6, b.family == .v6 else { return nil }
            (first, last) = (a, b)
        } else {
            guard let a = LineBytes.uint32(line[..<c1]), let b = LineBytes.uint32(line[(c1 + 1)..<c2]) else { return nil }
            (first, last) = (.v4(a), .v4(b))
        }
        guard first <= last else { return nil }
        return AddressRange(first: first, last: last)
    }

    /// Two upper-case letters (or `??`), as a String.
    private static func code(_ a: UInt8, _ b: UInt8) -> String? {
        let letter = { (c: UInt8) in (c >= 0x41 && c <= 0x5A) || c == 0x3F }
        guard letter(a) && letter(b) else { return nil }
        return String(decoding: [a, b], as: UTF8.self)
    }
}
