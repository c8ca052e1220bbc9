#if canImport(Glibc)
import Glibc
#endif
import CSys

/// A process named by more than its pid: the pid and the kernel's start time (field 22 of /proc/PID/stat, in
/// clock ticks since boot). A pid is reused after its process exits; the pair never is, so a stale pid file
/// can never make us signal a stranger.
public struct ProcessIdentity: Sendable, Hashable, CustomStringConvertible {
    public var pid: Int32
    public var startTime: UInt64

    public init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// The process running as `pid` now, nil when there is none. `procRoot` is for tests.
    public static func of(_ pid: Int32, procRoot: String = "/proc") -> ProcessIdentity? {
        guard pid > 0, let stat = try? TextFile.read("\(procRoot)/\(pid)/stat"), let start = startTime(statLine: stat) else { return nil }
        return ProcessIdentity(pid: pid, startTime: start)
    }

    /// Field 22 of a /proc/PID/stat line. The command name (field 2) is in parentheses and may itself hold
    /// spaces and parentheses, so fields are counted from the last ')'.
    public static func startTime(statLine: String) -> UInt64? {
        guard let close = statLine.lastIndex(of: ")") else { return nil }
        let fields = statLine[statLine.index(after: close)...].split(separator: " ")
        // After ')' come fields 3, 4, ...: field 22 is the 20th.
        guard fields.count >= 20 else { return nil }
        return UInt64(fields[19])
    }

    /// Whether this very process is still running.
    public var isAlive: Bool { Self.of(pid) == self }

    /// Sends `signal` only when the pid still names this process; returns whether it was sent. Exact: the
    /// pidfd is opened first and the start time checked after, so the signal goes to this process or to none,
    /// even if it exits and its pid is reused in between. `procRoot` is for tests.
    @discardableResult
    public func signal(_ signal: Int32, procRoot: String = "/proc") -> Bool {
        let fd = csys_pidfd_open(pid)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard Self.of(pid, procRoot: procRoot) == self else { return false }
        return csys_pidfd_send_signal(fd, signal) == 0
    }

    public var description: String { "\(pid)@\(startTime)" }
}
