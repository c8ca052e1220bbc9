import CsfCompat

extension PolicyBuilder {
    /// The CC_* settings that name countries (or ASNs) for the firewall.
    public static let countryKeys = ["CC_ALLOW", "CC_DENY", "CC_ALLOW_FILTER", "CC_ALLOW_PORTS", "CC_DENY_PORTS",
                                     "CC_MESSENGER_ALLOW", "CC_MESSENGER_DENY"]

    /// Every code the firewall settings name, upper-cased (ASNs included, as written).
    public static func countryCodes(_ config: CsfConfig) -> Set<String> {
        let keys = config.bool("MESSENGER") ? countryKeys : countryKeys.filter { !$0.hasPrefix("CC_MESSENGER") }
        return Set(keys.flatMap { config.list($0).map { $0.uppercased() } })
    }

    /// CC_* into ranges. A code with no data, an ASN (no ASN data yet) or missing country data is a warning that
    /// says what is not blocked: the rest of the firewall still starts.
    func loadCountries(into p: inout FirewallPolicy, config: CsfConfig) -> [Diagnostic] {
        var diags: [Diagnostic] = []
        let codes = Self.countryCodes(config)
        guard !codes.isEmpty else { return [] }
        if let missing = inputs.countryDataMissing, codes.contains(where: { AsnData.number($0) == nil }) {
            let key = Self.countryKeys.first { !config.list($0).isEmpty } ?? "CC_DENY"
            diags.append(config.diagnostic(.warning, key, "no country data (\(missing)); \(CountryFiles.remedy(config)): \(Self.countryKeys.filter { !config.list($0).isEmpty }.joined(separator: ", ")) match nothing"))
        }
        let dropCidr = config.int("CC_DROP_CIDR")
        func ranges(_ key: String) -> [AddressRange]? {
            let names = config.list(key).map { $0.uppercased() }
            guard !names.isEmpty else { return nil }
            var all: [AddressRange] = []
            for name in names {
                if let asn = AsnData.number(name) {
                    if let r = inputs.asnRanges[asn] {
                        all += r
                    } else if let missing = inputs.asnDataMissing {
                        diags.append(config.diagnostic(.warning, key, "\(key): \(name): no ASN data yet (\(missing)); \(AsnData.remedy)"))
                    } else {
                        diags.append(config.diagnostic(.warning, key, "\(key): \(name) has no ranges in the ASN data; nothing is matched for it"))
                    }
                    continue
                }
                guard let r = inputs.countryRanges[name] else {
                    if inputs.countryDataMissing == nil {
                        diags.append(config.diagnostic(.warning, key, "\(key): \(name) is not a country of the data (ISO 3166 codes: CN, RU, …); nothing is matched for it"))
                    }
                    continue
                }
                all += r
            }
            let merged = AddressRanges.merge(ranges: all)
            let v4 = CountryData.dropSmallerThan(dropCidr, merged.filter { $0.family == .v4 })
            let v6 = p.ipv6 && config.bool("CC6_LOOKUPS") ? merged.filter { $0.family == .v6 } : []
            return v4 + v6
        }
        p.countries.allow = ranges("CC_ALLOW")
        p.countries.deny = ranges("CC_DENY")
        p.countries.allowFilter = ranges("CC_ALLOW_FILTER")
        p.countries.allowPorts = ranges("CC_ALLOW_PORTS")
        p.countries.denyPorts = ranges("CC_DENY_PORTS")
        if config.bool("MESSENGER") {
            p.countries.messengerAllow = ranges("CC_MESSENGER_ALLOW")
            p.countries.messengerDeny = ranges("CC_MESSENGER_DENY")
        }
        p.countries.allowPortsTcp = config.ports("CC_ALLOW_PORTS_TCP")
        p.countries.allowPortsUdp = config.ports("CC_ALLOW_PORTS_UDP")
        p.countries.denyPortsTcp = config.ports("CC_DENY_PORTS_TCP")
        p.countries.denyPortsUdp = config.ports("CC_DENY_PORTS_UDP")
        return diags
    }
}
