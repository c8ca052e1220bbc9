import CsfCompat

/// csf.fignore (reference §6.9): what directory watching leaves alone. A full path; an entry holding `*` or `\`
/// is a regular expression; `user:NAME` skips files owned by that account. Two fixes to csf: an expression must
/// match the whole path (csf's unanchored match let a file named to contain an ignored path hide anywhere, e.g.
/// `/tmp/x/tmp/clamav-evil`), and `user:` takes a name or a uid (csf compared names with numeric uids, so
/// `user:bob` never matched). A broken expression is an error with its file and line, as in csf.pignore.
public struct FileIgnore: Sendable {
    public private(set) var paths: Set<String> = []
    public private(set) var users: Set<String> = []
    var patterns: [Pattern] = []

    public init() {}

    public var count: Int { paths.count + users.count + patterns.count }

    public static func parse(_ text: String, path: String, include: (String) -> String? = { _ in nil })
        -> (FileIgnore, [Diagnostic]) {
        var ignore = FileIgnore()
        var diagnostics: [Diagnostic] = []
        var seen: Set<String> = [path]
        ignore.read(text, path: path, include: include, seen: &seen, diagnostics: &diagnostics)
        return (ignore, diagnostics)
    }

    private mutating func read(_ text: String, path: String, include: (String) -> String?, seen: inout Set<String>,
                               diagnostics: inout [Diagnostic]) {
        for (index, raw) in LineScanner.lines(text).enumerated() {
            let line = raw.trimmingWhitespace()
            let number = index + 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("Include") {
                let file = line.dropFirst("Include".count).trimmingWhitespace()
                guard !seen.contains(file), let included = include(file) else {
                    diagnostics.append(Diagnostic(.warning, file: path, line: number, "Include \(file): cannot be read or already read"))
                    continue
                }
                seen.insert(file)
                read(included, path: file, include: include, seen: &seen, diagnostics: &diagnostics)
            } else if line.hasPrefix("user:") {
                let user = line.dropFirst("user:".count).trimmingWhitespace()
                if user.isEmpty {
                    diagnostics.append(Diagnostic(.error, file: path, line: number, "user: has no account name"))
                } else {
                    users.insert(user)
                }
            } else if line.contains("*") || line.contains("\\") {
                do {
                    patterns.append(try Pattern("^(?:" + line + ")$"))
                } catch {
                    diagnostics.append(Diagnostic(.error, file: path, line: number, "invalid regular expression: \(error.description)"))
                }
            } else {
                paths.insert(line)
            }
        }
    }

    public func ignores(path: String) -> Bool {
        paths.contains(path) || patterns.contains { $0.match(path) != nil }
    }

    /// `owner` is the account name where known; the uid always counts.
    public func ignores(uid: UInt32, owner: String?) -> Bool {
        guard !users.isEmpty else { return false }
        return users.contains(String(uid)) || owner.map { users.contains($0) } == true
    }
}
