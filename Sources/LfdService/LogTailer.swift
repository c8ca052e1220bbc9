import CsfCompat
import CsfFirewall
import LfdCore
import Logging

#if canImport(Glibc)
import Glibc
#endif
import CSys

/// Follows log files with inotify, one reader per physical file whatever the number of log keys using it.
/// Starts at the end of each file (as csf); a file that appears later is read from its start. Rotation by
/// rename: the old file is drained to its end and kept open for a grace period (a daemon may write a few more
/// lines before it reopens), and the new file is read from its first byte — csf reopened at the *end* of the
/// new file and lost those lines (reference §8 #20). copytruncate: a file shorter than our offset is re-read
/// from its start.
public final class LogTailer {
    public struct Line: Sendable {
        public var path: String
        public var keys: [String]
        public var text: String
    }

    final class Source {
        let path: String
        var keys: [String]
        var fd: Int32 = -1
        var inode: UInt64 = 0
        var offset = 0
        var partial: [UInt8] = []

        init(path: String, keys: [String]) {
            self.path = path
            self.keys = keys
        }
    }

    struct Retired {
        var source: Source
        var until: Double
    }

    public let inotifyFD: Int32
    private var sources: [Source] = []
    private var retired: [Retired] = []
    public let floodLimit: Int
    public let rotationGrace: Double
    private let logger: Logger

    /// `files`: path → the log keys it serves.
    public init(files: [String: [String]], floodLimit: Int, rotationGrace: Double = 60, logger: Logger) throws(CsfError) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw .io(path: "inotify", reason: String(cString: strerror(errno))) }
        inotifyFD = fd
        self.floodLimit = floodLimit
        self.rotationGrace = rotationGrace
        self.logger = logger
        var dirs = Set<String>()
        for path in files.keys.sorted() {
            let source = Source(path: path, keys: files[path] ?? [])
            sources.append(source)
            open(source, atEnd: true)
            logger.info("Watching \(path)...")
            let dir = FileSystem.dirname(path)
            if dirs.insert(dir).inserted {
                _ = inotify_add_watch(fd, dir, UInt32(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE))
            }
        }
    }

    deinit {
        for s in sources where s.fd >= 0 { close(s.fd) }
        for r in retired where r.source.fd >= 0 { close(r.source.fd) }
        close(inotifyFD)
    }

    public var watchedPaths: [String] { sources.map(\.path) }

    private func open(_ s: Source, atEnd: Bool) {
        let fd = Glibc.open(s.path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return }
        var st = stat()
        fstat(fd, &st)
        s.fd = fd
        s.inode = UInt64(st.st_ino)
        s.offset = atEnd ? Int(st.st_size) : 0
        s.partial = []
        lseek(fd, off_t(s.offset), SEEK_SET)
        _ = inotify_add_watch(inotifyFD, s.path, UInt32(IN_MODIFY | IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB))
    }

    /// Everything appended since the last call, in order per file. Call after inotify reports, and now and
    /// then anyway (a missed event costs nothing but latency).
    public func poll(now: Double) -> [Line] {
        drainEvents()
        var out: [Line] = []
        // Lines still arriving in rotated-away files come first: they are older than the new file's.
        retired.removeAll { r in
            out += read(r.source)
            if now >= r.until {
                close(r.source.fd)
                return true
            }
            return false
        }
        for s in sources {
            if s.fd < 0 {
                if TextFile.exists(s.path) { open(s, atEnd: false) } else { continue }
            }
            out += read(s)
            var st = stat()
            if stat(s.path, &st) != 0 || UInt64(st.st_ino) != s.inode {
                // Renamed (or deleted) away: keep draining the old file for a while, read the new one from 0.
                logger.info("\(s.path) rotated. Reopening log file")
                let old = Source(path: s.path, keys: s.keys)
                old.fd = s.fd
                old.offset = s.offset
                old.partial = s.partial
                retired.append(Retired(source: old, until: now + rotationGrace))
                s.fd = -1
                if TextFile.exists(s.path) {
                    open(s, atEnd: false)
                    out += read(s)
                }
                continue
            }
            var fst = stat()
            if fstat(s.fd, &fst) == 0, Int(fst.st_size) < s.offset {
                logger.info("\(s.path) has been reset. Reopening log file")
                s.offset = 0
                s.partial = []
                lseek(s.fd, 0, SEEK_SET)
                out += read(s)
            }
        }
        return out
    }

    private func drainEvents() {
        var buf = [UInt8](repeating: 0, count: 4096)
        while buf.withUnsafeMutableBytes({ Glibc.read(inotifyFD, $0.baseAddress, $0.count) }) > 0 {}
    }

    /// Complete lines appended to one file. More than `floodLimit` lines in one pass: csf's flood guard skips
    /// to the end of the file and reports it.
    private func read(_ s: Source) -> [Line] {
        var lines: [Line] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var flooded = false
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(s.fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            s.offset += n
            var start = 0
            for i in 0..<n where chunk[i] == ASCII.lineFeed {
                var bytes = s.partial
                bytes += chunk[start..<i]
                s.partial = []
                start = i + 1
                if bytes.last == ASCII.carriageReturn { bytes.removeLast() }
                if !flooded { lines.append(Line(path: s.path, keys: s.keys, text: String(decoding: bytes, as: UTF8.self))) }
                if lines.count > floodLimit && !flooded {
                    flooded = true
                    lines.removeAll()
                }
            }
            s.partial += chunk[start..<n]
            if s.partial.count > 1 << 20 { s.partial.removeAll() }
        }
        if flooded {
            logger.error("*Error* Log line flooding/looping in \(s.path). Reopening log file")
            var st = stat()
            fstat(s.fd, &st)
            s.offset = Int(st.st_size)
            s.partial = []
            lseek(s.fd, off_t(s.offset), SEEK_SET)
        }
        return lines
    }
}
