#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import CsfFirewall

/// METRICS: lfd answers scrapes on its local socket (csf-ui serves them over HTTP) and, with METRICS_TEXTFILE,
/// leaves the same text for node_exporter's textfile collector every LF_PARSE seconds.
extension LfdDaemon {
    func configureMetrics(_ config: CsfConfig) {
        metricsSocket?.shutdown()
        metricsSocket = nil
        guard config.bool("METRICS") else { return }
        let account = config["UI_RUNAS"].trimmingWhitespace()
        let group = Accounts.primaryGroup(of: account)
        switch MetricsSocket.open(path: paths.metricsSocket, group: group) {
        case .success(let socket):
            metricsSocket = socket
            // Counted now, so the first scrape does not wait for a million-line csf.deny.
            _ = listSizes.counts()
        case .failure(let error): logger.error("*Error* METRICS: \(error.description)")
        }
    }

    func renderMetrics() -> [UInt8] {
        let report = MetricsReport.read(kernel: metricsKernel, lists: listSizes, metrics: metrics,
                                        now: Double(SystemTime.wallSeconds))
        return report.render(metrics, extra: fleetMetrics())
    }

    /// The fleet follower (csf-fleet, lfd's child) writes its counters to a file of its own; a copy older than
    /// a minute belongs to a follower that is gone and is left out.
    func fleetMetrics() -> [UInt8] {
        let path = paths.lib(Self.fleetMetricsFile)
        guard let mtime = FileSystem.modificationTime(path), SystemTime.wallSeconds - mtime <= 60 else { return [] }
        return (try? TextFile.readBytes(path)) ?? []
    }

    static let fleetMetricsFile = "csf.fleet.prom"

    func writeMetricsTextfile() {
        let path = config["METRICS_TEXTFILE"].trimmingWhitespace()
        guard config.bool("METRICS") || !path.isEmpty, !path.isEmpty else { return }
        do {
            try FileSystem.writeAtomically(path, bytes: renderMetrics(), mode: 0o644, sync: false)
        } catch {
            logger.error("*Error* METRICS_TEXTFILE: \(error.description)")
        }
    }
}
