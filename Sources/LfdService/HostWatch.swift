#if canImport(Glibc)
import Glibc
#endif
import CSys
import CsfCompat
import LfdCore
import Logging
import Synchronization

/// The file checks of lfd — LF_DIRWATCH, LF_DIRWATCH_FILE, LF_INTEGRITY — on one thread of their own: a walk of
/// a large /tmp or the hashing of /usr/bin never holds up log reading. Each check owns an inotify descriptor and
/// says when it next needs the thread; the loop thread hands new plans over on start-up and SIGHUP.
final class HostWatch: @unchecked Sendable {
    struct Plan: Sendable {
        var directories = DirectoryWatch.Plan()
        var entries = EntryWatch.Plan()
        var integrity = IntegrityWatch.Plan()

        var enabled: Bool { directories.enabled || entries.enabled || integrity.enabled }
    }

    private let plan = Mutex<(generation: Int, value: Plan)>((0, Plan()))
    private let wake: Int32 = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
    private let stopping = Atomic<Bool>(false)
    private let worker = Worker(name: "files", capacity: 1)
    private var started = false

    // The thread's own.
    private let directories: DirectoryWatch
    private let entries: EntryWatch
    private let integrity: IntegrityWatch

    init(logger: Logger, notify: @escaping @Sendable (Notice) -> Void) {
        directories = DirectoryWatch(logger: logger, notify: notify)
        entries = EntryWatch(logger: logger, notify: notify)
        integrity = IntegrityWatch(logger: logger, notify: notify)
    }

    func configure(_ new: Plan) {
        plan.withLock { $0 = ($0.generation + 1, new) }
        if !started && new.enabled {
            started = true
            worker.submit { [self] in run() }
        }
        var one: UInt64 = 1
        _ = write(wake, &one, 8)
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        var one: UInt64 = 1
        _ = write(wake, &one, 8)
        worker.shutdown(waitingUpTo: 1)
    }

    private func run() {
        var applied = 0
        while !stopping.load(ordering: .relaxed) {
            let (generation, current) = plan.withLock { $0 }
            if generation != applied {
                applied = generation
                let now = SystemTime.monotonic
                directories.apply(current.directories, now: now)
                entries.apply(current.entries, now: now)
                integrity.apply(current.integrity, now: now)
            }
            let checks: [(fd: Int32, due: Double)] = [(directories.fd, directories.nextDue), (entries.fd, entries.nextDue),
                                                      (integrity.fd, integrity.nextDue)]
            var fds = [pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            for check in checks { fds.append(pollfd(fd: check.fd, events: Int16(POLLIN), revents: 0)) }
            let due = checks.map(\.due).min() ?? .infinity
            let wait = max(0, min(60_000, due.isFinite ? Int32((due - SystemTime.monotonic) * 1000) : 60_000))
            _ = poll(&fds, nfds_t(fds.count), wait)
            if fds[0].revents != 0 {
                var count: UInt64 = 0
                _ = read(wake, &count, 8)
            }
            let now = SystemTime.monotonic
            directories.run(now: now, readable: fds[1].revents != 0)
            entries.run(now: now, readable: fds[2].revents != 0)
            integrity.run(now: now, readable: fds[3].revents != 0)
        }
    }
}
