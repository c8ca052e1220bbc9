#if canImport(Glibc)
import Glibc
#endif
import CSys

/// The addresses and interface names of this host (of the network namespace csf runs in).
public struct HostAddresses: Sendable {
    public var addresses: Set<IPAddress>
    public var interfaces: Set<String>

    public init(addresses: Set<IPAddress> = [], interfaces: Set<String> = []) {
        self.addresses = addresses
        self.interfaces = interfaces
    }

    public static func current() -> HostAddresses {
        var result = HostAddresses()
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0, let first = head else { return result }
        defer { freeifaddrs(head) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let ifa = cursor {
            if let name = ifa.pointee.ifa_name { result.interfaces.insert(String(cString: name)) }
            if let sa = ifa.pointee.ifa_addr {
                switch Int32(sa.pointee.sa_family) {
                case AF_INET:
                    sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                        result.addresses.insert(.v4(UInt32(bigEndian: sin.pointee.sin_addr.s_addr)))
                    }
                case AF_INET6:
                    sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                        let bytes = withUnsafeBytes(of: sin6.pointee.sin6_addr) { Array($0) }
                        var hi: UInt64 = 0, lo: UInt64 = 0
                        for i in 0..<8 { hi = hi << 8 | UInt64(bytes[i]) }
                        for i in 8..<16 { lo = lo << 8 | UInt64(bytes[i]) }
                        result.addresses.insert(.v6(hi: hi, lo: lo))
                    }
                default: break
                }
            }
            cursor = ifa.pointee.ifa_next
        }
        return result
    }

    public func isLocal(_ address: IPAddress) -> Bool {
        address.isLoopback || addresses.contains(address)
    }
}
