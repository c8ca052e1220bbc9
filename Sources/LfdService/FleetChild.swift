#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import CsfFirewall
import LfdCore
import Logging

/// lfd's part in the fleet (issue 19): with `CLUSTER_DB` set it keeps `csf-fleet follow` running as its child —
/// the follower applies other nodes' decisions and holds the database connection, so lfd itself links no database
/// client — and, with CLUSTER_BLOCK, hands it lfd's own blocks to share, one cluster command per line on the
/// child's stdin (`action TAB target TAB ttl TAB ports TAB direction TAB reason`). The child reads lfd's end of file
/// as lfd's exit and stops with it.
final class FleetChild {
    private var pid: pid_t = 0
    private var input: Int32 = -1
    private var settings = ""
    private var lastStart = -Double.infinity
    private var share = false
    private var inboundOnly = false
    let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// The settings the child was started with; a SIGHUP that changes them restarts it.
    static func settings(_ config: CsfConfig) -> String {
        ["CLUSTER_DB", "CLUSTER_DB_PASSFILE", "CLUSTER_RECVFROM", "CLUSTER_SENDTO", "CLUSTER_MASTER"].map { config[$0] }.joined(separator: "\n")
    }

    func configure(_ config: CsfConfig, now: Double) {
        share = config.bool("CLUSTER_BLOCK")
        inboundOnly = config.bool("LF_BLOCKINONLY")
        let wanted = config["CLUSTER_DB"].isEmpty ? "" : Self.settings(config)
        guard wanted != settings else { return }
        stop()
        settings = wanted
        if !wanted.isEmpty { start(now: now) }
    }

    /// Called every tick: a child that died is started again, at most every 10 seconds.
    func supervise(now: Double) {
        guard !settings.isEmpty else { return }
        if pid > 0 {
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return }
            logger.warning("*WARNING* Fleet: the follower (csf-fleet) stopped (status \(status)); starting it again")
            pid = 0
            closeInput()
        }
        if now - lastStart >= 10 { start(now: now) }
    }

    private func start(now: Double) {
        lastStart = now
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let program = ClusterVerb.fleetProgram(beside: Subprocess.currentExecutable)
        guard let child = Subprocess.spawnChild([program, "follow"], input: fds[0], extraEnvironment: ["LFD_PID": "\(getpid())"]) else {
            logger.error("*Error* Fleet: cannot start \(program): \(String(cString: strerror(errno)))")
            close(fds[0])
            close(fds[1])
            return
        }
        close(fds[0])
        // A full pipe (the database away for long) drops a share rather than stalling lfd's loop.
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        pid = child
        input = fds[1]
        logger.info("Fleet: following the fleet database as \(((try? ClusterDatabase.parse(settings.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""))?.nodeName) ?? "?")")
    }

    func stop() {
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

    private func closeInput() {
        if input >= 0 { close(input) }
        input = -1
    }

    /// CLUSTER_BLOCK: lfd's own block goes to the fleet. Not login-tracking blocks (csf's rule), not per-port
    /// permanent blocks (advanced filters stay local); blocks that came from the fleet never pass here.
    func share(_ b: FailureTracker.Block, message: String) {
        guard share, input >= 0, b.account == nil, !b.trigger.hasPrefix("LT_") else { return }
        let target = b.network?.description ?? b.ip.description
        let ports = b.ports ?? ""
        if b.seconds == nil, !ports.isEmpty { return }
        let direction = ports.isEmpty && !inboundOnly ? "inout" : "in"
        let fields = [b.seconds == nil ? "deny" : "tempdeny", target, "\(b.seconds ?? 0)", ports, direction, message]
        let line = fields.map(Self.oneLine).joined(separator: "\t")
        let bytes = Array((line + "\n").utf8)
        let n = bytes.withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
        if n != bytes.count { logger.warning("*WARNING* Fleet: the follower is not keeping up; \(target) was not shared") }
    }

    /// A field without the separators (tab, newline) or any other control character.
    static func oneLine(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.value < 32 || $0.value == 127 ? " " : Character($0) })
    }
}
