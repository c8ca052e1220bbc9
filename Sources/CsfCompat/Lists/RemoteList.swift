#if canImport(Glibc)
import Glibc
#endif
/// A list lfd fetches and csf loads from its cached copy in /var/lib/csf (reference §4.1.11): a csf.blocklists
/// entry or one of GLOBAL_ALLOW / GLOBAL_DENY / GLOBAL_IGNORE, downloaded; or the addresses of DYNDNS and
/// GLOBAL_DYNDNS host names, resolved. The cache holds one address or network per line, csf's format, so
/// `csf -r` and a reboot load the last good list without a download or a DNS lookup.
public enum RemoteList: Sendable, Hashable, CustomStringConvertible {
    case blocklist(String)
    case globalAllow, globalDeny, globalIgnore
    case dyndns, globalDyndns

    /// The cached copy's name under /var/lib/csf, as csf names it.
    public var cacheName: String {
        switch self {
        case .blocklist(let name): return "csf.block.\(name)"
        case .globalAllow: return "csf.gallow"
        case .globalDeny: return "csf.gdeny"
        case .globalIgnore: return "csf.gignore"
        case .dyndns: return "csf.tempdyn"
        case .globalDyndns: return "csf.tempgdyn"
        }
    }

    /// How lfd's log and csf's messages name it.
    public var description: String {
        switch self {
        case .blocklist(let name): return "blocklist \(name)"
        case .globalAllow: return "GLOBAL_ALLOW"
        case .globalDeny: return "GLOBAL_DENY"
        case .globalIgnore: return "GLOBAL_IGNORE"
        case .dyndns: return "DYNDNS"
        case .globalDyndns: return "GLOBAL_DYNDNS"
        }
    }

    /// Every list csf.conf and csf.blocklists configure, with its URL, interval (seconds) and MAX.
    public struct Source: Sendable, Equatable {
        public var list: RemoteList
        public var url: String
        public var interval: Int
        public var max: Int
    }

    /// A global list is loaded whenever its URL is set, as csf does; lfd downloads it every LF_GLOBAL seconds
    /// (below 60: 300, as csf), and never when LF_GLOBAL is 0 (interval 0: the cached copy only).
    public static func sources(config: CsfConfig, blocklists: [Blocklist]) -> [Source] {
        var out = blocklists.map { Source(list: .blocklist($0.name), url: $0.url, interval: $0.interval, max: $0.max) }
        let interval = globalInterval(config)
        for (key, list) in [("GLOBAL_ALLOW", RemoteList.globalAllow), ("GLOBAL_DENY", .globalDeny), ("GLOBAL_IGNORE", .globalIgnore)] {
            let url = config[key].trimmingWhitespace()
            if !url.isEmpty { out.append(Source(list: list, url: url, interval: interval, max: 0)) }
        }
        return out
    }

    /// LF_GLOBAL's download interval: below 60 it is 300, as csf; 0 or less, never (the cached copies only).
    public static func globalInterval(_ config: CsfConfig) -> Int {
        let every = config.int("LF_GLOBAL")
        return every <= 0 ? 0 : every < 60 ? 300 : every
    }

    /// The resolved lists the settings turn on: DYNDNS above 0, GLOBAL_DYNDNS set.
    public static func resolvedLists(_ config: CsfConfig) -> [RemoteList] {
        var out: [RemoteList] = []
        if config.int("DYNDNS") > 0 { out.append(.dyndns) }
        if !config["GLOBAL_DYNDNS"].trimmingWhitespace().isEmpty { out.append(.globalDyndns) }
        return out
    }

    /// GLOBAL_ALLOW and GLOBAL_DENY may hold csf's advanced filters, which become rules in their chains.
    public var takesFilters: Bool { self == .globalAllow || self == .globalDeny }

    /// The cached networks (empty when there is no cache yet).
    public static func cached(_ list: RemoteList, paths: CsfPaths) -> [IPNetwork] { cachedFeed(list, paths: paths).networks }

    /// The cached copy parsed: networks, and filters for the lists that take them.
    public static func cachedFeed(_ list: RemoteList, paths: CsfPaths) -> BlocklistFeed.Parsed {
        guard let mapped = try? MappedBytes(path: paths.lib(list.cacheName)) else { return .init() }
        return withExtendedLifetime(mapped) { BlocklistFeed.parse(bytes: mapped.buffer, name: "", filters: list.takesFilters) }
    }

    /// Only the cached copy's advanced filters (the lines holding `|`, found by memchr): a refresh compares them
    /// without parsing the cached million networks again.
    public static func cachedFilters(_ list: RemoteList, paths: CsfPaths) -> [AdvancedFilter] {
        guard list.takesFilters, let mapped = try? MappedBytes(path: paths.lib(list.cacheName)) else { return [] }
        return withExtendedLifetime(mapped) { () -> [AdvancedFilter] in
            let data = mapped.buffer
            guard let base = data.baseAddress else { return [] }
            var lines: [UInt8] = []
            var at = 0
            while at < data.count, let hit = memchr(base + at, 0x7C, data.count - at) {
                let bar = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                var start = bar
                while start > 0 && data[start - 1] != 0x0A { start -= 1 }
                var end = bar
                while end < data.count && data[end] != 0x0A { end += 1 }
                lines += data[start..<end]
                lines.append(0x0A)
                at = end + 1
            }
            return lines.withUnsafeBufferPointer { BlocklistFeed.parse(bytes: $0, name: "", filters: true).filters }
        }
    }

    /// The cache file's bytes: one network per line, csf's format, then the filters as they were written.
    public static func cacheText(_ networks: [IPNetwork], filters: [AdvancedFilter] = []) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(networks.count * 16)
        for n in networks {
            n.appendText(to: &out)
            out.append(0x0A)
        }
        for f in filters {
            out += Array(f.text.utf8)
            out.append(0x0A)
        }
        return out
    }
}
