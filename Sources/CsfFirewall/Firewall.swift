import CsfCompat
import CsfPolicy
import NftKernel
import NftRuleset

/// The csf firewall lifecycle: check, compile, apply atomically, stop, report. The CLI is a thin shell over
/// this, and every kernel operation goes through one `KernelPort`.
public struct Firewall {
    public let paths: CsfPaths
    public let kernel: any KernelPort
    let log: (String) -> Void
    let host: () -> HostAddresses
    let clock: () -> Int
    let launch: ([String]) -> Int32?
    /// How long a command waits for the lock csf and lfd share.
    let lockTimeout: Double
    /// The log files and journal `--check` looks for.
    let logHost: LogSourcePlan.Host

    /// `launch` starts the detached lockout watchdog (tests record it instead).
    public init(paths: CsfPaths, kernel: any KernelPort = NftablesKernel(), host: @escaping () -> HostAddresses = { .current() },
                clock: @escaping () -> Int = { SystemTime.wallSeconds },
                launch: @escaping ([String]) -> Int32? = { Subprocess.spawnDetached($0) },
                lockTimeout: Double = 30, logHost: LogSourcePlan.Host = .current,
                log: @escaping (String) -> Void = { print($0) }) {
        self.paths = paths
        self.logHost = logHost
        self.lockTimeout = lockTimeout
        self.kernel = kernel
        // The last bulk load of each large set is kept with csf's state: a reload then sends only what changed.
        (kernel as? NftablesKernel)?.bulkStateDirectory = paths.libDir
        self.host = host
        self.clock = clock
        self.launch = launch
        self.log = log
    }

    public var watchdog: Watchdog { Watchdog(paths: paths, launch: launch, clock: clock) }

    // MARK: reading config

    public struct Prepared {
        public var outcome: PolicyBuilder.Outcome
        public var rendered: RenderedTable
        /// The whole table as one nft script (`--dry-run`): the kernel gets large sets over netlink instead.
        public func script() throws(CsfError) -> String {
            do {
                return try rendered.script()
            } catch {
                throw .kernel(operation: "render", message: error.description)
            }
        }
    }

    /// Loads, validates and compiles everything; throws with every error found, touching nothing. A damaged
    /// list line is left out (and reported), so one bad line never keeps the firewall down.
    public func prepare() throws(CsfError) -> Prepared {
        let outcome = PolicyLoader.load(paths: paths, host: host(), now: clock())
        if outcome.hasErrors { throw .invalidInput(outcome.diagnostics) }
        do {
            return Prepared(outcome: outcome, rendered: try RenderedTable(RulesetCompiler.compile(outcome.policy)))
        } catch {
            throw .kernel(operation: "render", message: error.description)
        }
    }

    /// What `--check` finds: every problem of csf.conf and of every list csf and lfd read, and which inbound
    /// ports the result opens.
    public struct CheckReport: Sendable {
        public var diagnostics: [Diagnostic]
        public var exposure: InboundExposure
    }

    /// Reads and judges everything a start would, changing nothing.
    public func check() -> CheckReport {
        let outcome = PolicyLoader.load(paths: paths, host: host(), now: clock())
        let exposure = InboundExposure(outcome.policy, sshPorts: SshdPorts.read(paths))
        var diagnostics = outcome.diagnostics + ListChecks.auxiliary(paths) + LoginChecks.silent(outcome.config, host: logHost)
        if let closed = exposure.closedSSHWarning(outcome.config) { diagnostics.append(closed) }
        return CheckReport(diagnostics: diagnostics, exposure: exposure)
    }

    /// csf.conf as read now, for commands that only show things (a damaged file reads as what could be parsed).
    public func configForDisplay() -> CsfConfig { ConfigParser.load(paths.config).0 }

    /// `csf -q`: lfd restarts the firewall on its next pass (csf.restart); returns how soon that is.
    public func requestRestartByLfd() throws(CsfError) -> Int {
        try FileSystem.writeAtomically(Self.restartRequest(paths), "", sync: false)
        return max(1, configForDisplay().int("LF_PARSE"))
    }

    public static func restartRequest(_ paths: CsfPaths) -> String { paths.lib("csf.restart") }

    /// `csf -lr`: lfd sends the log scanner report on its next pass (csf.logrun); nil when LOGSCANNER is off.
    public func requestLogScanReport() throws(CsfError) -> Int? {
        let config = configForDisplay()
        guard config.bool("LOGSCANNER") else { return nil }
        try FileSystem.writeAtomically(paths.lib("csf.logrun"), "", sync: false)
        return max(1, config.int("LF_PARSE"))
    }

    /// `csf --trace add|remove IP`: packets from the address are marked for `nft monitor trace` (csf marked
    /// only TCP SYNs in its raw table); the mark goes with the next start, as csf's did.
    public func trace(_ action: String, _ target: String) throws(CsfError) -> String {
        guard action == "add" || action == "remove" else { throw .refused("csf: Error, use [add|remove] [ip]") }
        let network: IPNetwork
        switch IPNetwork.parse(Substring(target)) {
        case .success(let n): network = n
        case .failure(let why): throw .refused("csf: Error, [\(shown(target))] is \(why)")
        }
        try kernel.checkNamespace()
        let changed = try kernel.trace(network, on: action == "add")
        switch (action, changed) {
        case ("add", true): return "csf: Added trace for \(network); watch it with: nft monitor trace (or csf --trace watch)"
        case ("add", false): return "csf: \(network) is traced already"
        case (_, true): return "csf: Removed trace for \(network)"
        default: return "csf: \(network) was not traced"
        }
    }

    // MARK: kernel state

    public func isRunning() throws(CsfError) -> Bool { try kernel.isRunning() }

    /// The running table: rules with their counters; sets with their element count (`full`: their elements).
    public func status(json: Bool, full: Bool = false) throws(CsfError) -> String? {
        guard let listing = try kernel.listing(json: json, full: full) else { return nil }
        if json || full { return listing }
        return StatusFilter.annotatingSizes(listing, sizes: try kernel.setSizes())
    }

    public func setSizes() throws(CsfError) -> [String: SetSize] { try kernel.setSizes() }

    /// The dynamic sets (flood, connection and knock meters) with their current entries.
    public func meters() throws(CsfError) -> [MeterListing] { try kernel.meters() }

    // MARK: start / stop

    public struct StartOptions: Sendable {
        public var confirmWithin: Int?
        /// csf.conf as it was before this start: an unconfirmed `confirmWithin` puts it back (the web UI's
        /// editor); nil leaves csf.conf as the admin edited it (the CLI).
        public var restoreConfig: String?
        public init(confirmWithin: Int? = nil, restoreConfig: String? = nil) {
            self.confirmWithin = confirmWithin
            self.restoreConfig = restoreConfig
        }
    }

    public struct StartReport: Sendable {
        public var warnings: [Diagnostic]
        public var testing: Bool
        public var elements: Int
    }

    func lock() throws(CsfError) -> FileLock {
        try kernel.checkNamespace()
        return try FileLock(path: paths.lock, timeout: lockTimeout)
    }

    /// `csf -s`: the whole table replaced in one transaction, hooks around it, lockout protection armed.
    public func start(_ options: StartOptions = .init()) throws(CsfError) -> StartReport {
        let lock = try lock()   // the namespace check comes before any hook script runs
        defer { withExtendedLifetime(lock) {} }
        let prepared = try prepare()
        let hooks = HookScripts(paths: paths)
        try hooks.run(.pre, log: log)

        if options.confirmWithin != nil {
            try saveRollback(watchdog)
            if let text = options.restoreConfig {
                try FileSystem.writeAtomically(watchdog.rollbackSettingsFilePath, text)
            } else {
                FileSystem.remove(watchdog.rollbackSettingsFilePath)
            }
        }
        if let why = try kernel.replace(prepared.rendered) {
            log("*WARNING* the large sets (\(prepared.rendered.bulkSets.joined(separator: ", "))) could not be loaded over netlink (\(why)); they were loaded through nft's parser instead")
        }
        // What runs now came from these settings; a later --confirm-within goes back to them.
        try? FileSystem.writeAtomically(watchdog.appliedConfigPath, prepared.outcome.config.text, sync: false)
        if prepared.outcome.policy.redirects.contains(where: { if case .dnat = $0.action { return true } else { return false } }) {
            // DNAT does nothing without forwarding, but the rules are in place: a warning, not a failed start.
            do { try kernel.enableIPv4Forwarding() } catch { log("*WARNING* csf.redirect DNAT needs IPv4 forwarding: \(error)") }
        }
        FileSystem.remove(paths.errorMarker)
        pruneTempLists(now: prepared.outcome.policy.now)
        for line in SmtpAuthRestrict.apply(paths: paths, config: prepared.outcome.config) { log(line) }

        // Lockout protection is armed before the post hooks: a failing csfpost.sh must not disarm it.
        let config = prepared.outcome.config
        if config.bool("TESTING") {
            let seconds = Environment.value("CSF_TESTING_INTERVAL_SECONDS").flatMap(Int.init)
                ?? max(1, config.int("TESTING_INTERVAL")) * 60
            try watchdog.arm(.testing, seconds: seconds)
        } else {
            watchdog.cancel(.testing)
        }
        if let seconds = options.confirmWithin {
            try watchdog.arm(.confirm, seconds: seconds)
        }
        try hooks.run(.post, log: log)
        return StartReport(warnings: prepared.outcome.startWarnings, testing: config.bool("TESTING"),
                           elements: prepared.rendered.elementCount)
    }

    /// `csf -f`: removes only our table; every other table on the host is left alone.
    public func stop() throws(CsfError) {
        let lock = try lock()
        defer { withExtendedLifetime(lock) {} }
        try kernel.removeTable()
        for mode in Watchdog.Mode.allCases { watchdog.cancel(mode) }
    }

    /// `csf --confirm`: keeps the new ruleset; returns false when nothing was waiting for confirmation.
    public func confirm() -> Bool {
        let pending = watchdog.cancel(.confirm)
        FileSystem.remove(watchdog.rollbackPath)
        FileSystem.remove(watchdog.rollbackSettingsFilePath)
        return pending
    }

    /// The detached watchdog's body. Returns a line for the log.
    public func runWatchdog(_ mode: Watchdog.Mode, token: String) throws(CsfError) -> String? {
        guard watchdog.wait(mode, token: token) else { return nil }
        let lock = try FileLock(path: paths.lock, timeout: 120)
        defer { withExtendedLifetime(lock) {} }
        guard let s = watchdog.state(mode), s.token == token else { return nil }
        FileSystem.remove(watchdog.statePath(mode))
        switch mode {
        case .testing:
            try kernel.removeTable()
            return "TESTING mode: firewall removed after TESTING_INTERVAL"
        case .confirm:
            defer { for path in [watchdog.rollbackPath, watchdog.rollbackConfigPath, watchdog.rollbackSettingsFilePath] { FileSystem.remove(path) } }
            if let text = try? TextFile.read(watchdog.rollbackSettingsFilePath) {
                try FileSystem.writeAtomically(paths.config, text, mode: 0o600)
            }
            let saved = (try? TextFile.read(watchdog.rollbackPath)) ?? Watchdog.noTable
            if saved.hasPrefix(Watchdog.noTable) {
                try kernel.removeTable()
                return "csf --confirm not received in time: the firewall is stopped again, as it was"
            }
            if let settings = try? TextFile.read(watchdog.rollbackConfigPath), try rollback(to: settings) {
                return "csf --confirm not received in time: previous settings restored, the lists as they are now"
            }
            // No record of the settings that built it: the ruleset as it was, then the lists of now put back in.
            try kernel.restore(saved)
            let commands = try ListCommands(paths: paths, kernel: kernel, host: host(), clock: clock, lockTimeout: 0)
            _ = try commands.reassertPermanent(locked: true)
            _ = try commands.reassertTemporary(locked: true)
            return "csf --confirm not received in time: previous ruleset restored"
        }
    }

    /// Keeps what a `--confirm-within` start may have to go back to: the running ruleset, and the settings that
    /// built it, so a rollback restores the rules while keeping the bans and allows made during the wait.
    private func saveRollback(_ watchdog: Watchdog) throws(CsfError) {
        guard let snapshot = try kernel.snapshot() else {
            try FileSystem.writeAtomically(watchdog.rollbackPath, Watchdog.noTable)
            FileSystem.remove(watchdog.rollbackConfigPath)
            return
        }
        try FileSystem.writeAtomically(watchdog.rollbackPath, snapshot)
        if let applied = try? TextFile.read(watchdog.appliedConfigPath) {
            try FileSystem.writeAtomically(watchdog.rollbackConfigPath, applied)
        } else {
            FileSystem.remove(watchdog.rollbackConfigPath)
        }
    }

    /// The table built from the saved settings and the current lists, in one transaction; false when those
    /// settings no longer load (the caller falls back to the saved ruleset).
    private func rollback(to settings: String) throws(CsfError) -> Bool {
        let (config, diagnostics) = ConfigParser.parse(text: settings, path: Watchdog(paths: paths).rollbackConfigPath)
        guard !diagnostics.contains(where: { $0.severity == .error }) else { return false }
        let outcome = PolicyBuilder.build(PolicyLoader.inputs(paths: paths, config: config, host: host(), now: clock()))
        guard !outcome.hasErrors, let rendered = try? RenderedTable(RulesetCompiler.compile(outcome.policy)) else { return false }
        try kernel.replace(rendered)
        try? FileSystem.writeAtomically(Watchdog(paths: paths).appliedConfigPath, config.text, sync: false)
        return true
    }

    // MARK: disable / enable

    public var isDisabled: Bool { TextFile.exists(paths.disableMarker) }

    public func disable() throws(CsfError) {
        try FileSystem.touch(paths.disableMarker)
        try stop()
    }

    public func enable() throws(CsfError) -> StartReport {
        FileSystem.remove(paths.disableMarker)
        return try start()
    }

    /// Expired temporary entries leave the files once the kernel no longer has them (csf does this on start).
    func pruneTempLists(now: Int) {
        for kind in [TempEntry.Kind.allow, .deny] {
            var list = TempList.load(kind, paths: paths)
            if list.prune(now: now) { try? list.write() }
        }
    }
}
