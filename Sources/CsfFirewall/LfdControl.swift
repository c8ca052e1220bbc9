#if canImport(Glibc)
import Glibc
#endif
import CsfCompat

/// `csf --lfd start|stop|restart|status` and `lfd --status`. Under systemd (and on the real root, not a
/// CSF_ROOT tree) start/stop/restart go through systemctl so the unit's state stays true; elsewhere lfd is
/// started and signalled directly.
public struct LfdControl {
    public let paths: CsfPaths
    /// Runs a command and returns its exit status (tests record it).
    let run: ([String]) -> Int32

    public init(paths: CsfPaths, run: @escaping ([String]) -> Int32 = LfdControl.runCommand) {
        self.paths = paths
        self.run = run
    }

    public enum Action: String, CaseIterable, Sendable { case start, stop, restart, status }

    public static func runCommand(_ argv: [String]) -> Int32 {
        if case .exited(let code) = Subprocess.run(argv, timeout: 60, quiet: true) { return code }
        return -1
    }

    /// What `status` reports; `running` false means no lfd holds its pid file.
    public struct Report: Encodable, Sendable {
        public var running: Bool
        public var pid: Int32?
        public var status: LfdStatus?
    }

    public func report() -> Report {
        guard let pid = LfdPidFile.running(paths) else { return Report(running: false, pid: nil, status: nil) }
        let status = (try? TextFile.read(LfdStatus.path(paths))).flatMap(LfdStatus.parse)
        return Report(running: true, pid: pid, status: status?.pid == pid ? status : nil)
    }

    public static func lines(_ r: Report) -> [String] {
        guard r.running, let pid = r.pid else { return ["lfd: not running"] }
        guard let s = r.status else { return ["lfd: running (pid \(pid)); it has not published its status yet"] }
        var out = ["lfd: running (pid \(pid)) since \(LocalTime.format(s.started, LocalTime.ctime))"]
        out.append("reads:")
        let width = s.sources.map(\.key.count).max() ?? 0
        for source in s.sources {
            let pad = String(repeating: " ", count: width - source.key.count)
            out.append("  \(source.key)\(pad)  \(source.reads)" + (source.note.map { "  (\($0))" } ?? ""))
        }
        out.append("tracking \(s.tracked) address(es); \(s.bansLastHour) ban(s) in the last hour")
        if !s.bans.isEmpty {
            out.append("last bans:")
            for ban in s.bans {
                let time = LocalTime.format(ban.time, LocalTime.ctime)
                out.append("  \(time)  \(ban.target)  \(ban.trigger)  \(ban.seconds.map { "\($0) s" } ?? "permanent")")
            }
        }
        return out
    }

    /// Starts, stops or restarts lfd; returns the lines to print.
    public func perform(_ action: Action, lfdBinary: String) throws(CsfError) -> [String] {
        if action == .status { return Self.lines(report()) }
        if usesSystemd {
            guard run(["/usr/bin/systemctl", action.rawValue, "lfd.service"]) == 0 else {
                throw .refused("csf: systemctl \(action.rawValue) lfd.service failed")
            }
            return ["lfd: \(action.rawValue) requested from systemd (systemctl status lfd shows it)"]
        }
        switch action {
        case .status: return Self.lines(report())   // handled above; the daemon publishes it under systemd too
        case .start: return try start(lfdBinary)
        case .stop: return try stop()
        case .restart: return try stop() + start(lfdBinary)
        }
    }

    /// systemd runs this host's services: only for the real root, never for a CSF_ROOT tree.
    var usesSystemd: Bool { paths.root == "/" && FileSystem.isDirectory("/run/systemd/system") }

    private func start(_ lfdBinary: String) throws(CsfError) -> [String] {
        if let pid = LfdPidFile.running(paths) { return ["lfd: already running (pid \(pid))"] }
        guard run([lfdBinary]) == 0 else { throw .refused("csf: lfd did not start; see \(paths.lfdLog)") }
        return ["lfd: started"]
    }

    private func stop() throws(CsfError) -> [String] {
        guard let pid = LfdPidFile.running(paths), pid > 0 else { return ["lfd: not running"] }
        kill(pid, SIGTERM)
        // lfd gives bans in flight up to 3 s to land; on a loaded host (an fsync behind a busy disk) its loop may
        // take longer to see the signal. 30 s, as init scripts wait, before calling it stuck.
        for _ in 0..<600 where LfdPidFile.running(paths) != nil { usleep(50_000) }
        guard LfdPidFile.running(paths) == nil else { throw .refused("csf: lfd (pid \(pid)) did not stop within 30 seconds") }
        return ["lfd: stopped"]
    }

    /// lfd installed beside csf (a build tree, the package), else /usr/sbin/lfd.
    public static var binary: String {
        let sibling = FileSystem.dirname(Subprocess.currentExecutable) + "/lfd"
        return FileSystem.isExecutableFile(sibling) ? sibling : "/usr/sbin/lfd"
    }
}
