#if canImport(Glibc)
import Glibc
#endif
import CSys
import CsfCompat
import LfdCore

/// Which files and journal sources the enabled detectors read, from their *_LOG keys.
enum LogSources {
    /// Every file a log key of an enabled rule names (globs expanded), with the keys it serves.
    static func files(_ rules: [FailureRule], config: CsfConfig) -> [String: [String]] {
        var files: [String: [String]] = [:]
        for key in Set(rules.flatMap(\.logKeys)).sorted() {
            let value = config[key].trimmingWhitespace()
            guard !value.isEmpty, !value.hasPrefix("journal:") else { continue }
            for path in expandGlob(value) where !(files[path]?.contains(key) ?? false) {
                files[path, default: []].append(key)
            }
        }
        return files
    }

    /// Log keys read from the journal (`KEY = "journal:..."`), grouped by source.
    static func journals(_ rules: [FailureRule], config: CsfConfig) -> [String: [String]] {
        var sources: [String: [String]] = [:]
        for key in Set(rules.flatMap(\.logKeys)).sorted() {
            let value = config[key].trimmingWhitespace()
            if value.hasPrefix("journal:") { sources[value, default: []].append(key) }
        }
        return sources
    }

    static func expandGlob(_ pattern: String) -> [String] {
        guard pattern.contains(where: { "*?[".contains($0) }) else { return [pattern] }
        var g = glob_t()
        defer { globfree(&g) }
        guard glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }
    }
}
