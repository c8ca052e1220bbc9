#if canImport(Glibc)
import Glibc
#endif
import CSys
import CsfCompat

/// One datagram to a Unix socket by path (`@name`: the abstract namespace): sd_notify's and syslog's way in.
enum UnixDatagram {
    @discardableResult
    static func send(_ payload: [UInt8], to path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard let address = UnixSocketAddress(path: path) else { return false }
        return address.withSockaddr { sa, length in
            payload.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, length) } == payload.count
        }
    }
}
