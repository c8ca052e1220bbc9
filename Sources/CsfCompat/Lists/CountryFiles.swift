/// The country data CC_SRC chooses, mapped once: tor-geoipdb's two files (2, csf's default value: offline, no
/// account), lfd's copy of DB-IP's Lite CSV (3) or of MaxMind's GeoLite2 Country CSV (1, with MM_LICENSE_KEY). csf
/// and lfd read ranges and single addresses through it and never care which it is.
public final class CountryFiles: Sendable {
    public enum Source: Sendable, Equatable {
        case torGeoip, dbip, maxmind

        /// CC_SRC 3 is DB-IP, 1 MaxMind when MM_LICENSE_KEY is set; 2 (and 1 without a key) read tor-geoipdb.
        public static func chosen(by config: CsfConfig) -> Source {
            switch config["CC_SRC"].trimmingWhitespace() {
            case "3": return .dbip
            case "1" where !config["MM_LICENSE_KEY"].trimmingWhitespace().isEmpty: return .maxmind
            default: return .torGeoip
            }
        }

        /// The copy lfd keeps under /var/lib/csf (nil: tor-geoipdb's files, which Debian installs).
        public var downloaded: String? {
            switch self {
            case .torGeoip: return nil
            case .dbip: return CountryData.dbipFile
            case .maxmind: return MaxMindCountries.file
            }
        }
    }

    public let source: Source
    private let primary: MappedBytes
    /// tor-geoipdb's IPv6 file (DB-IP's one file holds both families).
    private let torV6: MappedBytes?

    /// Maps the chosen files; IPv6 ranges are wanted only with `ipv6` (IPV6 and CC6_LOOKUPS). Throws with the path
    /// when the main file is missing: tor-geoipdb not installed, or DB-IP not downloaded yet.
    public init(config: CsfConfig, paths: CsfPaths, ipv6: Bool) throws(CsfError) {
        source = Source.chosen(by: config)
        switch source {
        case .torGeoip:
            primary = try MappedBytes(path: paths.path(CountryData.v4File))
            torV6 = ipv6 ? try? MappedBytes(path: paths.path(CountryData.v6File)) : nil
        case .dbip, .maxmind:
            primary = try MappedBytes(path: paths.lib(source.downloaded ?? CountryData.dbipFile))
            torV6 = nil
        }
    }

    /// What an admin does when the data is missing.
    public static func remedy(_ config: CsfConfig) -> String {
        switch Source.chosen(by: config) {
        case .dbip: return "lfd downloads CC_DBIP_URL (CC_SRC 3) and restarts the firewall with it"
        case .maxmind: return "lfd downloads CC_MAXMIND_URL with MM_LICENSE_KEY (CC_SRC 1) and restarts the firewall with it"
        case .torGeoip: return "install tor-geoipdb"
        }
    }

    public func ranges(countries: Set<String>, ipv6: Bool) -> [String: [AddressRange]] {
        withExtendedLifetime((primary, torV6)) {
            switch source {
            case .torGeoip: return CountryData.ranges(v4: primary.buffer, v6: ipv6 ? torV6?.buffer : nil, countries: countries)
            case .dbip, .maxmind: return CountryData.ranges(addresses: primary.buffer, countries: countries, ipv6: ipv6)
            }
        }
    }

    public func country(of address: IPAddress) -> String? {
        withExtendedLifetime((primary, torV6)) {
            switch source {
            case .torGeoip: return CountryData.country(of: address, v4: primary.buffer, v6: torV6?.buffer)
            case .dbip, .maxmind: return CountryData.country(of: address, addresses: primary.buffer)
            }
        }
    }
}
