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
    public static func parse(_ text: String, verb: String, filters: Bool, ipv6: Bool,
                             host: HostAddresses, ownAddressCheck: OwnAddressCheck) throws(CsfError) -> CommandTarget {
        let fail = { (reason: String) -> CsfError in .refused("\(verb) failed: \(reason)") }
        if text.isEmpty { throw .refused("csf: No IP specified") }
        if filters && AdvancedFilter.looksLikeFilter(Substring(text)) {
            do {
                let f = try AdvancedFilter.parse(Substring(text))
                if f.effect == .nothing { throw fail("[\(text)] creates no rule (a filter needs a port and an address, or u=/g=)") }
            } catch let e as AdvancedFilter.ParseError {
                throw fail("[\(text)] is not a valid filter: \(e)")
            } catch {
                throw error as? CsfError ?? fail("[\(text)]")
            }
            if text.utf8.contains(where: { $0 <= ASCII.space || $0 == ASCII.quote || $0 == ASCII.backslash || $0 == ASCII.hash }) {
                throw fail("[\(text)] contains characters a filter cannot have")
            }
            return .filter(text)
        }
        guard case .success(let net) = IPNetwork.parse(Substring(text)) else {
            throw fail("[\(text)] is not a valid PUBLIC IP/CIDR")
        }
        if net.prefix == 0 { throw fail("[\(text)] covers every address; /0 is refused") }
        if net.hasHostBits { throw fail("[\(text)] has host bits set (did you mean \(net.network)?)") }
        if net.address.isLoopback { throw fail("\(text) is a loopback address") }
        if net.family == .v6 && !ipv6 { throw fail("[\(text)] is valid IPv6 but IPV6 is not enabled in csf.conf") }
        let own: Bool
        switch ownAddressCheck {
        case .none: own = false
        case .exact: own = host.addresses.contains(net.address) && net.isHost
        case .containing: own = host.addresses.contains { net.contains($0) && !$0.isLoopback }
        }
        if own { throw fail("\(text) is one of this servers addresses!") }
        return .network(net)
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
