import Foundation
import Testing
import CsfTestSupport

/// Issue 18's metrics: lfd counts, csf-ui serves them over HTTP as an unprivileged account, and a scrape after
/// known traffic and a known ban shows exactly those values.
@Suite(.serialized, .enabled(if: NetLab.available, "needs root and iproute2"))
struct MetricsKernelTests {
    static var uiBinary: String {
        URL(fileURLWithPath: NetLab.csfBinary).deletingLastPathComponent().appendingPathComponent("csf-ui").path
    }

    func sshLine(_ ip: String, n: Int) -> String {
        "Jan  5 09:05:0\(n % 10) web1 sshd[22\(n)]: Failed password for root from \(ip) port 5\(n)022 ssh2"
    }

    /// One series' value from the exposition text (`name{labels} value`), nil when absent.
    static func value(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    func scrape(_ lab: NetLab, port: Int = 9386) throws -> (status: Int, body: String) {
        let script = """
        import sys, urllib.request, urllib.error
        try:
            r = urllib.request.urlopen('http://127.0.0.1:\(port)/metrics', timeout=5)
            print(r.status); print(r.headers.get('Content-Type')); sys.stdout.write(r.read().decode())
        except urllib.error.HTTPError as e:
            print(e.code); print(e.headers.get('Content-Type')); sys.stdout.write(e.read().decode())
        """
        let r = try Shell.run(["ip", "netns", "exec", lab.fw, "python3", "-c", script])
        let lines = r.stdout.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
        guard lines.count == 3, let status = Int(lines[0]) else { return (0, r.stdout + r.stderr) }
        return (status, String(lines[2]))
    }

    @Test func aScrapeShowsKnownBansLinesAndRuleCountersFromAnUnprivilegedServer() throws {
        let lab = try NetLab(peers: 2)
        defer { lab.stopLfd() }
        // csf-ui runs as nobody: it must be able to reach the socket under the lab's root.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: lab.root)
        try FileManager.default.createDirectory(atPath: lab.root + "/run", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let auth = lab.root + "/auth.log", textfile = lab.root + "/nftcsf.prom"
        try "".write(toFile: auth, atomically: true, encoding: .utf8)
        try lab.setConfig(["TCP_IN": "22", "SSHD_LOG": auth, "LF_SSHD": "3", "LF_SSHD_PERM": "600", "LF_PARSE": "2",
                           "LF_HTACCESS": "0", "LF_MODSEC": "0", "LF_POP3D": "0", "LF_IMAPD": "0", "LF_FTPD": "0", "LF_SMTPAUTH": "0",
                           "LF_EXIMSYNTAX": "0", "LF_BIND": "0", "LF_SUHOSIN": "0", "LF_WEBMIN": "0", "LF_PERMBLOCK": "0",
                           "METRICS": "1", "UI_RUNAS": "nobody", "METRICS_TEXTFILE": textfile])
        try lab.write("csf.deny", "198.18.7.1 # one\n198.18.7.2 # two\n# a comment\nInclude /nowhere\n")
        try lab.serve(in: lab.fw, tcp: [22], udp: [])
        #expect(try lab.csf("-s").status == 0)
        let r = try lab.lfd()
        #expect(r.status == 0, "\(r)")
        try lab.background(in: lab.fw, ["env", "CSF_ROOT=\(lab.root)", Self.uiBinary])

        let (p1, p2) = (lab.peers[0], lab.peers[1])
        #expect(try lab.tcpOpen(from: p2, port: 22))
        try lab.appendLog(auth, (1...3).map { sshLine(p1.v4, n: $0) } + ["Jan  5 09:06:00 web1 sshd[1]: an unrelated line"])
        #expect(try eventually(within: 3, every: 0.05) { lab.lfdLog.contains("*Blocked in csf*") })
        #expect(try !lab.tcpOpen(from: p1, port: 22, timeout: 0.5))

        var body = ""
        #expect(try eventually(within: 5) {
            let s = try scrape(lab)
            body = s.body
            return s.status == 200
        }, "\(body)")
        #expect(Self.value(body, "nftcsf_firewall_up") == 1)
        #expect(Self.value(body, "nftcsf_lfd_bans_total{trigger=\"LF_SSHD\",kind=\"temporary\"}") == 1, "\(body)")
        #expect(Self.value(body, "nftcsf_lfd_detections_total{trigger=\"LF_SSHD\"}") == 3)
        #expect(Self.value(body, "nftcsf_lfd_lines_read_total{source=\"\(auth)\"}") == 4)
        #expect(Self.value(body, "nftcsf_lfd_detection_latency_seconds_count") == 1)
        #expect(Self.value(body, "nftcsf_list_entries{list=\"csf.deny\"}") == 2, "comments and Include lines are not entries")
        #expect(Self.value(body, "nftcsf_list_entries{list=\"csf.tempban\"}") == 1)
        // The dropped attempt from p1 was counted by the temp-ban rule; p2's accepted connection by TCP_IN.
        let tempbanDrops = body.split(separator: "\n").filter { $0.hasPrefix("nftcsf_rule_packets_total{") && $0.contains("setting=\"csf.tempban\"") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
        #expect(tempbanDrops >= 1, "\(body)")
        #expect(body.contains("setting=\"TCP_IN\""), "\(body)")
        #expect(!body.contains(p1.v4) && !body.contains(p2.v4), "no series names an address")

        // The server holds no root: every uid and gid of the process is nobody's.
        let pid = try Shell.run(["pgrep", "-f", "^\(Self.uiBinary)$"]).stdout.split(separator: "\n").compactMap { Int32($0) }
            .first { (try? String(contentsOfFile: "/proc/\($0)/environ", encoding: .utf8))?.contains("CSF_ROOT=\(lab.root)") ?? false }
        // Every thread's credentials, not only the main thread's: a change made on one thread may not reach all.
        let tasks = pid.map { p in ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(p)/task")) ?? []).map { "/proc/\(p)/task/\($0)/status" } } ?? []
        #expect(tasks.count >= 2, "\(String(describing: pid))")
        for path in tasks {
            let status = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            let field = { (name: String) in status.split(separator: "\n").first { $0.hasPrefix(name) }.map(String.init) ?? "" }
            let ids = field("Uid:").split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst()
                + field("Gid:").split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst()
            #expect(ids.count == 8 && ids.allSatisfy { $0 == "65534" }, "\(path): \(field("Uid:")) \(field("Gid:"))")
            #expect(field("CapEff:").hasSuffix("0000000000000000"), "\(path): \(field("CapEff:"))")
            #expect(field("Groups:").trimmingCharacters(in: .whitespaces) == "Groups:", "\(path): \(field("Groups:"))")
        }

        // node_exporter's textfile: the same text, written by lfd on its tick.
        #expect(try eventually(within: 6) {
            let text = (try? String(contentsOfFile: textfile, encoding: .utf8)) ?? ""
            return Self.value(text, "nftcsf_lfd_bans_total{trigger=\"LF_SSHD\",kind=\"temporary\"}") == 1
        })

        // lfd gone: the server says why instead of serving stale numbers.
        lab.stopLfd()
        let down = try scrape(lab)
        #expect(down.status == 503 && down.body.contains("is lfd running with METRICS = 1?"), "\(down)")
    }
}
