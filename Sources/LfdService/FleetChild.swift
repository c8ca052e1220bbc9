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
    private let child: ChildProcess
    private var settings = ""
    private var share = false
    private var inboundOnly = false
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
        child = ChildProcess(label: "Fleet: the follower", logger: logger)
    }

    /// The settings the child was started with; a SIGHUP that changes them restarts it.
    static func settings(_ config: CsfConfig) -> String {
        ["CLUSTER_DB", "CLUSTER_DB_PASSFILE", "CLUSTER_RECVFROM", "CLUSTER_SENDTO", "CLUSTER_MASTER"].map { config[$0] }.joined(separator: "\n")
    }

    func configure(_ config: CsfConfig, now: Double) {
        share = config.bool("CLUSTER_BLOCK")
        inboundOnly = config.bool("LF_BLOCKINONLY")
        let wanted = config["CLUSTER_DB"].isEmpty ? "" : Self.settings(config)
        guard wanted != settings else { return }
        child.stop()
        settings = wanted
        guard !wanted.isEmpty else { return }
        let program = ClusterVerb.fleetProgram(beside: Subprocess.currentExecutable)
        if child.start([program, "follow"], now: now) {
            let node = (try? ClusterDatabase.parse(config["CLUSTER_DB"]))?.nodeName ?? "?"
            logger.info("Fleet: following the fleet database as \(node)")
        }
    }

    /// Called every tick: a follower that died is started again.
    func supervise(now: Double) { child.supervise(now: now) }

    func stop() { child.stop() }

    /// CLUSTER_BLOCK: lfd's own block goes to the fleet. Not login-tracking blocks (csf's rule), not per-port
    /// permanent blocks (advanced filters stay local); blocks that came from the fleet never pass here.
    func share(_ b: FailureTracker.Block, message: String) {
        guard share, child.isRunning, b.account == nil, !b.trigger.hasPrefix("LT_") else { return }
        let target = b.network?.description ?? b.ip.description
        let ports = b.ports ?? ""
        if b.seconds == nil, !ports.isEmpty { return }
        let direction = ports.isEmpty && !inboundOnly ? "inout" : "in"
        let fields = [b.seconds == nil ? "deny" : "tempdeny", target, "\(b.seconds ?? 0)", ports, direction, message]
        // A full pipe (the database away for long) drops a share rather than stalling lfd's loop.
        if !child.send(fields.map(Self.oneLine).joined(separator: "\t")) { logger.warning("*WARNING* Fleet: the follower is not keeping up; \(target) was not shared") }
    }

    /// A field without the separators (tab, newline) or any other control character.
    static func oneLine(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.value < 32 || $0.value == 127 ? " " : Character($0) })
    }
}
