import CsfCompat
import CsfPolicy

/// The address argument of `-a/-d/-td/-ta/...`, validated the way csf's `checkip` does, minus its holes:
/// `/0`, loopback and this host's own addresses are refused (reference §8 #2).
public enum CommandTarget: Sendable, Equatable {
    case network(IPNetwork)
    /// An advanced filter such as `tcp|in|d=22|s=192.0.2.1`, kept as typed.
    case filter(String)

    public var text: String {
        switch self {
        case .network(let n): return n.description
        case .filter(let f): return f
        }
    }

    public var network: IPNetwork? {
        if case .network(let n) = self { return n }
        return nil
    }

    /// `verb` is csf's message prefix ("deny", "add"); `filters` says whether an advanced filter is allowed.
    /// The address of a filter meets the same refusals as a plain address.
    public static func parse(_ text: String, verb: String, filters: Bool, ipv6: Bool,
                             host: HostAddresses, ownAddressCheck: OwnAddressCheck) throws(CsfError) -> CommandTarget {
        let fail = { (reason: String) -> CsfError in .refused("\(verb) failed: \(reason)") }
        let quoted = "[\(shown(text))]"
        if text.isEmpty { throw .refused("csf: No IP specified") }
        if filters && AdvancedFilter.looksLikeFilter(Substring(text)) {
            let filter: AdvancedFilter
            do {
                filter = try AdvancedFilter.parse(Substring(text))
            } catch {
                throw fail("\(quoted) is not a valid filter: \(error)")
            }
            if filter.effect == .nothing { throw fail("\(quoted) creates no rule (a filter needs a port and an address, or u=/g=)") }
            if text.utf8.contains(where: { $0 <= ASCII.space || $0 == ASCII.quote || $0 == ASCII.backslash || $0 == ASCII.hash || $0 >= ASCII.delete }) {
                throw fail("\(quoted) contains characters a filter cannot have")
            }
            if let net = filter.address?.network, filter.owner == nil {
                if let why = refusal(net, ipv6: ipv6, host: host, ownAddressCheck: ownAddressCheck) { throw fail("\(quoted) \(why)") }
            }
            return .filter(text)
        }
        let net: IPNetwork
        switch IPNetwork.parse(Substring(text)) {
        case .success(let n): net = n
        case .failure(.zoneID): throw fail("\(quoted) is \(IPNetwork.ParseError.zoneID)")
        case .failure: throw fail("\(quoted) is not a valid PUBLIC IP/CIDR")
        }
        if let why = refusal(net, ipv6: ipv6, host: host, ownAddressCheck: ownAddressCheck) { throw fail("\(quoted) \(why)") }
        return .network(net)
    }

    /// Why an address or network cannot be a firewall entry, in csf's words where csf has them.
    static func refusal(_ net: IPNetwork, ipv6: Bool, host: HostAddresses, ownAddressCheck: OwnAddressCheck) -> String? {
        if net.prefix == 0 { return "covers every address; /0 is refused" }
        if net.hasHostBits { return "has host bits set (did you mean \(net.network)?)" }
        if net.address.isUnspecified { return "is the unspecified address, which no packet comes from" }
        if net.address.isLoopback { return "is a loopback address" }
        if net.family == .v6 && !ipv6 { return "is valid IPv6 but IPV6 is not enabled in csf.conf" }
        let own: Bool
        switch ownAddressCheck {
        case .none: own = false
        case .exact: own = host.addresses.contains(net.address) && net.isHost
        case .containing: own = host.addresses.contains { net.contains($0) && !$0.isLoopback }
        }
        return own ? "is one of this servers addresses!" : nil
    }

    public enum OwnAddressCheck: Sendable { case none, exact, containing }
}

/// A comment typed on the command line. It ends up in csf.deny / csf.tempban (and as inert netlink data in
/// the kernel), never in nft syntax; still, characters that would change the meaning of those files or look
/// like nft code are refused so every consumer reads the same line.
public enum CommandComment {
    public static let maxBytes = 1024

    public static func validate(_ text: String) throws(CsfError) -> String {
        if text.utf8.count > maxBytes {
            throw .refused("csf: comment too long (\(text.utf8.count) bytes; at most \(maxBytes))")
        }
        if let problem = CommentText.problem(Substring(text)) { throw .refused("csf: comment \(problem)") }
        for (ch, why) in [("|", "a '|' (the field separator of csf.tempban)"), ("{", "'{'"), ("}", "'}'"), (";", "';'")]
            where text.contains(ch) {
            throw .refused("csf: comment contains \(why), which is not allowed")
        }
        return text
    }
}
