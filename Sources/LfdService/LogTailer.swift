import CsfCompat
import CsfFirewall
import LfdCore
import Logging

#if canImport(Glibc)
import Glibc
#endif
import CSys

/// Follows log files with inotify, one reader per physical file whatever the number of log keys using it.
/// Starts where the last lfd stopped (`LogPositions`, within a bounded window), else at the end of each file
/// (as csf); a file that appears later is read from its start. Rotation by rename: the old file is drained to
/// its end and kept open for a grace period (a daemon may write a few more lines before it reopens), and the
/// new file is read from its first byte — csf reopened at the *end* of the new file and lost those lines
/// (reference §8 #20). copytruncate: a file shorter than our offset is re-read from its start.
/// No line is ever skipped: a burst is read in batches of `batchLines` per file and `hasBacklog` asks the
/// loop to come back at once (csf's flood guard threw away everything past 5,000 lines, real failures too).
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
    public let batchLines: Int
    public let rotationGrace: Double
    private let logger: Logger
    /// Set by `poll` when a file has more complete lines than one batch took.
    public private(set) var hasBacklog = false

    /// `files`: path → the log keys it serves. `resume`: where a previous lfd stopped reading.
    public init(files: [String: [String]], batchLines: Int = 20_000, rotationGrace: Double = 60,
                resume: LogPositions = LogPositions(), resumeWindow: Int = LogPositions.window,
                logger: Logger) throws(CsfError) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw .io(path: "inotify", reason: String(cString: strerror(errno))) }
        inotifyFD = fd
        self.batchLines = max(1, batchLines)
        self.rotationGrace = rotationGrace
        self.logger = logger
        var dirs = Set<String>()
        for path in files.keys.sorted() {
            let source = Source(path: path, keys: files[path] ?? [])
            sources.append(source)
            open(source, atEnd: true)
            resumeIfKnown(source, resume, window: resumeWindow)
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

    /// Where each file has been read up to (complete lines only), to be saved for the next lfd.
    public var positions: LogPositions {
        LogPositions(sources.filter { $0.fd >= 0 }.map {
            LogPositions.Position(path: $0.path, inode: $0.inode, offset: $0.offset - $0.partial.count)
        })
    }

    /// Lines written while lfd was down are read, unless there are more than the window holds: then reading
    /// starts at the end, as csf always did, and the log says how much was passed over.
    private func resumeIfKnown(_ s: Source, _ resume: LogPositions, window: Int) {
        guard s.fd >= 0, let known = resume[s.path] else { return }
        let size = s.offset
        // Another inode, or a shorter file: rotated or truncated while lfd was down, so all of it is newer.
        let from = known.inode == s.inode && known.offset <= size ? known.offset : 0
        guard size - from <= window else {
            logger.info("\(s.path): \(size - from) bytes written while lfd was down, more than \(window); reading from the end")
            return
        }
        if from < size { logger.info("\(s.path): reading \(size - from) bytes written while lfd was down") }
        s.offset = from
        lseek(s.fd, off_t(from), SEEK_SET)
    }

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
        hasBacklog = false
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

    /// Complete lines appended to one file, at most `batchLines` of them; the rest waits for the next poll.
    private func read(_ s: Source) -> [Line] {
        var lines: [Line] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let chunkStart = s.offset
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
                lines.append(Line(path: s.path, keys: s.keys, text: String(decoding: bytes, as: UTF8.self)))
                if lines.count == batchLines {
                    // Stop after this line: the next poll starts right behind it.
                    s.offset = chunkStart + start
                    lseek(s.fd, off_t(s.offset), SEEK_SET)
                    hasBacklog = true
                    return lines
                }
            }
            s.partial += chunk[start..<n]
            if s.partial.count > LogTailer.longestLine {
                logger.error("\(s.path): a line longer than \(LogTailer.longestLine) bytes was not read")
                s.partial.removeAll()
            }
        }
        return lines
    }

    /// No log line is this long; the cap keeps a file without newlines from growing memory.
    static let longestLine = 1 << 20
}
