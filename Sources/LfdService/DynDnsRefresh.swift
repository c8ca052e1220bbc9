import CsfCompat
import NftRuleset
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

    func start(now: Double, done: @escaping @Sendable (RemoteList, DynDnsResolver.Outcome) -> Void) {
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
    /// csf.dyndns's filters as the running rules have them (those csf -s read), and each one's last answer.
    private var compiledFilters: [String]?
    private var filterAnswers: [String: [IPAddress]] = [:]
    private var downloadedAt: Double = 0

    init(paths: CsfPaths, logger: Logger) {
        self.paths = paths
        self.logger = logger
        loader = RemoteListLoader(paths: paths, logger: logger)
    }

    func configure(_ plans: [Plan], settings: RemoteListLoader.Settings) {
        loader.settings.withLock { $0 = settings }
        if compiledFilters == nil, plans.contains(where: { $0.list == .dyndns }) {
            compiledFilters = DynDnsNames.parse(ListReader.read(paths.etc("csf.dyndns")), filters: true).filters.map(\.text)
            filterAnswers = DynDnsFilterCache.parse((try? TextFile.read(paths.lib(DynDnsFilterCache.name))) ?? "")
        }
        for plan in plans where current[plan.list] == nil {
            let cached = RemoteList.cached(plan.list, paths: paths)
            current[plan.list] = cached
            loader.assumeLoaded(plan.list, cached)
        }
    }

    typealias Plan = DynDnsRefresh.Plan

    /// `changed`: the list's addresses changed (and were cached and loaded); `restart`: csf.dyndns's filters are
    /// not those of the running rules, so the firewall must be started again (their answers are cached first).
    struct Outcome: Sendable, Equatable {
        var changed = false
        var restart = false
    }

    func refresh(_ plan: Plan) -> Outcome {
        let parsed = self.names(plan)
        let names = parsed.names
        var known = answers[plan.list] ?? [:]
        for name in parsed.allNames {
            switch HostResolver.addresses(name) {
            case .success(let addresses): known[name] = addresses
            case .failure:
                // csf's wording; the name keeps its last answer.
                logger.warning("\(plan.list == .dyndns ? "DynDNS" : "GDynDNS"): Lookup for [\(name)] failed")
            }
        }
        let all = Set(parsed.allNames)
        known = known.filter { all.contains($0.key) }
        answers[plan.list] = known
        var outcome = Outcome()
        if plan.list == .dyndns { outcome.restart = refreshFilters(parsed.filters, known) }
        let plain = known.filter { names.contains($0.key) }
        let networks = Set(plain.values.joined()).sorted().map { IPNetwork(host: $0) }
        let previous = current[plan.list] ?? []
        // Names that never resolved since lfd started leave the cached copy (what csf -s loaded) in place.
        guard networks != previous, !plain.isEmpty || names.isEmpty else { return outcome }
        guard loader.replace(plan.list, with: networks) else { return outcome }
        current[plan.list] = networks
        let added = Set(networks).subtracting(previous).count, removed = Set(previous).subtracting(networks).count
        logger.info("\(plan.list): allowing \(networks.count) address(es) of \(names.count) host name(s) (\(added) added, \(removed) removed)")
        outcome.changed = true
        return outcome
    }

    /// Each filter's answer into its own sets (a filter whose name never resolved keeps its cached answer); true
    /// when the filters themselves changed, which only a restart puts into the rules.
    private func refreshFilters(_ filters: [DynDnsFilter], _ known: [String: [IPAddress]]) -> Bool {
        var next: [String: [IPAddress]] = [:]
        for f in filters { next[f.text] = known[f.host].map { Array(Set($0)).sorted() } ?? filterAnswers[f.text] ?? [] }
        let texts = filters.map(\.text)
        let restart = texts != compiledFilters
        guard restart || next != filterAnswers.filter({ texts.contains($0.key) }) else { return false }
        let cache = DynDnsFilterCache.text(filters.map { ($0.text, next[$0.text] ?? []) })
        guard loader.writeCache(.dyndns, bytes: Array(cache.utf8), name: DynDnsFilterCache.name) else { return false }
        filterAnswers = next
        if restart {
            compiledFilters = texts
            logger.info("DYNDNS: csf.dyndns has \(filters.count) advanced filter(s) the running rules do not; restarting the firewall")
            return true
        }
        let ipv6 = loader.settings.withLock { $0.ipv6 }
        var changes: [SetChange] = []
        for (i, f) in filters.enumerated() {
            for family in ipv6 ? [IPAddress.Family.v4, .v6] : [.v4] {
                let set = CsfTableLayout.SetName.dyndnsFilter(i + 1, family)
                changes.append(SetChange(.flush, set: set))
                changes.append(SetChange(.add, set: set, elements: (next[f.text] ?? []).filter { $0.family == family }.map { SetChange.Element($0) }))
            }
        }
        do {
            try loader.apply(changes)
            for f in filters { logger.info("DYNDNS: allowing \((next[f.text] ?? []).map(\.description).joined(separator: ", ")) for [\(f.text)]") }
        } catch {
            logger.error("*Error* DYNDNS filters: \(error.description)")
        }
        return false
    }

    /// csf.dyndns, or GLOBAL_DYNDNS's list (downloaded when its copy is older than LF_GLOBAL; a failed download
    /// keeps the copy).
    private func names(_ plan: Plan) -> DynDnsNames.Parsed {
        let path: String
        if plan.list == .dyndns {
            path = paths.etc("csf.dyndns")
        } else {
            path = paths.lib("csf.gdyndns")
            if let url = plan.url, plan.downloadInterval > 0, SystemTime.monotonic - downloadedAt >= Double(plan.downloadInterval) || downloadedAt == 0 {
                download(url, into: path)
            }
        }
        let parsed = DynDnsNames.parse(ListReader.read(path), filters: plan.list == .dyndns)
        for p in parsed.problems { logger.warning("\(p.description)") }
        return parsed
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
