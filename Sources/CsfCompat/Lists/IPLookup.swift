/// csf's `iplookup`: how an address is shown in lfd.log, alerts, csf.deny comments and `csf -i` —
/// `203.0.113.7 (CN/China/-)` with CC_LOOKUPS, `203.0.113.7 (-)` when no country is known. The country comes from
/// the files CC_SRC chooses (CountryFiles), mapped once and bisected per address (no range is loaded), the name from tzdata's
/// iso3166.tab. Reverse DNS (LF_LOOKUPS) is not looked up: a lookup must never hold a block or a command back on
/// DNS, so the host part stays `-`.
public final class IPLookup: Sendable {
    /// CC_LOOKUPS: 0 none, 1 code and name, 2/4 + region and city, 3 + ASN (csf's field layout; the fields tor-geoipdb
    /// has no data for are `-`).
    public let level: Int
    private let v6Lookups: Bool
    private let countries: CountryFiles?
    /// CC_LOOKUPS 3: the ASN data (AsnData.chosen), when lfd has fetched or converted it.
    private let asnData: MappedBytes?
    private let names: [String: String]

    public static let namesFile = "/usr/share/zoneinfo/iso3166.tab"

    public init(config: CsfConfig, paths: CsfPaths) {
        level = config.int("CC_LOOKUPS")
        v6Lookups = config.bool("CC6_LOOKUPS")
        let wanted = level > 0 || !config.list("CC_IGNORE").isEmpty
        countries = wanted ? try? CountryFiles(config: config, paths: paths, ipv6: v6Lookups) : nil
        asnData = level == 3 ? try? AsnData.mapped(paths) : nil
        names = level > 0 ? Self.countryNames((try? TextFile.read(paths.path(Self.namesFile))) ?? "") : [:]
    }

    /// No data: every address is `ip (-)`.
    public init() {
        level = 0
        v6Lookups = false
        countries = nil
        asnData = nil
        names = [:]
    }

    /// Whether any country data could be read (CC_IGNORE and the messages need it).
    public var hasData: Bool { countries != nil }

    /// The address's ISO country code, nil when unknown or not looked up (IPv6 only with CC6_LOOKUPS, as csf).
    public func country(_ address: IPAddress) -> String? {
        if address.family == .v6 && !v6Lookups { return nil }
        return countries?.country(of: address)
    }

    /// The network holding the address, from the ASN data (CC_LOOKUPS 3 only).
    public func asn(_ address: IPAddress) -> AsnData.Entry? {
        guard let asnData else { return nil }
        return withExtendedLifetime(asnData) { AsnData.entry(of: address, in: asnData.buffer) }
    }

    /// csf's `iplookup(ip)` text: the address and its note.
    public func tip(_ address: IPAddress) -> String { "\(address) \(note(address))" }

    /// The parenthesis that follows an address: `(CN/China/-)`, or `(-)` when no country is known.
    public func note(_ address: IPAddress) -> String {
        let host = "-"
        guard level > 0, let code = country(address) else { return "(\(host))" }
        let name = names[code] ?? "-"
        let fields: [String]
        switch level {
        case 3: fields = [code, name, "-", "-", host, asn(address).map { "[AS\($0.asn) \($0.name.filter { $0 != "/" && $0 != "(" && $0 != ")" })]" } ?? "-"]
        case 2, 4: fields = [code, name, "-", "-", host]
        default: fields = [code, name, host]
        }
        return "(\(fields.joined(separator: "/")))"
    }

    /// iso3166.tab: `CC<TAB>Name` lines. csf strips quotes from what it prints (`Côte d'Ivoire` → `Côte dIvoire`).
    static func countryNames(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "\t", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 2 else { continue }
            out[String(parts[0]).uppercased()] = String(parts[1].filter { $0 != "'" && $0 != "\"" && $0 != "\r" })
        }
        return out
    }
}
