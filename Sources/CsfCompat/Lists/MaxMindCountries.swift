/// MaxMind's GeoLite2 Country CSV (CC_SRC 1 with MM_LICENSE_KEY) turned into the `FIRST,LAST,CC` file CountryFiles
/// reads: the Locations file maps `geoname_id` to `country_iso_code`, the Blocks files list networks with a
/// `geoname_id` (or, for networks with no located country, `registered_country_geoname_id`). Columns are found by
/// their header names, so MaxMind adding a column changes nothing.
public enum MaxMindCountries {
    /// lfd's converted copy, under /var/lib/csf.
    public static let file = "Geo/maxmind-country.csv"
    /// The members of MaxMind's zip that matter (their directory is dated).
    public static let locationsMember = "GeoLite2-Country-Locations-en.csv"
    public static let blocksV4Member = "GeoLite2-Country-Blocks-IPv4.csv"
    public static let blocksV6Member = "GeoLite2-Country-Blocks-IPv6.csv"

    public struct Unreadable: Error, CustomStringConvertible {
        public var description: String
    }

    /// Sorted `FIRST,LAST,CC` lines, IPv4 before IPv6; networks with no country are left out.
    public static func ranges(locations: [UInt8], blocksV4: [UInt8], blocksV6: [UInt8]) throws(Unreadable) -> [UInt8] {
        let countries = try countryCodes(locations)
        var entries: [(range: AddressRange, code: String)] = []
        for (name, data) in [(blocksV4Member, blocksV4), (blocksV6Member, blocksV6)] {
            try blocks(data, name: name) { network, geoname in
                guard let code = countries[geoname] else { return }
                entries.append((AddressRange(first: network.address.masked(to: network.prefix), last: network.lastAddress), code))
            }
        }
        guard !entries.isEmpty else { throw Unreadable(description: "\(blocksV4Member) holds no network with a country") }
        entries.sort { LineBytes.before($0.range.first, $1.range.first) }
        var out: [UInt8] = []
        out.reserveCapacity(entries.count * 40)
        for e in entries { out += Array("\(e.range.first),\(e.range.last),\(e.code)\n".utf8) }
        return out
    }

    /// geoname_id → ISO code from the Locations file.
    static func countryCodes(_ data: [UInt8]) throws(Unreadable) -> [UInt32: String] {
        var codes: [UInt32: String] = [:]
        try rows(data, name: locationsMember, columns: ["geoname_id", "country_iso_code"]) { fields in
            guard let id = UInt32(fields[0]), fields[1].utf8.count == 2,
                  fields[1].utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) else { return }
            codes[id] = String(fields[1])
        }
        guard !codes.isEmpty else { throw Unreadable(description: "\(locationsMember) names no country") }
        return codes
    }

    static func blocks(_ data: [UInt8], name: String, _ body: (IPNetwork, UInt32) -> Void) throws(Unreadable) {
        try rows(data, name: name, columns: ["network", "geoname_id", "registered_country_geoname_id"]) { fields in
            guard let network = IPNetwork(String(fields[0])),
                  let id = UInt32(fields[1]) ?? UInt32(fields[2]) else { return }
            body(network, id)
        }
    }

    /// Each data row's wanted columns, in the order asked; the header must name them all. MaxMind quotes no field
    /// of these files that the columns read here need.
    static func rows(_ data: [UInt8], name: String, columns: [String], _ body: ([Substring]) -> Void) throws(Unreadable) {
        let text = String(decoding: data, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).makeIterator()
        guard let header = lines.next() else { throw Unreadable(description: "\(name) is empty") }
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingWhitespace() }
        var at: [Int] = []
        for column in columns {
            guard let i = names.firstIndex(of: column) else { throw Unreadable(description: "\(name) has no column \(column)") }
            at.append(i)
        }
        while let line = lines.next() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard at.allSatisfy({ $0 < fields.count }) else { continue }
            body(at.map { fields[$0].hasSuffix("\r") ? fields[$0].dropLast() : fields[$0] })
        }
    }
}
