import CsfCompat

/// lfd's ignore decision (reference §6.4): this host's addresses, loopback, csf.ignore (and csf.allow with
/// IGNORE_ALLOW), single addresses and CIDRs, and GLOBAL_IGNORE. Reverse-DNS (csf.rignore) is decided elsewhere.
public struct IgnoreList: Sendable {
    public private(set) var hosts: Set<IPAddress> = []
    public private(set) var networks: [IPNetwork] = []
    public private(set) var globalRanges: [AddressRange] = []

    public init(paths: CsfPaths, config: CsfConfig, host: HostAddresses = .current()) {
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
    }

    public init(hosts: Set<IPAddress>, networks: [IPNetwork]) {
        self.hosts = hosts
        self.networks = networks
    }

    public func ignores(_ ip: IPAddress) -> Bool {
        ip.isLoopback || hosts.contains(ip) || networks.contains { $0.contains(ip) } || AddressRanges.contains(globalRanges, ip)
    }
}
