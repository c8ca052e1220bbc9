import CsfCompat
import Logging

/// DYNDNS and GLOBAL_DYNDNS (reference §4.1.11): csf.dyndns's host names resolved every DYNDNS seconds, and
/// GLOBAL_DYNDNS's list of names downloaded every LF_GLOBAL seconds (cached as csf.gdyndns) and resolved every
/// GLOBAL_DYNDNS_INTERVAL — on a worker of their own, so a dead DNS server never delays a ban or a blocklist.
/// A failed lookup keeps that name's last answer. Only a changed set of addresses is written (csf.tempdyn,
/// csf.tempgdyn, from which `csf -s` loads them) and sent to the kernel, as a difference.
final class DynDnsRefresh {
    struct Plan: Sendable, Equatable {
        var list: RemoteList
        /// Seconds between lookups.
        var interval: Int
        /// GLOBAL_DYNDNS's URL and download interval (0: the cached csf.gdyndns only).
        var url: String?
        var downloadInterval = 0
    }

    private(set) var plans: [Plan] = []
    private var due: [RemoteList: Double] = [:]
    private var inFlight: Set<RemoteList> = []
    private let worker = Worker(name: "dyndns", capacity: 16)
    private let resolver: DynDnsResolver

    init(paths: CsfPaths, logger: Logger) {
        resolver = DynDnsResolver(paths: paths, logger: logger)
    }

    /// csf's clamps: DYNDNS and GLOBAL_DYNDNS_INTERVAL below 60 become 300.
    static func plans(_ config: CsfConfig) -> [Plan] {
        func clamped(_ key: String) -> Int { config.int(key) < 60 ? 300 : config.int(key) }
        return RemoteList.resolvedLists(config).map { list in
            list == .dyndns ? Plan(list: list, interval: clamped("DYNDNS"))
                : Plan(list: list, interval: clamped("GLOBAL_DYNDNS_INTERVAL"), url: config["GLOBAL_DYNDNS"].trimmingWhitespace(),
                       downloadInterval: RemoteList.globalInterval(config))
        }
    }

    /// Every list is looked up at once after a start or a reload: names may have moved while lfd was down.
    func configure(_ config: CsfConfig, settings: RemoteListLoader.Settings) {
        let plans = Self.plans(config)
        let resolver = self.resolver
        worker.submit { resolver.configure(plans, settings: settings) }
        self.plans = plans
        due = [:]
    }

    func start(now: Double, done: @escaping @Sendable (RemoteList, Bool) -> Void) {
        for plan in plans where !inFlight.contains(plan.list) && (due[plan.list] ?? 0) <= now {
            inFlight.insert(plan.list)
            let resolver = self.resolver
            if !worker.submit({ done(plan.list, resolver.refresh(plan)) }) { inFlight.remove(plan.list) }
        }
    }

    func finished(_ list: RemoteList, now: Double) {
        inFlight.remove(list)
        if let plan = plans.first(where: { $0.list == list }) { due[list] = now + Double(plan.interval) }
    }

    func stop() { worker.shutdown(waitingUpTo: 0.5) }
}

/// The worker's side: names, lookups, the cached answers and the kernel load. Only the dyndns thread uses it
/// (its loader owns netlink handles of its own).
final class DynDnsResolver: @unchecked Sendable {
    let paths: CsfPaths
    let logger: Logger
    private let loader: RemoteListLoader
    /// Each name's last good answer, per list.
    private var answers: [RemoteList: [String: [IPAddress]]] = [:]
    /// What the list holds now (its cached copy, which csf -s loaded).
    private var current: [RemoteList: [IPNetwork]] = [:]
    private var downloadedAt: Double = 0

    init(paths: CsfPaths, logger: Logger) {
        self.paths = paths
        self.logger = logger
        loader = RemoteListLoader(paths: paths, logger: logger)
    }

    func configure(_ plans: [Plan], settings: RemoteListLoader.Settings) {
        loader.settings.withLock { $0 = settings }
        for plan in plans where current[plan.list] == nil {
            let cached = RemoteList.cached(plan.list, paths: paths)
            current[plan.list] = cached
            loader.assumeLoaded(plan.list, cached)
        }
    }

    typealias Plan = DynDnsRefresh.Plan

    /// True when the list's addresses changed (and were cached and loaded).
    func refresh(_ plan: Plan) -> Bool {
        let names = self.names(plan)
        var known = answers[plan.list] ?? [:]
        for name in names {
            switch HostResolver.addresses(name) {
            case .success(let addresses): known[name] = addresses
            case .failure:
                // csf's wording; the name keeps its last answer.
                logger.warning("\(plan.list == .dyndns ? "DynDNS" : "GDynDNS"): Lookup for [\(name)] failed")
            }
        }
        known = known.filter { names.contains($0.key) }
        answers[plan.list] = known
        let networks = Set(known.values.joined()).sorted().map { IPNetwork(host: $0) }
        let previous = current[plan.list] ?? []
        // Names that never resolved since lfd started leave the cached copy (what csf -s loaded) in place.
        guard networks != previous, !known.isEmpty || names.isEmpty else { return false }
        guard loader.replace(plan.list, with: networks) else { return false }
        current[plan.list] = networks
        let added = Set(networks).subtracting(previous).count, removed = Set(previous).subtracting(networks).count
        logger.info("\(plan.list): allowing \(networks.count) address(es) of \(names.count) host name(s) (\(added) added, \(removed) removed)")
        return true
    }

    /// csf.dyndns, or GLOBAL_DYNDNS's list (downloaded when its copy is older than LF_GLOBAL; a failed download
    /// keeps the copy).
    private func names(_ plan: Plan) -> [String] {
        let path: String
        if plan.list == .dyndns {
            path = paths.etc("csf.dyndns")
        } else {
            path = paths.lib("csf.gdyndns")
            if let url = plan.url, plan.downloadInterval > 0, SystemTime.monotonic - downloadedAt >= Double(plan.downloadInterval) || downloadedAt == 0 {
                download(url, into: path)
            }
        }
        let parsed = DynDnsNames.parse(ListReader.read(path))
        for p in parsed.problems { logger.warning("\(p.description)") }
        return parsed.names
    }

    private func download(_ url: String, into path: String) {
        let proxy = loader.settings.withLock { $0.proxy }
        switch Download.fetch(url, proxy: proxy, timeoutSeconds: 60) {
        case .success(let body):
            let parsed = DynDnsNames.parse(ListReader.read(text: String(decoding: body, as: UTF8.self), path: url))
            guard !parsed.names.isEmpty else {
                logger.warning("GLOBAL_DYNDNS: the download holds no host name; the last good copy stays in use")
                return
            }
            downloadedAt = SystemTime.monotonic
            _ = loader.writeCache(.globalDyndns, bytes: Array((parsed.names.joined(separator: "\n") + "\n").utf8), name: "csf.gdyndns")
        case .failure(let failure):
            logger.warning("Unable to retrieve GLOBAL_DYNDNS - \(failure); the last good copy stays in use")
        }
    }
}
