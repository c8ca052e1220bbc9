import CsfCompat
import CsfFirewall


extension ClusterVerb {
    var action: Decision.Action {
        switch self {
        case .deny: return .deny
        case .tempdeny: return .tempdeny
        case .allow: return .allow
        case .tempallow: return .tempallow
        case .remove: return .remove
        case .allowremove: return .allowremove
        case .ignore: return .ignore
        case .ignoreremove: return .ignoreremove
        case .ping: return .ping
        case .grep: return .grep
        }
    }

    /// The decision the command's words describe, checked as the receiving nodes will check it.
    public func decision(_ words: [String], now: Int) throws(TempRequest.ArgumentError) -> Decision {
        var d: Decision
        switch self {
        case .ping:
            guard words.isEmpty else { throw .init(message: "csf: -cp takes no argument") }
            d = Decision(action: .ping, target: "")
        case .tempdeny, .tempallow:
            let r = try TempRequest.parse(words, option: rawValue)
            d = Decision(action: action, target: r.target, ports: r.ports.map(\.description).joined(separator: ","),
                         direction: r.direction ?? .in, expires: now + r.ttl, reason: r.comment ?? "")
        case .deny, .allow, .ignore:
            guard let ip = words.first else { throw .init(message: "csf: No IP specified") }
            d = Decision(action: action, target: ip, reason: words.dropFirst().joined(separator: " "))
        case .remove, .allowremove, .ignoreremove, .grep:
            guard let ip = words.first else { throw .init(message: "csf: No IP specified") }
            guard words.count == 1 else { throw .init(message: "csf: unexpected argument '\(words[1])'") }
            d = Decision(action: action, target: ip)
        }
        do { return try d.validated() } catch { throw .init(message: error.description) }
    }
}
