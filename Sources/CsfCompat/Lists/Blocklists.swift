/// csf.blocklists (reference §4.1.11, §6.9): `NAME|INTERVAL|MAX|URL` lines, and the feeds they name. Parsing
/// only; downloading, caching and loading belong to lfd and the kernel layer.
public struct Blocklist: Sendable, Equatable {
    public var name: String
    /// Seconds between downloads (csf's minimum, 3600, applied).
    public var interval: Int
    /// The most entries taken from the feed; 0 = all.
    public var max: Int
    public var url: String
}

public enum Blocklists {
    /// csf's default MAXMIND line points at a page that is no list any more.
    static let staleURLs = ["https://www.maxmind.com/en/high-risk-ip-sample-list"]

    public static func parse(_ text: String, path: String) -> ([Blocklist], [Diagnostic]) {
        var lists: [Blocklist] = []
        var diagnostics: [Diagnostic] = []
        for (index, raw) in LineScanner.lines(text).enumerated() {
            let line = raw.trimmingWhitespace()
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            func problem(_ severity: Diagnostic.Severity, _ message: String) {
                diagnostics.append(Diagnostic(severity, file: path, line: index + 1, message))
            }
            let fields = line.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false).map { $0.trimmingWhitespace() }
            guard fields.count == 4 else { problem(.error, "expected NAME|INTERVAL|MAX|URL"); continue }
            let name = fields[0].uppercased()
            guard !name.isEmpty, name.utf8.count <= 25, name.utf8.allSatisfy({ ASCII.isDigit($0) || ($0 >= 0x41 && $0 <= 0x5A) || $0 == 0x5F }) else {
                problem(.error, "'\(shown(fields[0]))': a name is letters, digits and _, at most 25"); continue
            }
            guard !lists.contains(where: { $0.name == name }) else { problem(.error, "\(name) is listed twice"); continue }
            guard let interval = Int(fields[1]), interval >= 0 else { problem(.error, "\(name): INTERVAL '\(shown(fields[1]))' is not a number of seconds"); continue }
            guard let max = Int(fields[2]), max >= 0 else { problem(.error, "\(name): MAX '\(shown(fields[2]))' is not a number"); continue }
            let url = fields[3]
            guard (url.hasPrefix("http://") || url.hasPrefix("https://")), url.utf8.count > 8,
                  !url.contains(where: { $0.isWhitespace || $0 == "\"" || $0 == "'" }) else {
                problem(.error, "\(name): '\(shown(url))' is not an http(s) URL"); continue
            }
            if interval < 3600 { problem(.warning, "\(name): INTERVAL \(interval) is below csf's minimum; 3600 is used") }
            if name == "SPAMEDROP" { problem(.warning, "SPAMEDROP: Spamhaus merged EDROP into DROP in April 2024; this list is empty or stale (SPAMDROP holds it)") }
            if staleURLs.contains(where: { url.hasPrefix($0) }) { problem(.warning, "\(name): \(url) is a web page with sample addresses, not a blocklist") }
            lists.append(Blocklist(name: name, interval: Swift.max(3600, interval), max: max, url: url))
        }
        return (lists, diagnostics)
    }
}

/// One downloaded feed: from each line the first IPv4 address or network, else the first IPv6 one, as csf takes
/// them; `#` and `;` comments; Spamhaus's JSON lines (`{"cidr":"192.0.2.0/24",…}`); DSHIELD's start addresses
/// become /24s. Entries that would block everything (`/0`) or loopback are refused.
public enum BlocklistFeed {
    public struct Parsed: Sendable {
        public var networks: [IPNetwork] = []
        /// Lines with text but no address, and the first few of them for the log.
        public var skipped = 0
        public var examples: [String] = []
        /// MAX stopped the reading.
        public var truncated = false
        /// GLOBAL_ALLOW / GLOBAL_DENY only: csf's advanced filters (`tcp|in|d=22|s=192.0.2.9`), as written.
        public var filters: [AdvancedFilter] = []
    }

    public static func parse(_ text: String, name: String, max: Int = 0, filters: Bool = false) -> Parsed {
        var text = text
        return text.withUTF8 { parse(bytes: $0, name: name, max: max, filters: filters) }
    }

    /// The same from bytes (a download, a mapped cache): a million lines in well under a second. Duplicates are
    /// kept (merging into ranges removes them); MAX counts entries as csf counted lines.
    public static func parse(bytes: UnsafeBufferPointer<UInt8>, name: String, max: Int = 0, filters: Bool = false) -> Parsed {
        var out = Parsed()
        let dshield = name == "DSHIELD"
        var start = 0
        let count = bytes.count
        while start < count {
            var end = start
            while end < count && bytes[end] != 0x0A { end += 1 }
            defer { start = end + 1 }
            var a = start, b = end
            while a < b && isSpace(bytes[a]) { a += 1 }
            while b > a && isSpace(bytes[b - 1]) { b -= 1 }
            guard a < b else { continue }
            let first = bytes[a]
            if first == 0x23 || first == 0x3B || (b - a == 1 && (first == 0x5B || first == 0x5D)) { continue }
            if filters, let filter = filter(bytes, a, b) {
                out.filters.append(filter)
                continue
            }
            guard var network = firstNetwork(bytes, a, b) else {
                out.skipped += 1
                if out.examples.count < 5 { out.examples.append(shown(String(decoding: bytes[a..<b], as: UTF8.self), limit: 120)) }
                continue
            }
            if dshield, network.isHost, network.family == .v4 { network = IPNetwork(address: network.address.masked(to: 24), prefix: 24) }
            guard network.prefix > 0, !network.address.isLoopback else { continue }
            if max > 0 && out.networks.count >= max {
                out.truncated = true
                break
            }
            out.networks.append(network)
        }
        return out
    }

    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D }

    /// The line's first token as an advanced filter, when it is one (it holds a `|` and parses).
    private static func filter(_ bytes: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int) -> AdvancedFilter? {
        var end = a
        while end < b && !isSpace(bytes[end]) && bytes[end] != 0x23 { end += 1 }
        guard bytes[a..<end].contains(0x7C) else { return nil }
        return try? AdvancedFilter.parse(Substring(decoding: bytes[a..<end], as: UTF8.self))
    }

    private static func isSeparator(_ c: UInt8) -> Bool {
        // space, tab, CR, `,` `;` `"` `|` `{` `}`
        c == 0x20 || c == 0x09 || c == 0x0D || c == 0x2C || c == 0x3B || c == 0x22 || c == 0x7C || c == 0x7B || c == 0x7D
    }

    /// The first IPv4 network of the line's tokens, else the first IPv6 one.
    static func firstNetwork(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> IPNetwork? {
        var v6: IPNetwork?
        var i = from
        while i < to {
            while i < to && isSeparator(bytes[i]) { i += 1 }
            var j = i
            var hasDot = false, hasColon = false
            while j < to && !isSeparator(bytes[j]) {
                if bytes[j] == 0x2E { hasDot = true } else if bytes[j] == 0x3A { hasColon = true }
                j += 1
            }
            // JSON's `cidr:` key is left before the value once quotes and commas split it.
            var k = i
            if k < j && bytes[k] == 0x3A { k += 1 }
            if k < j, hasDot || hasColon {
                let token = UnsafeBufferPointer(rebasing: bytes[k..<j])
                if let v4 = IPAddress.parseV4(token) { return IPNetwork(address: .v4(v4), prefix: 32) }
                if case .success(let network) = IPNetwork.parse(Substring(String(decoding: token, as: UTF8.self))) {
                    if network.family == .v4 { return network }
                    if v6 == nil { v6 = network }
                }
            }
            i = j
        }
        return v6
    }
}
