import CsfCompat
import NftRuleset

/// `csf -l4` / `-l6`: one family's part of the table listing. The table is `inet`, so a rule without an
/// address family match applies to both and is kept in both views; sets are judged by their key type.
public enum StatusFilter {
    public static func only(_ family: IPAddress.Family, in listing: String) -> String {
        var out: [Substring] = []
        var pendingSet: [Substring] = []
        var inSet = false
        for line in listing.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == "\t" || $0 == " " }
            if !inSet && trimmed.hasPrefix("set ") && trimmed.hasSuffix("{") {
                inSet = true
                pendingSet = [line]
                continue
            }
            if inSet {
                pendingSet.append(line)
                if trimmed == "}" {
                    inSet = false
                    if setFamily(pendingSet) != other(family) { out += pendingSet }
                }
                continue
            }
            if ruleFamily(trimmed) == other(family) { continue }
            out.append(line)
        }
        return out.joined(separator: "\n")
    }

    static func other(_ family: IPAddress.Family) -> IPAddress.Family { family == .v4 ? .v6 : .v4 }

    static func setFamily(_ lines: [Substring]) -> IPAddress.Family? {
        for line in lines where line.contains("type ") {
            if line.contains("ipv6_addr") { return .v6 }
            if line.contains("ipv4_addr") { return .v4 }
        }
        return nil
    }

    /// The family a rule is restricted to by its matches, nil when it applies to both.
    static func ruleFamily(_ rule: Substring) -> IPAddress.Family? {
        let v6 = ["ip6 ", "nfproto ipv6", "ipv6-icmp", "icmpv6 "].contains { rule.contains($0) }
        let v4 = ["ip saddr", "ip daddr", "nfproto ipv4", "icmp type", "meta l4proto icmp "].contains { rule.contains($0) }
        switch (v4, v6) {
        case (true, false): return .v4
        case (false, true): return .v6
        default: return nil
        }
    }

    /// `\tset deny4 {` gains a `# 100000 elements (csf -l --full lists them)` line.
    public static func annotatingSizes(_ listing: String, sizes: [String: SetSize]) -> String {
        var out: [String] = []
        for line in listing.split(separator: "\n", omittingEmptySubsequences: false) {
            out.append(String(line))
            let trimmed = line.drop { $0 == "\t" || $0 == " " }
            guard trimmed.hasPrefix("set "), trimmed.hasSuffix("{") else { continue }
            let name = String(trimmed.dropFirst(4).dropLast()).trimmingWhitespace()
            guard let size = sizes[name] else { continue }
            let indent = String(line.prefix { $0 == "\t" || $0 == " " })
            out.append("\(indent)\t# \(size.description)\(size.count > 0 ? " (csf -l --full lists them)" : "")")
        }
        return out.joined(separator: "\n")
    }
}
