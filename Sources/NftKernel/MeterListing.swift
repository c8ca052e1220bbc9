import CsfCompat

/// The kernel-filled sets behind SYNFLOOD_PER_SOURCE, PORTFLOOD, CONNLIMIT and PORTKNOCKING, as `csf -l --json`
/// shows them: which sources each one holds now and for how long.
public struct MeterListing: Sendable, Codable, Equatable {
    public struct Entry: Sendable, Codable, Equatable {
        public var address: String
        /// Milliseconds until the kernel drops the entry; nil for sets without timeouts (CONNLIMIT).
        public var expiresMs: Int?
        /// The rest of nft's element text (`ct count over 3`, `limit rate over 60/minute burst 3 packets`).
        public var detail: String

        public init(address: String, expiresMs: Int?, detail: String) {
            self.address = address
            self.expiresMs = expiresMs
            self.detail = detail
        }

        enum CodingKeys: String, CodingKey {
            case address, detail
            case expiresMs = "expires_ms"
        }
    }

    public var set: String
    public var comment: String
    public var entries: [Entry]

    public init(set: String, comment: String, entries: [Entry]) {
        self.set = set
        self.comment = comment
        self.entries = entries
    }

    /// Names and comments of the `flags dynamic` sets in a listing.
    /// Every set named in a table listing.
    static func setNames(_ listing: String) -> [String] {
        listing.split(separator: "\n").compactMap { raw in
            let line = String(raw).trimmingWhitespace()
            guard line.hasPrefix("set "), line.hasSuffix("{") else { return nil }
            return String(line.dropFirst(4).dropLast()).trimmingWhitespace()
        }
    }

    static func dynamicSets(_ listing: String) -> [(String, String)] {
        var out: [(String, String)] = []
        var current: (name: String, comment: String, dynamic: Bool)?
        for raw in listing.split(separator: "\n") {
            let line = String(raw).trimmingWhitespace()
            if line.hasPrefix("set "), line.hasSuffix("{") {
                current = (String(line.dropFirst(4).dropLast()).trimmingWhitespace(), "", false)
            } else if line.hasPrefix("flags "), line.contains("dynamic") {
                current?.dynamic = true
            } else if line.hasPrefix("comment \""), line.hasSuffix("\"") {
                current?.comment = String(line.dropFirst(9).dropLast())
            } else if line == "}", let c = current {
                if c.dynamic { out.append((c.name, c.comment)) }
                current = nil
            }
        }
        return out
    }

    /// The `elements = { a timeout 6s expires 5s984ms, b ct count over 3 }` block of one set.
    static func elements(_ listing: String) -> [Entry] {
        let parts = listing.split(separator: "elements = {", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return [] }
        let body = parts[1].prefix { $0 != "}" }
        return body.split(separator: ",").compactMap { (item: Substring) -> Entry? in
            let words: [String] = item.split(whereSeparator: { (c: Character) in c.isWhitespace }).map { String($0) }
            guard let address = words.first else { return nil }
            var rest = Array(words.dropFirst())
            var expires: Int?
            if let i = rest.firstIndex(of: "expires"), i + 1 < rest.count {
                expires = durationMs(rest[i + 1])
                rest.removeSubrange(i...(i + 1))
            }
            return Entry(address: address, expiresMs: expires, detail: rest.joined(separator: " "))
        }
    }

    /// nft's `1h2m3s45ms` form.
    static func durationMs(_ text: String) -> Int? {
        let units: [(String, Int)] = [("ms", 1), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        var total = 0, number = 0, sawDigit = false
        var rest = Substring(text)
        while let c = rest.first {
            if let d = c.wholeNumberValue {
                number = number * 10 + d
                sawDigit = true
                rest = rest.dropFirst()
                continue
            }
            guard sawDigit, let (unit, factor) = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            total += number * factor
            number = 0
            sawDigit = false
            rest = rest.dropFirst(unit.count)
        }
        return sawDigit ? nil : total
    }
}
