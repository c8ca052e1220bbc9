import CsfCompat

/// LOGSCANNER (reference §4.1.27): the lines of csf.logfiles that no csf.logignore expression matches, gathered
/// in /var/lib/csf/csf.logtemp (`file|line`, csf's own format) and mailed hourly, daily or on `csf -lr` as
/// logalert.txt. This part is pure: the ignore list, when a report is due, and the report's text.
public enum LogScanner {
    /// csf.logignore: one regular expression per line (unanchored, as csf's `$line =~ /$regex/`). A broken one
    /// is an error with its file and line: csf logged it and went on, mailing every line it was meant to drop.
    public static func parseIgnore(_ text: String, path: String, include: (String) -> String? = { _ in nil }) -> ([Pattern], [Diagnostic]) {
        var (lines, diagnostics) = IncludedLines.read(text, path: path, include: include)
        var patterns: [Pattern] = []
        for line in lines {
            do {
                patterns.append(try Pattern(line.text))
            } catch {
                diagnostics.append(Diagnostic(.error, file: line.file, line: line.number, "invalid regular expression: \(error.description)"))
            }
        }
        return (patterns, diagnostics)
    }

    public enum Interval: String, Sendable {
        case hourly, daily, manual
    }

    /// The mark a report is due on: the local hour (hourly) or day of the month (daily), as csf keeps it in
    /// csf.lastlogrun; nil for manual.
    public static func mark(_ interval: Interval, hour: Int, day: Int) -> String? {
        switch interval {
        case .hourly: return String(hour)
        case .daily: return String(day)
        case .manual: return nil
        }
    }

    /// csf's report body: style 1 groups the lines by file (files in the order they first appear), style 2 lists
    /// them as they came. `stored` holds csf.logtemp's lines.
    public static func report(_ stored: [Substring], style: Int, truncatedAt limit: Int?) -> (text: String, lines: Int) {
        var order: [Substring] = []
        var byFile: [Substring: [Substring]] = [:]
        var flat: [Substring] = []
        var count = 0
        for entry in stored where !entry.isEmpty {
            let (file, line) = split(entry)
            count += 1
            if style == 2 {
                flat.append(line)
            } else {
                if byFile[file] == nil { order.append(file) }
                byFile[file, default: []].append(line)
            }
        }
        var text = style == 2 ? flat.map { $0 + "\n" }.joined()
            : order.map { file in "\(file):\n" + (byFile[file] ?? []).map { $0 + "\n" }.joined() + "\n" }.joined()
        if let limit { text += "\n...Report truncated as it exceeded \(limit) of log lines...\n" }
        if text.isEmpty { text = "...No log lines to report..." }
        return (text, count)
    }

    static func split(_ entry: Substring) -> (Substring, Substring) {
        guard let bar = entry.firstIndex(of: "|") else { return ("", entry) }
        return (entry[..<bar], entry[entry.index(after: bar)...])
    }
}
