#if canImport(Glibc)
import Glibc
#endif

/// A Unix socket's address, built once with its exact length. A leading `@` names the abstract namespace
/// (sd_notify's and journald's sockets); a path that does not fit `sun_path` with its terminating zero is refused
/// rather than cut, so a long path can never silently name a different socket.
public struct UnixSocketAddress: Sendable {
    private var storage = sockaddr_un()
    private let length: socklen_t

    public init?(path: String) {
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: storage.sun_path) else { return nil }
        storage.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &storage.sun_path) { raw in
            for (i, byte) in bytes.enumerated() { raw[i] = byte }
        }
        length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
    }

    /// Calls `body` with the address as the `sockaddr` that bind, connect and sendto take.
    public func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafePointer(to: storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }

    public func bind(_ fd: Int32) -> Bool { withSockaddr { Glibc.bind(fd, $0, $1) == 0 } }
    public func connect(_ fd: Int32) -> Bool { withSockaddr { Glibc.connect(fd, $0, $1) == 0 } }
}
