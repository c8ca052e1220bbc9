#if canImport(Glibc)
import Glibc
#endif
import CNftShim
import CsfCompat

/// An nfnetlink_log subscription over libmnl: binds one group, copies the first bytes of each packet.
public final class NflogSocket {
    private let socket: OpaquePointer
    public let group: UInt16
    public var fd: Int32 { mnl_socket_get_fd(socket) }
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    /// Enough for an IPv6 header plus the ports.
    static let copyRange: UInt32 = 96

    public init(group: UInt16) throws(CsfError) {
        let nl = try NetfilterSocket.open("nflog", flags: Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue))
        socket = nl
        self.group = group
        var bind = nfulnl_msg_config_cmd(command: UInt8(NFULNL_CFG_CMD_BIND.rawValue))
        var mode = nfulnl_msg_config_mode(copy_range: Self.copyRange.bigEndian, copy_mode: UInt8(NFULNL_COPY_PACKET), _pad: 0)
        let ok = withUnsafeBytes(of: &bind) { cmd in
            withUnsafeBytes(of: &mode) { m in
                configure([(UInt16(NFULA_CFG_CMD.rawValue), cmd), (UInt16(NFULA_CFG_MODE.rawValue), m)])
            }
        }
        guard ok else {
            mnl_socket_close(nl)
            throw .kernel(operation: "nflog", message: "cannot bind NFLOG group \(group): \(String(cString: strerror(errno)))")
        }
        // Drops under a flood must not stop the reader: losing some log packets is fine, an error is not.
        var one: Int32 = 1
        setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, socklen_t(MemoryLayout<Int32>.size))
        var size: Int32 = 1 << 22
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { mnl_socket_close(socket) }

    /// One NFULNL_MSG_CONFIG request with the given attributes, acknowledged by the kernel.
    private func configure(_ attributes: [(UInt16, UnsafeRawBufferPointer)]) -> Bool {
        var request = [UInt8](repeating: 0, count: 256)
        return request.withUnsafeMutableBytes { raw -> Bool in
            guard let nlh = NetfilterSocket.request(in: raw.baseAddress, type: UInt16(NFNL_SUBSYS_ULOG << 8) | UInt16(NFULNL_MSG_CONFIG.rawValue),
                                                    flags: NLM_F_REQUEST | NLM_F_ACK, sequence: UInt32(truncatingIfNeeded: time(nil)),
                                                    resourceID: group) else { return false }
            for (type, value) in attributes { mnl_attr_put(nlh, type, value.count, value.baseAddress) }
            guard mnl_socket_sendto(socket, nlh, Int(nlh.pointee.nlmsg_len)) >= 0 else { return false }
            return awaitAck(sequence: nlh.pointee.nlmsg_seq)
        }
    }

    private func awaitAck(sequence: UInt32) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, 2000) > 0 else { return false }
        let n = buffer.withUnsafeMutableBytes { mnl_socket_recvfrom(socket, $0.baseAddress, $0.count) }
        guard n > 0 else { return false }
        return buffer.withUnsafeBytes { mnl_cb_run($0.baseAddress, n, sequence, mnl_socket_get_portid(socket), nil, nil) } >= 0
    }

    /// Everything queued now (non-blocking).
    public func receive() -> [LoggedPacket] {
        var out: [LoggedPacket] = []
        while true {
            let n = buffer.withUnsafeMutableBytes { mnl_socket_recvfrom(socket, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            buffer.withUnsafeBytes { raw in
                NetfilterSocket.forEachMessage(raw, count: n) { h in
                    if let packet = Self.decode(h) { out.append(packet) }
                    return true
                }
            }
        }
        return out
    }

    static func decode(_ nlh: UnsafePointer<nlmsghdr>) -> LoggedPacket? {
        guard nlh.pointee.nlmsg_type == UInt16(NFNL_SUBSYS_ULOG << 8) | UInt16(NFULNL_MSG_PACKET.rawValue) else { return nil }
        let family = mnl_nlmsg_get_payload(nlh).assumingMemoryBound(to: nfgenmsg.self).pointee.nfgen_family
        let a = NetlinkAttributes(message: nlh, headerSize: MemoryLayout<nfgenmsg>.size)
        guard let payload = a.bytes(NFULA_PAYLOAD.rawValue) else { return nil }
        let prefix = a.bytes(NFULA_PREFIX.rawValue).map { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) } ?? ""
        return LoggedPacket.parse(prefix: prefix, family: family, payload: payload,
                                  inbound: a[NFULA_IFINDEX_INDEV.rawValue] != nil, uid: a.be32(NFULA_UID.rawValue))
    }
}
