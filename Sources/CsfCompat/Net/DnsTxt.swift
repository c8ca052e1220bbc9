/// The TXT strings of a DNS answer (RFC 1035 §4.1): the header, the question skipped, each answer's TXT
/// character-strings joined. Anything malformed yields what was read before it, never a read past the end.
public enum DnsTxt {
    public static func strings(_ message: [UInt8]) -> [String] {
        guard message.count >= 12 else { return [] }
        let questions = Int(message[4]) << 8 | Int(message[5])
        let answers = Int(message[6]) << 8 | Int(message[7])
        var at = 12
        for _ in 0..<questions {
            guard let next = skipName(message, at), next + 4 <= message.count else { return [] }
            at = next + 4
        }
        var out: [String] = []
        for _ in 0..<answers {
            guard let next = skipName(message, at), next + 10 <= message.count else { return out }
            let type = Int(message[next]) << 8 | Int(message[next + 1])
            let length = Int(message[next + 8]) << 8 | Int(message[next + 9])
            let data = next + 10
            guard data + length <= message.count else { return out }
            if type == 16 {
                var text: [UInt8] = []
                var i = data
                while i < data + length {
                    let n = Int(message[i])
                    guard i + 1 + n <= data + length else { break }
                    text += message[(i + 1)..<(i + 1 + n)]
                    i += 1 + n
                }
                out.append(String(decoding: text, as: UTF8.self))
            }
            at = data + length
        }
        return out
    }

    /// Past a (possibly compressed) name.
    static func skipName(_ m: [UInt8], _ start: Int) -> Int? {
        var i = start
        while i < m.count {
            let n = Int(m[i])
            if n == 0 { return i + 1 }
            if n & 0xC0 == 0xC0 { return i + 2 <= m.count ? i + 2 : nil }
            i += 1 + n
        }
        return nil
    }

    /// The reversed-address label sequence of `in-addr.arpa` / `ip6.arpa`, without the suffix.
    public static func reversed(_ address: IPAddress) -> String {
        switch address {
        case .v4(let v):
            return (0..<4).map { String((v >> (8 * UInt32($0))) & 0xff) }.joined(separator: ".")
        case .v6(let hi, let lo):
            var nibbles: [String] = []
            for word in [lo, hi] {
                for k in 0..<16 { nibbles.append(String((word >> (4 * UInt64(k))) & 0xf, radix: 16)) }
            }
            return nibbles.joined(separator: ".")
        }
    }
}
