#if canImport(Glibc)
import Glibc
#endif
import CsfCompat

/// A scrape: connect to lfd's metrics socket and read until lfd closes it. lfd renders in milliseconds; a
/// stuck lfd costs a scrape at most the receive timeout.
struct MetricsSource: Sendable {
    let socketPath: String
    /// Larger than any real exposition (a few hundred series); a runaway answer is cut off, not buffered.
    static let maxBytes = 16 << 20

    struct Problem: Error { let text: String }

    func scrape() -> Result<[UInt8], Problem> {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(Problem(text: "socket: \(String(cString: strerror(errno)))")) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let address = UnixSocketAddress(path: socketPath) else { return .failure(Problem(text: "socket path too long")) }
        guard address.connect(fd) else {
            return .failure(Problem(text: "lfd does not answer on \(socketPath) (\(String(cString: strerror(errno)))): is lfd running with METRICS = 1?"))
        }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while out.count < Self.maxBytes {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return .success(out) }
            guard n > 0 else { return .failure(Problem(text: "reading \(socketPath): \(String(cString: strerror(errno)))")) }
            out += chunk[0..<n]
        }
        return .failure(Problem(text: "lfd's answer is larger than \(Self.maxBytes) bytes"))
    }
}
