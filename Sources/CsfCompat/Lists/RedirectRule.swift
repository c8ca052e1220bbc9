/// A csf.redirect line `IPx|portA|IPy|portB|proto` (reference §5.9).
public struct RedirectRule: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        /// Local port redirect: traffic to [IPx:]portA goes to local portB.
        case redirect(destination: IPAddress?, fromPort: UInt16, toPort: UInt16)
        /// DNAT of a whole address, or of one port to another host's port.
        case dnat(destination: IPAddress, port: UInt16?, target: IPAddress, targetPort: UInt16?)
    }

    public var action: Action
    public var proto: IPProtocol
    public var comment: String

    public static func parse(_ token: Substring) -> Result<RedirectRule, AdvancedFilter.ParseError> {
        let f = token.lowercased().split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard f.count == 5 else { return .failure(.init(reason: "expected IPx|portA|IPy|portB|proto")) }
        guard let proto = IPProtocol(rawValue: f[4]), proto == .tcp || proto == .udp else {
            return .failure(.init(reason: "protocol must be tcp or udp"))
        }
        func addr(_ s: String) -> IPAddress?? {
            if s == "*" { return .some(nil) }
            guard let a = IPAddress(s), a.family == .v4 else { return nil }
            return .some(a)
        }
        func port(_ s: String) -> UInt16?? {
            if s == "*" { return .some(nil) }
            guard let p = PortList.port(Substring(s)), p > 0 else { return nil }
            return .some(p)
        }
        guard let ipx = addr(f[0]), let portA = port(f[1]), let ipy = addr(f[2]), let portB = port(f[3]) else {
            return .failure(.init(reason: "addresses must be IPv4 or '*', ports 1-65535 or '*'"))
        }
        if ipy == nil {
            guard let a = portA, let b = portB else { return .failure(.init(reason: "a local redirect needs both ports")) }
            return .success(RedirectRule(action: .redirect(destination: ipx, fromPort: a, toPort: b), proto: proto, comment: ""))
        }
        guard let x = ipx, let y = ipy else { return .failure(.init(reason: "DNAT needs the local address IPx")) }
        switch (portA, portB) {
        case (nil, _):
            return .success(RedirectRule(action: .dnat(destination: x, port: nil, target: y, targetPort: nil), proto: proto, comment: ""))
        case (let a?, let b?):
            return .success(RedirectRule(action: .dnat(destination: x, port: a, target: y, targetPort: b), proto: proto, comment: ""))
        default:
            return .failure(.init(reason: "DNAT of one port needs both ports"))
        }
    }
}
