#if canImport(Glibc)
import Glibc
#endif

/// The last lines of a log, read from its end (lfd.log may be large): the UI's log view and recent blocks, and
/// what a daemon that failed to start wrote about it.
public enum LogTail {
    /// Where the log ends now (0 when it does not exist): `lines(since:)` then shows only what is written after.
    public static func end(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : 0
    }

    /// The last `count` complete lines within the log's last `window` bytes that start at or after byte `since`;
    /// from the top when the log is shorter than `since` now (truncated or replaced meanwhile).
    public static func lines(_ path: String, count: Int, window: Int = 256 << 10, since: Int = 0) -> [String] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return [] }
        let size = Int(st.st_size), base = size >= since ? since : 0, from = max(base, size - window)
        guard size > from else { return [] }
        var bytes = [UInt8](repeating: 0, count: size - from)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(from)) }
        guard n > 0 else { return [] }
        var lines = bytes.prefix(n).split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
        if from > base, !lines.isEmpty { lines.removeFirst() }   // cut mid-line
        return Array(lines.suffix(count))
    }
}
