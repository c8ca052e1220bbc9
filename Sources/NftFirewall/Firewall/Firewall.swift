#if canImport(Glibc)
import Glibc
#endif

/// The csf firewall lifecycle: check, compile, apply atomically, stop, report. The CLI is a thin shell over this.
public struct Firewall {
    public let paths: CsfPaths
    public let log: (String) -> Void

    public init(paths: CsfPaths, log: @escaping (String) -> Void = { print($0) }) {
        self.paths = paths
        self.log = log
    }

    static let tableRef = "\(CsfTableLayout.family) \(CsfTableLayout.tableName)"

    // MARK: reading config

    public struct Prepared {
        public var outcome: PolicyBuilder.Outcome
        public var table: NftTable
        public var script: String
    }

    /// Loads, validates and compiles everything; throws with every error found, touching nothing.
    public func prepare(host: HostAddresses = .current()) throws(CsfError) -> Prepared {
        let outcome = PolicyBuilder(paths: paths, host: host).load()
        if outcome.hasErrors { throw .invalidInput(outcome.diagnostics) }
        let table = RulesetCompiler.compile(outcome.policy)
        do {
            let script = try NftRenderer.replaceScript(table)
            return Prepared(outcome: outcome, table: table, script: script)
        } catch {
            throw .nft(operation: "render", message: error.description)
        }
    }

    public func check() -> [Diagnostic] {
        PolicyBuilder(paths: paths, host: .current()).load().diagnostics
    }

    // MARK: kernel state

    public func isRunning() throws(CsfError) -> Bool {
        let ctx = try NftContext(terse: true)
        let out = try ctx.apply("list tables \(CsfTableLayout.family)", operation: "list tables")
        return out.split(separator: "\n").contains { $0.trimmingCharacters() == "table \(Self.tableRef)" }
    }

    public func status(json: Bool) throws(CsfError) -> String? {
        guard try isRunning() else { return nil }
        return try NftContext(json: json).apply("list table \(Self.tableRef)", operation: "list")
    }

    /// The dynamic sets (flood, connection and knock meters) with their current entries.
    public func meters() throws(CsfError) -> [MeterListing] {
        guard try isRunning() else { return [] }
        return try MeterListing.read(table: Self.tableRef)
    }

    // MARK: start / stop

    public struct StartOptions: Sendable {
        public var confirmWithin: Int?
        public init(confirmWithin: Int? = nil) { self.confirmWithin = confirmWithin }
    }

    public struct StartReport: Sendable {
        public var warnings: [Diagnostic]
        public var testing: Bool
        public var elements: Int
    }

    /// `csf -s`: the whole table replaced in one transaction, hooks around it, lockout protection armed.
    public func start(_ options: StartOptions = .init()) throws(CsfError) -> StartReport {
        try NetnsGuard.check()   // before any hook script runs
        let lock = try FileLock(path: paths.lock)
        defer { withExtendedLifetime(lock) {} }
        let prepared = try prepare()
        let hooks = HookScripts(paths: paths)
        try hooks.run(.pre, log: log)

        let watchdog = Watchdog(paths: paths)
        let ctx = try NftContext()
        if options.confirmWithin != nil {
            try saveRollback(ctx, to: watchdog.rollbackPath)
        }
        try ctx.apply(prepared.script, operation: "start")
        if prepared.outcome.policy.redirects.contains(where: { if case .dnat = $0.action { return true } else { return false } }) {
            enableForwarding()
        }
        FileSystem.remove(paths.errorMarker)
        pruneTempLists(now: prepared.outcome.policy.now)

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
        let elements = prepared.table.sets.reduce(0) { $0 + $1.elements.count }
        return StartReport(warnings: prepared.outcome.diagnostics, testing: config.bool("TESTING"), elements: elements)
    }

    /// `csf -f`: removes only our table; every other table on the host is left alone.
    public func stop() throws(CsfError) {
        let lock = try FileLock(path: paths.lock)
        defer { withExtendedLifetime(lock) {} }
        try removeTable()
        let watchdog = Watchdog(paths: paths)
        for mode in Watchdog.Mode.allCases { watchdog.cancel(mode) }
    }

    func removeTable() throws(CsfError) {
        try NftContext().apply("table \(Self.tableRef)\ndelete table \(Self.tableRef)\n", operation: "stop")
    }

    /// Keeps what is live now so an unconfirmed start can be undone; "none" means there was no table.
    private func saveRollback(_ ctx: NftContext, to path: String) throws(CsfError) {
        if try isRunning() {
            let listing = try ctx.apply("list table \(Self.tableRef)", operation: "save current ruleset")
            try FileSystem.writeAtomically(path, "table \(Self.tableRef)\ndelete table \(Self.tableRef)\n" + listing)
        } else {
            try FileSystem.writeAtomically(path, "none\n")
        }
    }

    /// `csf --confirm`: keeps the new ruleset; returns false when nothing was waiting for confirmation.
    public func confirm() -> Bool {
        let watchdog = Watchdog(paths: paths)
        let pending = watchdog.cancel(.confirm)
        FileSystem.remove(watchdog.rollbackPath)
        return pending
    }

    /// The detached watchdog's body. Returns a line for the log.
    public func runWatchdog(_ mode: Watchdog.Mode, token: String) throws(CsfError) -> String? {
        let watchdog = Watchdog(paths: paths)
        guard watchdog.wait(mode, token: token) else { return nil }
        let lock = try FileLock(path: paths.lock, timeout: 120)
        defer { withExtendedLifetime(lock) {} }
        guard let s = watchdog.state(mode), s.token == token else { return nil }
        FileSystem.remove(watchdog.statePath(mode))
        switch mode {
        case .testing:
            try removeTable()
            return "TESTING mode: firewall removed after TESTING_INTERVAL"
        case .confirm:
            let saved = (try? TextFile.read(watchdog.rollbackPath)) ?? "none\n"
            if saved.hasPrefix("none") {
                try removeTable()
            } else {
                try NftContext().apply(saved, operation: "rollback")
            }
            FileSystem.remove(watchdog.rollbackPath)
            return "csf --confirm not received in time: previous ruleset restored"
        }
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

    private func enableForwarding() {
        let fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY)
        guard fd >= 0 else { return }
        _ = write(fd, "1\n", 2)
        close(fd)
    }
}

extension Substring {
    func trimmingCharacters() -> String { String(self).trimmingWhitespace() }
}
