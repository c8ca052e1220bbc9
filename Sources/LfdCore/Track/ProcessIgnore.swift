import CsfCompat

/// csf.pignore (reference §4.1.19): processes process tracking leaves alone. `exe:`, `cmd:`, `user:` match a
/// path, command line or user name exactly; `pexe:`, `pcmd:`, `puser:` are regular expressions matched
/// against the whole value. `Include <file>` reads another file. Unlike csf, which logged a bad line and went
/// on, a line with an unknown prefix or a broken expression is an error with its file and line: a typo there
/// would otherwise track (and with PT_USERKILL kill) what the admin meant to spare.
public struct ProcessIgnore: Sendable {
    public private(set) var exes: Set<String> = []
    public private(set) var commands: Set<String> = []
    public private(set) var users: Set<String> = []
    var exePatterns: [Pattern] = []
    var commandPatterns: [Pattern] = []
    var userPatterns: [Pattern] = []

    public init() {}

    public var count: Int {
        exes.count + commands.count + users.count + exePatterns.count + commandPatterns.count + userPatterns.count
    }

    /// Parses `text` (from `path`); `include` returns an included file's text, nil when it cannot be read.
    public static func parse(_ text: String, path: String, include: (String) -> String? = { _ in nil })
        -> (ProcessIgnore, [Diagnostic]) {
        var ignore = ProcessIgnore()
        var (lines, diagnostics) = IncludedLines.read(text, path: path, include: include)
        for line in lines {
            if let problem = ignore.add(line.text) { diagnostics.append(Diagnostic(.error, file: line.file, line: line.number, problem)) }
        }
        return (ignore, diagnostics)
    }

    /// One `prefix:value` line; the problem when it is not one.
    private mutating func add(_ line: String) -> String? {
        guard let colon = line.firstIndex(of: ":") else {
            return "expected exe:, cmd:, user:, pexe:, pcmd: or puser: before the value"
        }
        let kind = line[..<colon].filter { !$0.isWhitespace }.lowercased()
        let value = line[line.index(after: colon)...].trimmingWhitespace()
        guard !value.isEmpty else { return "\(kind): has no value" }
        switch kind {
        case "exe": exes.insert(value)
        case "cmd": commands.insert(value)
        case "user": users.insert(value)
        case "pexe", "pcmd", "puser":
            do {
                // Anchored at both ends, as csf's `/^$item$/`.
                let pattern = try Pattern("^(?:" + value + ")$")
                if kind == "pexe" { exePatterns.append(pattern) }
                if kind == "pcmd" { commandPatterns.append(pattern) }
                if kind == "puser" { userPatterns.append(pattern) }
            } catch {
                return "\(kind): invalid regular expression: \(error.description)"
            }
        default:
            return "unknown prefix \"\(kind):\" (expected exe, cmd, user, pexe, pcmd or puser)"
        }
        return nil
    }

    public func ignores(user: String) -> Bool {
        users.contains(user) || userPatterns.contains { $0.match(user) != nil }
    }

    public func ignores(exe: String) -> Bool {
        exes.contains(exe) || exePatterns.contains { $0.match(exe) != nil }
    }

    public func ignores(command: String) -> Bool {
        commands.contains(command) || commandPatterns.contains { $0.match(command) != nil }
    }
}
