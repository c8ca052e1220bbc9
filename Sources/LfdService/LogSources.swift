import CsfCompat
import LfdCore

/// Which files and journal sources the enabled detectors read: their *_LOG keys as `LogSourcePlan` resolves
/// them on this host.
enum LogSources {
    static func plan(_ rules: [FailureRule], config: CsfConfig, host: LogSourcePlan.Host = .current) -> LogSourcePlan {
        LogSourcePlan.resolve(keys: rules.flatMap(\.logKeys), config: config, host: host)
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
