#if canImport(Glibc)
import Glibc
#endif
import CSys
import CsfCompat

/// The local socket lfd answers metrics on: a client connects and reads the exposition text until lfd closes.
/// There is no request to parse, so nothing a client sends can steer lfd. The socket is mode 0660, owned by
/// root and UI_RUNAS's group, in a directory only root writes: the unprivileged web service (csf-ui) reads it,
/// other local accounts cannot. Scrapes are answered on a thread of their own, so a busy event loop never delays
/// them and a scrape never delays the loop.
final class MetricsSocket: @unchecked Sendable {
    let fd: Int32
    let path: String

    /// Binds the socket, replacing a stale one; nil (with the reason) when it cannot be made.
    static func open(path: String, group: UInt32?) -> Result<MetricsSocket, CsfError> {
        let dir = FileSystem.dirname(path)
        do { try FileSystem.makeDirectories(dir) } catch { return .failure(error) }
        chmod(dir, 0o755)
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(.io(path: path, reason: String(cString: strerror(errno)))) }
        guard let address = UnixSocketAddress(path: path) else {
            close(fd)
            return .failure(.io(path: path, reason: "path too long for a Unix socket"))
        }
        // Created 0600 (umask), then opened to the group: never a moment when any account could connect.
        let oldMask = umask(0o177)
        let bound = address.bind(fd)
        umask(oldMask)
        guard bound, listen(fd, 16) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            return .failure(.io(path: path, reason: message))
        }
        if let group, chown(path, 0, group) == 0 { chmod(path, 0o660) }
        return .success(MetricsSocket(fd: fd, path: path))
    }

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Answers clients with `render()`'s text until the socket is shut down. A client that does not read
    /// within two seconds is dropped.
    func serve(_ render: () -> [UInt8]) {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let text = render()
            text.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return }
                var sent = 0
                while sent < raw.count {
                    let n = send(client, base + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                    if n <= 0 { break }
                    sent += n
                }
            }
            close(client)
        }
    }

    /// Ends `serve` (its accept fails) and removes the socket.
    func shutdown() {
        Glibc.shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        unlink(path)
    }
}
