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
        case .config: return .config
        case .file: return .file
        case .restart: return .restart
        }
    }

    /// The decision the command's words describe, checked as the receiving nodes will check it.
    public func decision(_ words: [String], now: Int, readFile: (String) -> String? = { _ in nil }) throws(TempRequest.ArgumentError) -> Decision {
        var d: Decision
        switch self {
        case .config:
            guard words.count >= 2 else { throw .init(message: "csf: -cc needs a setting and its value: csf -cc KEY VALUE") }
            d = Decision(action: .config, target: "")
            d.payload = words[0] + "\n" + words.dropFirst().joined(separator: " ")
        case .file:
            guard words.count == 1 else { throw .init(message: "No file entered") }
            guard let content = readFile(words[0]) else { throw .init(message: "csf: Error [\(words[0])] does not exist") }
            d = Decision(action: .file, target: "")
            d.payload = String(words[0].split(separator: "/").last ?? "") + "\n" + content
        case .restart:
            guard words.isEmpty else { throw .init(message: "csf: -crs takes no argument") }
            d = Decision(action: .restart, target: "")
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
