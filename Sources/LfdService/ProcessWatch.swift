#if canImport(Glibc)
import Glibc
#endif
import CSys
import CsfCompat
import LfdCore
import Logging
import NftKernel
import Synchronization

/// Process tracking in lfd (reference §4.1.19), on a thread of its own so reading /proc never holds up log
/// reading. The kernel's process events keep a count of processes per session, so PT_FORKBOMB acts on the fork
/// that reaches it; a /proc scan every PT_INTERVAL judges what needs ages and sizes (suspicious processes,
/// PT_USERPROC, PT_USERMEM, PT_USERRSS, PT_USERTIME, PT_DELETED, PT_SSHDHUNG). Every kill names the process by
/// pid and start time and goes through a pidfd: a pid reused in between is never hit.
final class ProcessWatch: @unchecked Sendable {
    struct Plan: Sendable {
        var settings = ProcessTracker.Settings()
        var ignore = ProcessIgnore()
        var interval = 60.0
        var deletedAction = ""
        var userAction = ""
    }

    private let plan = Mutex(Plan())
    private let wake: Int32 = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
    private let stopping = Atomic<Bool>(false)
    private let logger: Logger
    private let notify: @Sendable (Notice) -> Void
    private let worker = Worker(name: "process", capacity: 1)

    // The worker thread's own.
    private var tracker = ProcessTracker()
    private var table = ProcessTable()
    private var sessions = SessionCounter()
    private var events: ProcessEventSocket?
    /// Sessions being killed, until when: a process forked into one is killed on sight.
    private var condemned: [Int32: Double] = [:]
    /// When a session was last judged, so a big session that is no fork bomb (ignored processes) is not
    /// read from /proc on every fork.
    private var lastJudged: [Int32: (time: Double, count: Int)] = [:]
    private var nextScan = 0.0
    private var stale = false

    init(logger: Logger, notify: @escaping @Sendable (Notice) -> Void) {
        self.logger = logger
        self.notify = notify
    }

    /// Takes a new configuration (start-up, SIGHUP); the first call starts the thread.
    func configure(_ new: Plan) {
        plan.withLock { $0 = new }
        if !started && new.settings.enabled {
            started = true
            worker.submit { [self] in run() }
        }
        var one: UInt64 = 1
        _ = write(wake, &one, 8)
    }

    /// Set on the loop thread only.
    private var started = false

    func stop() {
        stopping.store(true, ordering: .relaxed)
        var one: UInt64 = 1
        _ = write(wake, &one, 8)
        worker.shutdown(waitingUpTo: 1)
    }

    // MARK: the thread

    private func run() {
        // A fork bomb takes every core it can get: this thread must still be scheduled to stop it.
        if setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(csys_gettid()), -10) != 0 {
            logger.warning("*WARNING* process tracking runs at normal priority: \(String(cString: strerror(errno)))")
        }
        openEvents()
        seedSessions()
        nextScan = SystemTime.monotonic + 2
        while !stopping.load(ordering: .relaxed) {
            let current = plan.withLock { $0 }
            tracker.settings = current.settings
            tracker.ignore = current.ignore
            var fds = [pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            if let events { fds.append(pollfd(fd: events.fd, events: Int16(POLLIN), revents: 0)) }
            let wait = current.settings.enabled ? max(0, min(1000, Int32((nextScan - SystemTime.monotonic) * 1000))) : 1000
            _ = poll(&fds, nfds_t(fds.count), wait)
            if fds[0].revents != 0 {
                var count: UInt64 = 0
                _ = read(wake, &count, 8)
            }
            guard current.settings.enabled else {
                // Turned off by a reload: the events are read and dropped (a readable socket left unread would
                // wake this loop at once, forever), and the counts are stale when it is turned on again.
                _ = events?.receive()
                stale = true
                continue
            }
            if stale {
                seedSessions()
                stale = false
            }
            if let events { handle(events.receive(), current) }
            if SystemTime.monotonic >= nextScan {
                scan(current)
                nextScan = SystemTime.monotonic + current.interval
            }
        }
    }

    private func openEvents() {
        if let inherited = Environment.value("NFTCSF_PROC_EVENTS_FD").flatMap(Int32.init), fcntl(inherited, F_GETFD) >= 0 {
            events = ProcessEventSocket(adopting: inherited)
        } else {
            do {
                events = try ProcessEventSocket()
            } catch {
                logger.warning("*WARNING* process events unavailable (\(error.description)); PT_FORKBOMB acts at the PT_INTERVAL scans")
                return
            }
        }
        logger.info("Watching process events...")
    }

    /// Sessions of every process in scope, from /proc (at start, and after lost events).
    private func seedSessions() {
        sessions.removeAll()
        let all = FileSystem.listDirectory(table.proc).compactMap { Int32($0) }
        var stats: [Int32: ProcessTable.Stat] = [:]
        for pid in all { if let st = table.stat(pid) { stats[pid] = st } }
        let parents = stats.mapValues(\.ppid)
        for (pid, st) in stats where table.scope.map({ ProcessTable.descends(pid, from: $0, parents: parents) }) ?? true {
            sessions.add(pid, session: st.sid)
        }
    }

    private func handle(_ batch: [ProcessEvent], _ current: Plan) {
        let now = SystemTime.monotonic
        condemned = condemned.filter { $0.value > now }
        if lastJudged.count > 64 { lastJudged = lastJudged.filter { now - $0.value.time < 60 } }
        var lost = false
        for event in batch {
            switch event {
            case .fork(let parent, let child):
                guard let sid = sessions.session(of: parent) ?? (parent == table.scope ? table.stat(child)?.sid : nil) else {
                    if table.scope == nil, let st = table.stat(child) { sessions.add(child, session: st.sid) }
                    continue
                }
                let count = sessions.add(child, session: sid)
                if condemned[sid] != nil {
                    kill(child, because: nil)
                } else if current.settings.forkBomb > 0, count >= current.settings.forkBomb, sid > 1, shouldJudge(sid, count: count) {
                    judgeSession(sid, count: count)
                }
            case .sessionStarted(let pid):
                sessions.startedSession(pid)
            case .exit(let pid):
                sessions.remove(pid)
            case .exec:
                break
            case .lost:
                lost = true
            }
        }
        // Once per batch, however many overflows it reports: /proc is read again, the counts start afresh.
        if lost {
            logger.warning("*WARNING* process events were lost (queue full); reading /proc again")
            seedSessions()
        }
    }

    /// A session the events say is large: read its processes and apply csf's rules (ignores, root included).
    /// Judged again once it grew by a quarter or 100 ms passed: members counted from events may have exited
    /// before /proc is read, and a session of ignored processes must not be read on every fork.
    private func shouldJudge(_ sid: Int32, count: Int) -> Bool {
        guard let last = lastJudged[sid] else { return true }
        return count * 4 >= last.count * 5 || SystemTime.monotonic - last.time >= 0.1
    }

    private func judgeSession(_ sid: Int32, count: Int) {
        lastJudged[sid] = (SystemTime.monotonic, count)
        let uptime = table.systemUptime()
        let members = sessions.members(sid).compactMap { table.facts($0, uptime: uptime) }
        if let finding = tracker.forkBomb(session: sid, members) { act(on: finding, plan: plan.withLock { $0 }) }
    }

    private func scan(_ current: Plan) {
        let processes = table.all()
        let connected = table.connectedSockets()
        // A process's descriptors are read once: its sockets decide, its other files go into the alert.
        var files: [Int32: [String]] = [:]
        let findings = tracker.review(processes, sockets: { p in
            let held = table.descriptors(p.pid, connected: connected)
            files[p.pid] = held.files
            return held.sockets
        }, now: SystemTime.wallSeconds)
        for finding in findings { act(on: finding, plan: current, files: files) }
    }

    // MARK: actions

    private func act(on finding: ProcessTracker.Finding, plan current: Plan, files: [Int32: [String]] = [:]) {
        logger.warning("\(finding.logLine)")
        switch finding {
        case .suspicious(let p, let sockets):
            let files = files[p.pid] ?? []
            var exe = p.exe
            if p.isDeleted {
                exe += "\n\nThe file system shows this process is running an executable file that has been deleted. This typically happens when the original file has been replaced by a new file when the application is updated. To prevent this being reported again, restart the process that runs this executable file. See csf.conf and the PT_DELETED text for more information about the security implications of processes running deleted executable files."
            }
            notify(.alert(template: "processtracking.txt", values: [
                "pid": "\(p.pid) (Parent PID:\(p.ppid))", "user": p.user, "uptime": "\(p.uptime)",
                "sockets": sockets.map(\.line).joined(separator: "\n"), "files": files.joined(separator: "\n"),
                "maps": table.maps(p.pid), "exe": exe, "cmdline": p.command]))
            if p.isDeleted, !current.deletedAction.isEmpty {
                notify(.report(script: current.deletedAction, arguments: [p.exe, "\(p.pid)", p.user, "\(p.ppid)"]))
                logger.info("Executed PT_DELETED_ACTION for PID:\(p.pid)")
            }
        case .excessive(let user, let processes, let kill):
            if kill { for p in processes { self.kill(p.identity, because: "PT_USERPROC") } }
            let verdict = kill ? "Killed" : "Not killed"
            if !kill || current.settings.userKillAlert {
                notify(.alert(template: "usertracking.txt", values: [
                    "user": user, "count": "\(processes.count) (\(verdict))", "kill": verdict,
                    "text": processes.map(\.userLine).joined(separator: "\n")]))
            }
            if !current.userAction.isEmpty {
                notify(.report(script: current.userAction, arguments: [processes.map { "\($0.pid)" }.joined(separator: ",")]))
            }
        case .resource(let p, let resource, let level, let kill, _):
            if kill { self.kill(p.identity, because: "PT_USER") }
            if !kill || current.settings.userKillAlert {
                notify(.alert(template: "resalert.txt", values: [
                    "user": p.user, "cmd": p.command, "exe": p.exe, "resource": resource, "level": level,
                    "kill": kill ? "Yes" : "No", "pid": "\(p.pid) (Parent PID:\(p.ppid))"]))
            }
            if !current.userAction.isEmpty { notify(.report(script: current.userAction, arguments: ["\(p.pid)"])) }
        case .forkBomb(let sid, let processes, _):
            condemned[sid] = SystemTime.monotonic + 5
            var killed = 0
            for p in processes where kill(p.identity, because: nil) { killed += 1 }
            // Processes forked since /proc was read: the events name them; kill on sight for 5 s.
            for pid in sessions.members(sid) { kill(pid, because: nil) }
            logger.warning("*PT_FORKBOMB* session \(sid): \(killed) process(es) killed")
            notify(.alert(template: "forkbombalert.txt", values: [
                "level": "\(current.settings.forkBomb)", "text": processes.map(\.sessionLine).joined(separator: "\n")]))
        case .sshdHung(let p):
            kill(p.identity, because: nil)
        }
    }

    /// SIGKILL to exactly this process; logged when `because` names the check.
    @discardableResult
    private func kill(_ identity: ProcessIdentity, because check: String?) -> Bool {
        guard table.contains(identity.pid) else { return false }
        let done = identity.signal(SIGKILL, procRoot: table.proc)
        if done, let check { logger.info("*\(check)* Process PID:[\(identity.pid)] killed") }
        return done
    }

    /// A process an event just named: its identity is read now (the pidfd makes the kill exact from there).
    private func kill(_ pid: Int32, because check: String?) {
        guard let st = table.stat(pid) else { return }
        kill(ProcessIdentity(pid: pid, startTime: st.startTime), because: check)
    }
}
