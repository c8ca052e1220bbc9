import CsfCompat
import Prometheus
import Synchronization

/// The follower's counters for the metrics endpoint. csf-fleet is lfd's child, not its thread: it writes them
/// to a file of its own (`/var/lib/csf/csf.fleet.prom`) that lfd adds to each scrape while it is fresh.
public final class FleetMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let path: String

    public init(paths: CsfPaths) { path = paths.lib("csf.fleet.prom") }

    enum Result: String { case received, applied, unchanged, refused }

    func count(_ result: Result, _ n: Int = 1) {
        guard n > 0 else { return }
        registry.makeCounter(name: "nftcsf_fleet_decisions_total", labels: [("result", result.rawValue)],
                             help: "Fleet decisions from other nodes: received, then applied, unchanged or refused").increment(by: Int64(n))
    }

    func tally(_ outcome: FleetApplier.Outcome) {
        switch outcome {
        case .applied, .ignoreChanged, .pushed, .reply: count(.applied)
        case .unchanged: count(.unchanged)
        case .refused: count(.refused)
        case .busy: break
        }
    }

    /// The follower's position: decisions in the database it has not applied, and whether it is connected.
    func position(behind: Int64, connected: Bool) {
        registry.makeGauge(name: "nftcsf_fleet_lag_decisions", help: "Decisions in the fleet database this node has not applied yet")
            .set(to: Double(max(0, behind)))
        registry.makeGauge(name: "nftcsf_fleet_connected", help: "1 while the fleet follower is connected to its database")
            .set(to: connected ? 1 : 0)
    }

    func write() {
        try? FileSystem.writeAtomically(path, bytes: registry.emitToBuffer(), mode: 0o644, sync: false)
    }
}
