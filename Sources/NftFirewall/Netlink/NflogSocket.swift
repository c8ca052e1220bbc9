#if canImport(Glibc)
import Glibc
#endif
import CNftShim

/// A packet the firewall logged to an NFLOG group (`log prefix "…" group N`): what lfd's port-scan, UID and
/// port-knocking checks read instead of kernel-log text, which containers and journald-only hosts never see.
public struct LoggedPacket: Sendable, Equatable {
    public var prefix: String
    public var source: IPAddress
    public var destination: IPAddress
    public var proto: UInt8
    /// Destination port for TCP/UDP; nil for ICMP and anything else.
    public var destinationPort: UInt16?
    public var inbound: Bool
    public var uid: UInt32?

    public init(prefix: String, source: IPAddress, destination: IPAddress, proto: UInt8, destinationPort: UInt16?,
                inbound: Bool, uid: UInt32?) {
        self.prefix = prefix
        self.source = source
        self.destination = destination
        self.proto = proto
        self.destinationPort = destinationPort
        self.inbound = inbound
        self.uid = uid
    }

    /// The tag between the first pair of stars: `Firewall: *TCP_IN Blocked* ` → `TCP_IN Blocked`.
    public var tag: Substring? {
        guard let open = prefix.firstIndex(of: "*") else { return nil }
        let rest = prefix[prefix.index(after: open)...]
        guard let close = rest.firstIndex(of: "*") else { return nil }
        return rest[..<close]
    }

    public var isICMP: Bool { proto == 1 || proto == 58 }

    /// Addresses and ports from the copied network header (IPv4 or IPv6 without extension headers).
    public static func parse(prefix: String, family: UInt8, payload: UnsafeRawBufferPointer, inbound: Bool, uid: UInt32?) -> LoggedPacket? {
        let bytes = payload
        var proto: UInt8
        var src: IPAddress, dst: IPAddress
        var l4: Int
        if family == UInt8(AF_INET) {
            guard bytes.count >= 20 else { return nil }
            l4 = Int(bytes[0] & 0x0f) * 4
            proto = bytes[9]
            src = .v4(bytes.loadBigEndianUInt32(at: 12))
            dst = .v4(bytes.loadBigEndianUInt32(at: 16))
        } else if family == UInt8(AF_INET6) {
            guard bytes.count >= 40 else { return nil }
            l4 = 40
            proto = bytes[6]
            guard let s = IPAddress(v6Bytes: bytes, at: 8), let d = IPAddress(v6Bytes: bytes, at: 24) else { return nil }
            src = s
            dst = d
        } else {
            return nil
        }
        var port: UInt16?
        if (proto == 6 || proto == 17), bytes.count >= l4 + 4 {
            port = UInt16(bytes[l4 + 2]) << 8 | UInt16(bytes[l4 + 3])
        }
        return LoggedPacket(prefix: prefix, source: src, destination: dst, proto: proto, destinationPort: port, inbound: inbound, uid: uid)
    }
}

extension UnsafeRawBufferPointer {
    func loadBigEndianUInt32(at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(self[offset + $1]) }
    }
}

/// An nfnetlink_log subscription over libmnl: binds one group, copies the first bytes of each packet.
public final class NflogSocket {
    private let socket: OpaquePointer
    public let group: UInt16
    public var fd: Int32 { mnl_socket_get_fd(socket) }
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    /// Enough for an IPv6 header plus the ports.
    static let copyRange: UInt32 = 96

    public init(group: UInt16) throws(CsfError) {
        try NetnsGuard.check()
        guard let nl = mnl_socket_open2(NETLINK_NETFILTER, Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)) else {
            throw .nft(operation: "nflog", message: "cannot open a netfilter netlink socket: \(String(cString: strerror(errno)))")
        }
        socket = nl
        self.group = group
        guard mnl_socket_bind(nl, 0, pid_t(MNL_SOCKET_AUTOPID)) == 0 else {
            mnl_socket_close(nl)
            throw .nft(operation: "nflog", message: "cannot bind the netlink socket: \(String(cString: strerror(errno)))")
        }
        var bind = nfulnl_msg_config_cmd(command: UInt8(NFULNL_CFG_CMD_BIND.rawValue))
        var mode = nfulnl_msg_config_mode(copy_range: Self.copyRange.bigEndian, copy_mode: UInt8(NFULNL_COPY_PACKET), _pad: 0)
        let ok = withUnsafeBytes(of: &bind) { cmd in
            withUnsafeBytes(of: &mode) { m in
                configure([(UInt16(NFULA_CFG_CMD.rawValue), cmd), (UInt16(NFULA_CFG_MODE.rawValue), m)])
            }
        }
        guard ok else {
            mnl_socket_close(nl)
            throw .nft(operation: "nflog", message: "cannot bind NFLOG group \(group): \(String(cString: strerror(errno)))")
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
            guard let nlh = mnl_nlmsg_put_header(raw.baseAddress) else { return false }
            nlh.pointee.nlmsg_type = UInt16(NFNL_SUBSYS_ULOG << 8) | UInt16(NFULNL_MSG_CONFIG.rawValue)
            nlh.pointee.nlmsg_flags = UInt16(NLM_F_REQUEST | NLM_F_ACK)
            nlh.pointee.nlmsg_seq = UInt32(truncatingIfNeeded: time(nil))
            let gen = mnl_nlmsg_put_extra_header(nlh, MemoryLayout<nfgenmsg>.size).assumingMemoryBound(to: nfgenmsg.self)
            gen.pointee.nfgen_family = UInt8(AF_UNSPEC)
            gen.pointee.version = UInt8(NFNETLINK_V0)
            gen.pointee.res_id = group.bigEndian
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
                var remaining = Int32(n)
                var nlh = raw.baseAddress?.assumingMemoryBound(to: nlmsghdr.self)
                while let h = nlh, mnl_nlmsg_ok(h, remaining) {
                    if let packet = Self.decode(h) { out.append(packet) }
                    nlh = UnsafePointer(mnl_nlmsg_next(h, &remaining))
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
