/// One line of csf.tempban / csf.tempallow: `<epoch>|<ip>|<ports>|<dir>|<ttl>|<comment>` (reference §2.3).
public struct TempEntry: Sendable, Equatable {
    public enum Kind: String, Sendable { case deny, allow }

    public enum Direction: String, Sendable, CaseIterable {
        case `in`, out, `inout`

        public var inbound: Bool { self != .out }
        public var outbound: Bool { self != .in }

        /// csf's wording in `-td`/`-ta` messages.
        public var phrase: String {
            switch self {
            case .in: return "inbound"
            case .out: return "outbound"
            case .inout: return "in and outbound"
            }
        }
    }

    public struct Port: Sendable, Hashable, CustomStringConvertible {
        public var port: UInt16
        public var proto: IPProtocol

        public init(_ port: UInt16, _ proto: IPProtocol = .tcp) {
            self.port = port
            self.proto = proto
        }

        /// csf writes `22` for tcp and `53;udp` otherwise.
        public var description: String { proto == .tcp ? "\(port)" : "\(port);\(proto.rawValue)" }
    }

    public var created: Int
    public var target: IPNetwork
    /// Empty means every port.
    public var ports: [Port]
    public var direction: Direction
    public var ttl: Int
    public var comment: String

    public init(created: Int, target: IPNetwork, ports: [Port], direction: Direction, ttl: Int, comment: String) {
        self.created = created
        self.target = target
        self.ports = ports
        self.direction = direction
        self.ttl = ttl
        self.comment = comment
    }

    public var expires: Int { created + ttl }
    public func remaining(now: Int) -> Int { max(0, expires - now) }
    public func isExpired(now: Int) -> Bool { now >= expires }

    public var portsText: String { ports.map(\.description).joined(separator: ",") }

    public var line: String { "\(created)|\(target)|\(portsText)|\(direction.rawValue)|\(ttl)|\(comment)" }

    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Parses one stored line. Fields beyond the sixth belong to the comment (csf loses them; we keep them).
    public static func parse(_ line: Substring) throws(ParseError) -> TempEntry {
        let fields = line.split(separator: "|", maxSplits: 5, omittingEmptySubsequences: false)
        guard fields.count >= 5 else { throw ParseError(description: "expected epoch|ip|ports|dir|ttl|comment") }
        guard let created = Int(fields[0]), created >= 0 else { throw ParseError(description: "invalid time '\(fields[0])'") }
        guard case .success(let target) = IPNetwork.parse(fields[1]) else {
            throw ParseError(description: "invalid address '\(fields[1])'")
        }
        let ports = try parsePorts(String(fields[2]))
        guard let direction = Direction(rawValue: String(fields[3])) else {
            throw ParseError(description: "invalid direction '\(fields[3])'")
        }
        guard let ttl = Int(fields[4]), ttl >= 0 else { throw ParseError(description: "invalid ttl '\(fields[4])'") }
        let comment = fields.count > 5 ? String(fields[5]) : ""
        return TempEntry(created: created, target: target.network, ports: ports, direction: direction, ttl: ttl, comment: comment)
    }

    /// `22,53;udp` → ports; empty or `*` means every port.
    public static func parsePorts(_ text: String) throws(ParseError) -> [Port] {
        if text.isEmpty || text == "*" { return [] }
        var out: [Port] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            if item == "*" { return [] }
            let parts = item.split(separator: ";", omittingEmptySubsequences: false)
            guard parts.count <= 2, let n = UInt16(parts[0]), n > 0,
                  parts[0].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                throw ParseError(description: "invalid port '\(item)'")
            }
            var proto = IPProtocol.tcp
            if parts.count == 2 {
                switch parts[1].lowercased() {
                case "tcp": proto = .tcp
                case "udp": proto = .udp
                default: throw ParseError(description: "invalid protocol '\(parts[1])' (tcp or udp)")
                }
            }
            let port = Port(n, proto)
            if !out.contains(port) { out.append(port) }
        }
        return out
    }
}

/// csf's TTL argument: seconds, or a number with a lower-case `m`, `h` or `d` suffix.
public enum TempTTL {
    public static let maximum = 3650 * 86400

    public static func parse(_ text: String) -> Int? {
        var digits = Substring(text)
        var unit = 1
        switch text.last {
        case "m": unit = 60
        case "h": unit = 3600
        case "d": unit = 86400
        default: break
        }
        if unit != 1 { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.utf8.count <= 12, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let n = Int(digits) else { return nil }
        let (value, overflow) = n.multipliedReportingOverflow(by: unit)
        return overflow ? nil : value
    }

    /// `-t`'s remaining-time column: `[Nd ][Nh ][Nm ]Ns`, zero components omitted.
    public static func format(_ seconds: Int) -> String {
        if seconds < 1 { return "<1" }
        var parts: [String] = []
        let (d, h, m, s) = (seconds / 86400, seconds % 86400 / 3600, seconds % 3600 / 60, seconds % 60)
        if d > 0 { parts.append("\(d)d") }
        if h > 0 { parts.append("\(h)h") }
        if m > 0 { parts.append("\(m)m") }
        parts.append("\(s)s")
        return parts.joined(separator: " ")
    }
}
