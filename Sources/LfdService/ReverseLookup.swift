import CsfCompat
import CsfFirewall
import LfdCore

#if canImport(Glibc)
import Glibc
#endif

/// csf.rignore (reference §6.4 step 7): an address is ignored when its reverse name, confirmed by a forward
/// lookup back to the same address, equals an entry or ends in `.entry`. csf used entries with dots as
/// unescaped regex suffixes (`www.example.com` also matched `xwww-example.com`, §8 #17); here they are
/// literal and match on label boundaries. IPv6 is looked up too (csf: IPv4 only). Results are cached for
/// an hour, so an attacker costs at most one lookup; lookups use the host's resolver (/etc/hosts, DNS).
/// Its cache is used from one thread only: lfd's resolver worker.
public final class ReverseLookup: @unchecked Sendable {
    public let entries: [String]
    private var cache: [IPAddress: (name: String?, expires: Double)] = [:]
    public let ttl: Double
    public let capacity: Int

    public init(entries: [String], ttl: Double = 3600, capacity: Int = 50_000) {
        self.entries = entries.map { String($0.lowercased().drop { $0 == "." }.reversed().drop { $0 == "." }.reversed()) }.filter { !$0.isEmpty }
        self.ttl = ttl
        self.capacity = capacity
    }

    public static func load(_ paths: CsfPaths) -> ReverseLookup {
        ReverseLookup(entries: ListReader.read(paths.etc("csf.rignore")).lines.map(\.token))
    }

    /// The entry that makes `ip` ignored, if any.
    public func match(_ ip: IPAddress) -> String? {
        guard !entries.isEmpty, let name = confirmedName(ip) else { return nil }
        return entries.first { entry in
            name == entry || (entry.contains(".") && name.hasSuffix("." + entry))
        }
    }

    func confirmedName(_ ip: IPAddress) -> String? {
        let now = SystemTime.monotonic
        if let hit = cache[ip], hit.expires > now { return hit.name }
        let name = Self.reverse(ip).flatMap { Self.forward($0, contains: ip) ? $0.lowercased() : nil }
        if cache.count >= capacity { cache = cache.filter { $0.value.expires > now } }
        if cache.count < capacity { cache[ip] = (name, now + ttl) }
        return name
    }

    static func reverse(_ ip: IPAddress) -> String? {
        var host = [CChar](repeating: 0, count: 1025)
        let rc: Int32
        switch ip {
        case .v4(let v):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_addr.s_addr = v.bigEndian
            rc = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    getnameinfo($0, socklen_t(MemoryLayout<sockaddr_in>.size), &host, socklen_t(host.count), nil, 0, NI_NAMEREQD)
                }
            }
        case .v6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            let bytes = ip.networkBytes
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
            rc = withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    getnameinfo($0, socklen_t(MemoryLayout<sockaddr_in6>.size), &host, socklen_t(host.count), nil, 0, NI_NAMEREQD)
                }
            }
        }
        guard rc == 0 else { return nil }
        let name = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? nil : name
    }

    /// Whether `name` resolves to `ip` (a PTR record anyone can set proves nothing on its own).
    static func forward(_ name: String, contains ip: IPAddress) -> Bool {
        guard case .success(let addresses) = HostResolver.addresses(name, family: ip.family == .v4 ? AF_INET : AF_INET6) else { return false }
        return addresses.contains(ip)
    }
}
