#if canImport(Glibc)
import Glibc
#endif
import CNftShim
import CSys
import CsfCompat

/// A netfilter socket csf borrows from lfd for the life of one command instead of opening its own.
///
/// The kernel ends a netfilter socket's life (its last close) by waiting, under the lock every firewall change
/// needs, for the frees of anything deleted just before: ~15 ms after an element's deletion, ~0.4 s after a
/// million-element set's. Each csf command closing its own socket paid that wait (or started a process to pay it)
/// and held every other change back meanwhile. A socket lfd keeps open is never closed by csf: csf's close only
/// drops its reference. lfd lends each socket to one borrower at a time — the loan ends when the borrower's
/// connection closes, at its exit — so two commands never read each other's answers.
public struct NetfilterSocketLoan {
    /// The borrowed socket, this process's descriptor of it.
    public let socket: Int32
    /// The connection to lfd; closing it returns the socket.
    let connection: Int32

    /// lfd's lending socket (beside its pid file).
    public static func path(_ paths: CsfPaths) -> String { paths.path("/var/run/lfd.netlink") }

    /// A loan from the lfd listening at `path`, nil when there is none to be had (lfd not running, or an older
    /// one, or in another network namespace, or all its sockets lent): the caller opens its own socket then.
    public static func borrow(from path: String) -> NetfilterSocketLoan? {
        guard TextFile.exists(path), let address = UnixSocketAddress(path: path) else { return nil }
        let connection = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard connection >= 0 else { return nil }
        // A stuck lfd (its backlog full, its thread stopped) costs a command 0.1 s, then it opens its own socket.
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard address.connect(connection), peerIsRoot(connection) else {
            close(connection)
            return nil
        }
        let fd = csys_recv_fd(connection)
        guard fd >= 0 else {
            close(connection)
            return nil
        }
        guard isNetfilterSocket(fd), inOurNamespace(fd) else {
            close(fd)
            close(connection)
            return nil
        }
        drain(fd)
        return NetfilterSocketLoan(socket: fd, connection: connection)
    }

    /// Closes this process's descriptor, then the connection (lfd takes the socket back).
    public func end() {
        close(socket)
        close(connection)
    }

    /// Only root's lfd lends: a socket from anyone else would carry their rights, not ours.
    static func peerIsRoot(_ fd: Int32) -> Bool {
        csys_peer_uid(fd) == 0
    }

    static func isNetfilterSocket(_ fd: Int32) -> Bool {
        var domain: Int32 = 0, proto: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &size) == 0, domain == AF_NETLINK else { return false }
        size = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &size) == 0 && proto == NETLINK_NETFILTER
    }

    /// The socket talks to the firewall of the namespace it was made in: it must be this command's (an lfd of the
    /// same CSF_ROOT in another namespace would otherwise have csf change that one's firewall).
    static func inOurNamespace(_ fd: Int32) -> Bool {
        let ns = csys_socket_netns(fd)
        guard ns >= 0 else { return false }
        defer { close(ns) }
        var theirs = stat(), ours = stat()
        return fstat(ns, &theirs) == 0 && stat("/proc/thread-self/ns/net", &ours) == 0
            && theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev
    }

    /// Answers left by an earlier borrower that was killed half-way are not ours: read and dropped.
    static func drain(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 8192)
        while buffer.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }) > 0 || errno == ENOBUFS {}
    }
}
