#if canImport(Glibc)
import Glibc
#endif

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
