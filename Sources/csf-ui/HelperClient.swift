#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import NIOPosix
import Synchronization

/// The UI's end of the socket pair to its root helper. One request at a time (the helper answers in order);
/// the blocking exchange runs on NIO's thread pool, never on an event loop.
final class HelperClient: Sendable {
    /// A SOCK_SEQPACKET message must fit the socket's send buffer.
    static let maxReply = 160_000
    private let fd: Int32
    private let exchangeLock = Mutex<Void>(())

    private init(fd: Int32) { self.fd = fd }

    /// Starts `csf-ui --helper` as root with the other end of the pair as its stdin. Must run before root is
    /// given up; the helper lives as long as this process (end of file on its socket ends it).
    static func start() -> Result<HelperClient, StartProblem> {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            return .failure(StartProblem("socketpair: \(String(cString: strerror(errno)))"))
        }
        var size: Int32 = 1 << 20
        for fd in pair { setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
        var timeout = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(pair[0], SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let pid = Subprocess.spawnChild([Subprocess.currentExecutable, "--helper"], input: pair[1])
        close(pair[1])
        guard pid != nil else {
            close(pair[0])
            return .failure(StartProblem("cannot start the privileged helper: \(String(cString: strerror(errno)))"))
        }
        return .success(HelperClient(fd: pair[0]))
    }

    func ask(_ envelope: HelperEnvelope) async -> HelperReply {
        guard let bytes = envelope.encoded() else { return HelperReply(ok: false, text: "refused: a value holds a control character or is too long") }
        do {
            return try await NIOThreadPool.singleton.runIfActive { self.exchange(bytes) }
        } catch {
            return HelperReply(ok: false, text: "csf-ui: \(error)")
        }
    }

    private func exchange(_ bytes: [UInt8]) -> HelperReply {
        exchangeLock.withLock { _ in
            guard send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { return helperGone() }
            var buffer = [UInt8](repeating: 0, count: Self.maxReply + 1)
            var n = -1
            repeat { n = recv(fd, &buffer, buffer.count, 0) } while n < 0 && errno == EINTR
            guard n > 0, let reply = HelperReply(decoding: buffer[0..<n]) else { return helperGone() }
            return reply
        }
    }

    /// Without its helper the UI can neither show nor change anything: it stops, and systemd starts both again.
    private func helperGone() -> HelperReply {
        Output.err("csf-ui: the privileged helper stopped answering; exiting")
        exit(1)
    }
}
