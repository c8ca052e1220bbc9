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
        var (lines, diagnostics) = IncludedLines.read(text, path: path, include: include)
        for line in lines {
            func report(_ message: String) { diagnostics.append(Diagnostic(.error, file: line.file, line: line.number, message)) }
            if line.text.hasPrefix("user:") {
                let user = line.text.dropFirst("user:".count).trimmingWhitespace()
                if user.isEmpty { report("user: has no account name") } else { ignore.users.insert(user) }
            } else if line.text.contains("*") || line.text.contains("\\") {
                do {
                    ignore.patterns.append(try Pattern("^(?:" + line.text + ")$"))
                } catch {
                    report("invalid regular expression: \(error.description)")
                }
            } else {
                ignore.paths.insert(line.text)
            }
        }
        return (ignore, diagnostics)
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
