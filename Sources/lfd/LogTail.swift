import CsfCompat
#if canImport(Glibc)
import Glibc
#endif

/// The lines a log gains after a point: what a daemon that failed to start wrote about it, shown to the admin
/// who started it instead of only a path to look in.
struct LogTail {
    let path: String
    let start: Int

    /// Remembers where the log ends now (0 when it does not exist yet).
    init(path: String) {
        self.path = path
        var st = stat()
        start = stat(path, &st) == 0 ? Int(st.st_size) : 0
    }

    /// The last `count` complete lines written since `init`, from at most the log's last 64 KB; from the top when
    /// the log was truncated or replaced meanwhile.
    func newLines(last count: Int) -> [String] {
        guard let (fd, size) = try? TextFile.openRegular(path) else { return [] }
        defer { close(fd) }
        let base = size >= start ? start : 0
        let from = max(base, size - 65_536)
        guard size > from else { return [] }
        var bytes = [UInt8](repeating: 0, count: size - from)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(from)) }
        guard n > 0 else { return [] }
        let text = String(decoding: bytes.prefix(n), as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        if from > base, !lines.isEmpty { lines.removeFirst() }
        return Array(lines.suffix(count))
    }
}
