import CsfCompat

/// lfd's ignore decision (reference §6.4): this host's addresses, loopback, csf.ignore (and csf.allow with
/// IGNORE_ALLOW), single addresses and CIDRs, GLOBAL_IGNORE, DYNDNS_IGNORE, and CC_IGNORE's countries. Reverse-DNS (csf.rignore)
/// is decided elsewhere.
public struct IgnoreList: Sendable {
    public private(set) var hosts: Set<IPAddress> = []
    public private(set) var networks: [IPNetwork] = []
    public private(set) var globalRanges: [AddressRange] = []
    /// CC_IGNORE's country codes: lfd never blocks their addresses (csf: no firewall rule, only lfd's decision).
    public private(set) var countries: Set<String> = []
    private var lookup: IPLookup?

    public init(paths: CsfPaths, config: CsfConfig, host: HostAddresses = .current(), lookup: IPLookup? = nil) {
        hosts = host.addresses
        var files = [paths.ignore]
        if config.bool("IGNORE_ALLOW") { files.append(paths.allow) }
        for file in files {
            for line in ListReader.read(file).lines {
                guard let net = line.tokenBytes.listedNetwork else { continue }
                if net.isHost { hosts.insert(net.address) } else { networks.append(net) }
            }
        }
        // GLOBAL_IGNORE's cached copy (lfd downloads it every LF_GLOBAL seconds): merged ranges, searched by halves.
        if !config["GLOBAL_IGNORE"].trimmingWhitespace().isEmpty {
            globalRanges = AddressRanges.merge(RemoteList.cached(.globalIgnore, paths: paths))
        }
        for list in Self.dyndnsIgnored(config) {
            for net in RemoteList.cached(list, paths: paths) {
                if net.isHost { hosts.insert(net.address) } else { networks.append(net) }
            }
        }
        countries = Self.countryCodes(config)
        if !countries.isEmpty { self.lookup = lookup ?? IPLookup(config: config, paths: paths) }
    }

    /// DYNDNS_IGNORE and GLOBAL_DYNDNS_IGNORE: the last resolved addresses (csf.tempdyn, csf.tempgdyn) are ignored.
    public static func dyndnsIgnored(_ config: CsfConfig) -> [RemoteList] {
        RemoteList.resolvedLists(config).filter { config.bool($0 == .dyndns ? "DYNDNS_IGNORE" : "GLOBAL_DYNDNS_IGNORE") }
    }

    /// CC_IGNORE's two-letter codes; ASNs (`AS1234`) need ASN data, which there is none of yet.
    public static func countryCodes(_ config: CsfConfig) -> Set<String> {
        Set(config.list("CC_IGNORE").map { $0.uppercased() }.filter { $0.count == 2 && $0.allSatisfy { $0.isASCII && $0.isLetter } })
    }

    public init(hosts: Set<IPAddress>, networks: [IPNetwork]) {
        self.hosts = hosts
        self.networks = networks
    }

    public func ignores(_ ip: IPAddress) -> Bool {
        ip.isLoopback || hosts.contains(ip) || networks.contains { $0.contains(ip) } || AddressRanges.contains(globalRanges, ip)
            || ignoresCountry(of: ip)
    }

    private func ignoresCountry(of ip: IPAddress) -> Bool {
        guard !countries.isEmpty, let code = lookup?.country(ip) else { return false }
        return countries.contains(code)
    }
}
