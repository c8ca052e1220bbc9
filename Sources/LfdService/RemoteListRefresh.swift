#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import Logging
import NftKernel
import NftRuleset
import Synchronization

/// csf.blocklists and GLOBAL_ALLOW/DENY/IGNORE (reference §4.1.11): each downloaded on its interval on a worker
/// of its own (a slow server never delays a ban), parsed, written to its cache in /var/lib/csf and swapped into its
/// sets in one transaction. A failed, oversized or empty download keeps the last good list and is retried sooner.
final class RemoteListRefresh {
    private(set) var sources: [RemoteList.Source] = []
    /// Wall-clock seconds each list is next due.
    private var due: [RemoteList: Double] = [:]
    private var inFlight: Set<RemoteList> = []
    private let worker = Worker(name: "download", capacity: 256)
    private let loader: RemoteListLoader

    /// A failed download is tried again after this long (or its interval, when shorter).
    static let retryAfterFailure: Double = 300

    init(paths: CsfPaths, logger: Logger) {
        loader = RemoteListLoader(paths: paths, logger: logger)
    }

    /// A list whose cached copy is older than its interval (or missing) is due at once; the others when their
    /// copy ages out, so a restart of lfd does not download everything again.
    func configure(_ sources: [RemoteList.Source], settings: RemoteListLoader.Settings, paths: CsfPaths, now: Double) {
        self.sources = sources
        loader.settings.withLock { $0 = settings }
        var next: [RemoteList: Double] = [:]
        for source in sources where source.interval > 0 {
            let cached = Double(FileSystem.modificationTime(paths.lib(source.list.cacheName)) ?? 0)
            next[source.list] = due[source.list].map { min($0, cached + Double(source.interval)) } ?? cached + Double(source.interval)
        }
        due = next
    }

    /// Starts the downloads that are due; `done` is called on the worker with the list and whether it loaded.
    func start(now: Double, done: @escaping @Sendable (RemoteList, RemoteListLoader.Outcome) -> Void) {
        for source in sources where source.interval > 0 && !inFlight.contains(source.list) {
            guard let at = due[source.list], at <= now else { continue }
            inFlight.insert(source.list)
            let loader = self.loader
            if !worker.submit({ done(source.list, loader.refresh(source)) }) { inFlight.remove(source.list) }
        }
    }

    func finished(_ list: RemoteList, loaded: Bool, now: Double) {
        inFlight.remove(list)
        guard let source = sources.first(where: { $0.list == list }) else { return }
        let interval = Double(source.interval)
        due[list] = now + (loaded ? interval : min(interval, Self.retryAfterFailure))
    }

    func stop() { worker.shutdown(waitingUpTo: 0.5) }
}

/// The download worker's side: fetch, parse, cache, load. Only that thread uses it (it owns its own
/// libnftables and netlink handles, which are not thread-safe).
final class RemoteListLoader: @unchecked Sendable {
    struct Settings: Sendable {
        var proxy = ""
        var ipv6 = false
        var timeoutSeconds = 60
    }

    let paths: CsfPaths
    let logger: Logger
    let settings = Mutex(Settings())
    private var kernel: NftablesKernel?

    init(paths: CsfPaths, logger: Logger) {
        self.paths = paths
        self.logger = logger
    }

    /// `loaded`: the list was downloaded and is now the cached (and, if the firewall runs, the loaded) one;
    /// `filtersChanged`: its advanced filters differ from the last copy's, which only a restart puts in the rules.
    struct Outcome: Sendable, Equatable {
        var loaded: Bool
        var filtersChanged = false
        /// What the list held when it loaded (for the metrics).
        var entries = 0
        /// The list outgrew its set (csf -r sized it for the cached copy of its time) and has no other slot to
        /// move to (a global list; a blocklist in a table an older csf loaded): only a restart, which sizes the set
        /// for the new copy, loads it.
        var outgrewSet = false
    }

    func refresh(_ source: RemoteList.Source) -> Outcome {
        let settings = self.settings.withLock { $0 }
        let started = SystemTime.monotonic
        let oldFilters = source.list.takesFilters ? RemoteList.cachedFilters(source.list, paths: paths).map(\.text) : []
        // The body, the parsed list and the cache text are gone before the kernel load: only the ranges stay.
        guard let (entries, ranges, filters) = downloadAndCache(source, settings) else { return Outcome(loaded: false) }
        let outcome = Outcome(loaded: true, filtersChanged: filters.map(\.text) != oldFilters, entries: entries)
        let loading = SystemTime.monotonic
        var replaced: [String]?
        do {
            if source.list != .globalIgnore { replaced = try load(source.list, ranges, ipv6: settings.ipv6) }
        } catch {
            if Self.setFull(error) {
                logger.warning("\(source.list): \(entries) entries no longer fit the set csf sized for the last copy; restarting the firewall to load them")
                return Outcome(loaded: true, filtersChanged: outcome.filtersChanged, entries: entries, outgrewSet: true)
            }
            logger.error("*Error* \(source.list): \(error.description)")
            return Outcome(loaded: false, filtersChanged: outcome.filtersChanged)
        }
        let verb = source.list == .globalIgnore ? "ignoring" : source.list == .globalAllow ? "allowing" : "blocking"
        let took = SystemTime.monotonic - started, loaded = SystemTime.monotonic - loading
        logger.info("Retrieved and \(verb) \(source.list): \(entries) entries as \(ranges.count) range(s)\(filters.isEmpty ? "" : " and \(filters.count) advanced filter(s)") in \(took.twoDecimals) s (loading \(loaded.twoDecimals) s\(replaced.map { $0.isEmpty ? ", only the differences" : ", replaced whole: " + $0.joined(separator: " ") } ?? ""))")
        return outcome
    }

    /// Downloads and parses the list and writes its cached copy; nil (logged) when it must not replace the last one.
    private func downloadAndCache(_ source: RemoteList.Source, _ settings: Settings) -> (Int, [AddressRange], [AdvancedFilter])? {
        let parsed: BlocklistFeed.Parsed
        switch Download.fetch(source.url, proxy: settings.proxy, timeoutSeconds: settings.timeoutSeconds) {
        case .success(let body):
            let name: String
            if case .blocklist(let n) = source.list { name = n } else { name = "" }
            parsed = body.withUnsafeBufferPointer { BlocklistFeed.parse(bytes: $0, name: name, max: source.max, filters: source.list.takesFilters) }
        case .failure(let failure):
            logger.warning("Unable to retrieve \(source.list) - \(failure); the last good copy stays in use")
            return nil
        }
        if parsed.skipped > 0 {
            logger.warning("\(source.list): \(parsed.skipped) line(s) without an address skipped, e.g. \(parsed.examples.joined(separator: " | "))")
        }
        guard !parsed.networks.isEmpty || !parsed.filters.isEmpty else {
            logger.warning("\(source.list): the download holds no address; the last good copy stays in use")
            return nil
        }
        if parsed.truncated { logger.info("\(source.list): MAX \(source.max) reached; the rest of the list is left out") }
        guard writeCache(source.list, bytes: RemoteList.cacheText(parsed.networks, filters: parsed.filters)) else { return nil }
        let ranges = AddressRanges.merge(settings.ipv6 ? parsed.networks : parsed.networks.filter { $0.family == .v4 })
        return (parsed.networks.count, ranges, parsed.filters)
    }

    /// csf's lock only around the cache's rename: a `csf -r` holds it from reading the copies to loading the
    /// table, so it finishes before the new copy is in place or reads it. Writing and flushing the copy (15 MB
    /// for a million addresses) happen before the lock, and freeing the old copy's blocks after it, so neither
    /// the disk nor the kernel load (seconds for a million entries) makes `csf -d` wait for the lock.
    func writeCache(_ list: RemoteList, bytes: [UInt8], name: String? = nil) -> Bool {
        do {
            let staged = try StagedFile(paths.lib(name ?? list.cacheName), bytes: bytes, mode: 0o600)
            let replaced: ReplacedFile
            do {
                let lock = try FileLock(path: paths.lock, timeout: 60)
                replaced = try withExtendedLifetime(lock) { () throws(CsfError) in try staged.install() }
            }
            replaced.release()
            return true
        } catch {
            logger.error("*Error* \(list): \(error.description)")
            return false
        }
    }

    /// A list this loader computed itself (DYNDNS addresses): cached, then loaded as a difference.
    func replace(_ list: RemoteList, with networks: [IPNetwork]) -> Bool {
        guard writeCache(list, bytes: RemoteList.cacheText(networks)) else { return false }
        let ipv6 = settings.withLock { $0.ipv6 }
        do {
            try load(list, AddressRanges.merge(ipv6 ? networks : networks.filter { $0.family == .v4 }), ipv6: ipv6)
            return true
        } catch {
            logger.error("*Error* \(list): \(error.description)")
            return false
        }
    }

    /// Set changes this loader computed itself (csf.dyndns's filters), in one batch.
    func apply(_ changes: [SetChange]) throws(CsfError) {
        try runningKernel()?.apply(changes)
    }

    /// What csf -s loaded from the cached copy is what the kernel holds: the next load sends only a difference.
    func assumeLoaded(_ list: RemoteList, _ networks: [IPNetwork]) {
        let ipv6 = settings.withLock { $0.ipv6 }
        loaded[list] = SetContents.LoadedRanges(AddressRanges.merge(ipv6 ? networks : networks.filter { $0.family == .v4 }))
    }

    /// What this loader last put into the kernel, per list: the next refresh sends only the difference. Unknown
    /// after lfd starts, and after any failure (a `csf -f`, an edit by hand): the next load replaces everything.
    private var loaded: [RemoteList: SetContents.LoadedRanges] = [:]

    /// The loader's own kernel handles; nil when the firewall is not running.
    private func runningKernel() throws(CsfError) -> NftablesKernel? {
        if kernel == nil {
            let k = NftablesKernel(deferCloseAfterDeletes: false)
            k.bulkStateDirectory = paths.libDir
            kernel = k
        }
        guard let kernel, try kernel.isRunning() else { return nil }
        return kernel
    }

    /// Differences cost the kernel an operation per added and per removed element (and an interval set is
    /// replaced in one transaction); a fresh slot costs one per element of the new list and frees the old one
    /// whole. Worth it once removals and replaced networks reach a quarter of the list (and more than a few
    /// batches), or when what the kernel holds is not known (the alternative is one transaction holding every
    /// other change back while it empties and fills the sets). A list that only grows gets differences.
    static func worthASwap(_ plan: SetContents.RefreshPlan, ranges: Int) -> Bool {
        let extra = plan.removalsAndReplacements
        return !plan.replacedHostSets.isEmpty || (extra > 16_384 && extra * 4 >= ranges)
    }

    /// Fills the blocklist's other slot (declared empty, sized for the list; nothing points at it, so no
    /// connection is checked again and the old contents are enforced throughout), then swaps its lookup chains
    /// over and deletes the old sets in one transaction, then moves connections to a new generation so a newly
    /// listed source is cut at once. Answers the new sets, as lfd's log names them.
    private func swap(_ name: String, _ ranges: [AddressRange], families: [IPAddress.Family], from slot: Int,
                      runningSets: Set<String>, kernel: NftablesKernel) throws(CsfError) -> [String] {
        let next = 1 - slot
        let list = RemoteList.blocklist(name)
        let running = { (slot: Int) in
            families.flatMap { f in
                CsfTableLayout.SetName.remoteSets(list, f, slot: slot,
                                                  shards: CsfTableLayout.SetName.runningShards(list, f, slot: slot, in: runningSets))
            }.filter(runningSets.contains)
        }
        // A standby set left by an interrupted swap is not in use: it goes first.
        let stale = running(next)
        let shards = HostShards.counts(list, ranges)
        let clear: String, declare: [String], swap: String
        do throws(NftRenderer.RenderError) {
            clear = try BlocklistLookups.deletions(stale)
            declare = try BlocklistLookups.declarations(name, slot: next, families: families, addresses: HostShards.perShard(ranges, shards: shards))
            swap = try BlocklistLookups.swapScript(name, to: next, families: families, shards: shards, retiring: running(slot))
        } catch {
            throw .refused("\(list): \(error)")
        }
        if !clear.isEmpty { try kernel.apply(script: clear, operation: "delete \(list)'s stale standby sets") }
        // One set a transaction: csf -d and lfd's bans wait for one shard's allocation at most (HostShards).
        for script in declare { try kernel.apply(script: script, operation: "declare \(list)'s standby sets") }
        try kernel.fill(inTurn: SetContents.fill(name, ranges, families: families, slot: next, shards: shards))
        try kernel.apply(script: swap, operation: "swap \(list)'s sets")
        try kernel.renewConnectionGeneration()
        return families.flatMap { f in
            let hosts = CsfTableLayout.SetName.remoteHostSets(list, f, slot: next, shards: shards[f] ?? 1)
            let named = hosts.count > 1 ? ["\(hosts[0])…\(hosts[hosts.count - 1])"] : hosts
            return named + [CsfTableLayout.SetName.remote(list, f, networks: true, slot: next)]
        }
    }

    /// ENFILE: a set's size (also its limit) is reached.
    static func setFull(_ error: CsfError) -> Bool {
        if case .kernel(_, _, let code) = error { return code == ENFILE }
        return false
    }

    /// Loads the list's ranges; answers which hash sets were emptied and filled whole (the others got only
    /// differences), nil when the firewall is not running.
    @discardableResult
    private func load(_ list: RemoteList, _ ranges: [AddressRange], ipv6: Bool) throws(CsfError) -> [String]? {
        guard let kernel = try runningKernel() else {
            loaded[list] = nil
            return nil
        }
        let families: [IPAddress.Family] = ipv6 ? [.v4, .v6] : [.v4]
        // A blocklist's slot in use is whichever the running table has (csf -r loads slot 0; a swap moves it).
        var running: (sets: Set<String>, chains: Set<String>) = ([], [])
        if case .blocklist = list { running = try kernel.runningNames() }
        let slot = running.sets.contains(CsfTableLayout.SetName.remote(list, .v4, slot: 1)) ? 1 : 0
        let known = loaded.removeValue(forKey: list)
        // Not known since lfd started: what csf -s/-r put into the big hash sets, if nothing changed them since.
        var snapshots: [IPAddress.Family: [IPAddress]] = [:]
        // A big blocklist's addresses are spread over as many sets as the running table has (HostShards).
        var shards: [IPAddress.Family: Int] = [:]
        for family in families { shards[family] = CsfTableLayout.SetName.runningShards(list, family, slot: slot, in: running.sets) }
        let hostSets = { (family: IPAddress.Family) in CsfTableLayout.SetName.remoteHostSets(list, family, slot: slot, shards: shards[family] ?? 1) }
        if known == nil {
            for family in families {
                // Usable only whole: every shard's snapshot.
                let parts = hostSets(family).map(kernel.bulkAddresses)
                if parts.allSatisfy({ $0 != nil }) { snapshots[family] = parts.flatMap { $0 ?? [] } }
            }
        }
        do {
            let plan = SetContents.refresh(list, ranges, loaded: known, loadedHosts: snapshots, families: families, slot: slot, shards: shards)
            snapshots = [:]
            // A table loaded by an older csf has no lookup chains: the list gets differences until the next csf -r.
            var swapWhole: (() throws(CsfError) -> [String])?
            if case .blocklist(let name) = list, running.chains.contains(CsfTableLayout.Chain.blocklistIn(name)) {
                swapWhole = { () throws(CsfError) -> [String] in
                    let sets = try self.swap(name, ranges, families: families, from: slot, runningSets: running.sets, kernel: kernel)
                    self.loaded[list] = SetContents.LoadedRanges(ranges)
                    return sets
                }
            }
            if let swapWhole, Self.worthASwap(plan, ranges: ranges.count) { return try swapWhole() }
            do {
                try kernel.apply(inTurn: plan)
            } catch where swapWhole != nil && Self.setFull(error) {
                // The list outgrew its set (its size is also its limit): the other slot, sized for the list as it is
                // now, takes it whole; the batches already applied went into the set the swap retires.
                logger.info("\(list): \(ranges.count) range(s) no longer fit its set; loading them into its other slot")
                return try swapWhole?() ?? []
            } catch where (known != nil || plan.replacedHostSets.count < families.flatMap(hostSets).count) && !Self.setFull(error) {
                logger.warning("\(list): the kernel did not hold what lfd loaded last (\(error.description)); loading the whole list")
                let whole = SetContents.refresh(list, ranges, loaded: nil, families: families, slot: slot, shards: shards)
                try kernel.apply(inTurn: whole)
                loaded[list] = SetContents.LoadedRanges(ranges)
                return whole.replacedHostSets
            }
            loaded[list] = SetContents.LoadedRanges(ranges)
            return plan.replacedHostSets
        } catch {
            if case .kernel(_, _, let code) = error, code == ENOENT {
                throw .refused("not in the running firewall yet (csf -r loads it from the cached copy)")
            }
            throw error
        }
    }
}
