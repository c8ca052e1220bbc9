#if canImport(Glibc)
import Glibc
#endif

/// Reads whole files as bytes; list files can hold a million lines, so they are scanned without Foundation.
/// Only regular files are read, up to `maxBytes`: `Include /dev/zero` must not eat the memory, nor a FIFO hang.
public enum TextFile {
    /// A csf.deny of ten million entries is about 1.2 GB; nothing csf reads is meant to be larger.
    public static let maxBytes = 2 << 30

    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Opens a regular file for reading (O_NONBLOCK, so opening a FIFO returns instead of waiting for a writer);
    /// returns the descriptor and its size.
    public static func openRegular(_ path: String) throws(CsfError) -> (fd: Int32, size: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw .system(path, errno) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let code = errno
            close(fd)
            throw .system(path, code)
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw .io(path: path, reason: (st.st_mode & S_IFMT) == S_IFDIR ? "is a directory" : "is not a regular file")
        }
        guard Int(st.st_size) <= maxBytes else {
            close(fd)
            throw .io(path: path, reason: "is larger than \(maxBytes >> 20) MB")
        }
        return (fd, Int(st.st_size))
    }

    public static func readBytes(_ path: String) throws(CsfError) -> [UInt8] {
        let (fd, initialSize) = try openRegular(path)
        defer { close(fd) }
        // Read straight into the array's storage: no staging buffer, no second copy.
        var size = initialSize
        var out = [UInt8]()
        while true {
            let capacity = size + 1
            var filled = 0
            var failure: Int32 = 0
            let chunk = [UInt8](unsafeUninitializedCapacity: capacity) { buf, count in
                guard let base = buf.baseAddress else { count = 0; return }
                while filled < capacity {
                    let n = Glibc.read(fd, base + filled, capacity - filled)
                    if n < 0 { if errno == EINTR { continue }; failure = errno; break }
                    if n == 0 { break }
                    filled += n
                }
                count = filled
            }
            if failure != 0 { throw .system(path, failure) }
            if out.isEmpty { out = chunk } else { out += chunk }
            // A file that grew while being read: keep reading, within the cap.
            if filled < capacity { break }
            guard out.count <= maxBytes else { throw .io(path: path, reason: "is larger than \(maxBytes >> 20) MB") }
            size = max(size, 1 << 16)
        }
        return out
    }

    public static func read(_ path: String) throws(CsfError) -> String {
        let bytes = try readBytes(path)
        return String(unsafeUninitializedCapacity: bytes.count) { buf in
            _ = buf.initialize(from: bytes)
            return bytes.count
        }
    }
}

/// A file named by device and inode, whatever the path used to reach it: Include loops are found by identity
/// (`a`, `./a`, `/etc/csf/../csf/a` and a symlink to it are one file).
public struct FileIdentity: Hashable, Sendable {
    public let device: UInt64
    public let inode: UInt64

    public init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }
}
