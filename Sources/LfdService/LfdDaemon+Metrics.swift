#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import CsfFirewall
import NftKernel

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
            let render = metricsRenderer()
            if !metricsWorker.submit({ socket.serve(render) }) { logger.error("*Error* METRICS: the metrics thread is busy") }
        case .failure(let error): logger.error("*Error* METRICS: \(error.description)")
        }
    }

    /// What a scrape runs, on the metrics thread or the loop's: it holds only thread-safe parts of lfd.
    func metricsRenderer() -> @Sendable () -> [UInt8] {
        let (lists, metrics, fleetFile) = (listSizes, metrics, paths.lib(Self.fleetMetricsFile))
        return {
            // A handle per scrape (libnftables is not thread-safe; a listing opens its own context anyway).
            let report = MetricsReport.read(kernel: NftablesKernel(), lists: lists, metrics: metrics, now: Double(SystemTime.wallSeconds))
            return report.render(metrics, extra: Self.fleetMetrics(fleetFile))
        }
    }

    /// The fleet follower (csf-fleet, lfd's child) writes its counters to a file of its own; a copy older than
    /// a minute belongs to a follower that is gone and is left out.
    static func fleetMetrics(_ path: String) -> [UInt8] {
        guard let mtime = FileSystem.modificationTime(path), SystemTime.wallSeconds - mtime <= 60 else { return [] }
        return (try? TextFile.readBytes(path)) ?? []
    }

    static let fleetMetricsFile = "csf.fleet.prom"

    func writeMetricsTextfile() {
        let path = config["METRICS_TEXTFILE"].trimmingWhitespace()
        guard !path.isEmpty else { return }
        do {
            try FileSystem.writeAtomically(path, bytes: metricsRenderer()(), mode: 0o644, sync: false)
        } catch {
            logger.error("*Error* METRICS_TEXTFILE: \(error.description)")
        }
    }
}
