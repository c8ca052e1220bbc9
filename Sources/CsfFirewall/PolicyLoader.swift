import CsfCompat
import CsfPolicy

/// Reads csf.conf and every file `csf -s` uses, and builds the policy from them.
public enum PolicyLoader {
    public static func inputs(paths: CsfPaths, config: CsfConfig, host: HostAddresses, now: Int,
                              accounts: any AccountDirectory = SystemAccounts()) -> PolicyInputs {
        var inputs = PolicyInputs(config: config, allow: AccessList.load(paths.allow), deny: AccessList.load(paths.deny),
                                  sips: ListReader.read(paths.sips), redirects: ListReader.read(paths.redirect),
                                  tempAllow: TempList.load(.allow, paths: paths), tempDeny: TempList.load(.deny, paths: paths),
                                  resolvConf: try? TextFile.read(paths.resolvConf), host: host, accounts: accounts, now: now)
        inputs.blocklists = blocklists(paths)
        for source in RemoteList.sources(config: config, blocklists: inputs.blocklists) where source.list != .globalIgnore {
            let feed = RemoteList.cachedFeed(source.list, paths: paths)
            inputs.remoteLists[source.list] = feed.networks
            if !feed.filters.isEmpty { inputs.remoteFilters[source.list] = feed.filters }
        }
        for list in RemoteList.resolvedLists(config) { inputs.remoteLists[list] = RemoteList.cached(list, paths: paths) }
        if RemoteList.resolvedLists(config).contains(.dyndns) {
            inputs.dyndnsFilters = DynDnsNames.parse(ListReader.read(paths.etc("csf.dyndns")), filters: true).filters
            if !inputs.dyndnsFilters.isEmpty {
                inputs.dyndnsFilterAnswers = DynDnsFilterCache.parse((try? TextFile.read(paths.lib(DynDnsFilterCache.name))) ?? "")
            }
        }
        loadCountryData(into: &inputs, paths: paths, config: config)
        return inputs
    }

    /// Only the countries the settings name are read (a single pass over the files CC_SRC chooses).
    static func loadCountryData(into inputs: inout PolicyInputs, paths: CsfPaths, config: CsfConfig) {
        let all = PolicyBuilder.countryCodes(config)
        let asns = Set(all.compactMap(AsnData.number))
        if !asns.isEmpty {
            do {
                let data = try AsnData.mapped(paths)
                inputs.asnRanges = withExtendedLifetime(data) {
                    AsnData.ranges(data.buffer, asns: asns, v6: config.bool("IPV6") && config.bool("CC6_LOOKUPS"))
                }
            } catch {
                inputs.asnDataMissing = error.description
            }
        }
        let codes = all.filter { AsnData.number($0) == nil }
        guard !codes.isEmpty else { return }
        let ipv6 = config.bool("IPV6") && config.bool("CC6_LOOKUPS")
        do {
            inputs.countryRanges = try CountryFiles(config: config, paths: paths, ipv6: ipv6).ranges(countries: codes, ipv6: ipv6)
        } catch {
            inputs.countryDataMissing = error.description
        }
    }

    /// Whether a CC_* setting names an ASN (`AS1234`): lfd then keeps the ASN data.
    public static func namesAsn(_ config: CsfConfig) -> Bool {
        PolicyBuilder.countryCodes(config).contains { AsnData.number($0) != nil }
    }

    /// Whether anything reads country data: a CC_* setting naming a country, CC_IGNORE or CC_LOOKUPS.
    public static func needsCountryData(_ config: CsfConfig) -> Bool {
        config.int("CC_LOOKUPS") > 0 || !config.list("CC_IGNORE").isEmpty
            || PolicyBuilder.countryCodes(config).contains { AsnData.number($0) == nil }
    }

    /// csf.blocklists' good lines (`csf --check` reports the others).
    public static func blocklists(_ paths: CsfPaths) -> [Blocklist] {
        guard let text = try? TextFile.read(paths.etc("csf.blocklists")) else { return [] }
        return Blocklists.parse(text, path: paths.etc("csf.blocklists")).0
    }

    /// The policy with every problem found: csf.conf's first, then the lists'.
    public static func load(paths: CsfPaths, host: HostAddresses, now: Int) -> PolicyBuilder.Outcome {
        let (config, configDiagnostics) = ConfigParser.load(paths.config)
        var outcome = PolicyBuilder.build(inputs(paths: paths, config: config, host: host, now: now))
        outcome.diagnostics.insert(contentsOf: configDiagnostics, at: 0)
        return outcome
    }
}
