#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import Logging

/// A helper program lfd keeps running as its child (the fleet follower, the messenger): its stdin is a pipe from
/// lfd, whose end of file tells it lfd is gone; if it dies it is started again, at most every 10 seconds; it is
/// stopped with SIGTERM, then SIGKILL after a second.
final class ChildProcess {
    let label: String
    let logger: Logger
    private(set) var pid: pid_t = 0
    /// lfd's end of the child's stdin (non-blocking: a child that stops reading never stalls lfd).
    private(set) var input: Int32 = -1
    private var argv: [String] = []
    private var environment: [String: String] = [:]
    private var lastStart = -Double.infinity
    static let restartPause = 10.0

    /// A file the child's own messages are appended to (its stderr), nil for none.
    let errorLog: String?

    init(label: String, logger: Logger, errorLog: String? = nil) {
        self.label = label
        self.logger = logger
        self.errorLog = errorLog
    }

    var isRunning: Bool { pid > 0 }

    /// Starts `argv` (stopping what runs now); false, logged, when it cannot be started.
    @discardableResult
    func start(_ argv: [String], environment: [String: String] = [:], now: Double) -> Bool {
        stop()
        self.argv = argv
        self.environment = environment
        return spawn(now: now)
    }

    /// Called every tick: a child that died is started again, at most every `restartPause` seconds.
    func supervise(now: Double) {
        guard !argv.isEmpty else { return }
        if pid > 0 {
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return }
            logger.warning("*WARNING* \(label) (\(argv[0])) stopped (status \(status)); starting it again")
            pid = 0
            closeInput()
        }
        if now - lastStart >= Self.restartPause { spawn(now: now) }
    }

    @discardableResult
    private func spawn(now: Double) -> Bool {
        lastStart = now
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let errors = errorLog.map { open($0, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600) } ?? -1
        defer { if errors >= 0 { close(errors) } }
        guard let child = Subprocess.spawnChild(argv, input: fds[0], extraEnvironment: environment.merging(["LFD_PID": "\(getpid())"]) { $1 },
                                                errors: errors >= 0 ? errors : nil) else {
            logger.error("*Error* \(label): cannot start \(argv[0]): \(String(cString: strerror(errno)))")
            close(fds[0])
            close(fds[1])
            return false
        }
        close(fds[0])
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        pid = child
        input = fds[1]
        return true
    }

    /// Stops the child and forgets it (no restart until `start` again).
    func stop() {
        argv = []
        closeInput()
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<20 {
            if waitpid(pid, &status, WNOHANG) == pid { pid = 0; return }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        pid = 0
    }

    /// One line to the child's stdin; false when it did not fit (the child is not keeping up) or none runs.
    func send(_ line: String) -> Bool {
        guard input >= 0 else { return false }
        let bytes = Array((line + "\n").utf8)
        return bytes.withUnsafeBytes { write(input, $0.baseAddress, $0.count) } == bytes.count
    }

    private func closeInput() {
        if input >= 0 { close(input) }
        input = -1
    }
}
