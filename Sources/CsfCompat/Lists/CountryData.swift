/// Country ranges as `FIRST,LAST,CC` lines, from one of two sources CC_SRC chooses (issue 15). The offline default
/// that needs no account (CC_SRC 2): Debian's `tor-geoipdb` ships the IPFire Location database — IPv4 as 32-bit
/// integers in `geoip`, IPv6 as addresses in `geoip6` — refreshed with Tor's security updates. Or (CC_SRC 3) DB-IP's
/// free "IP to Country Lite" CSV (CC BY 4.0), which lfd downloads: addresses of both families in one file, IPv4
/// lines first. Ranges, not CIDR explosions.
public enum CountryData {
    public static let v4File = "/usr/share/tor/geoip"
    public static let v6File = "/usr/share/tor/geoip6"
    /// lfd's decompressed copy of the DB-IP Lite CSV, under /var/lib/csf.
    public static let dbipFile = "Geo/dbip-country-lite.csv"

    /// How a file writes its addresses: Tor's IPv4 file as integers; everything else as addresses.
    public enum Form: Sendable { case torIntegers, torIPv6, addresses }

    /// One range and its country.
    public struct Entry: Sendable, Equatable {
        public var range: AddressRange
        public var country: String
    }

    /// The ranges of `countries` (upper-case ISO codes), merged, from tor-geoipdb's files' bytes. A line is split only
    /// when its code is wanted: the IPv4 file has 385k lines and a start must stay fast.
    public static func ranges(v4: UnsafeBufferPointer<UInt8>, v6: UnsafeBufferPointer<UInt8>?,
                              countries: Set<String>) -> [String: [AddressRange]] {
        ranges([(v4, .torIntegers), (v6 ?? UnsafeBufferPointer(start: nil, count: 0), .torIPv6)], countries: countries, ipv6: true)
    }

    /// The same from a file of addresses of both families (DB-IP's); IPv6 ranges only with `ipv6`.
    public static func ranges(addresses data: UnsafeBufferPointer<UInt8>, countries: Set<String>, ipv6: Bool) -> [String: [AddressRange]] {
        ranges([(data, .addresses)], countries: countries, ipv6: ipv6)
    }

    static func ranges(_ files: [(UnsafeBufferPointer<UInt8>, Form)], countries: Set<String>, ipv6: Bool) -> [String: [AddressRange]] {
        guard !countries.isEmpty else { return [:] }
        // Codes compared as two bytes: no String is made for the lines of other countries.
        var wanted: [UInt16: String] = [:]
        for c in countries {
            let u = Array(c.uppercased().utf8)
            if u.count == 2, code(u[0], u[1]) != nil { wanted[UInt16(u[0]) << 8 | UInt16(u[1])] = String(decoding: u, as: UTF8.self) }
        }
        var byCountry: [UInt16: [AddressRange]] = [:]
        for (data, form) in files {
            LineBytes.forEach(data) { line in
                let n = line.count
                guard n > 3, line[n - 3] == 0x2C else { return }
                let key = UInt16(line[n - 2]) << 8 | UInt16(line[n - 1])
                guard wanted[key] != nil, let range = parseRange(line, form), ipv6 || range.first.family == .v4 else { return }
                byCountry[key, default: []].append(range)
            }
        }
        var out: [String: [AddressRange]] = [:]
        for (key, ranges) in byCountry { if let name = wanted[key] { out[name] = AddressRanges.merge(ranges: ranges) } }
        return out
    }

    /// The country of `address`, found by bisecting tor-geoipdb's sorted lines (`csf -i` and lfd's messages never
    /// load 660k ranges). Nil when no range holds it or the range's country is unknown (`??`).
    public static func country(of address: IPAddress, v4: UnsafeBufferPointer<UInt8>, v6: UnsafeBufferPointer<UInt8>?) -> String? {
        let isV6 = address.family == .v6
        guard let data = isV6 ? v6 : v4 else { return nil }
        return country(of: address, in: data, isV6 ? .torIPv6 : .torIntegers)
    }

    /// The same in a file of addresses of both families, IPv4 lines before IPv6 ones (DB-IP's).
    public static func country(of address: IPAddress, addresses data: UnsafeBufferPointer<UInt8>) -> String? {
        country(of: address, in: data, .addresses)
    }

    static func country(of address: IPAddress, in data: UnsafeBufferPointer<UInt8>, _ form: Form) -> String? {
        guard data.baseAddress != nil else { return nil }
        let found: String?? = LineBytes.bisect(data) { line in
            guard line.first != 0x23, let entry = parse(line, form) else { return .unreadable }
            if LineBytes.before(address, entry.range.first) { return .before }
            if LineBytes.before(entry.range.last, address) { return .after }
            return .found(entry.country == "??" || entry.country == "ZZ" ? nil : entry.country)
        }
        return found ?? nil
    }

    /// Whether a download reads as a file of address ranges with country codes.
    public static func looksValid(addresses data: UnsafeBufferPointer<UInt8>) -> Bool {
        LineBytes.mostlyReadable(data) { parse($0, .addresses) != nil }
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

    static func parse(_ line: UnsafeBufferPointer<UInt8>, _ form: Form) -> Entry? {
        let n = line.count
        guard n > 3, let cc = code(line[n - 2], line[n - 1]), let range = parseRange(line, form) else { return nil }
        return Entry(range: range, country: cc)
    }

    /// `FIRST,LAST,CC` → the range (the code is the caller's).
    static func parseRange(_ line: UnsafeBufferPointer<UInt8>, _ form: Form) -> AddressRange? {
        guard let c1 = line.firstIndex(of: 0x2C), let c2 = line[(c1 + 1)...].firstIndex(of: 0x2C), line.count - c2 == 3 else { return nil }
        let first: IPAddress, last: IPAddress
        if form != .torIntegers {
            guard let a = IPAddress(Substring(decoding: line[..<c1], as: UTF8.self)),
                  let b = IPAddress(Substring(decoding: line[(c1 + 1)..<c2], as: UTF8.self)), a.family == b.family,
                  form == .addresses || a.family == .v6 else { return nil }
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
