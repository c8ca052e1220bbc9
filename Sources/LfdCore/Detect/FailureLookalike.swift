import CsfCompat

/// A line no detector took that still reads like a failure: a failure word and a client address. `lfd --scan`
/// lists them so an admin sees what lfd misses on their own logs.
///
/// Every unmatched line of a scan passes through here, so the word search works on bytes: one pass, and a
/// word is compared only where a byte could start one.
public enum FailureLookalike {
    static let failureWords = PhraseSet(["fail", "invalid", "denied", "refused", "unauthori", "illegal", "not allowed",
                                         "bad password", "incorrect", "rejected", "forbidden", "blocked", "unknown user",
                                         "no such user"])
    /// sshd's session-end lines repeat "invalid user" after the failure was counted on its own line.
    static let echoes = PhraseSet(["disconnected from", "connection closed by", "received disconnect from"])

    public static func address(in line: Substring) -> IPAddress? {
        var text = String(line)
        return text.withUTF8 { address(in: $0) }
    }

    public static func address(in line: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        guard failureWords.occurs(in: line), !echoes.occurs(in: line) else { return nil }
        return firstAddress(Substring(String(decoding: line, as: UTF8.self)))
    }

    /// The first token made of hex digits, dots and colons that parses as an address.
    static func firstAddress(_ line: Substring) -> IPAddress? {
        var start: Substring.Index?
        var i = line.startIndex
        while true {
            let atEnd = i == line.endIndex
            let c = atEnd ? " " : line[i]
            if c.isHexDigit || c == "." || c == ":" {
                if start == nil { start = i }
            } else if let s = start {
                var token = line[s..<i]
                while token.last == "." || token.last == ":" { token = token.dropLast() }
                if token.count >= 7, token.contains(".") || token.filter({ $0 == ":" }).count >= 2, let ip = IPAddress(token) {
                    return ip
                }
                start = nil
            }
            if atEnd { return nil }
            i = line.index(after: i)
        }
    }
}

/// Lower-case ASCII phrases found case-insensitively in bytes. Most bytes start no phrase: a 256-bit set of
/// first bytes skips them without touching the phrase table.
struct PhraseSet: Sendable {
    let byFirst: [[[UInt8]]]
    let starts: [UInt64]

    init(_ phrases: [String]) {
        var table = [[[UInt8]]](repeating: [], count: 256)
        var bits = [UInt64](repeating: 0, count: 4)
        for p in phrases.map({ Array($0.utf8) }) {
            table[Int(p[0])].append(p)
            for v in [Int(p[0]), Int(p[0]) & ~0x20] { bits[v >> 6] |= 1 << UInt64(v & 63) }
        }
        byFirst = table
        starts = bits
    }

    func occurs(in line: UnsafeBufferPointer<UInt8>) -> Bool {
        starts.withUnsafeBufferPointer { starts in
            let n = line.count
            var i = 0
            while i < n {
                let b = line[i]
                if starts[Int(b >> 6)] & (1 << UInt64(b & 63)) != 0 {
                    for w in byFirst[Int(b | 0x20)] where i + w.count <= n {
                        var j = 1
                        while j < w.count, line[i + j] | 0x20 == w[j] { j += 1 }
                        if j == w.count { return true }
                    }
                }
                i += 1
            }
            return false
        }
    }
}
