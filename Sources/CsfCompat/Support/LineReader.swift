#if canImport(Glibc)
import Glibc
#endif

/// Reads lines from a descriptor on a thread of its own (a blocking read must not hold one of the few threads
/// Swift's concurrency runs on).
public enum LineReader {
    private final class Job: @unchecked Sendable {
        let fd: Int32
        let onLine: @Sendable (Substring) -> Void
        let onEnd: @Sendable () -> Void
        init(fd: Int32, onLine: @escaping @Sendable (Substring) -> Void, onEnd: @escaping @Sendable () -> Void) {
            self.fd = fd
            self.onLine = onLine
            self.onEnd = onEnd
        }

        func run() {
            var pending: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                // A descriptor someone made non-blocking: wait for data instead of taking EAGAIN for the end.
                if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    _ = poll(&p, 1, -1)
                    continue
                }
                guard n > 0 else { break }
                pending += buf[0..<n]
                while let nl = pending.firstIndex(of: 10) {
                    onLine(Substring(String(decoding: pending[..<nl], as: UTF8.self)))
                    pending.removeSubrange(...nl)
                }
                // One line longer than this is not lfd's: drop it rather than grow without bound.
                if pending.count > 1 << 20 { pending.removeAll() }
            }
            onEnd()
        }
    }

    public static func start(fd: Int32, onLine: @escaping @Sendable (Substring) -> Void, onEnd: @escaping @Sendable () -> Void) {
        let job = Unmanaged.passRetained(Job(fd: fd, onLine: onLine, onEnd: onEnd)).toOpaque()
        var thread = pthread_t()
        pthread_create(&thread, nil, { arg in
            guard let arg else { return nil }
            Unmanaged<Job>.fromOpaque(arg).takeRetainedValue().run()
            return nil
        }, job)
        pthread_detach(thread)
    }
}
