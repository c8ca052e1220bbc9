#if canImport(Glibc)
import Glibc
#endif
import CNftShim

/// The login failure daemon: follows the configured logs, runs the detectors on every new line, counts,
/// and blocks in-process. One thread: an event loop on inotify and a signalfd, with a periodic tick every
/// LF_PARSE seconds for expiry and housekeeping.
public final class LfdDaemon {
    public let paths: CsfPaths
    let log: LfdLog
    private var config = CsfConfig()
    private var classifier = LineClassifier(rules: [])
    /// One classifier per log key: each file's lines only meet the rules that read it.
    private var byKey: [String: LineClassifier] = [:]
    private var tracker: FailureTracker
    private var ignore = IgnoreList(hosts: [], networks: [])
    private var rignore = ReverseLookup(entries: [])
    private var blocker: Blocker?
    private var tailer: LogTailer?
    private var journals: [JournalSource] = []
    private var pidLock: Int32 = -1
    private var host = HostAddresses()
    /// Logged packets (NFLOG) for PS_*, UID_* and PORTKNOCKING_ALERT; nil when none of them is on.
    private var nflog: NflogSocket?
    private var packets = PacketLogTracker(settings: .init())
    private var connections = ConnectionTracker(settings: .init())
    private var lastConnectionCheck = 0.0
    /// Addresses lfd blocked for port scans or connections, so a scan still in flight (or connections
    /// conntrack still lists) do not block them again.
    private var recentBlocks: [String: Int] = [:]

    public init(paths: CsfPaths) {
        self.paths = paths
        self.log = LfdLog(path: paths.lfdLog)
        self.tracker = FailureTracker(settings: .init(interval: 3600, threshold: { _ in 0 }, perm: { _ in 1 }))
    }

    public var pidFile: String { paths.path("/var/run/lfd.pid") }

    /// Why lfd must not run, as csf's lfd says it; nil when it may.
    public static func refusal(paths: CsfPaths, config: CsfConfig) -> String? {
        if TextFile.exists(paths.disableMarker) { return "csf and lfd have been disabled" }
        if TextFile.exists(paths.errorMarker) { return "*Error* csf reported an error on its last start (\(paths.errorMarker)); lfd will not run" }
        if config.int("LF_DAEMON") != 1 { return "*Error* LF_DAEMON is not enabled in \(paths.config)" }
        if config.bool("TESTING") { return "*Error* lfd will not run with TESTING enabled in \(paths.config)" }
        return nil
    }

    // MARK: lifecycle

    /// Runs until SIGTERM/SIGINT; returns the exit code.
    public func run() -> Int32 {
        do {
            try load(initial: true)
        } catch {
            log.write("*Error* \(error.description)")
            Output.err("lfd: \(error.description)")
            return 1
        }
        if let why = Self.refusal(paths: paths, config: config) {
            log.write(why)
            Output.err("lfd: \(why)")
            return 1
        }
        guard takePidFile() else {
            Output.err("lfd: already running (\(pidFile) is locked)")
            return 1
        }
        defer { FileSystem.remove(pidFile) }
        NetlinkSetWriter.deferCloseAfterDeletes = false
        var mask = sigset_t()
        sigemptyset(&mask)
        for s in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&mask, s) }
        sigprocmask(SIG_BLOCK, &mask, nil)
        let sfd = signalfd(-1, &mask, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
        guard sfd >= 0, let tailer else { return 1 }
        log.write("[STARTUP] lfd \(NftFirewallVersion.string) started, \(classifier.rules.count) detectors, watching \(tailer.watchedPaths.count) file(s) and \(journals.count) journal source(s)")
        SystemdNotify.send("READY=1\nSTATUS=watching \(tailer.watchedPaths.count) log file(s)")
        var lastTick = Clock.now
        while true {
            let tickEvery = Double(max(1, config.int("LF_PARSE")))
            var fds = [pollfd(fd: self.tailer?.inotifyFD ?? -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: sfd, events: Int16(POLLIN), revents: 0)]
            for j in journals { fds.append(pollfd(fd: j.fd, events: Int16(POLLIN), revents: 0)) }
            if let nflog { fds.append(pollfd(fd: nflog.fd, events: Int16(POLLIN), revents: 0)) }
            let wait = max(0, Int32((lastTick + tickEvery - Clock.now) * 1000))
            _ = poll(&fds, nfds_t(fds.count), min(wait, 1000))
            if fds[1].revents != 0, let signal = readSignal(sfd) {
                if signal == SIGHUP {
                    reload()
                } else {
                    log.write("[SHUTDOWN] Daemon stopped")
                    SystemdNotify.send("STOPPING=1")
                    return 0
                }
            }
            process(self.tailer?.poll(now: Clock.now) ?? [])
            for j in journals { process(j.poll()) }
            if let nflog { process(nflog.receive()) }
            if Clock.now - lastTick >= tickEvery {
                lastTick = Clock.now
                tick()
            }
        }
    }

    private func readSignal(_ fd: Int32) -> Int32? {
        var info = signalfd_siginfo()
        let n = withUnsafeMutableBytes(of: &info) { Glibc.read(fd, $0.baseAddress, $0.count) }
        return n == MemoryLayout<signalfd_siginfo>.size ? Int32(info.ssi_signo) : nil
    }

    /// Another lfd holds the pid file's lock.
    public var isRunning: Bool {
        let fd = open(pidFile, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return flock(fd, LOCK_EX | LOCK_NB) != 0
    }

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

    /// Reads csf.conf, the rules and the ignore lists. On SIGHUP the counters survive; the log readers are
    /// rebuilt only when the set of files changes.
    func load(initial: Bool) throws(CsfError) {
        let (config, diagnostics) = ConfigParser.load(paths.config)
        if diagnostics.contains(where: { $0.severity == .error }) { throw .invalidInput(diagnostics) }
        let (custom, customDiagnostics) = CustomRules.load(CustomRules.path(paths))
        if customDiagnostics.contains(where: { $0.severity == .error }) { throw .invalidInput(customDiagnostics) }
        self.config = config
        classifier = LineClassifier(rules: custom + LineClassifier.enabled(BuiltinRules.all, config: config))
        byKey = [:]
        for key in Set(classifier.rules.flatMap(\.logKeys)) {
            byKey[key] = LineClassifier(rules: classifier.rules.filter { $0.logKeys.contains(key) })
        }
        host = HostAddresses.current()
        ignore = IgnoreList(paths: paths, config: config, host: host)
        rignore = ReverseLookup.load(paths)
        let settings = FailureTracker.Settings(config: config)
        if initial { tracker = FailureTracker(settings: settings) } else { tracker.update(settings) }
        blocker = Blocker(commands: try ListCommands(paths: paths), log: log, alerts: Alerts(paths: paths, config: config, log: log))
        let files = Self.logFiles(classifier.rules, config: config)
        if initial || Set(files.keys) != Set(tailer?.watchedPaths ?? []) {
            tailer = try LogTailer(files: files, floodLimit: max(1, config.int("LF_PARSE")) * 1000, log: { [log] in log.write($0) })
        }
        openPacketLog(config)
        connections = ConnectionTracker(settings: .init(config: config))
        let wanted = Self.journalSources(classifier.rules, config: config)
        if initial || Set(wanted.keys) != Set(journals.map(\.spec)) {
            var opened: [JournalSource] = []
            for (spec, keys) in wanted.sorted(by: { $0.key < $1.key }) {
                opened.append(try JournalSource(value: spec, keys: keys))
                log.write("Watching \(spec)...")
            }
            journals = opened
        }
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
            if settings.wantsPackets { log.write("*WARNING* PS_INTERVAL/UID_INTERVAL/PORTKNOCKING_ALERT need NFLOG_GROUP; not tracking packets") }
            nflog = nil
            return
        }
        if nflog?.group != UInt16(group) {
            // Another listener (ulogd…) may own the group: lfd keeps running its other checks and says why.
            do {
                nflog = try NflogSocket(group: UInt16(group))
                log.write("Watching NFLOG group \(group) for logged packets...")
            } catch {
                nflog = nil
                log.write("*Error* NFLOG group \(group): \(error.description) - port scan, UID and knock tracking are off")
            }
        }
    }

    private func reload() {
        do {
            try load(initial: false)
            log.write("[STATUS] SIGHUP: configuration, rules and lists reloaded")
        } catch {
            log.write("*Error* SIGHUP reload failed, keeping the previous configuration: \(error.description)")
        }
    }

    /// Every file a log key of an enabled rule names (globs expanded), with the keys it serves.
    static func logFiles(_ rules: [FailureRule], config: CsfConfig) -> [String: [String]] {
        var files: [String: [String]] = [:]
        for key in Set(rules.flatMap(\.logKeys)).sorted() {
            let value = config[key].trimmingWhitespace()
            guard !value.isEmpty, !value.hasPrefix("journal:") else { continue }
            for path in expandGlob(value) where !(files[path]?.contains(key) ?? false) {
                files[path, default: []].append(key)
            }
        }
        return files
    }

    /// Log keys read from the journal (`KEY = "journal:..."`), grouped by source.
    static func journalSources(_ rules: [FailureRule], config: CsfConfig) -> [String: [String]] {
        var sources: [String: [String]] = [:]
        for key in Set(rules.flatMap(\.logKeys)).sorted() {
            let value = config[key].trimmingWhitespace()
            if value.hasPrefix("journal:") { sources[value, default: []].append(key) }
        }
        return sources
    }

    static func expandGlob(_ pattern: String) -> [String] {
        guard pattern.contains(where: { "*?[".contains($0) }) else { return [pattern] }
        var g = glob_t()
        defer { globfree(&g) }
        guard glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }
    }

    // MARK: work

    func process(_ lines: [LogTailer.Line]) {
        let now = Clock.wallSeconds
        for line in lines {
            for key in line.keys {
                guard let d = byKey[key]?.classify(line.text, logKey: nil) else { continue }
                if ignore.ignores(d.ip) || rignore.match(d.ip) != nil {
                    log.write("\(d.rule.text) \(d.ip) - ignored")
                } else {
                    if let block = tracker.record(d, now: now, line: line.text) { blocker?.block(block) }
                    if config.bool("LF_DISTATTACK") {
                        for block in tracker.recordDistributed(d, now: now, uniqueAddresses: config.int("LF_DISTATTACK_UNIQ")) {
                            blocker?.block(block)
                        }
                    }
                }
                break
            }
        }
    }

    func process(_ logged: [LoggedPacket]) {
        let now = Clock.wallSeconds
        for p in logged {
            switch packets.record(p, now: now, isLocal: host.isLocal, ignores: { [ignore] in ignore.ignores($0) }) {
            case .portScan(let block)?:
                blockOnce(block, now: now)
            case .uidScan(let uid, let count, let ports)?:
                let user = Accounts.name(ofUID: uid) ?? "unknown"
                log.write("[STATUS] *UID Tracking* \(count) blocks for UID \(uid) (\(user))")
                blocker?.alerts?.send("uidscan.txt", ["uid": "\(uid) (\(user))", "count": "\(count)",
                                                      "ports": ports.map(String.init).joined(separator: ",")])
            case .knockOpened(let port, let ip)?:
                log.write("*Port Knocking* port \(port) opened by \(ip) (-)")
                blocker?.alerts?.send("portknocking.txt", ["ip": "\(ip) (-)", "port": "\(port)"])
            case nil:
                break
            }
        }
    }

    private func blockOnce(_ block: FailureTracker.Block, now: Int) {
        let key = block.network?.description ?? block.ip.description
        recentBlocks = recentBlocks.filter { now - $0.value < 600 }
        guard recentBlocks[key] == nil else { return }
        recentBlocks[key] = now
        blocker?.block(block)
    }

    /// CT_LIMIT: one conntrack dump every CT_INTERVAL.
    private func checkConnections() {
        let s = connections.settings
        guard s.limit > 0 || s.subnetLimit > 0, Clock.now - lastConnectionCheck >= Double(s.interval) else { return }
        lastConnectionCheck = Clock.now
        do {
            var counts: [IPAddress: Int] = [:]
            try ConntrackTable.dump { [connections, host] in connections.count($0, into: &counts, isLocal: host.isLocal) }
            let now = Clock.wallSeconds
            for block in connections.blocks(counts, ignores: { [ignore] in ignore.ignores($0) }) {
                blockOnce(block, now: now)
            }
        } catch {
            log.write("*Error* CT_LIMIT: \(error.description)")
        }
    }

    private func tick() {
        SystemdNotify.send("WATCHDOG=1")
        checkConnections()
        tracker.prune(now: Clock.wallSeconds)
        guard let commands = blocker?.commands, let gone = try? commands.expireTemporary() else { return }
        for (kind, entry) in gone {
            let what = kind == .deny ? "block" : "allow"
            for inbound in [true, false] where inbound ? entry.direction.inbound : entry.direction.outbound {
                let ports = entry.ports.isEmpty ? [""] : entry.ports.map { ":\($0.port)" }
                for p in ports {
                    log.write("\(inbound ? "Incoming" : "Outgoing") IP \(entry.target)\(p) temporary \(what) removed")
                }
            }
            if kind == .deny {
                let script = commands.config["UNBLOCK_REPORT"]
                if entry.ports.isEmpty { Blocker.runReport(script, [entry.target.description]) }
                for p in entry.ports { Blocker.runReport(script, [entry.target.description, String(p.port)]) }
            }
        }
    }
}

extension FailureTracker {
    /// SIGHUP: new thresholds and window, same counters.
    mutating func update(_ settings: Settings) {
        self = FailureTracker(settings: settings, capacity: capacity, keeping: self)
    }
}

/// sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET.
public enum SystemdNotify {
    public static func send(_ state: String) {
        guard let path = Environment.value("NOTIFY_SOCKET"), !path.isEmpty else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == 64 { bytes[0] = 0 }   // abstract socket
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard bytes.count < capacity else { return }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        _ = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                state.withCString { sendto(fd, $0, strlen($0), 0, sa, length) }
            }
        }
    }
}
