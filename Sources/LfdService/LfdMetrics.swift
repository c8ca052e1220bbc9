import CsfCompat
import Prometheus
import Synchronization

/// lfd's own counters, kept as it works (loop and worker threads alike: the counters are atomic) and written in
/// Prometheus's exposition format on each scrape. Labels name sources, detectors, triggers and lists, never an
/// address, so the series stay as few as the configuration.
final class LfdMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let latency: ValueHistogram
    /// Per remote list: when it last loaded and with how many entries (the age is computed per scrape).
    private let remote = Mutex<[String: (loadedAt: Double, entries: Int)]>([:])

    static let latencyBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    init() {
        latency = registry.makeValueHistogram(
            name: "nftcsf_lfd_detection_latency_seconds", buckets: Self.latencyBuckets,
            help: "From reading the line that completed a detection to its ban being in the kernel")
    }

    func linesRead(source: String, _ count: Int) {
        registry.makeCounter(name: "nftcsf_lfd_lines_read_total", labels: [("source", source)],
                             help: "Log lines lfd read, per file or journal source").increment(by: Int64(count))
    }

    func detected(trigger: String) {
        registry.makeCounter(name: "nftcsf_lfd_detections_total", labels: [("trigger", trigger)],
                             help: "Lines a detector matched (before ignore lists and thresholds)").increment()
    }

    func banned(trigger: String, temporary: Bool, latency seconds: Double?) {
        registry.makeCounter(name: "nftcsf_lfd_bans_total",
                             labels: [("trigger", trigger), ("kind", temporary ? "temporary" : "permanent")],
                             help: "Bans lfd placed, per trigger").increment()
        if let seconds { latency.record(seconds) }
    }

    func unbanned(kind: String, count: Int) {
        registry.makeCounter(name: "nftcsf_lfd_unbans_total", labels: [("kind", kind)],
                             help: "Temporary entries lfd's expiry pass removed").increment(by: Int64(count))
    }

    func alert(sent: Bool) {
        registry.makeCounter(name: "nftcsf_lfd_alerts_total", labels: [("result", sent ? "sent" : "failed")],
                             help: "Alert mails lfd handed to SMTP or sendmail").increment()
    }

    func remoteListRefreshed(_ list: String, entries: Int?, now: Double) {
        registry.makeCounter(name: "nftcsf_remote_list_refreshes_total",
                             labels: [("list", list), ("result", entries == nil ? "failed" : "loaded")],
                             help: "Downloads of csf.blocklists and GLOBAL_* lists, per result").increment()
        guard let entries else { return }
        remote.withLock { $0[list] = (now, entries) }
    }

    /// The remote lists' entries and the seconds since each last loaded.
    func remoteLists(now: Double) -> [(list: String, entries: Int, age: Double)] {
        remote.withLock { $0.map { ($0.key, $0.value.entries, max(0, now - $0.value.loadedAt)) } }.sorted { $0.list < $1.list }
    }
}
