#if canImport(Glibc)
import Glibc
#endif
import CSys
import CsfCompat
import LfdCore
import Logging

/// LOGSCANNER on lfd's loop: csf.logfiles are read by the same tailer as every other log (key LOGSCANNER); a
/// line no csf.logignore expression matches is kept, appended to /var/lib/csf/csf.logtemp once a tick (csf's
/// file, so a restart keeps what was gathered), and logalert.txt goes out when the hour (or day) changes or
/// `csf -lr` left csf.logrun.
struct LogScanReports {
    struct Plan: Sendable {
        var enabled = false
        var files: [String] = []
        var ignore: [Pattern] = []
        var interval = LogScanner.Interval.hourly
        var style = 1
        var limit = 5000
        var sendEmpty = true
    }

    var plan = Plan()
    private var pending: [String] = []
    private var stored = -1
    private var mark: String?

    static let key = "LOGSCANNER"

    static func plan(paths: CsfPaths, config: CsfConfig) throws(CsfError) -> Plan {
        var plan = Plan()
        plan.enabled = config.bool("LOGSCANNER")
        guard plan.enabled else { return plan }
        plan.interval = LogScanner.Interval(rawValue: config["LOGSCANNER_INTERVAL"].trimmingWhitespace().lowercased()) ?? .hourly
        plan.style = config.int("LOGSCANNER_STYLE") == 2 ? 2 : 1
        plan.limit = max(1, config.int("LOGSCANNER_LINES"))
        plan.sendEmpty = config.bool("LOGSCANNER_EMPTY")
        for line in ListReader.read(paths.etc("csf.logfiles")).lines {
            plan.files += line.token.contains(where: { "*?[".contains($0) }) ? Self.glob(line.token) : [line.token]
        }
        let path = paths.etc("csf.logignore")
        if let text = try? TextFile.read(path) {
            let (patterns, diagnostics) = LogScanner.parseIgnore(text, path: path) { try? TextFile.read($0) }
            if diagnostics.contains(where: { $0.severity == .error }) { throw .invalidInput(diagnostics) }
            plan.ignore = patterns
        }
        return plan
    }

    static func glob(_ pattern: String) -> [String] {
        var found = glob_t()
        defer { globfree(&found) }
        guard Glibc.glob(pattern, 0, nil, &found) == 0 else { return [] }
        return (0..<Int(found.gl_pathc)).compactMap { found.gl_pathv[$0].map { String(cString: $0) } }
    }

    mutating func see(_ line: LogTailer.Line) {
        guard plan.enabled, line.keys.contains(Self.key) else { return }
        let text = line.text
        guard !plan.ignore.contains(where: { $0.match(text) != nil }) else { return }
        pending.append(line.path + "|" + shown(text, limit: 4000))
    }

    /// Once a tick: keeps what came, and sends the report when due.
    mutating func tick(paths: CsfPaths, logger: Logger, notify: (Notice) -> Void) {
        guard plan.enabled else { return }
        let temp = paths.lib("csf.logtemp"), max = paths.lib("csf.logmax")
        if stored < 0 { stored = (try? TextFile.read(temp)).map { LineScanner.lines($0).filter { !$0.isEmpty }.count } ?? 0 }
        if !pending.isEmpty {
            let room = Swift.max(0, plan.limit - stored)
            if pending.count > room { try? FileSystem.touch(max) }
            if room > 0 {
                let kept = pending.prefix(room)
                do {
                    try FileSystem.appendLine(temp, kept.joined(separator: "\n"))
                    stored += kept.count
                } catch {
                    logger.error("*Error* LOGSCANNER cannot keep lines in \(temp): \(error)")
                }
            }
            pending.removeAll(keepingCapacity: true)
        }
        let now = LocalTime.components(SystemTime.wallSeconds)
        let current = LogScanner.mark(plan.interval, hour: now.hour, day: now.day)
        let markFile = paths.lib("csf.lastlogrun")
        if mark == nil { mark = (try? TextFile.read(markFile))?.trimmingWhitespace() ?? current }
        var due = false
        if TextFile.exists(paths.lib("csf.logrun")) {
            FileSystem.remove(paths.lib("csf.logrun"))
            due = true
        }
        if let current, current != mark {
            due = true
            mark = current
            try? FileSystem.writeAtomically(markFile, current + "\n", sync: false)
        }
        guard due else { return }
        let text = (try? TextFile.read(temp)) ?? ""
        let truncated = TextFile.exists(max)
        FileSystem.truncate(temp, to: 0)
        FileSystem.remove(max)
        stored = 0
        let lines = LineScanner.lines(text).filter { !$0.isEmpty }.map { Substring($0) }
        guard !lines.isEmpty || plan.sendEmpty else { return }
        let report = LogScanner.report(lines, style: plan.style, truncatedAt: truncated ? plan.limit : nil)
        let hour = now.hour < 10 ? "0\(now.hour):00" : "\(now.hour):00"
        logger.info("LOGSCANNER: report of \(report.lines) line(s) sent")
        notify(.alert(template: "logalert.txt", values: ["text": report.text, "lines": String(report.lines), "hour": hour]))
    }
}
