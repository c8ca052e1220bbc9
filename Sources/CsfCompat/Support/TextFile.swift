#if canImport(Glibc)
import Glibc
#endif

/// Reads whole files as bytes; list files can hold a million lines, so they are scanned without Foundation.
public enum TextFile {
    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    public static func readBytes(_ path: String) throws(CsfError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(path, errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .system(path, errno) }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw .io(path: path, reason: "is a directory") }
        // Read straight into the array's storage: no staging buffer, no second copy.
        var size = Int(st.st_size)
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
            // A file that grew while being read: keep reading.
            if filled < capacity { break }
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
