/// csf's advanced allow/deny filter (`tcp|in|d=22|s=192.0.2.1`), parsed with csf's positional algorithm
/// (reference §3.1) so every legacy line means exactly what it meant under csf.
public struct AdvancedFilter: Hashable, Sendable {
    public enum Proto: String, Sendable { case tcp, udp, icmp }
    public enum Direction: String, Sendable { case `in`, out }
    public enum Side: String, Sendable { case source = "s", destination = "d" }
    public enum Owner: Hashable, Sendable { case uid(UInt32), gid(UInt32) }

    public enum PortMatch: Hashable, Sendable {
        case ports([PortRange])
        case icmpType(String)
    }

    public var proto: Proto = .tcp
    public var direction: Direction = .in
    public var port: (side: Side, match: PortMatch)?
    public var address: (side: Side, network: IPNetwork)?
    public var owner: Owner?
    public var text: String

    public static func == (a: AdvancedFilter, b: AdvancedFilter) -> Bool { a.text == b.text }
    public func hash(into h: inout Hasher) { h.combine(text) }

    /// What csf would emit for this filter.
    public enum Effect: Equatable, Sendable {
        case ownerRule      // OUTPUT rule for both families, address and direction ignored
        case addressRule    // one rule in the direction's chain, family from the address
        case nothing        // csf silently creates no rule
    }

    public var effect: Effect {
        if owner != nil { return .ownerRule }
        if address != nil && port != nil { return .addressRule }
        return .nothing
    }

    /// True when csf treats an entry as a filter rather than an address: it has `:` or `|`, and `=`.
    public static func looksLikeFilter(_ token: Substring) -> Bool { looksLikeFilter(ArraySlice(token.utf8)) }

    public static func looksLikeFilter(_ token: ArraySlice<UInt8>) -> Bool {
        var equals = false, separator = false
        for b in token {
            if b == ASCII.equals { equals = true } else if b == ASCII.pipe || b == ASCII.colon { separator = true }
        }
        return equals && separator
    }

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    public static func parse(_ token: Substring) throws(ParseError) -> AdvancedFilter {
        let lowered = token.lowercased()
        var filter = AdvancedFilter(text: lowered)
        let normalized = lowered.contains("|") ? lowered : lowered.replacingColons()
        let fields = normalized.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        var cursor = 0
        var portError: ParseError?
        if let first = fields.first, let proto = Proto(rawValue: first) {
            filter.proto = proto
            cursor = 1
        }
        for i in stride(from: cursor, through: min(1, fields.count - 1), by: 1) where fields[i] == "in" || fields[i] == "out" {
            filter.direction = fields[i] == "out" ? .out : .in
            cursor = i + 1
            break
        }
        for i in stride(from: cursor, through: min(2, fields.count - 1), by: 1) {
            guard let (side, value) = sideValue(fields[i]) else { continue }
            do {
                filter.port = (side, try portMatch(value, proto: filter.proto))
            } catch {
                portError = error
            }
            cursor = i + 1
            break
        }
        for i in stride(from: cursor, through: min(3, fields.count - 1), by: 1) {
            guard let (side, value) = sideValue(fields[i]) else { continue }
            if case .success(let net) = IPNetwork.parse(value) {
                filter.address = (side, net)
            }
            break
        }
        for i in stride(from: cursor, through: min(4, fields.count - 1), by: 1) {
            let f = fields[i]
            guard f.hasPrefix("u=") || f.hasPrefix("g=") else { continue }
            let id = try ownerID(String(f.dropFirst(2)), isGroup: f.hasPrefix("g="))
            filter.owner = f.hasPrefix("u=") ? .uid(id) : .gid(id)
            break
        }
        // csf never builds a rule from a filter without an address or owner, so a bad port there is inert.
        if let portError, filter.owner != nil || filter.address != nil { throw portError }
        return filter
    }

    private static func sideValue(_ field: String) -> (Side, String)? {
        if field.hasPrefix("d=") { return (.destination, String(field.dropFirst(2))) }
        if field.hasPrefix("s=") { return (.source, String(field.dropFirst(2))) }
        return nil
    }

    private static func portMatch(_ value: String, proto: Proto) throws(ParseError) -> PortMatch {
        if proto == .icmp {
            guard IcmpTypes.isValid(value) else { throw ParseError(reason: "unknown ICMP type '\(value)'") }
            return .icmpType(value)
        }
        let ports: [PortRange]
        do {
            ports = try PortList.parse(value)
        } catch {
            throw ParseError(reason: error.description)
        }
        guard !ports.isEmpty else { throw ParseError(reason: "empty port list") }
        guard ports.count <= 15 else { throw ParseError(reason: "more than 15 ports in one filter") }
        return .ports(ports)
    }

    private static func ownerID(_ value: String, isGroup: Bool) throws(ParseError) -> UInt32 {
        if ConfigSchema.isUnsigned(value), let n = UInt32(value) { return n }
        guard let id = isGroup ? Accounts.gid(named: value) : Accounts.uid(named: value) else {
            throw ParseError(reason: "unknown \(isGroup ? "group" : "user") '\(value)'")
        }
        return id
    }
}

extension String {
    func replacingColons() -> String { String(map { $0 == ":" ? "|" : $0 }) }
}

/// ICMP type names csf filters may use (iptables spellings included), mapped to nft's names.
public enum IcmpTypes {
    static let aliases: [String: String] = ["ping": "echo-request", "pong": "echo-reply"]
    static let v4Names: Set<String> = [
        "echo-reply", "destination-unreachable", "source-quench", "redirect", "echo-request",
        "router-advertisement", "router-solicitation", "time-exceeded", "parameter-problem",
        "timestamp-request", "timestamp-reply", "info-request", "info-reply",
        "address-mask-request", "address-mask-reply",
    ]
    static let v6Names: Set<String> = [
        "destination-unreachable", "packet-too-big", "time-exceeded", "parameter-problem",
        "echo-request", "echo-reply", "mld-listener-query", "mld-listener-report", "mld-listener-done",
        "nd-router-solicit", "nd-router-advert", "nd-neighbor-solicit", "nd-neighbor-advert", "nd-redirect",
    ]

    public static func isValid(_ value: String) -> Bool { nftName(value, family: .v4) != nil || nftName(value, family: .v6) != nil }

    /// The nft spelling for a family, or nil when the type does not exist there.
    public static func nftName(_ value: String, family: IPAddress.Family) -> String? {
        let name = aliases[value] ?? value
        if ConfigSchema.isUnsigned(name), let n = Int(name), n <= 255 { return name }
        return (family == .v4 ? v4Names : v6Names).contains(name) ? name : nil
    }
}
