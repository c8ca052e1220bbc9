#if canImport(Glibc)
import Glibc
#endif
import CNftShim
import CSys
import CsfCompat

/// lfd's side of `NetfilterSocketLoan`: a unix socket, root's only, that hands each connecting root process a
/// netfilter socket of its own until that connection closes. The sockets are kept for lfd's life and reused, so
/// their last close (and its wait for the kernel's frees) happens once, when lfd stops. It serves on a thread of
/// its own, so a csf command never waits for lfd's event loop (busy with a burst of log lines, a list's refresh).
public final class NetfilterSocketLender: @unchecked Sendable {
    // Between `start` and `stop` every field below is the serving thread's alone.
    let listener: Int32
    let path: String
    private let wake: Int32
    private var thread: pthread_t?
    private var idle: [OpaquePointer] = []
    /// Connection -> the socket lent over it.
    private var lent: [Int32: OpaquePointer] = [:]
    /// More borrowers at once than this open their own sockets.
    static let poolLimit = 16

    /// Listens at `path` (a stale socket file there is replaced); nil when it cannot.
    public init?(path: String) {
        guard let address = UnixSocketAddress(path: path) else { return nil }
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return nil }
        // Created owner-only: umask for the bind (a connect needs write permission on the file).
        let mask = umask(0o177)
        let bound = address.bind(fd)
        umask(mask)
        let wake = eventfd(0, Int32(EFD_CLOEXEC))
        guard bound, listen(fd, 16) == 0, wake >= 0 else {
            close(fd)
            if wake >= 0 { close(wake) }
            unlink(path)
            return nil
        }
        listener = fd
        self.wake = wake
        self.path = path
    }

    /// Starts serving on a thread of its own; false when no thread could be had.
    public func start() -> Bool {
        thread = SignalFreeThread.start { [self] in serve() }
        return thread != nil
    }

    /// Ends the serving thread (the sockets are closed with the lender).
    public func stop() {
        guard let thread else { return }
        var one: UInt64 = 1
        _ = write(wake, &one, 8)
        pthread_join(thread, nil)
        self.thread = nil
    }

    private func serve() {
        while true {
            let watched = [wake] + descriptors
            var fds = watched.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 || errno == EINTR else { return }
            if fds[0].revents != 0 { return }
            serve(ready: Set(fds.dropFirst().filter { $0.revents != 0 }.map(\.fd)))
        }
    }

    deinit {
        stop()
        for (connection, socket) in lent {
            close(connection)
            mnl_socket_close(socket)
        }
        for socket in idle { mnl_socket_close(socket) }
        close(listener)
        close(wake)
        unlink(path)
    }

    /// The listener, then every connection with a loan (readable or hung up: returned).
    private var descriptors: [Int32] { [listener] + lent.keys.sorted() }

    /// `ready`: the descriptors poll reported. Takes back the sockets of closed connections, then lends to
    /// whoever connected.
    private func serve(ready: Set<Int32>) {
        for connection in ready where connection != listener {
            guard let socket = lent.removeValue(forKey: connection) else { continue }
            close(connection)
            idle.append(socket)
        }
        guard ready.contains(listener) else { return }
        while true {
            let connection = accept4(listener, nil, nil, Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue))
            guard connection >= 0 else {
                // Out of descriptors or memory: the connection stays queued and poll would report it again at
                // once; a pause keeps that from spinning a core (the borrower gives up after 0.1 s).
                if errno != EAGAIN && errno != EINTR { usleep(100_000) }
                return
            }
            lend(over: connection)
        }
    }

    private func lend(over connection: Int32) {
        guard NetfilterSocketLoan.peerIsRoot(connection), let socket = takeSocket() else {
            close(connection)
            return
        }
        guard csys_send_fd(connection, mnl_socket_get_fd(socket)) == 0 else {
            close(connection)
            idle.append(socket)
            return
        }
        lent[connection] = socket
    }

    private func takeSocket() -> OpaquePointer? {
        if let socket = idle.popLast() { return socket }
        guard lent.count < Self.poolLimit, let socket = try? NetfilterSocket.open("lend a netlink socket") else { return nil }
        return socket
    }
}
