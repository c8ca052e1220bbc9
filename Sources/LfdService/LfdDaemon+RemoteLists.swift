import CsfCompat
import CsfFirewall

extension LfdDaemon {
    /// csf.blocklists and GLOBAL_*: what to download and how (URLPROXY; IPv6 entries only with IPV6 on).
    func configureRemoteLists(_ config: CsfConfig, initial: Bool) {
        let blocklists = PolicyLoader.blocklists(paths)
        let sources = RemoteList.sources(config: config, blocklists: blocklists)
        let settings = RemoteListLoader.Settings(proxy: config["URLPROXY"].trimmingWhitespace(), ipv6: config.bool("IPV6"))
        remoteLists.configure(sources, settings: settings, paths: paths, now: Double(SystemTime.wallSeconds))
        dynDns.configure(config, settings: settings)
        asn.configure(config, now: Double(SystemTime.wallSeconds))
        countryData.configure(config, now: Double(SystemTime.wallSeconds))
        locationAsn.configure(config, now: Double(SystemTime.wallSeconds))
        if initial || !blocklists.isEmpty {
            logger.info("(csf.blocklists): \(blocklists.count) entries")
        }
        let globals = sources.filter { if case .blocklist = $0.list { return false } else { return true } }
        if !globals.isEmpty && config.int("LF_GLOBAL") <= 0 {
            logger.warning("*WARNING* \(globals.map(\.list.description).joined(separator: ", ")): LF_GLOBAL = 0, so only the cached copies are used (nothing is downloaded)")
        }
    }
}
