import CsfCompat

/// Packets and bytes counted by the rules of one chain that share one comment (the csf setting that made
/// them): what the metrics endpoint reports per chain and setting. Every rule carries a counter
/// (`RulesetCompiler.counted`), and a terse listing shows them without reading any set element.
public struct RuleCounter: Sendable, Equatable {
    public var chain: String
    public var setting: String
    public var packets: UInt64
    public var bytes: UInt64

    public init(chain: String, setting: String, packets: UInt64, bytes: UInt64) {
        self.chain = chain
        self.setting = setting
        self.packets = packets
        self.bytes = bytes
    }

    /// The counters of a table listing (`nft -t list ruleset` text), summed per chain and comment, in listing
    /// order. Rules without a comment count under "-".
    public static func parse(_ listing: String) -> [RuleCounter] {
        var out: [RuleCounter] = []
        var index: [String: Int] = [:]
        var chain: String?
        for raw in listing.split(separator: "\n") {
            let line = raw.drop { $0 == " " || $0 == "\t" }
            if line.hasPrefix("chain "), line.hasSuffix("{") {
                chain = String(line.dropFirst(6).dropLast()).trimmingWhitespace()
                continue
            }
            if line == "}" { chain = nil; continue }
            guard let chain, let (packets, bytes) = counts(line) else { continue }
            let setting = comment(line) ?? "-"
            let key = chain + "\u{0}" + setting
            if let i = index[key] {
                out[i].packets &+= packets
                out[i].bytes &+= bytes
            } else {
                index[key] = out.count
                out.append(RuleCounter(chain: chain, setting: setting, packets: packets, bytes: bytes))
            }
        }
        return out
    }

    /// `counter packets N bytes M` anywhere in a rule.
    static func counts(_ line: Substring) -> (UInt64, UInt64)? {
        guard let r = line.firstRange(of: "counter packets ") else { return nil }
        let words = line[r.upperBound...].split(separator: " ", maxSplits: 3)
        guard words.count >= 3, words[1] == "bytes", let p = UInt64(words[0]), let b = UInt64(words[2]) else { return nil }
        return (p, b)
    }

    /// The rule's `comment "…"`: the compiler's comments hold no quote, so the text ends at the next one.
    static func comment(_ line: Substring) -> String? {
        guard let r = line.firstRange(of: " comment \"") else { return nil }
        let rest = line[r.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
}
