#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import Synchronization

/// How many entries csf's own files hold (csf.allow, csf.deny, csf.ignore, the temporary lists): the set sizes
/// the metrics report, counted from our state and never by listing a kernel set. A count is kept until the
/// file's size or modification time changes, so a scrape with a million-line csf.deny costs one stat.
public final class ListSizes: Sendable {
    public struct Count: Sendable, Equatable {
        public var list: String
        public var entries: Int
    }

    private let cache = Mutex<[String: (size: Int, mtime: Int, nsec: Int, entries: Int)]>([:])
    let paths: CsfPaths

    public init(paths: CsfPaths) { self.paths = paths }

    public var files: [(list: String, path: String)] {
        [("csf.allow", paths.allow), ("csf.deny", paths.deny), ("csf.ignore", paths.ignore),
         ("csf.tempallow", paths.lib("csf.tempallow")), ("csf.tempban", paths.lib("csf.tempban"))]
    }

    public func counts() -> [Count] {
        files.map { Count(list: $0.list, entries: entries(of: $0.path)) }
    }

    /// Entries in a list file: lines that hold something other than a comment or an `Include` (the files an
    /// Include names are not followed). A missing file holds none.
    public func entries(of path: String) -> Int {
        var st = stat()
        guard stat(path, &st) == 0 else { return 0 }
        let key = (size: Int(st.st_size), mtime: Int(st.st_mtim.tv_sec), nsec: Int(st.st_mtim.tv_nsec))
        if let c = cache.withLock({ $0[path] }), c.size == key.size, c.mtime == key.mtime, c.nsec == key.nsec { return c.entries }
        guard let bytes = try? MappedBytes(path: path) else { return 0 }
        let n = Self.countEntries(bytes.buffer)
        cache.withLock { $0[path] = (key.size, key.mtime, key.nsec, n) }
        return n
    }

    /// memchr finds each line's end: a million-line csf.deny is counted in milliseconds.
    static func countEntries(_ b: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = b.baseAddress else { return 0 }
        var n = 0, i = 0
        while i < b.count {
            var j = i
            while j < b.count, b[j] == UInt8(ascii: " ") || b[j] == UInt8(ascii: "\t") { j += 1 }
            if j < b.count, b[j] != UInt8(ascii: "\n"), b[j] != UInt8(ascii: "#"), b[j] != UInt8(ascii: "\r"),
               !Self.isInclude(b, at: j) {
                n += 1
            }
            guard j < b.count, let nl = memchr(base + j, 0x0A, b.count - j) else { break }
            i = base.distance(to: nl.assumingMemoryBound(to: UInt8.self)) + 1
        }
        return n
    }

    static func isInclude(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        let word = Array("Include".utf8)
        guard i + word.count < b.count else { return false }
        for k in word.indices where b[i + k] != word[k] { return false }
        return b[i + word.count] == UInt8(ascii: " ") || b[i + word.count] == UInt8(ascii: "\t")
    }
}
