#if canImport(Glibc)
import Glibc
#endif

/// Small file operations csf needs; writes are atomic (temp file, fsync, rename) so a crash never
/// leaves a half-written list behind.
public enum FileSystem {
    public static func dirname(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    public static func makeDirectories(_ path: String) throws(CsfError) {
        if path.isEmpty || path == "/" || isDirectory(path) { return }
        try makeDirectories(dirname(path))
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw .system(path, errno)
        }
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    public static func isExecutableFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }

    /// Seconds since the epoch of the last change to the file's contents; nil when it cannot be read.
    public static func modificationTime(_ path: String) -> Int? {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_mtim.tv_sec) : nil
    }

    public static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// A symbolic link's target, nil when the path is not a link (or cannot be read).
    public static func readLink(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buf, buf.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func listDirectory(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public static func writeAtomically(_ path: String, _ text: String, mode: mode_t = 0o600, sync: Bool = true) throws(CsfError) {
        try writeAtomically(path, bytes: Array(text.utf8), mode: mode, sync: sync)
    }

    /// A new file gets `mode`; a file that exists keeps its mode and owner (an admin's 0644 csf.deny stays 0644).
    public static func writeAtomically(_ path: String, bytes: [UInt8], mode: mode_t = 0o600, sync: Bool = true) throws(CsfError) {
        try StagedFile(path, bytes: bytes, mode: mode, sync: sync).install(sync: sync).release()
    }

    static func syncDirectory(of path: String) {
        let dirfd = open(dirname(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirfd >= 0 else { return }
        fsync(dirfd)
        close(dirfd)
    }

    /// Writes every byte or returns the errno that stopped it (ENOSPC on a full disk).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBytes { buf -> Int32 in
            guard let base = buf.baseAddress else { return 0 }
            var off = 0
            while off < buf.count {
                let n = write(fd, base + off, buf.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                if n == 0 { return EIO }
                off += n
            }
            return 0
        }
    }

    /// Appends one line, all or nothing: the whole line is written and flushed, or the file is cut back to its
    /// old length (a full disk must never leave half an address behind). Starts a new line if the file lacks a
    /// final newline. Returns the previous size so a failed command can cut the file back. `flush: false` leaves
    /// the flush to the caller (`flush(_:)`): other processes see the line at once, only its durability waits.
    @discardableResult
    public static func appendLine(_ path: String, _ line: String, flush: Bool = true) throws(CsfError) -> Int {
        try makeDirectories(dirname(path))
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system(path, errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .system(path, errno) }
        let size = Int(st.st_size)
        var text = Array((line + "\n").utf8)
        if size > 0 {
            var last: UInt8 = ASCII.lineFeed
            if pread(fd, &last, 1, off_t(size - 1)) == 1, last != ASCII.lineFeed { text.insert(ASCII.lineFeed, at: 0) }
        }
        var failure = writeAll(fd, text)
        if failure == 0 && flush && fsync(fd) != 0 { failure = errno }
        guard failure == 0 else {
            ftruncate(fd, off_t(size))
            fsync(fd)
            throw .system(path, failure)
        }
        return size
    }

    /// Overwrites byte ranges in place (same length) and flushes them. Each range is one line, written by
    /// one pwrite: a crash leaves each line either old, new, or torn inside itself, never a shortened file.
    public static func overwrite(_ path: String, _ patches: [(offset: Int, bytes: [UInt8])], flush: Bool = true) throws(CsfError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(path, errno) }
        defer { close(fd) }
        for patch in patches {
            let n = patch.bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(patch.offset)) }
            guard n == patch.bytes.count else { throw .system(path, errno) }
        }
        guard !flush || fdatasync(fd) == 0 else { throw .system(path, errno) }
    }

    /// Makes what was written to the file durable (the second half of `appendLine`/`overwrite` with `flush: false`).
    public static func flush(_ path: String) throws(CsfError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(path, errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .system(path, errno) }
    }

    public static func truncate(_ path: String, to size: Int) {
        _ = Glibc.truncate(path, off_t(size))
    }

    public static func remove(_ path: String) {
        unlink(path)
    }

    public static func touch(_ path: String) throws(CsfError) {
        try makeDirectories(dirname(path))
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system(path, errno) }
        close(fd)
    }
}
