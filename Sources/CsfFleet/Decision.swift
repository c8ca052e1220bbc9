import CsfCompat
import CsfFirewall

/// One row of the fleet's `nftcsf_decisions` table: what a node asked every other node to do. csf's cluster
/// commands (`-cd -ctd -ca -cta -cr -car -ci -cir -cp -cg`) each write one. A row is untrusted input for the
/// nodes that read it (any member can write one): `validated()` parses every field again before anything acts.
public struct Decision: Sendable, Equatable {
    /// csf's cluster message letters (reference §7.2) as words.
    public enum Action: String, Sendable, CaseIterable {
        case deny, tempdeny, allow, tempallow
        /// `R`: remove from csf.deny and the temporary bans. `AR`: from csf.allow and the temporary allows.
        case remove, allowremove
        case ignore, ignoreremove
        /// `PING` and `G`: nothing changes; nodes answer in `nftcsf_replies`.
        case ping, grep
        /// `C`, `FILE`, `RESTART`: the master's configuration push (`-cc`, `-cf`, `-crs`), only applied from
        /// CLUSTER_MASTER on nodes with CLUSTER_CONFIG = 1.
        case config, file, restart

        /// The word csf's cluster logs use (`Cluster member X said, DENY ...`).
        public var csfWord: String {
            switch self {
            case .deny: return "DENY"
            case .tempdeny: return "TEMPDENY"
            case .allow: return "ALLOW"
            case .tempallow: return "TEMPALLOW"
            case .remove: return "REMOVE"
            case .allowremove: return "ALLOWREMOVE"
            case .ignore: return "IGNORE"
            case .ignoreremove: return "IGNOREREMOVE"
            case .ping: return "PING"
            case .grep: return "GREP"
            case .config: return "CONFIG"
            case .file: return "FILE"
            case .restart: return "RESTART"
            }
        }

        var needsTarget: Bool { !isPush && self != .ping }
        public var isPush: Bool { self == .config || self == .file || self == .restart }
        var isTemporary: Bool { self == .tempdeny || self == .tempallow }
    }

    public var id: Int64
    public var action: Action
    /// An address or CIDR (never an advanced filter: those stay local). Empty for ping.
    public var target: String
    /// csf's `-p` list for temporary entries (`22,53;udp`); empty = every port.
    public var ports: String
    public var direction: TempEntry.Direction
    /// Epoch seconds when a temporary decision ends; nil for permanent ones.
    public var expires: Int?
    public var reason: String
    /// The database role that wrote the row: stamped by the database, not by the writer.
    public var origin: String
    public var created: Int
    /// Nodes the row is for (CLUSTER_SENDTO); empty = every node.
    public var recipients: [String]
    /// What a push carries: `KEY\nVALUE` for config, `NAME\ncontent` for file.
    public var payload: String = ""
    /// The action as stored when this build does not know it (a newer node's): the row is skipped.
    var unknownAction: String?

    public init(id: Int64 = 0, action: Action, target: String, ports: String = "", direction: TempEntry.Direction = .in,
                expires: Int? = nil, reason: String = "", origin: String = "", created: Int = 0, recipients: [String] = []) {
        self.id = id
        self.action = action
        self.target = target
        self.ports = ports
        self.direction = direction
        self.expires = expires
        self.reason = reason
        self.origin = origin
        self.created = created
        self.recipients = recipients
    }

    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// The longest reason kept; csf.deny comments are one line.
    static let reasonLimit = 300

    /// The fields checked as a local `csf -d/-td` would check its arguments: an address or CIDR (not /0), ports
    /// that parse, a temporary decision with an expiry, a reason that is one line of printable text.
    public func validated() throws(Invalid) -> Decision {
        var d = self
        if let unknown = unknownAction { throw Invalid(description: "unknown action '\(shown(unknown))'") }
        if action.needsTarget {
            guard case .success(let parsed) = IPNetwork.parse(target) else {
                throw Invalid(description: "[\(shown(target))] is not a valid PUBLIC IP/CIDR")
            }
            guard parsed.prefix > 0 else { throw Invalid(description: "[\(target)] covers every address") }
            d.target = parsed.network.description
        } else if !target.isEmpty {
            throw Invalid(description: "\(action.csfWord) takes no address")
        }
        if action.isPush {
            _ = try pushed()
        } else if !payload.isEmpty {
            throw Invalid(description: "\(action.csfWord) carries no payload")
        }
        if !ports.isEmpty {
            do { _ = try TempEntry.parsePorts(ports) } catch { throw Invalid(description: "invalid ports '\(shown(ports))'") }
        }
        if action.isTemporary, expires == nil { throw Invalid(description: "\(action.csfWord) without an expiry") }
        if !action.isTemporary { d.expires = nil }
        d.reason = Decision.cleanReason(reason)
        return d
    }

    /// One line of printable text: control characters (a newline would start a new csf.deny line) become spaces,
    /// and what a local comment may not hold (`|` the temp-file separator, `"` `\\` `{` `}` `;` which nft or csf
    /// refuse) becomes `_`; the length is bounded.
    static func cleanReason(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if out.unicodeScalars.count >= reasonLimit { break }
            switch scalar.value {
            case 0..<32, 127: out.unicodeScalars.append(" ")
            case 34, 59, 92, 123, 124, 125: out.unicodeScalars.append("_")
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out.trimmingWhitespace()
    }

    /// The push as the change a node applies (its fields checked again).
    public func pushed() throws(Invalid) -> PushedChange {
        let parts = payload.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        do throws(PushedChange.Invalid) {
            switch action {
            case .config: return try PushedChange.setting(parts[0], parts.count > 1 ? parts[1] : "")
            case .file: return try PushedChange.file(parts[0], parts.count > 1 ? parts[1] : "")
            case .restart: return .restart
            default: throw PushedChange.Invalid("\(action.csfWord) is not a push")
            }
        } catch { throw Invalid(description: error.description) }
    }

    /// The comment written with the change on the receiving node, in csf's words.
    public var localComment: String {
        "Cluster member \(Decision.cleanReason(origin)) said, \(action.csfWord) \(target), Reason:[\(reason)]"
    }
}

extension Decision {
    /// A row whose action this build does not know: applied as nothing, logged once.
    func unknown(_ action: String) -> Decision {
        var d = self
        d.unknownAction = action
        return d
    }
}
