/// The meaningful lines of an lfd list file (csf.pignore, csf.fignore, csf.logignore): trimmed, blank lines and
/// `#` comments left out, `Include <file>` lines replaced by that file's lines, read once each (a loop is an
/// error, an unreadable file a warning, each with the including file and line).
public enum IncludedLines {
    public struct Line: Sendable {
        public var text: String
        public var file: String
        public var number: Int
    }

    /// `include` returns an included file's text, nil when it cannot be read.
    public static func read(_ text: String, path: String, include: (String) -> String?) -> ([Line], [Diagnostic]) {
        var lines: [Line] = []
        var diagnostics: [Diagnostic] = []
        var seen: Set<String> = [path]
        func walk(_ text: String, _ path: String) {
            for (index, raw) in LineScanner.lines(text).enumerated() {
                let line = raw.trimmingWhitespace()
                if line.isEmpty || line.hasPrefix("#") { continue }
                guard line.hasPrefix("Include") else {
                    lines.append(Line(text: line, file: path, number: index + 1))
                    continue
                }
                let file = line.dropFirst("Include".count).trimmingWhitespace()
                guard !seen.contains(file) else {
                    diagnostics.append(Diagnostic(.error, file: path, line: index + 1, "Include loop: \(file)"))
                    continue
                }
                guard let included = include(file) else {
                    diagnostics.append(Diagnostic(.warning, file: path, line: index + 1, "Include \(file): cannot be read"))
                    continue
                }
                seen.insert(file)
                walk(included, file)
            }
        }
        walk(text, path)
        return (lines, diagnostics)
    }
}
