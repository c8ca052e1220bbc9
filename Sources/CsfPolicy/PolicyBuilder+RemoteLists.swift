import CsfCompat

extension PolicyBuilder {
    /// csf.blocklists and GLOBAL_ALLOW/GLOBAL_DENY from their cached copies, merged into ranges (a list with no
    /// cache yet loads empty and fills when lfd has downloaded it).
    func loadRemoteLists(into p: inout FirewallPolicy, config: CsfConfig) {
        func loaded(_ list: RemoteList) -> FirewallPolicy.LoadedList {
            let networks = inputs.remoteLists[list] ?? []
            let ranges = AddressRanges.merge(p.ipv6 ? networks : networks.filter { $0.family == .v4 })
            var loaded = FirewallPolicy.LoadedList(list: list, ranges: ranges)
            loaded.filters = inputs.remoteFilters[list] ?? []
            return loaded
        }
        let bogonSkip = config.list("LF_BOGON_SKIP").compactMap { InterfaceName(csf: $0) }
        p.blocklists = inputs.blocklists.map { entry in
            var list = loaded(.blocklist(entry.name))
            if entry.name == "BOGON" { list.skipDevices = bogonSkip }
            return list
        }
        if !config["GLOBAL_ALLOW"].trimmingWhitespace().isEmpty { p.globalAllow = loaded(.globalAllow) }
        if !config["GLOBAL_DENY"].trimmingWhitespace().isEmpty { p.globalDeny = loaded(.globalDeny) }
        for list in RemoteList.resolvedLists(config) {
            if list == .dyndns {
                p.dyndns = loaded(list)
                p.dyndnsFilters = inputs.dyndnsFilters.map { f in
                    (f.filter, (inputs.dyndnsFilterAnswers[f.text] ?? []).filter { p.ipv6 || $0.family == .v4 })
                }
            } else {
                p.globalDyndns = loaded(list)
            }
        }
    }
}
