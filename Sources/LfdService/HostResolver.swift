#if canImport(Glibc)
import Glibc
#endif
import CsfCompat

/// Forward lookups through the system resolver (getaddrinfo: /etc/hosts, then DNS as nsswitch says). Blocking:
/// only lfd's workers call it, never the loop that reads logs.
enum HostResolver {
    struct Failure: Error, CustomStringConvertible { let description: String }

    /// The addresses `name` resolves to (A and AAAA unless `family` narrows it), deduplicated and sorted; the
    /// resolver's reason when it has none.
    static func addresses(_ name: String, family: Int32 = AF_UNSPEC) -> Result<[IPAddress], Failure> {
        var hints = addrinfo()
        hints.ai_family = family
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(name, nil, &hints, &res)
        guard status == 0 else { return .failure(Failure(description: String(cString: gai_strerror(status)))) }
        defer { freeaddrinfo(res) }
        var found = Set<IPAddress>()
        var cursor = res
        while let ai = cursor {
            if let sa = ai.pointee.ai_addr {
                if ai.pointee.ai_family == AF_INET {
                    found.insert(.v4(sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) }))
                } else if ai.pointee.ai_family == AF_INET6 {
                    let v6 = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                        withUnsafeBytes(of: p.pointee.sin6_addr) { IPAddress(v6Bytes: $0, at: 0) }
                    }
                    if let v6 { found.insert(v6) }
                }
            }
            cursor = ai.pointee.ai_next
        }
        return found.isEmpty ? .failure(Failure(description: "no address")) : .success(found.sorted())
    }
}
