import CsfCompat
import LfdCore

/// Which files and journal sources the enabled detectors read: their *_LOG keys as `LogSourcePlan` resolves
/// them on this host.
enum LogSources {
    /// The enabled detectors' logs, and those of the enabled login alerts.
    static func plan(_ rules: [FailureRule], config: CsfConfig, host: LogSourcePlan.Host = .current) -> LogSourcePlan {
        let syslogCheck = config.int("SYSLOG_CHECK") > 0 ? ["SYSLOG_LOG"] : []
        return LogSourcePlan.resolve(keys: rules.flatMap(\.logKeys) + loginAlertKeys(config) + syslogCheck + MailAbuse.logKeys(config),
                                     config: config, host: host)
    }

    static func loginAlertKeys(_ config: CsfConfig) -> [String] {
        LoginAlert.switches.filter { config.bool($0.key) }.map(\.log)
    }

    /// Every file to follow, with the keys it serves.
    static func files(_ plan: LogSourcePlan) -> [String: [String]] {
        var files: [String: [String]] = [:]
        for (key, entry) in plan.entries.sorted(by: { $0.key < $1.key }) {
            guard case .files(let paths) = entry.source else { continue }
            for path in paths where !(files[path]?.contains(key) ?? false) {
                files[path, default: []].append(key)
            }
        }
        return files
    }

    /// Keys read from the journal, grouped by source.
    static func journals(_ plan: LogSourcePlan) -> [String: [String]] {
        var sources: [String: [String]] = [:]
        for (key, entry) in plan.entries.sorted(by: { $0.key < $1.key }) {
            if case .journal(let spec) = entry.source { sources[spec, default: []].append(key) }
        }
        return sources
    }
}
