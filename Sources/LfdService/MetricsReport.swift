import CsfCompat
import CsfFirewall
import NftKernel
import NftRuleset
import Prometheus

/// One scrape: lfd's running counters, then what is read at the moment of the scrape — the kernel's rule
/// counters (a terse listing: no set element is read), the list sizes from csf's own files, the remote lists'
/// sizes and ages, and the fleet follower's own file when it keeps one.
struct MetricsReport {
    var firewallUp: Bool
    var rules: [RuleCounter]
    var lists: [ListSizes.Count]
    var remote: [(list: String, entries: Int, age: Double)]

    /// Builds the scrape-time part; a kernel that cannot be read reports the firewall down and no rule counters.
    static func read(kernel: any KernelPort, lists: ListSizes, metrics: LfdMetrics, now: Double) -> MetricsReport {
        let listing = (try? kernel.listing(json: false, full: false)) ?? nil
        return MetricsReport(firewallUp: listing != nil, rules: listing.map(RuleCounter.parse) ?? [],
                             lists: lists.counts(), remote: metrics.remoteLists(now: now))
    }

    /// The exposition text: lfd's registry, this scrape's values, then `extra` (already in the format).
    func render(_ lfd: LfdMetrics, extra: [UInt8] = []) -> [UInt8] {
        let now = PrometheusCollectorRegistry()
        now.makeGauge(name: "nftcsf_firewall_up", help: "1 when csf's nftables table is loaded").set(to: firewallUp ? 1 : 0)
        for r in rules {
            let labels = [("chain", r.chain), ("setting", r.setting)]
            now.makeCounter(name: "nftcsf_rule_packets_total", labels: labels,
                            help: "Packets matched by the rules of a chain that one setting made").increment(by: Int64(clamping: r.packets))
            now.makeCounter(name: "nftcsf_rule_bytes_total", labels: labels,
                            help: "Bytes matched by the rules of a chain that one setting made").increment(by: Int64(clamping: r.bytes))
        }
        for l in lists {
            now.makeGauge(name: "nftcsf_list_entries", labels: [("list", l.list)],
                          help: "Entries in csf's list files (what their kernel sets hold)").set(to: Double(l.entries))
        }
        for r in remote {
            now.makeGauge(name: "nftcsf_remote_list_entries", labels: [("list", r.list)],
                          help: "Addresses and networks in a remote list's last good download").set(to: Double(r.entries))
            now.makeGauge(name: "nftcsf_remote_list_age_seconds", labels: [("list", r.list)],
                          help: "Seconds since a remote list last loaded").set(to: r.age)
        }
        var out: [UInt8] = []
        out.reserveCapacity(16_384)
        lfd.registry.emit(into: &out)
        now.emit(into: &out)
        out += extra
        return out
    }
}
