/// A port or an inclusive port range (`a:b` in csf, `a-b` in nft).
public struct PortRange: Hashable, Sendable, CustomStringConvertible, Comparable {
    public let low: UInt16
    public let high: UInt16

    public init(_ low: UInt16, _ high: UInt16? = nil) {
        self.low = low
        self.high = high ?? low
    }

    public var description: String { low == high ? "\(low)" : "\(low)-\(high)" }
    public static func < (a: PortRange, b: PortRange) -> Bool { a.low != b.low ? a.low < b.low : a.high < b.high }
}

public enum PortList {
    public struct ParseError: Error, CustomStringConvertible {
        public let item: String
        public var description: String { "invalid port or range '\(item)'" }
    }

    /// Parses csf's `20,21,1000:2000` form (white space ignored; `_` also accepted as a range mark, as filters use it).
    public static func parse(_ text: String) throws(ParseError) -> [PortRange] {
        var result: [PortRange] = []
        for raw in text.split(separator: ",") {
            let item = raw.filter { !$0.isWhitespaceCheaply }
            if item.isEmpty { continue }
            let bounds = item.split(separator: ":", omittingEmptySubsequences: false).flatMap {
                $0.split(separator: "_", omittingEmptySubsequences: false)
            }
            guard bounds.count <= 2, let lo = port(bounds[0]) else { throw ParseError(item: item) }
            if bounds.count == 2 {
                guard let hi = port(bounds[1]), hi >= lo else { throw ParseError(item: item) }
                result.append(PortRange(lo, hi))
            } else {
                result.append(PortRange(lo))
            }
        }
        return result
    }

    static func port(_ s: Substring) -> UInt16? {
        guard !s.isEmpty, s.count <= 5, s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int(s), n <= 65535 else { return nil }
        return UInt16(n)
    }

    public static func contains(_ ranges: [PortRange], _ port: UInt16) -> Bool {
        ranges.contains { $0.low <= port && port <= $0.high }
    }

    /// Sorted, with overlapping or adjacent ranges merged, so nft accepts the anonymous interval set.
    public static func normalized(_ ranges: [PortRange]) -> [PortRange] {
        var out: [PortRange] = []
        for r in ranges.sorted() {
            if let last = out.last, Int(r.low) <= Int(last.high) + 1 {
                out[out.count - 1] = PortRange(last.low, max(last.high, r.high))
            } else {
                out.append(r)
            }
        }
        return out
    }
}

/// A packet rate as iptables' `limit` takes it (`1/s`, `30/m`, `100/second`), rendered for nft.
public struct Rate: Hashable, Sendable, CustomStringConvertible {
    public enum Unit: String, Sendable {
        case second, minute, hour, day, week

        public var seconds: Int {
            switch self {
            case .second: return 1
            case .minute: return 60
            case .hour: return 3600
            case .day: return 86400
            case .week: return 604_800
            }
        }
    }
    public let count: Int
    public let unit: Unit

    public init(count: Int, unit: Unit) {
        self.count = count
        self.unit = unit
    }

    public init?(csf text: String) {
        let parts = text.trimmingWhitespace().split(separator: "/")
        guard parts.count == 2, ConfigSchema.isUnsigned(String(parts[0])), let n = Int(parts[0]), n > 0 else { return nil }
        switch parts[1].lowercased() {
        case "s", "sec", "second": unit = .second
        case "m", "min", "minute": unit = .minute
        case "h", "hour": unit = .hour
        case "d", "day": unit = .day
        default: return nil
        }
        count = n
    }

    public var description: String { "\(count)/\(unit.rawValue)" }

    public var perSecond: Double { Double(count) / Double(unit.seconds) }
}

/// An interface name as csf takes it (`eth0`, `eth+` wildcard, `eth0:1` alias trimmed to `eth0`).
public struct InterfaceName: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public var isWildcard: Bool { name.hasSuffix("+") }

    /// For names the code itself spells (never input).
    package init(trusted name: String) { self.name = name }

    public init?(csf text: String) {
        var n = text.trimmingWhitespace()
        if let colon = n.firstIndex(of: ":") { n = String(n[..<colon]) }
        guard !n.isEmpty, n.utf8.count <= 15,
              n.utf8.allSatisfy(InterfaceName.isAllowed),
              !n.dropLast().contains("+") else { return nil }
        name = n
    }

    /// Word characters and `-.@+`.
    private static func isAllowed(_ b: UInt8) -> Bool {
        ASCII.isWord(b) || b == 0x2D || b == ASCII.dot || b == 0x40 || b == 0x2B
    }

    /// nft spells the wildcard `*`.
    public var nftPattern: String { isWildcard ? String(name.dropLast()) + "*" : name }
    public var description: String { name }
}
