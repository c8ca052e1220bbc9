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
        guard fd >= 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw .io(path: path, reason: "is a directory") }
        var out = [UInt8]()
        out.reserveCapacity(Int(st.st_size) + 1)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
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

    /// Splits on every line end csf honours (LF, CR, VT, FF; NEL and U+2028/9 are rare enough to treat via String).
    static func lines(_ text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline })
    }
}
