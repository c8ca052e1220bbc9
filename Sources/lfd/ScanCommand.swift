import CsfCompat
import CsfFirewall
import LfdCore
import LfdService

/// `lfd --scan`: prints what the detectors see in a file.
struct ScanCommand {
    let paths: CsfPaths
    let file: String
    let logKey: String?
    let json: Bool
    var quiet = false

    func run() -> Int32 {
        let (all, diagnostics) = DetectorLibrary.load(paths)
        if diagnostics.contains(where: { $0.severity == .error }) {
            for d in diagnostics { Output.err(d.description) }
            return 1
        }
        let rules = all.filter { rule in logKey.map { rule.logKeys.contains($0) } ?? true }
        let classifier = LineClassifier(rules: rules)
        let scan: LogScan
        do {
            scan = try LogScan.run(path: file, classifier: classifier, logKey: logKey, keepHits: !quiet)
        } catch {
            Output.err("lfd: \(error.description)")
            return 1
        }
        for hit in scan.hits {
            let d = hit.detection
            if json {
                print(JSONText.encode(ScanHit(line: hit.line, app: d.rule.app, trigger: d.rule.trigger, ip: d.ip.description,
                                              account: d.account, rule: d.rule.name, count: d.count)))
            } else {
                print("\(file):\(hit.line): \(d.rule.app) [\(d.rule.trigger)] \(d.ip)\(d.account.map { " account=\($0)" } ?? "")\(d.count > 1 ? " x\(d.count)" : "") (\(d.rule.name))")
            }
        }
        let perApp = scan.perApp
        if json {
            print(JSONText.encode(["summary": ScanSummary(lines: scan.lines, matched: scan.matched, ignored: scan.ignored,
                                                          addresses: scan.addresses.count, apps: perApp, rules: scan.perRule,
                                                          unmatchedFailures: scan.lookalikeCount, unmatchedFailureLines: scan.lookalikes)]))
            return 0
        }
        let apps = perApp.keys.sorted().map { "\($0) \(perApp[$0] ?? 0)" }.joined(separator: ", ")
        print("lfd: \(scan.lines) lines, \(scan.matched) matched (\(apps.isEmpty ? "none" : apps)), \(scan.ignored) ignored, \(scan.addresses.count) distinct addresses")
        for (rule, n) in scan.perRule.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
            print("lfd:   \(rule): \(n)")
        }
        if scan.lookalikeCount > 0 {
            let shown = scan.lookalikes.count < scan.lookalikeCount ? " (the first \(scan.lookalikes.count))" : ""
            print("lfd: \(scan.lookalikeCount) unmatched line(s) look like failures\(shown); no detector reads them:")
            for l in scan.lookalikes { print("\(file):\(l.line): \(l.text)") }
        }
        return 0
    }
}

/// One matching line of `lfd --scan --json`.
struct ScanHit: Encodable {
    var line: Int
    var app: String
    var trigger: String
    var ip: String
    var account: String?
    var rule: String
    var count: Int

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(line, forKey: .line)
        try c.encode(app, forKey: .app)
        try c.encode(trigger, forKey: .trigger)
        try c.encode(ip, forKey: .ip)
        try c.encode(account, forKey: .account)   // null when the line names none
        try c.encode(rule, forKey: .rule)
        try c.encode(count, forKey: .count)
    }

    enum CodingKeys: String, CodingKey { case line, app, trigger, ip, account, rule, count }
}

struct ScanSummary: Encodable {
    var lines: Int
    var matched: Int
    var ignored: Int
    var addresses: Int
    var apps: [String: Int]
    var rules: [String: Int]
    var unmatchedFailures: Int
    var unmatchedFailureLines: [LogScan.Lookalike]

    enum CodingKeys: String, CodingKey {
        case lines, matched, ignored, addresses, apps, rules
        case unmatchedFailures = "unmatched_failures", unmatchedFailureLines = "unmatched_failure_lines"
    }
}
