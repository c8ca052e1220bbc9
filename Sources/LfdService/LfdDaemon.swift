#if canImport(Glibc)
import Glibc
#endif
import CSys
import CsfCompat
import CsfFirewall
import LfdCore
import Logging
import NftKernel
import Synchronization

/// The login failure daemon: follows the configured logs, runs the detectors on every new line, counts, and
/// blocks in-process. One event loop (inotify, signalfd, journals, NFLOG, and a mailbox) reads and decides;
/// everything that can wait — csf's lock, the kernel, SMTP, sendmail, reverse DNS — runs on worker threads,
/// so reading never stalls. A periodic tick every LF_PARSE seconds does expiry and housekeeping.
public final class LfdDaemon {
    public let paths: CsfPaths
    let logger: Logger
    var config = CsfConfig()
    /// One classifier per log key: each file's lines only meet the rules that read it.
    var byKey: [String: LineClassifier] = [:]
    /// The *_LOG keys whose lines may carry a login csf.conf asks to be told about.
    var loginAlertKeys: Set<String> = []
    /// Login alerts left until the next tick, and those held back since the last: a replayed log or a script
    /// logging in thousands of times must not stall reading behind one lfd.log line and one mail per login.
    var loginAlertsLeft = LfdDaemon.loginAlertsPerTick
    var loginAlertsHeld = 0
    static let loginAlertsPerTick = 100
    var ruleCount = 0
    var tracker: FailureTracker
    var ignore = IgnoreList(hosts: [], networks: [])
    /// csf's iplookup (CC_LOOKUPS) for the lines lfd words itself; the Blocker has its own for blocks.
    var lookup = IPLookup()
    var host = HostAddresses()
    var tailer: LogTailer?
    /// What the positions file last held, to write it only when reading moved on.
    var savedPositions = LogPositions()
    var board = StatusBoard()
    var positionsSaveFailed = false
    var journals: [JournalSource] = []
    private var pidLock: Int32 = -1
    /// Logged packets (NFLOG) for PS_*, UID_* and PORTKNOCKING_ALERT; nil when none of them is on.
    var nflog: NflogSocket?
    /// LT_POP3D / LT_IMAPD.
    var logins = LoginTracker()
    var packets = PacketLogTracker(settings: .init())
    var connections = ConnectionTracker(settings: .init())
    var lastConnectionCheck = 0.0
    var lastFirewallCheck = SystemTime.monotonic
    /// Addresses lfd blocked for port scans or connections, so a scan still in flight (or connections
    /// conntrack still lists) do not block them again.
    var recentBlocks: [String: Int] = [:]

    // Off the loop: the firewall, notifications, reverse DNS.
    let firewallWorker = Worker(name: "firewall", capacity: 100_000)
    let notifyWorker: Worker
    let resolveWorker = Worker(name: "resolve", capacity: 10_000)
    let mailbox = Mailbox<Event>()
    let actions: FirewallActions
    let processWatch: ProcessWatch
    let accountWatch: AccountWatch
    let hostWatch: HostWatch
    let remoteLists: RemoteListRefresh
    let dynDns: DynDnsRefresh
    let asn: GeoDataRefresh
    let countryData: GeoDataRefresh
    let locationAsn: GeoDataRefresh
    /// CLUSTER_DB: the fleet follower (csf-fleet) as lfd's child.
    let fleet: FleetChild
    /// MESSENGER: csf-ui --messenger as lfd's child.
    let messenger: MessengerChild
    /// METRICS: lfd's counters, the socket scrapes arrive on, and what a scrape reads besides.
    let metrics: LfdMetrics
    var metricsSocket: MetricsSocket?
    /// Lends csf's commands netfilter sockets (`NetfilterSocketLender`); nil when it could not listen.
    var socketLender: NetfilterSocketLender?
    let listSizes: ListSizes
    /// The thread scrapes are answered on.
    let metricsWorker = Worker(name: "metrics", capacity: 1)
    var load: LoadWatch
    var syslogCheck = SyslogCheck()
    var logScanReports = LogScanReports()
    var mail = MailAbuse()
    var syslogGroupMissingTold = false
    /// LF_CPANEL_ALERT: the accounts told about (LF_CPANEL_ALERT_USERS), and when each address and account was
    /// last seen.
    var cpanelAlertUsers: Set<String> = []
    var cpanelSeen: [String: Int] = [:]
    /// Lines read per file since the last tick, and when a flood of each was last told.
    var linesSinceTick: [String: Int] = [:]
    var floodTold: [String: Double] = [:]
    var alerts: Alerts
    var pending = PendingBlocks()
    var expiryInFlight = false
    /// csf.rignore: the entries, decisions already made, and detections waiting for a lookup.
    var rignore = ReverseLookupState()

    /// What a worker reports back to the loop.
    enum Event: Sendable {
        case blockFinished(key: String, outcome: Blocker.Outcome)
        case expiryFinished
        case resolved(IPAddress, ignoredBy: String?)
        /// LF_QUEUE_ALERT told (the next is due after LF_FLUSH).
        case queueTold
        /// A csf.blocklists or GLOBAL_* download ended; `loaded`: the new copy is cached and in the kernel.
        case remoteListFinished(RemoteList, RemoteListLoader.Outcome)
        case dynDnsFinished(RemoteList, DynDnsResolver.Outcome)
        /// The ASN data's download ended; `updated`: a new copy is in place.
        case geoDataFinished(GeoDataRefresh.Dataset, updated: Bool)
    }

    public init(paths: CsfPaths, logger: Logger, kernel: any KernelPort = NftablesKernel(deferCloseAfterDeletes: false),
                lockTimeout: Double = 5) {
        self.paths = paths
        self.logger = logger
        self.tracker = FailureTracker(settings: .init(interval: 3600, threshold: { _ in 0 }, perm: { _ in 1 }))
        let alertsBox = AlertsBox()
        let notifyWorker = Worker(name: "notify", capacity: 10_000)
        self.notifyWorker = notifyWorker
        let metrics = LfdMetrics()
        self.metrics = metrics
        self.listSizes = ListSizes(paths: paths)
        self.alerts = Alerts(paths: paths, config: CsfConfig(), logger: logger)
        let notify: @Sendable (Notice) -> Void = { notice in
            let alerts = alertsBox.current
            let queued = notifyWorker.submit { Self.deliver(notice, alerts: alerts, metrics: metrics) }
            if !queued { alerts?.logger.error("*Error* too many alerts waiting; one was dropped") }
        }
        self.alertsBox = alertsBox
        self.processWatch = ProcessWatch(logger: logger, notify: notify)
        self.accountWatch = AccountWatch(paths: paths, logger: logger, notify: notify)
        self.hostWatch = HostWatch(logger: logger, notify: notify)
        self.remoteLists = RemoteListRefresh(paths: paths, logger: logger)
        self.dynDns = DynDnsRefresh(paths: paths, logger: logger)
        self.asn = GeoDataRefresh(.asn, paths: paths, logger: logger)
        self.countryData = GeoDataRefresh(.countries, paths: paths, logger: logger)
        self.locationAsn = GeoDataRefresh(.locationAsn, paths: paths, logger: logger)
        self.fleet = FleetChild(logger: logger)
        self.messenger = MessengerChild(logger: logger, errorLog: paths.lfdLog)
        self.load = LoadWatch(paths: paths)
        self.actions = FirewallActions(paths: paths, kernel: kernel, logger: logger, lockTimeout: lockTimeout, notify: notify)
    }

    /// The Alerts value workers read (replaced on SIGHUP).
    let alertsBox: AlertsBox

    public static func pidFile(_ paths: CsfPaths) -> String { LfdPidFile.path(paths) }
    var pidFile: String { Self.pidFile(paths) }

    /// Why lfd must not run, as csf's lfd says it; nil when it may.
    /// Why lfd does not run. A state the admin chose (csf disabled, LF_DAEMON off, TESTING on) ends lfd with
    /// exit 0, so systemd's Restart=on-failure does not start it again every few seconds; csf.error is a failure.
    public struct Refusal: Sendable {
        public var message: String
        public var exitCode: Int32
    }

    public static func refusal(paths: CsfPaths, config: CsfConfig) -> Refusal? {
        if TextFile.exists(paths.disableMarker) { return Refusal(message: "csf and lfd have been disabled", exitCode: 0) }
        if TextFile.exists(paths.errorMarker) {
            return Refusal(message: "*Error* csf reported an error on its last start (\(paths.errorMarker)); lfd will not run", exitCode: 1)
        }
        if config.int("LF_DAEMON") != 1 { return Refusal(message: "*Error* LF_DAEMON is not enabled in \(paths.config)", exitCode: 0) }
        if config.bool("TESTING") { return Refusal(message: "*Error* lfd will not run with TESTING enabled in \(paths.config)", exitCode: 0) }
        return nil
    }

    // MARK: lifecycle

    /// Runs until SIGTERM/SIGINT; returns the exit code.
    public func run() -> Int32 {
        // Arrays of a million-entry list's refresh (tens of MB each) are mapped and given back whole when freed: with
        // glibc's sliding threshold they came from the heap after the first refresh, and each later refresh's peak
        // sat on top of the freed but still resident memory of the one before.
        mallopt(M_MMAP_THRESHOLD, 1 << 20)
        do {
            try load(initial: true)
        } catch {
            logger.error("*Error* \(error.description)")
            return 1
        }
        if let refusal = Self.refusal(paths: paths, config: config) {
            logger.error("\(refusal.message)")
            return refusal.exitCode
        }
        guard takePidFile() else {
            logger.error("*Error* lfd: already running (\(pidFile) is locked)")
            return 1
        }
        defer { FileSystem.remove(pidFile) }
        var mask = sigset_t()
        sigemptyset(&mask)
        for s in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&mask, s) }
        sigprocmask(SIG_BLOCK, &mask, nil)
        socketLender = NetfilterSocketLender(path: NetfilterSocketLoan.path(paths))
        if socketLender?.start() != true {
            socketLender = nil
            logger.warning("*WARNING* cannot lend netfilter sockets at \(NetfilterSocketLoan.path(paths)); csf's commands open their own")
        }
        defer {
            socketLender?.stop()
            socketLender = nil
        }
        let sfd = signalfd(-1, &mask, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
        guard sfd >= 0, let tailer else { return 1 }
        logger.info("[STARTUP] lfd \(NftcsfVersion.string) started, \(ruleCount) detectors, watching \(tailer.watchedPaths.count) file(s) and \(journals.count) journal source(s)")
        let actions = self.actions
        firewallWorker.submit { actions.resync() }
        SystemdNotify.send("READY=1")
        publishStatus()
        var lastTick = SystemTime.monotonic
        while true {
            let tickEvery = Double(max(1, config.int("LF_PARSE")))
            var fds = [pollfd(fd: self.tailer?.inotifyFD ?? -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: sfd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: mailbox.fd, events: Int16(POLLIN), revents: 0)]
            for j in journals { fds.append(pollfd(fd: j.fd, events: Int16(POLLIN), revents: 0)) }
            if let nflog { fds.append(pollfd(fd: nflog.fd, events: Int16(POLLIN), revents: 0)) }
            let accountIndex = fds.count
            if accountWatch.fd >= 0 { fds.append(pollfd(fd: accountWatch.fd, events: Int16(POLLIN), revents: 0)) }
            // A burst still being read in batches: look at signals and the mailbox, then read on at once.
            let wake = min(lastTick + tickEvery, accountWatch.due ?? .infinity)
            let wait = self.tailer?.hasBacklog == true ? 0 : max(0, Int32((wake - SystemTime.monotonic) * 1000))
            _ = poll(&fds, nfds_t(fds.count), min(wait, 1000))
            if fds[1].revents != 0, let signal = readSignal(sfd) {
                if signal.number == SIGHUP {
                    reload()
                } else {
                    stop(by: signal)
                    return 0
                }
            }
            handle(mailbox.drain())
            process(self.tailer?.poll(now: SystemTime.monotonic) ?? [])
            for j in journals { process(j.poll()) }
            if let nflog { process(nflog.receive()) }
            accountWatch.poll(now: SystemTime.monotonic, readable: fds.count > accountIndex && fds[accountIndex].revents != 0)
            retryDueBlocks()
            if SystemTime.monotonic - lastTick >= tickEvery {
                lastTick = SystemTime.monotonic
                tick()
            }
        }
    }

    /// Gives blocks in flight a moment to land; a worker still waiting then is abandoned with the process.
    private func stop(by signal: ReceivedSignal) {
        savePositions()
        FileSystem.remove(LfdStatus.path(paths))
        logger.info("[SHUTDOWN] Daemon stopped (\(signal.description))")
        SystemdNotify.send("STOPPING=1")
        processWatch.stop()
        hostWatch.stop()
        remoteLists.stop()
        dynDns.stop()
        asn.stop()
        countryData.stop()
        locationAsn.stop()
        fleet.stop()
        messenger.stop()
        metricsSocket?.shutdown()
        firewallWorker.shutdown(waitingUpTo: 3)
        notifyWorker.shutdown(waitingUpTo: 1)
    }

    private func readSignal(_ fd: Int32) -> ReceivedSignal? {
        var info = signalfd_siginfo()
        let n = withUnsafeMutableBytes(of: &info) { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard n == MemoryLayout<signalfd_siginfo>.size else { return nil }
        return ReceivedSignal(number: Int32(info.ssi_signo), sender: Int32(bitPattern: info.ssi_pid), uid: info.ssi_uid)
    }

    /// Another lfd holds the pid file's lock.
    public static func isRunning(_ paths: CsfPaths) -> Bool { LfdPidFile.running(paths) != nil }

    private func takePidFile() -> Bool {
        try? FileSystem.makeDirectories(FileSystem.dirname(pidFile))
        let fd = open(pidFile, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 else { return false }
        ftruncate(fd, 0)
        let text = "\(getpid())\n"
        _ = text.withCString { write(fd, $0, strlen($0)) }
        pidLock = fd
        return true
    }

    // MARK: configuration

    /// Reads csf.conf, the detectors and the ignore lists. On SIGHUP the counters survive; the log readers are
    /// rebuilt only when the set of files changes.
    func load(initial: Bool) throws(CsfError) {
        var (config, diagnostics) = ConfigParser.load(paths.config)
        if diagnostics.contains(where: { $0.severity == .error }) { throw .invalidInput(diagnostics) }
        let restricted = RestrictSyslog.apply(to: &config)
        if !restricted.isEmpty {
            logger.warning("*WARNING* RESTRICT_SYSLOG = 1: \(restricted.joined(separator: ", ")) turned off (their logs are files any user can write to through syslog; journal sources stay on)")
        }
        let processPlan = try Self.processPlan(paths: paths, config: config)
        let hostPlan = try Self.hostWatchPlan(paths: paths, config: config, logger: logger)
        let logScanPlan = try LogScanReports.plan(paths: paths, config: config)
        let (rules, ruleDiagnostics) = DetectorLibrary.load(paths)
        if ruleDiagnostics.contains(where: { $0.severity == .error }) { throw .invalidInput(ruleDiagnostics) }
        for d in ruleDiagnostics where d.severity == .warning { logger.warning("*WARNING* \(d)") }
        let translated = rules.filter { $0.logKeys.count == 1 && $0.trigger == "LF_CUSTOMTRIGGER" }.count
        if !TextFile.exists(CustomRules.path(paths)), TextFile.exists(RegexCustomPm.path(paths)) {
            logger.info("\(RegexCustomPm.path(paths)): \(translated) rule(s) translated and in use (csf --migrate-regex prints them for /etc/csf/regex.custom)")
        }
        self.config = config
        let enabled = LineClassifier.enabled(rules, config: config)
        ruleCount = enabled.count
        byKey = [:]
        for key in Set(enabled.flatMap(\.logKeys)) {
            byKey[key] = LineClassifier(rules: enabled.filter { $0.logKeys.contains(key) })
        }
        host = HostAddresses.current()
        lookup = IPLookup(config: config, paths: paths)
        ignore = IgnoreList(paths: paths, config: config, host: host, lookup: lookup)
        configureRemoteLists(config, initial: initial)
        configureMetrics(config)
        rignore.reset(entries: ListReader.read(paths.etc("csf.rignore")).lines.map(\.token))
        let settings = FailureTracker.Settings(config: config)
        if initial { tracker = FailureTracker(settings: settings) } else { tracker.update(settings) }
        alerts = Alerts(paths: paths, config: config, logger: logger)
        alertsBox.current = alerts
        let actions = self.actions
        firewallWorker.submit { actions.configure() }
        loginAlertKeys = Set(LogSources.loginAlertKeys(config))
        cpanelAlertUsers = Set(config["LF_CPANEL_ALERT_USERS"].filter { !$0.isWhitespace }.split(separator: ",").map(String.init))
        let plan = LogSources.plan(enabled, config: config)
        board.sources = StatusBoard.sources(plan)
        for entry in plan.entries.values.sorted(by: { $0.key < $1.key }) {
            if let note = entry.note { entry.readsNothing ? logger.warning("*WARNING* \(note)") : logger.info("\(note)") }
        }
        let wanted = LogSources.journals(plan)
        var files = LogSources.files(plan)
        logScanReports.plan = logScanPlan
        for path in logScanPlan.files where !(files[path]?.contains(LogScanReports.key) ?? false) {
            files[path, default: []].append(LogScanReports.key)
        }
        if logScanPlan.enabled && initial {
            logger.info("Log Scanner: \(logScanPlan.files.count) file(s) of csf.logfiles, \(logScanPlan.ignore.count) csf.logignore expression(s), reports \(logScanPlan.interval.rawValue)")
        }
        if initial || Set(wanted.keys) != Set(journals.map(\.spec)) {
            var opened: [JournalSource] = []
            for (spec, keys) in wanted.sorted(by: { $0.key < $1.key }) {
                do {
                    opened.append(try JournalSource(value: spec, keys: keys))
                    logger.info("Watching \(spec)...")
                } catch where keys.allSatisfy({ plan.entries[$0]?.configured != spec }) {
                    // A fallback nobody configured: watch the configured files instead of refusing to start.
                    logger.warning("*WARNING* \(error); watching the configured files instead")
                    for key in keys { if let path = plan.entries[key]?.configured { files[path, default: []].append(key) } }
                }
            }
            journals = opened
        }
        let trust = syslogTrust(config)
        for j in journals { j.trusted = trust }
        if initial || Set(files.keys) != Set(tailer?.watchedPaths ?? []) {
            // A restart reads on from the saved positions; a reload carries over the files it keeps.
            let resume = tailer?.positions ?? LogPositions.load(paths)
            tailer = try LogTailer(files: files, resume: resume, logger: logger)
        }
        openPacketLog(config)
        connections = ConnectionTracker(settings: .init(config: config))
        if initial {
            let state = processPlan.settings.enabled ? "Enabled (\(processPlan.settings.limit))" : "Disabled"
            logger.info("[STARTUP] Process Tracking [\(state)]")
        }
        processWatch.configure(processPlan)
        if initial {
            logger.info("[STARTUP] Account Tracking [\(config.int("AT_ALERT") > 0 ? "Enabled" : "Disabled")]")
            logger.info("[STARTUP] Exploit Tracking [\(config.int("LF_EXPLOIT") > 0 ? "Enabled" : "Disabled")]")
        }
        accountWatch.configure(config)
        mail.configure(paths: paths, config: config)
        if initial {
            let dirwatch = hostPlan.directories.enabled ? "Enabled (\(Int(hostPlan.directories.interval)) seconds)" : "Disabled"
            let dirwatchFile = hostPlan.entries.enabled ? "Enabled (\(Int(hostPlan.entries.interval)) seconds)" : "Disabled"
            logger.info("[STARTUP] Integrity Tracking [\(hostPlan.integrity.enabled ? "Enabled" : "Disabled")]")
            logger.info("[STARTUP] Directory Watch (Core) [\(dirwatch)]")
            logger.info("[STARTUP] Directory Watch (File) [\(dirwatchFile)]")
        }
        if hostPlan.directories.enabled { logger.info("(csf.fignore): \(hostPlan.directories.ignore.count) entries") }
        if hostPlan.entries.enabled { logger.info("(csf.dirwatch): \(hostPlan.entries.entries.count) entries") }
        hostWatch.configure(hostPlan)
        fleet.configure(config, now: SystemTime.monotonic)
        messenger.configure(config, now: SystemTime.monotonic)
    }

    /// LF_DIRWATCH (csf.fignore), LF_DIRWATCH_FILE (csf.dirwatch), LF_INTEGRITY. A bad csf.fignore line is an
    /// error with its file and line, like csf.pignore's: a broken pattern would otherwise silently watch less.
    static func hostWatchPlan(paths: CsfPaths, config: CsfConfig, logger: Logger) throws(CsfError) -> HostWatch.Plan {
        var ignore = FileIgnore()
        let path = paths.etc("csf.fignore")
        if config.int("LF_DIRWATCH") > 0, let text = try? TextFile.read(path) {
            let (parsed, diagnostics) = FileIgnore.parse(text, path: path) { try? TextFile.read(paths.path($0)) }
            if diagnostics.contains(where: { $0.severity == .error }) { throw .invalidInput(diagnostics) }
            for d in diagnostics { logger.warning("*WARNING* \(d)") }
            ignore = parsed
        }
        var plan = HostWatch.Plan()
        plan.directories = DirectoryWatch.plan(paths: paths, config: config, ignore: ignore)
        plan.entries = EntryWatch.plan(paths: paths, config: config, logger: logger)
        plan.integrity = IntegrityWatch.plan(paths: paths, config: config)
        return plan
    }

    /// The problems of lfd's own files that stop it (csf.pignore), for `lfd` to say before it detaches.
    public static func startProblems(paths: CsfPaths, config: CsfConfig) -> CsfError? {
        do {
            _ = try processPlan(paths: paths, config: config)
            _ = try hostWatchPlan(paths: paths, config: config, logger: Logger(label: "lfd.check", factory: { _ in SwiftLogNoOpLogHandler() }))
            _ = try LogScanReports.plan(paths: paths, config: config)
            return nil
        } catch {
            return error
        }
    }

    /// PT_* and csf.pignore; a bad csf.pignore line is an error with its file and line, like csf.conf's.
    static func processPlan(paths: CsfPaths, config: CsfConfig) throws(CsfError) -> ProcessWatch.Plan {
        var plan = ProcessWatch.Plan()
        plan.settings = ProcessTracker.Settings(config: config)
        plan.interval = Double(max(10, config.int("PT_INTERVAL")))
        plan.deletedAction = config["PT_DELETED_ACTION"].trimmingWhitespace()
        plan.userAction = config["PT_USER_ACTION"].trimmingWhitespace()
        let path = paths.etc("csf.pignore")
        guard plan.settings.enabled, let text = try? TextFile.read(path) else { return plan }
        let (ignore, diagnostics) = ProcessIgnore.parse(text, path: path) { try? TextFile.read(paths.path($0)) }
        if diagnostics.contains(where: { $0.severity == .error }) { throw .invalidInput(diagnostics) }
        plan.ignore = ignore
        return plan
    }

    /// RESTRICT_SYSLOG 1 or 3: the journal writers whose entries count — root, system accounts, and with 3 the
    /// members of RESTRICT_SYSLOG_GROUP and the users of csf.syslogusers.
    func syslogTrust(_ config: CsfConfig) -> (@Sendable (UInt32) -> Bool)? {
        guard RestrictSyslog.filtersJournal(config) else { return nil }
        var extra: Set<UInt32> = []
        if config.int("RESTRICT_SYSLOG") == 3 {
            var names = ListReader.read(paths.etc("csf.syslogusers")).lines.map(\.token)
            names += Accounts.members(ofGroup: config["RESTRICT_SYSLOG_GROUP"].trimmingWhitespace())
            for name in names { if let uid = Accounts.uid(named: name) { extra.insert(uid) } }
        }
        let trustedUIDs = extra
        return { uid in uid <= RestrictSyslog.systemUIDLimit || trustedUIDs.contains(uid) }
    }

    /// Subscribes to the firewall's NFLOG group when a packet check is on (kept across SIGHUP if unchanged).
    private func openPacketLog(_ config: CsfConfig) {
        var uidIgnore: Set<UInt32> = []
        for line in ListReader.read(paths.etc("csf.uidignore")).lines {
            if let uid = UInt32(line.token) { uidIgnore.insert(uid) }
        }
        let settings = PacketLogTracker.Settings(config: config, uidIgnore: uidIgnore)
        packets.settings = settings
        let group = config.int("NFLOG_GROUP")
        guard settings.wantsPackets, group > 0, group <= 65535 else {
            if settings.wantsPackets { logger.warning("*WARNING* PS_INTERVAL/UID_INTERVAL/PORTKNOCKING_ALERT need NFLOG_GROUP; not tracking packets") }
            nflog = nil
            return
        }
        if nflog?.group != UInt16(group) {
            // Another listener (ulogd…) may own the group: lfd keeps running its other checks and says why.
            do {
                nflog = try NflogSocket(group: UInt16(group))
                logger.info("Watching NFLOG group \(group) for logged packets...")
            } catch {
                nflog = nil
                logger.error("*Error* NFLOG group \(group): \(error.description) - port scan, UID and knock tracking are off")
            }
        }
    }

    private func reload() {
        do {
            try load(initial: false)
            logger.info("[STATUS] SIGHUP: configuration, rules and lists reloaded")
        } catch {
            logger.error("*Error* SIGHUP reload failed, keeping the previous configuration: \(error.description)")
        }
    }

    // MARK: housekeeping

    private func tick() {
        SystemdNotify.send("WATCHDOG=1")
        if loginAlertsHeld > 0 {
            logger.warning("*WARNING* login alerts: more than \(Self.loginAlertsPerTick) in \(max(1, config.int("LF_PARSE"))) secs; \(loginAlertsHeld) more line(s) that may be logins were not looked at")
        }
        (loginAlertsLeft, loginAlertsHeld) = (Self.loginAlertsPerTick, 0)
        linesSinceTick.removeAll(keepingCapacity: true)
        savePositions()
        publishStatus()
        writeMetricsTextfile()
        if TextFile.exists(Firewall.restartRequest(paths)) {
            FileSystem.remove(Firewall.restartRequest(paths))
            let actions = self.actions
            firewallWorker.submit { actions.restartFirewall(reason: "on request (csf -q)") }
        } else if config.bool("LF_CSF"), SystemTime.monotonic - lastFirewallCheck >= Self.firewallCheckInterval {
            // LF_CSF: csf's lfd checked every 300 s that the firewall was loaded and started it if not; lfd looks
            // every LF_PARSE seconds (a terse listing without set elements: milliseconds, even beside a 1M-entry
            // set). nf_tables' change notifications would tell at once, but a listener makes the kernel build a
            // message per set element on every reload of a large list.
            lastFirewallCheck = SystemTime.monotonic
            let actions = self.actions
            firewallWorker.submit { actions.restartFirewallIfMissing() }
        }
        fleet.supervise(now: SystemTime.monotonic)
        messenger.supervise(now: SystemTime.monotonic)
        if config.bool("MESSENGER"), !config["RECAPTCHA_SITEKEY"].trimmingWhitespace().isEmpty {
            let unblocks = MessengerChild.takeUnblocks(paths.recaptchaQueue)
            if !unblocks.isEmpty {
                let (actions, alert) = (self.actions, config.bool("RECAPTCHA_ALERT"))
                firewallWorker.submit { actions.recaptchaUnblock(unblocks, alert: alert) }
            }
        }
        checkConnections()
        checkLoad()
        checkSyslog()
        checkMailQueue()
        let actions = self.actions
        logScanReports.tick(paths: paths, logger: logger) { actions.notify($0) }
        reportUntrustedJournalEntries()
        restrictSyslogSocket()
        tracker.prune(now: SystemTime.wallSeconds)
        let mailbox = self.mailbox
        remoteLists.start(now: Double(SystemTime.wallSeconds)) { mailbox.post(.remoteListFinished($0, $1)) }
        dynDns.start(now: SystemTime.monotonic) { mailbox.post(.dynDnsFinished($0, $1)) }
        asn.start(now: Double(SystemTime.wallSeconds)) { mailbox.post(.geoDataFinished(.asn, updated: $0)) }
        countryData.start(now: Double(SystemTime.wallSeconds)) { mailbox.post(.geoDataFinished(.countries, updated: $0)) }
        locationAsn.start(now: Double(SystemTime.wallSeconds)) { mailbox.post(.geoDataFinished(.locationAsn, updated: $0)) }
        if !expiryInFlight {
            expiryInFlight = true
            let actions = self.actions, mailbox = self.mailbox
            let metrics = self.metrics
            if !firewallWorker.submit({
                for (kind, count) in actions.expire() { metrics.unbanned(kind: kind, count: count) }
                mailbox.post(.expiryFinished)
            }) { expiryInFlight = false }
        }
    }

    /// PT_LOAD: the look is a read of /proc/loadavg; the report (/proc, the status page) is made on the notify worker.
    private func checkLoad() {
        guard let alarm = load.look(config, now: SystemTime.monotonic) else { return }
        logger.warning("\(LoadWatch.logLine(alarm))")
        let action = config["PT_LOAD_ACTION"].trimmingWhitespace()
        if !action.isEmpty { actions.notify(.report(script: action, arguments: [])) }
        let url = config["PT_APACHESTATUS"].trimmingWhitespace(), alertsBox = self.alertsBox
        if !notifyWorker.submit({ alertsBox.current?.send("loadalert.txt", LoadWatch.values(alarm, statusURL: url)) }) {
            logger.error("*Error* too many alerts waiting; the load alert was dropped")
        }
    }

    /// RESTRICT_SYSLOG 1 or 3: how many journal entries were left out since the last tick, said once a tick.
    private func reportUntrustedJournalEntries() {
        let untrusted = journals.reduce(0) { $0 + $1.untrusted }
        guard untrusted > 0 else { return }
        logger.warning("*WARNING* RESTRICT_SYSLOG: \(untrusted) journal entr\(untrusted == 1 ? "y" : "ies") from untrusted users ignored")
        for j in journals { j.untrusted = 0 }
    }

    /// RESTRICT_SYSLOG = 3, as csf: /dev/log belongs to RESTRICT_SYSLOG_GROUP with mode 0660, checked every tick
    /// (a restarted syslog daemon makes a new socket). The group is the admin's to create; lfd does not add groups.
    private func restrictSyslogSocket() {
        guard config.int("RESTRICT_SYSLOG") == 3 else { return }
        let group = config["RESTRICT_SYSLOG_GROUP"].trimmingWhitespace()
        guard let gid = Accounts.gid(named: group) else {
            if !syslogGroupMissingTold {
                logger.error("*Error* RESTRICT_SYSLOG = 3: group \(group) does not exist; create it (groupadd -r \(group)) and add the users who may log")
                syslogGroupMissingTold = true
            }
            return
        }
        var st = stat()
        guard stat("/dev/log", &st) == 0, st.st_gid != gid || st.st_mode & 0o777 != 0o660 else { return }
        if chown("/dev/log", uid_t.max, gid) == 0 && chmod("/dev/log", 0o660) == 0 {
            logger.info("RESTRICT_SYSLOG = 3: /dev/log restricted to group \(group) (mode 0660)")
        } else {
            logger.error("*Error* RESTRICT_SYSLOG = 3: cannot restrict /dev/log: \(String(cString: strerror(errno)))")
        }
    }

    private func checkSyslog() {
        guard case .missed(let code) = syslogCheck.tick(every: config.int("SYSLOG_CHECK"), now: SystemTime.monotonic) else { return }
        logger.warning("*SYSLOG CHECK* Failed to detect check line [\(code)] sent to SYSLOG")
        actions.notify(.alert(template: "syslogalert.txt", values: ["code": code, "log": config["SYSLOG_LOG"]]))
    }

    /// How often LF_CSF looks for the firewall: every tick (LF_PARSE, 5 s as shipped; csf: 300 s).
    /// NFTCSF_LF_CSF_SECONDS sets another interval for tests.
    static var firewallCheckInterval: Double { Environment.value("NFTCSF_LF_CSF_SECONDS").flatMap(Double.init) ?? 0 }

    private func savePositions() {
        guard let positions = tailer?.positions, positions != savedPositions else { return }
        do {
            try positions.save(paths)
            savedPositions = positions
            positionsSaveFailed = false
        } catch {
            // Said once, not every tick: a restart then starts at the end of each file, as csf does.
            if !positionsSaveFailed { logger.error("*Error* cannot save the log positions: \(error)") }
            positionsSaveFailed = true
        }
    }

    /// Carries out a notice on the notify worker.
    static func deliver(_ notice: Notice, alerts: Alerts?, metrics: LfdMetrics? = nil) {
        switch notice {
        case .alert(let template, let values):
            if let sent = alerts?.send(template, values) { metrics?.alert(sent: sent) }
        case .mail(let template, var values, var to, let from, let abuseOf):
            if let ip = abuseOf {
                let contacts = AbuseContact.lookup(ip)
                if !contacts.isEmpty {
                    to = (to.trimmingWhitespace().isEmpty ? "root" : to) + "," + contacts.joined(separator: ",")
                    values["abuseip"] = AbuseContact.note(ip, contacts)
                }
            }
            if let sent = alerts?.send(template, values, to: to, from: from) { metrics?.alert(sent: sent) }
        case .report(let script, let arguments):
            guard FileSystem.isExecutableFile(script) else { return }
            // Detached and killed after 10 seconds, as csf runs them (reference §6.10).
            _ = Subprocess.spawnDetached(["/usr/bin/timeout", "-s", "KILL", "10", script] + arguments)
        }
    }
}

/// The Alerts value the notify worker uses; replaced on SIGHUP.
final class AlertsBox: Sendable {
    private let value = Mutex<Alerts?>(nil)

    var current: Alerts? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
