#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address held as integers, so masking and containment are arithmetic.
public enum IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    case v4(UInt32)
    case v6(hi: UInt64, lo: UInt64)

    public enum Family: String, Sendable, Codable { case v4 = "ipv4", v6 = "ipv6" }

    public var family: Family {
        if case .v4 = self { return .v4 }
        return .v6
    }

    public var bitWidth: Int { family == .v4 ? 32 : 128 }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        switch (a, b) {
        case (.v4(let x), .v4(let y)): return x < y
        case (.v6(let h1, let l1), .v6(let h2, let l2)): return h1 < h2 || (h1 == h2 && l1 < l2)
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        }
    }

    /// Parses a dotted quad (csf accepts leading zeros) or any textual IPv6 form. An IPv4-mapped IPv6 address
    /// (`::ffff:192.0.2.1`) is the IPv4 address it maps: every check (loopback, own address, lists) sees one form.
    public init?(_ text: Substring) {
        if let v4 = IPAddress.parseV4(text.utf8) {
            self = .v4(v4)
            return
        }
        guard let v6 = IPAddress.parseV6(text) else { return nil }
        self = v6.unmapped ?? v6
    }

    /// inet_pton's reading of an IPv6 text, as written (mapped addresses not converted).
    static func parseV6(_ text: Substring) -> IPAddress? {
        guard text.contains(":"), text.utf8.count <= 64 else { return nil }
        var raw = in6_addr()
        let ok = String(text).withCString { inet_pton(AF_INET6, $0, &raw) }
        guard ok == 1 else { return nil }
        let bytes = withUnsafeBytes(of: raw) { Array($0) }
        var hi: UInt64 = 0, lo: UInt64 = 0
        for i in 0..<8 { hi = hi << 8 | UInt64(bytes[i]) }
        for i in 8..<16 { lo = lo << 8 | UInt64(bytes[i]) }
        return .v6(hi: hi, lo: lo)
    }

    /// The IPv4 address an IPv4-mapped IPv6 address (`::ffff:0:0/96`) stands for.
    public var unmapped: IPAddress? {
        guard case .v6(let hi, let lo) = self, hi == 0, lo >> 32 == 0xffff else { return nil }
        return .v4(UInt32(truncatingIfNeeded: lo))
    }

    /// `0.0.0.0` or `::`: no packet comes from it, so an entry naming it blocks nothing.
    public var isUnspecified: Bool {
        switch self {
        case .v4(let v): return v == 0
        case .v6(let hi, let lo): return hi == 0 && lo == 0
        }
    }

    public init?(_ text: String) { self.init(Substring(text)) }

    static func parseV4<C: Collection>(_ bytes: C) -> UInt32? where C.Element == UInt8 {
        var value: UInt32 = 0, octet: UInt32 = 0, digits = 0, dots = 0
        for b in bytes {
            if ASCII.isDigit(b) {
                octet = octet * 10 + UInt32(b - ASCII.zero)
                digits += 1
                if digits > 3 || octet > 255 { return nil }
            } else if b == ASCII.dot {
                if digits == 0 || dots == 3 { return nil }
                value = value << 8 | octet
                octet = 0; digits = 0; dots += 1
            } else {
                return nil
            }
        }
        guard dots == 3, digits > 0 else { return nil }
        return value << 8 | octet
    }

    public var description: String {
        switch self {
        case .v4(let v):
            return "\(v >> 24).\(v >> 16 & 0xff).\(v >> 8 & 0xff).\(v & 0xff)"
        case .v6(let hi, let lo):
            var raw = in6_addr()
            withUnsafeMutableBytes(of: &raw) { buf in
                for i in 0..<8 { buf[i] = UInt8(truncatingIfNeeded: hi >> (56 - 8 * UInt64(i))) }
                for i in 0..<8 { buf[8 + i] = UInt8(truncatingIfNeeded: lo >> (56 - 8 * UInt64(i))) }
            }
            var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            _ = inet_ntop(AF_INET6, &raw, &out, socklen_t(out.count))
            return String(cString: out)
        }
    }

    /// The address with every bit after `prefix` cleared.
    public func masked(to prefix: Int) -> IPAddress {
        switch self {
        case .v4(let v):
            if prefix <= 0 { return .v4(0) }
            if prefix >= 32 { return self }
            return .v4(v & ~(UInt32.max >> UInt32(prefix)))
        case .v6(let hi, let lo):
            if prefix <= 0 { return .v6(hi: 0, lo: 0) }
            if prefix >= 128 { return self }
            if prefix <= 64 {
                let mask = prefix == 64 ? UInt64.max : ~(UInt64.max >> UInt64(prefix))
                return .v6(hi: hi & mask, lo: 0)
            }
            return .v6(hi: hi, lo: lo & ~(UInt64.max >> UInt64(prefix - 64)))
        }
    }

    public var isLoopback: Bool {
        switch self {
        case .v4(let v): return v >> 24 == 127
        case .v6(let hi, let lo): return hi == 0 && lo == 1
        }
    }
}

/// An address with an optional prefix length: a csf list entry such as `192.0.2.0/24` or `2001:db8::1`.
public struct IPNetwork: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let address: IPAddress
    public let prefix: Int

    public init(address: IPAddress, prefix: Int) {
        self.address = address
        self.prefix = prefix
    }

    public init(host: IPAddress) {
        self.init(address: host, prefix: host.bitWidth)
    }

    public var family: IPAddress.Family { address.family }
    public var isHost: Bool { prefix == address.bitWidth }
    public var hasHostBits: Bool { address.masked(to: prefix) != address }
    public var network: IPNetwork { IPNetwork(address: address.masked(to: prefix), prefix: prefix) }

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case notAnAddress, badPrefix, zoneID
        public var description: String {
            switch self {
            case .notAnAddress: return "not a valid IP address or CIDR"
            case .badPrefix: return "invalid CIDR prefix length"
            case .zoneID: return "an address with a zone id (%), which a firewall entry cannot have"
            }
        }
    }

    public static func parse(_ text: Substring) -> Result<IPNetwork, ParseError> {
        let utf8 = text.utf8
        var addrEnd = utf8.endIndex
        var prefix: Int?
        if let slash = utf8.firstIndex(of: ASCII.slash) {
            addrEnd = slash
            var n = 0, digits = 0
            for b in utf8[utf8.index(after: slash)...] {
                guard ASCII.isDigit(b), digits < 3 else { n = -1; break }
                n = n * 10 + Int(b - ASCII.zero)
                digits += 1
            }
            guard n >= 0, digits > 0 else {
                return IPAddress(Substring(utf8[..<slash])) == nil ? .failure(.notAnAddress) : .failure(.badPrefix)
            }
            prefix = n
        }
        // A zone id (fe80::1%eth0) names an interface, not an address: refused rather than cut off, so nothing
        // after a '%' is ever silently dropped.
        if utf8.contains(ASCII.percent) { return .failure(.zoneID) }
        var address: IPAddress
        if let v4 = IPAddress.parseV4(utf8[..<addrEnd]) {
            address = .v4(v4)
        } else if let v6 = IPAddress.parseV6(Substring(utf8[..<addrEnd])) {
            address = v6
        } else {
            return .failure(.notAnAddress)
        }
        var bits = prefix ?? address.bitWidth
        guard bits <= address.bitWidth else { return .failure(.badPrefix) }
        // ::ffff:192.0.2.0/120 is 192.0.2.0/24; a mapped network wider than the mapped range maps nothing.
        if let v4 = address.unmapped {
            guard bits >= 96 else { return .failure(.badPrefix) }
            address = v4
            bits -= 96
        }
        return .success(IPNetwork(address: address, prefix: bits))
    }

    public static func parse(_ text: String) -> Result<IPNetwork, ParseError> { parse(Substring(text)) }

    /// The fast path for list files: plain IPv4 addresses are parsed straight from the bytes.
    public static func parse(_ bytes: ArraySlice<UInt8>) -> Result<IPNetwork, ParseError> {
        if let v4 = IPAddress.parseV4(bytes) { return .success(IPNetwork(address: .v4(v4), prefix: 32)) }
        return parse(Substring(String(decoding: bytes, as: UTF8.self)))
    }

    public init?(_ text: String) {
        guard case .success(let n) = IPNetwork.parse(text) else { return nil }
        self = n
    }

    public func contains(_ other: IPAddress) -> Bool {
        other.family == family && other.masked(to: prefix) == address.masked(to: prefix)
    }

    public func contains(_ other: IPNetwork) -> Bool {
        other.family == family && other.prefix >= prefix && contains(other.address)
    }

    /// The form csf writes and nft prints: normalised, with `/N` only for networks.
    public var description: String { isHost ? address.description : "\(address)/\(prefix)" }

    public static func < (a: IPNetwork, b: IPNetwork) -> Bool {
        a.address != b.address ? a.address < b.address : a.prefix < b.prefix
    }
}

extension IPAddress {
    /// The next address, or nil past the end of the family's space.
    public var successor: IPAddress? {
        switch self {
        case .v4(let v): return v == .max ? nil : .v4(v + 1)
        case .v6(let hi, let lo):
            if lo != .max { return .v6(hi: hi, lo: lo + 1) }
            return hi == .max ? nil : .v6(hi: hi + 1, lo: 0)
        }
    }

    /// The address before, or nil at the start of the family's space.
    public var predecessor: IPAddress? {
        switch self {
        case .v4(let v): return v == 0 ? nil : .v4(v - 1)
        case .v6(let hi, let lo):
            if lo != 0 { return .v6(hi: hi, lo: lo - 1) }
            return hi == 0 ? nil : .v6(hi: hi - 1, lo: .max)
        }
    }

    /// The address in network byte order, as netlink carries it.
    public var networkBytes: [UInt8] {
        switch self {
        case .v4(let v): return withUnsafeBytes(of: v.bigEndian, Array.init)
        case .v6(let hi, let lo): return withUnsafeBytes(of: hi.bigEndian, Array.init) + withUnsafeBytes(of: lo.bigEndian, Array.init)
        }
    }
}

extension IPNetwork {
    /// The highest address inside the network.
    public var lastAddress: IPAddress {
        switch address.masked(to: prefix) {
        case .v4(let v): return .v4(prefix >= 32 ? v : v | (UInt32.max >> UInt32(prefix)))
        case .v6(let hi, let lo):
            if prefix >= 128 { return .v6(hi: hi, lo: lo) }
            if prefix <= 64 {
                return .v6(hi: prefix == 64 ? hi : hi | (UInt64.max >> UInt64(prefix)), lo: .max)
            }
            return .v6(hi: hi, lo: lo | (UInt64.max >> UInt64(prefix - 64)))
        }
    }

    public func overlaps(_ other: IPNetwork) -> Bool { contains(other) || other.contains(self) }
}

extension IPAddress {
    /// 16 network-order bytes at `offset` (a packet header, a netlink attribute).
    package init?(v6Bytes bytes: UnsafeRawBufferPointer, at offset: Int) {
        guard bytes.count >= offset + 16 else { return nil }
        var hi: UInt64 = 0, lo: UInt64 = 0
        for i in 0..<8 { hi = hi << 8 | UInt64(bytes[offset + i]) }
        for i in 8..<16 { lo = lo << 8 | UInt64(bytes[offset + i]) }
        self = .v6(hi: hi, lo: lo)
    }
}

extension IPNetwork {
    /// Appends the network as list files and nft write it. IPv4 digit by digit: a million-entry list or set
    /// written through string interpolation spends most of its time there.
    public func appendText(to bytes: inout [UInt8]) {
        guard case .v4(let v) = address else {
            bytes.append(contentsOf: description.utf8)
            return
        }
        for shift in stride(from: 24, through: 0, by: -8) {
            Self.appendDecimal(Int(v >> UInt32(shift) & 0xff), to: &bytes)
            if shift > 0 { bytes.append(0x2E) }
        }
        if prefix < 32 {
            bytes.append(0x2F)
            Self.appendDecimal(prefix, to: &bytes)
        }
    }

    private static func appendDecimal(_ n: Int, to bytes: inout [UInt8]) {
        if n >= 100 { bytes.append(UInt8(48 + n / 100)) }
        if n >= 10 { bytes.append(UInt8(48 + n / 10 % 10)) }
        bytes.append(UInt8(48 + n % 10))
    }
}
