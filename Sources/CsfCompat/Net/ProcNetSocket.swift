/// One line of /proc/net/{tcp,udp,tcp6,udp6}: the kernel's sockets of this network namespace, with the inode
/// that links them to a process's fd. Addresses are the kernel's words in host byte order, printed as hex.
public struct ProcNetSocket: Sendable, Equatable {
    public var local: IPAddress
    public var localPort: UInt16
    public var remote: IPAddress
    public var remotePort: UInt16
    public var state: UInt8
    public var uid: UInt32
    public var inode: UInt64

    public static let tcpListen: UInt8 = 0x0A, tcpEstablished: UInt8 = 0x01, udpUnconnected: UInt8 = 0x07

    /// Parses the file's text; the header and malformed lines are skipped.
    public static func parse(_ text: String) -> [ProcNetSocket] {
        LineScanner.lines(text).dropFirst().compactMap { line in
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 10, let (local, localPort) = endpoint(f[1]), let (remote, remotePort) = endpoint(f[2]),
                  let state = UInt8(f[3], radix: 16), let uid = UInt32(f[7]), let inode = UInt64(f[9]) else { return nil }
            return ProcNetSocket(local: local, localPort: localPort, remote: remote, remotePort: remotePort, state: state,
                                 uid: uid, inode: inode)
        }
    }

    /// Whether both ends are set: a connected socket, not one that listens or waits.
    public var isConnected: Bool { !local.isUnspecified && !remote.isUnspecified }

    /// `0100007F:0016` (IPv4: one 32-bit word) or 32 hex digits (IPv6: four words), each word little-endian.
    static func endpoint(_ text: Substring) -> (IPAddress, UInt16)? {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...], radix: 16) else { return nil }
        let hex = text[..<colon]
        func word(_ i: Int) -> UInt32? {
            let start = hex.index(hex.startIndex, offsetBy: i * 8), end = hex.index(start, offsetBy: 8)
            return UInt32(hex[start..<end], radix: 16).map { $0.byteSwapped }
        }
        switch hex.count {
        case 8:
            guard let w = word(0) else { return nil }
            return (.v4(w), port)
        case 32:
            guard let a = word(0), let b = word(1), let c = word(2), let d = word(3) else { return nil }
            let v6 = IPAddress.v6(hi: UInt64(a) << 32 | UInt64(b), lo: UInt64(c) << 32 | UInt64(d))
            return (v6.unmapped ?? v6, port)
        default:
            return nil
        }
    }
}
