#if canImport(Glibc)
import Glibc
#endif
import CNftShim
import CsfCompat

/// The libmnl plumbing every netfilter netlink user here shares: a bound socket, a request header, and a walk
/// over the messages of one receive.
enum NetfilterSocket {
    /// A bound NETLINK_NETFILTER socket; `operation` names the caller in errors.
    static func open(_ operation: String, flags: Int32 = 0) throws(CsfError) -> OpaquePointer {
        try NetnsGuard.check()
        guard let nl = mnl_socket_open2(NETLINK_NETFILTER, flags) else {
            throw .kernel(operation: operation, message: "cannot open a netfilter netlink socket: \(String(cString: strerror(errno)))")
        }
        guard mnl_socket_bind(nl, 0, pid_t(MNL_SOCKET_AUTOPID)) == 0 else {
            let reason = String(cString: strerror(errno))
            mnl_socket_close(nl)
            throw .kernel(operation: operation, message: "cannot bind the netlink socket: \(reason)")
        }
        return nl
    }

    /// The process's open netfilter netlink sockets (libnftables' own among them, whose descriptor the library
    /// does not give out).
    static func openDescriptors() -> [Int32] {
        guard let dir = opendir("/proc/self/fd") else { return [] }
        defer { closedir(dir) }
        var fds: [Int32] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let fd = Int32(name), fd != dirfd(dir) else { continue }
            var domain: Int32 = 0, proto: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &size) == 0, domain == AF_NETLINK else { continue }
            size = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &size) == 0, proto == NETLINK_NETFILTER else { continue }
            fds.append(fd)
        }
        return fds
    }

    /// An nfnetlink request header (nlmsghdr + nfgenmsg) at the start of `buffer`.
    static func request(in buffer: UnsafeMutableRawPointer?, type: UInt16, flags: Int32, sequence: UInt32,
                        family: UInt8 = UInt8(AF_UNSPEC), resourceID: UInt16 = 0) -> UnsafeMutablePointer<nlmsghdr>? {
        guard let nlh = mnl_nlmsg_put_header(buffer) else { return nil }
        nlh.pointee.nlmsg_type = type
        nlh.pointee.nlmsg_flags = UInt16(flags)
        nlh.pointee.nlmsg_seq = sequence
        let gen = mnl_nlmsg_put_extra_header(nlh, MemoryLayout<nfgenmsg>.size).assumingMemoryBound(to: nfgenmsg.self)
        gen.pointee.nfgen_family = family
        gen.pointee.version = UInt8(NFNETLINK_V0)
        gen.pointee.res_id = resourceID.bigEndian
        return nlh
    }

    /// Each message of the first `count` bytes of `raw`, until `body` returns false.
    static func forEachMessage(_ raw: UnsafeRawBufferPointer, count: Int, _ body: (UnsafePointer<nlmsghdr>) -> Bool) {
        var remaining = Int32(count)
        var nlh = raw.baseAddress?.assumingMemoryBound(to: nlmsghdr.self)
        while let h = nlh, mnl_nlmsg_ok(h, remaining) {
            guard body(h) else { return }
            nlh = UnsafePointer(mnl_nlmsg_next(h, &remaining))
        }
    }

    /// How an exchange ended: the kernel's answer (0, or a negative errno), or stopped by the caller.
    enum Ending { case done(Int32), stopped }

    /// One request and its answers on a fresh socket, or on `socket` (kept open: closing a netfilter socket
    /// waits for the kernel to free what recent deletions released, 10-25 ms after a `csf -dr`): `build` fills
    /// the request (its header is in place), `each` sees every answer message until the kernel's DONE or ERROR,
    /// or until it returns false (only on a fresh socket: the rest of the answer would stay in a kept one).
    static func exchange(_ operation: String, type: UInt8, flags: Int32, family: UInt8, on socket: OpaquePointer? = nil,
                         build: (UnsafeMutablePointer<nlmsghdr>) -> Void,
                         each: (UnsafePointer<nlmsghdr>) -> Bool) throws(CsfError) -> Ending {
        let nl: OpaquePointer
        if let socket { nl = socket } else { nl = try open(operation, flags: Int32(SOCK_CLOEXEC.rawValue)) }
        defer { if socket == nil { mnl_socket_close(nl) } }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let sequence = UInt32(truncatingIfNeeded: time(nil))
        let sent = buffer.withUnsafeMutableBytes { raw -> Bool in
            guard let nlh = request(in: raw.baseAddress, type: UInt16(NFNL_SUBSYS_NFTABLES << 8) | UInt16(type),
                                    flags: flags, sequence: sequence, family: family) else { return false }
            build(nlh)
            return mnl_socket_sendto(nl, nlh, Int(nlh.pointee.nlmsg_len)) >= 0
        }
        guard sent else { throw .kernel(operation: operation, message: String(cString: strerror(errno))) }
        while true {
            let n = buffer.withUnsafeMutableBytes { mnl_socket_recvfrom(nl, $0.baseAddress, $0.count) }
            guard n > 0 else { throw .kernel(operation: operation, message: String(cString: strerror(errno))) }
            var ending: Ending?
            buffer.withUnsafeBytes { raw in
                forEachMessage(raw, count: n) { h in
                    if h.pointee.nlmsg_type == UInt16(NLMSG_DONE) || h.pointee.nlmsg_type == UInt16(NLMSG_ERROR) {
                        ending = .done(h.pointee.nlmsg_type == UInt16(NLMSG_ERROR)
                            ? mnl_nlmsg_get_payload(h).assumingMemoryBound(to: nlmsgerr.self).pointee.error : 0)
                        return false
                    }
                    if each(h) { return true }
                    ending = .stopped
                    return false
                }
            }
            if let ending { return ending }
        }
    }
}
