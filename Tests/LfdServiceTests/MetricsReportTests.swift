import Testing
@testable import CsfFirewall
@testable import LfdService
@testable import NftRuleset

struct MetricsReportTests {
    func text(_ report: MetricsReport, _ metrics: LfdMetrics) -> String {
        String(decoding: report.render(metrics, extra: Array("nftcsf_fleet_connected 1\n".utf8)), as: UTF8.self)
    }

    @Test func countersAndScrapeValuesAreWrittenInTheExpositionFormat() {
        let metrics = LfdMetrics()
        metrics.linesRead(source: "/var/log/auth.log", 4)
        metrics.linesRead(source: "/var/log/auth.log", 2)
        metrics.detected(trigger: "LF_SSHD")
        metrics.banned(trigger: "LF_SSHD", temporary: true, latency: 0.003)
        metrics.alert(sent: false)
        metrics.remoteListRefreshed("SPAMDROP", entries: 1200, now: 1000)
        metrics.remoteListRefreshed("DSHIELD", entries: nil, now: 1000)
        let report = MetricsReport(firewallUp: true,
                                   rules: [RuleCounter(chain: "INPUT", setting: "TCP_IN", packets: 7, bytes: 420)],
                                   lists: [.init(list: "csf.deny", entries: 1_000_000)],
                                   remote: metrics.remoteLists(now: 1030))
        let out = text(report, metrics)
        #expect(out.contains("nftcsf_lfd_lines_read_total{source=\"/var/log/auth.log\"} 6\n"))
        #expect(out.contains("nftcsf_lfd_bans_total{trigger=\"LF_SSHD\",kind=\"temporary\"} 1\n"))
        #expect(out.contains("nftcsf_lfd_alerts_total{result=\"failed\"} 1\n"))
        #expect(out.contains("nftcsf_lfd_detection_latency_seconds_bucket{le=\"0.005\"} 1\n"))
        #expect(out.contains("nftcsf_lfd_detection_latency_seconds_bucket{le=\"0.0025\"} 0\n"))
        #expect(out.contains("nftcsf_rule_packets_total{chain=\"INPUT\",setting=\"TCP_IN\"} 7\n"))
        #expect(out.contains("nftcsf_remote_list_refreshes_total{list=\"DSHIELD\",result=\"failed\"} 1\n"))
        #expect(out.contains("nftcsf_remote_list_entries{list=\"SPAMDROP\"} 1200"))
        #expect(out.contains("nftcsf_remote_list_age_seconds{list=\"SPAMDROP\"} 30"))
        #expect(!out.contains("list=\"DSHIELD\"} ") || !out.contains("nftcsf_remote_list_entries{list=\"DSHIELD\"}"), "a failed list has no size")
        #expect(out.contains("nftcsf_list_entries{list=\"csf.deny\"} 1000000"))
        #expect(out.contains("# TYPE nftcsf_firewall_up gauge"))
        #expect(out.hasSuffix("nftcsf_fleet_connected 1\n"))
    }

    @Test func labelValuesAreEscaped() {
        let metrics = LfdMetrics()
        metrics.linesRead(source: "/var/log/a\"b\\c\nd", 1)
        let out = text(MetricsReport(firewallUp: false, rules: [], lists: [], remote: []), metrics)
        #expect(out.contains("source=\"/var/log/a\\\"b\\\\c\\nd\"} 1\n"), "\(out)")
        #expect(out.contains("nftcsf_firewall_up 0"))
    }
}
