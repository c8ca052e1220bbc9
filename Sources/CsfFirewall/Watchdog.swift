#if canImport(Glibc)
import Glibc
#endif
import CsfCompat

/// Lockout protection that outlives the CLI: a detached process that, unless cancelled in time, removes
/// the firewall (TESTING) or restores the ruleset that was live before `--confirm-within`.
///
/// The state file (`/var/lib/csf/csf.testing`, `csf.confirm`) holds `token pid starttime deadline`. The
/// watchdog gives up as soon as its token leaves the file; cancelling also signals it, but only when pid and
/// start time still name that process (a stale file after a reboot must never make csf signal a stranger).
public struct Watchdog {
    public enum Mode: String, Sendable, CaseIterable { case testing, confirm }

    public struct State: Sendable, Equatable {
        public var token: String
        /// nil while the watchdog is being started, or for a state file written by an older version.
        public var process: ProcessIdentity?
        public var deadline: Int
    }

    /// What the rollback file holds when there was no table to go back to.
    public static let noTable = "none\n"

    public let paths: CsfPaths
    let launch: ([String]) -> Int32?
    let clock: () -> Int

    public init(paths: CsfPaths, launch: @escaping ([String]) -> Int32? = { Subprocess.spawnDetached($0) },
                clock: @escaping () -> Int = { SystemTime.wallSeconds }) {
        self.paths = paths
        self.launch = launch
        self.clock = clock
    }

    public func statePath(_ mode: Mode) -> String { paths.lib("csf.\(mode.rawValue)") }
    public var rollbackPath: String { paths.lib("csf.rollback.nft") }
    /// The settings of the ruleset a confirm rollback goes back to.
    public var rollbackConfigPath: String { paths.lib("csf.rollback.conf") }
    /// csf.conf's text to write back on a rollback (only a web UI edit saves it).
    public var rollbackSettingsFilePath: String { paths.lib("csf.rollback.csf.conf") }
    /// The settings of the ruleset running now (written by every start).
    public var appliedConfigPath: String { paths.lib("csf.applied.conf") }

    public func state(_ mode: Mode) -> State? {
        guard let text = try? TextFile.read(statePath(mode)) else { return nil }
        return Self.parse(text)
    }

    static func parse(_ text: String) -> State? {
        let f = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        switch f.count {
        case 4...:
            guard let pid = Int32(f[1]), let start = UInt64(f[2]), let deadline = Int(f[3]) else { return nil }
            return State(token: String(f[0]), process: pid > 0 ? ProcessIdentity(pid: pid, startTime: start) : nil, deadline: deadline)
        case 3:
            guard let deadline = Int(f[2]) else { return nil }
            return State(token: String(f[0]), process: nil, deadline: deadline)
        default:
            return nil
        }
    }

    static func text(_ s: State) -> String {
        "\(s.token) \(s.process?.pid ?? 0) \(s.process?.startTime ?? 0) \(s.deadline)\n"
    }

    /// Starts a watchdog that acts after `seconds`, replacing any earlier one of the same mode.
    public func arm(_ mode: Mode, seconds: Int) throws(CsfError) {
        cancel(mode)
        var state = State(token: String(UInt64.random(in: 1...UInt64.max), radix: 16), process: nil, deadline: clock() + seconds)
        // Written before the spawn so the child always finds its token.
        try FileSystem.writeAtomically(statePath(mode), Self.text(state))
        guard let pid = launch([Subprocess.currentExecutable, "--watchdog", mode.rawValue, state.token]) else {
            FileSystem.remove(statePath(mode))
            throw .io(path: Subprocess.currentExecutable, reason: "cannot start the \(mode.rawValue) watchdog")
        }
        state.process = ProcessIdentity.of(pid)
        try FileSystem.writeAtomically(statePath(mode), Self.text(state))
    }

    /// Stops a pending watchdog; returns whether one was pending.
    @discardableResult
    public func cancel(_ mode: Mode) -> Bool {
        guard let s = state(mode) else { return false }
        FileSystem.remove(statePath(mode))
        s.process?.signal(SIGTERM)
        return true
    }

    /// The watchdog process body: sleep until the deadline, give up as soon as the token is withdrawn.
    public func wait(_ mode: Mode, token: String, poll: () -> Void = { usleep(200_000) }) -> Bool {
        while let s = state(mode), s.token == token {
            if clock() >= s.deadline { return true }
            poll()
        }
        return false
    }
}
