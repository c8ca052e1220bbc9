#if canImport(Glibc)
import Glibc
#endif
import CNftShim
import CsfCompat

/// What the kernel's process events connector says happened (threads left out: only whole processes).
public enum ProcessEvent: Sendable, Equatable {
    case fork(parent: Int32, child: Int32)
    case exec(pid: Int32)
    case sessionStarted(pid: Int32)
    case exit(pid: Int32)
    /// The socket's queue overflowed: events were lost, the caller must look at /proc again.
    case lost
}

/// The netlink proc connector (`NETLINK_CONNECTOR`, `CN_IDX_PROC`): every fork, exec, setsid and exit on the host,
/// as it happens, so a fork bomb is seen within milliseconds instead of at the next /proc scan. The kernel sends
/// these only to listeners in the initial network and PID namespaces; elsewhere subscribing fails, and the
/// caller falls back to its scans. A socket subscribed by a parent can be handed down (`adopt`).
public final class ProcessEventSocket {
    public let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    static let netlinkConnector: Int32 = 11
    static let idxProc: UInt32 = 1, valProc: UInt32 = 1
    static let listen: UInt32 = 1
    // proc_event.what
    static let fork: UInt32 = 0x1, exec: UInt32 = 0x2, sid: UInt32 = 0x80, exit: UInt32 = 0x8000_0000
    // nlmsghdr (16) + cn_msg (20): proc_event starts at 36; its data after what, cpu and timestamp (16).
    static let eventOffset = 36, dataOffset = 52

    /// Opens, binds and subscribes.
    public init() throws(CsfError) {
        let type = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = Glibc.socket(AF_NETLINK, type, Self.netlinkConnector)
        guard fd >= 0 else { throw .kernel(operation: "proc connector", message: String(cString: strerror(errno))) }
        self.fd = fd
        var address = sockaddr_nl()
        address.nl_family = sa_family_t(AF_NETLINK)
        address.nl_groups = Self.idxProc
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_nl>.size)) }
        }
        guard bound == 0, Self.subscribe(fd) else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .kernel(operation: "proc connector", message: reason)
        }
        Self.tune(fd)
    }

    /// A socket already subscribed by the process that started lfd (NFTCSF_PROC_EVENTS_FD: tests, whose lfd runs
    /// in a network namespace of its own, where the connector does not answer).
    public init(adopting fd: Int32) {
        self.fd = fd
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        Self.tune(fd)
    }

    deinit { close(fd) }

    private static func tune(_ fd: Int32) {
        // A fork bomb makes thousands of events a second: a big queue, and an overflow reported (ENOBUFS), since
        // the table built from the events is then wrong and must be read again.
        var size: Int32 = 1 << 23
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    /// PROC_CN_MCAST_LISTEN to the kernel.
    private static func subscribe(_ fd: Int32) -> Bool {
        var message = [UInt8](repeating: 0, count: 40)
        func put32(_ value: UInt32, at offset: Int) { withUnsafeBytes(of: value) { message.replaceSubrange(offset..<offset + 4, with: $0) } }
        put32(40, at: 0)                                  // nlmsg_len
        message[4] = UInt8(NLMSG_DONE)                    // nlmsg_type
        put32(UInt32(bitPattern: getpid()), at: 12)       // nlmsg_pid
        put32(idxProc, at: 16)
        put32(valProc, at: 20)
        message[32] = 4                                   // cn_msg.len
        put32(listen, at: 36)
        return message.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) } == 40
    }

    /// What is queued now, up to about `limit` events (non-blocking): under a fork bomb the queue refills as fast
    /// as it is read, and the caller must act on what it has instead of reading on.
    public func receive(limit: Int = 2048) -> [ProcessEvent] {
        var out: [ProcessEvent] = []
        while out.count < limit {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == ENOBUFS { out.append(.lost); continue }
                break
            }
            if n == 0 { break }
            buffer.withUnsafeBytes { raw in Self.decode(raw, count: n, into: &out) }
        }
        return out
    }

    /// Walks the netlink messages of one datagram.
    static func decode(_ raw: UnsafeRawBufferPointer, count: Int, into out: inout [ProcessEvent]) {
        var offset = 0
        while offset + dataOffset + 8 <= count {
            let length = Int(raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            guard length >= dataOffset, offset + length <= count else { return }
            let base = offset
            func i32(_ at: Int) -> Int32 { raw.loadUnaligned(fromByteOffset: base + at, as: Int32.self) }
            let what = raw.loadUnaligned(fromByteOffset: base + eventOffset, as: UInt32.self)
            switch what {
            case fork where length >= dataOffset + 16:
                // parent pid, parent tgid, child pid, child tgid: a new process when the child leads its group.
                if i32(dataOffset + 8) == i32(dataOffset + 12) { out.append(.fork(parent: i32(dataOffset + 4), child: i32(dataOffset + 12))) }
            case exec:
                out.append(.exec(pid: i32(dataOffset + 4)))
            case sid:
                out.append(.sessionStarted(pid: i32(dataOffset + 4)))
            case exit:
                if i32(dataOffset) == i32(dataOffset + 4) { out.append(.exit(pid: i32(dataOffset + 4))) }
            default:
                break
            }
            offset += (length + 3) & ~3
        }
    }
}
