#if canImport(Glibc)
import Glibc
#endif

/// Lockout protection that outlives the CLI: a detached process that, unless cancelled in time, removes
/// the firewall (TESTING) or restores the ruleset that was live before `--confirm-within`.
public struct Watchdog {
    public enum Mode: String, Sendable, CaseIterable { case testing, confirm }

    public struct State: Sendable, Equatable {
        public var token: String
        public var pid: Int32
        public var deadline: Int
    }

    public let paths: CsfPaths

    public init(paths: CsfPaths) { self.paths = paths }

    public func statePath(_ mode: Mode) -> String { paths.lib("csf.\(mode.rawValue)") }
    public var rollbackPath: String { paths.lib("csf.rollback.nft") }

    public func state(_ mode: Mode) -> State? {
        guard let text = try? TextFile.read(statePath(mode)) else { return nil }
        let f = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard f.count >= 3, let pid = Int32(f[1]), let deadline = Int(f[2]) else { return nil }
        return State(token: String(f[0]), pid: pid, deadline: deadline)
    }

    /// Starts a watchdog that acts after `seconds`, replacing any earlier one of the same mode.
    public func arm(_ mode: Mode, seconds: Int) throws(CsfError) {
        cancel(mode)
        let token = String(UInt64.random(in: 1...UInt64.max), radix: 16)
        let deadline = Clock.wallSeconds + seconds
        // Written before the spawn so the child always finds its token.
        try FileSystem.writeAtomically(statePath(mode), "\(token) 0 \(deadline)\n")
        guard let pid = Subprocess.spawnDetached([Subprocess.currentExecutable, "--watchdog", mode.rawValue, token]) else {
            FileSystem.remove(statePath(mode))
            throw .io(path: Subprocess.currentExecutable, reason: "cannot start the \(mode.rawValue) watchdog")
        }
        try FileSystem.writeAtomically(statePath(mode), "\(token) \(pid) \(deadline)\n")
    }

    /// Stops a pending watchdog; returns whether one was pending.
    @discardableResult
    public func cancel(_ mode: Mode) -> Bool {
        guard let s = state(mode) else { return false }
        FileSystem.remove(statePath(mode))
        if s.pid > 0 { kill(s.pid, SIGTERM) }
        return true
    }

    /// The watchdog process body: sleep until the deadline, give up as soon as the token is withdrawn.
    public func wait(_ mode: Mode, token: String) -> Bool {
        while let s = state(mode), s.token == token {
            if Clock.wallSeconds >= s.deadline { return true }
            usleep(200_000)
        }
        return false
    }
}
