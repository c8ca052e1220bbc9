import CsfCompat

/// LF_SCRIPT_ALERT (reference §4.2): mail sent by scripts, counted per directory per hour from Exim's main log
/// (with `log_selector = +arguments`: `cwd=/home/alice/public_html 3 args: …`, or the `H=localhost … PWD=…
/// REMOTE_ADDR=…` form), only for directories under /home, as csf. Postfix logs no working directory, so this
/// check reads Exim only.
public struct ScriptMailTracker: Sendable {
    public struct Exceeded: Sendable, Equatable {
        public var path: String
        public var count: Int
        public var mails: [String]
    }

    public var limit: Int
    private var counts: [String: (count: Int, mails: [String])] = [:]
    private var bucketStart = 0

    public init(limit: Int = 0) { self.limit = limit }

    public mutating func see(_ line: String, now: Int) -> Exceeded? {
        guard limit > 0, let path = Self.directory(line) else { return nil }
        if now - bucketStart >= 3600 {
            counts = [:]
            bucketStart = now
        }
        var entry = counts[path] ?? (0, [])
        entry.count += 1
        if entry.mails.count < 10 { entry.mails.append(line) }
        guard entry.count > limit else {
            counts[path] = entry
            return nil
        }
        counts[path] = nil
        return Exceeded(path: path, count: entry.count, mails: entry.mails)
    }

    /// The script's directory, when under /home (a canonical absolute path: no `.` or `..` component).
    public static func directory(_ line: String) -> String? {
        let words = line.split(separator: " ", omittingEmptySubsequences: false)
        guard words.count > 3 else { return nil }
        var i = 2
        if words[i].hasPrefix("["), words[i].hasSuffix("]") { i += 1 }
        var path: Substring?
        if words[i].hasPrefix("cwd="), let cwd = line.firstRange(of: "cwd="), let args = line.firstRange(of: " args: "),
           cwd.upperBound <= args.lowerBound {
            // cwd=<path> <n> args: — the path may hold spaces; the count is the word before "args:".
            let head = line[cwd.upperBound..<args.lowerBound]
            if let space = head.lastIndex(of: " "), head[head.index(after: space)...].allSatisfy(\.isNumber) { path = head[..<space] }
        } else if words.count > i + 1, words[i + 1] == "H=localhost", let pwd = line.firstRange(of: "PWD="),
                  let remote = line.firstRange(of: "  REMOTE_ADDR=") , pwd.upperBound <= remote.lowerBound {
            path = line[pwd.upperBound..<remote.lowerBound]
        }
        guard let path, path.hasPrefix("/home/") else { return nil }
        let parts = path.split(separator: "/")
        guard !parts.contains("."), !parts.contains(".."), !path.contains("\0") else { return nil }
        return String(path)
    }
}
