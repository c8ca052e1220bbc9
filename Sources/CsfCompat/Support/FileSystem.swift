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

    public static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
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

    public static func writeAtomically(_ path: String, bytes: [UInt8], mode: mode_t = 0o600, sync: Bool = true) throws(CsfError) {
        try makeDirectories(dirname(path))
        let tmp = "\(path).tmp.\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .system(tmp, errno) }
        var ok = true
        var utf8 = bytes
        utf8.withUnsafeMutableBytes { buf in
            guard let base = buf.baseAddress else { return }
            var off = 0
            while off < buf.count {
                let n = write(fd, base + off, buf.count - off)
                if n < 0 { if errno == EINTR { continue }; ok = false; return }
                off += n
            }
        }
        if ok && sync && fsync(fd) != 0 { ok = false }
        let err = errno
        close(fd)
        guard ok else {
            unlink(tmp)
            throw .system(path, err)
        }
        guard rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw .system(path, e)
        }
        if sync, let dirfd = Optional(open(dirname(path), O_RDONLY | O_DIRECTORY)), dirfd >= 0 {
            fsync(dirfd)
            close(dirfd)
        }
    }

    /// Appends one line with a single write (and fsync), starting a new line if the file lacks a final newline.
    /// Returns the previous size so a failed command can cut the file back.
    @discardableResult
    public static func appendLine(_ path: String, _ line: String) throws(CsfError) -> Int {
        try makeDirectories(dirname(path))
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system(path, errno) }
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        let size = Int(st.st_size)
        var text = line + "\n"
        if size > 0 {
            var last: UInt8 = 10
            if pread(fd, &last, 1, off_t(size - 1)) == 1, last != 10 { text = "\n" + text }
        }
        let ok = text.withCString { write(fd, $0, strlen($0)) } == text.utf8.count && fsync(fd) == 0
        guard ok else { throw .system(path, errno) }
        return size
    }

    /// Overwrites byte ranges in place (same length) and flushes them. Each range is one line, written by
    /// one pwrite: a crash leaves each line either old, new, or torn inside itself, never a shortened file.
    public static func overwrite(_ path: String, _ patches: [(offset: Int, bytes: [UInt8])]) throws(CsfError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(path, errno) }
        defer { close(fd) }
        for patch in patches {
            let n = patch.bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(patch.offset)) }
            guard n == patch.bytes.count else { throw .system(path, errno) }
        }
        guard fdatasync(fd) == 0 else { throw .system(path, errno) }
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
