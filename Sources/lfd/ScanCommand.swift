import NftFirewall

/// `lfd --scan`: prints what the detectors see in a file.
struct ScanCommand {
    let paths: CsfPaths
    let file: String
    let logKey: String?
    let json: Bool
    var quiet = false

    func run() -> Int32 {
        let (custom, diagnostics) = CustomRules.load(CustomRules.path(paths))
        if diagnostics.contains(where: { $0.severity == .error }) {
            for d in diagnostics { Output.err(d.description) }
            return 1
        }
        let rules = (custom + BuiltinRules.all).filter { rule in logKey.map { rule.logKeys.contains($0) } ?? true }
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
                Output.json(["line": hit.line, "app": d.rule.app, "trigger": d.rule.trigger, "ip": d.ip.description,
                             "account": d.account as Any, "rule": d.rule.name, "count": d.count])
            } else {
                print("\(file):\(hit.line): \(d.rule.app) [\(d.rule.trigger)] \(d.ip)\(d.account.map { " account=\($0)" } ?? "")\(d.count > 1 ? " x\(d.count)" : "") (\(d.rule.name))")
            }
        }
        let perApp = scan.perApp
        if json {
            Output.json(["summary": ["lines": scan.lines, "matched": scan.matched, "addresses": scan.addresses.count,
                                     "apps": perApp]])
        } else {
            let apps = perApp.keys.sorted().map { "\($0) \(perApp[$0] ?? 0)" }.joined(separator: ", ")
            print("lfd: \(scan.lines) lines, \(scan.matched) matched (\(apps.isEmpty ? "none" : apps)), \(scan.addresses.count) distinct addresses")
        }
        return 0
    }
}
