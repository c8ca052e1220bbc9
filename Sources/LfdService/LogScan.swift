import CsfCompat
import CsfFirewall
import LfdCore

#if canImport(Glibc)
import Glibc
#endif

/// `lfd --scan`: the detectors run over a file without banning anything, for admins testing rules
/// (what `fail2ban-regex` is to fail2ban).
public struct LogScan: Sendable {
    public struct Hit: Sendable {
        public var line: Int
        public var detection: Detection
    }

    public var hits: [Hit] = []
    public var lines = 0
    public var matched = 0
    public var perApp: [String: Int] = [:]
    /// Matches per detector (rule name).
    public var perRule: [String: Int] = [:]
    /// Lines a rule owns whose address is not usable (csf counts them for nothing).
    public var ignored = 0
    public var addresses: Set<IPAddress> = []
    /// Unmatched lines with a failure word and an address: what lfd may be missing (the first `lookalikeLimit`).
    public var lookalikes: [Lookalike] = []
    public var lookalikeCount = 0

    public struct Lookalike: Sendable, Encodable {
        public var line: Int
        public var address: String
        public var text: String
    }

    public static let lookalikeLimit = 20

    /// `keepHits` false only counts (for benchmarks over millions of lines).
    public static func run(path: String, classifier: LineClassifier, logKey: String?, keepHits: Bool = true) throws(CsfError) -> LogScan {
        var scan = LogScan()
        let bytes = try MappedBytes(path: path)
        let buf = bytes.buffer
        var scratch = [UInt64](repeating: 0, count: classifier.scratchWords)
        LineScanner.forEach(buf) { number, line in
            scan.lines = number
            let text = UnsafeBufferPointer(rebasing: buf[line])
            switch classifier.verdict(text, logKey: logKey, scratch: &scratch) {
            case .detected(let d):
                scan.matched += 1
                scan.perApp[d.rule.app, default: 0] += 1
                scan.perRule[d.rule.name, default: 0] += 1
                scan.addresses.insert(d.ip)
                if keepHits { scan.hits.append(Hit(line: number, detection: d)) }
            case .ignored:
                scan.ignored += 1
            case .unmatched:
                guard let ip = FailureLookalike.address(in: text) else { break }
                scan.lookalikeCount += 1
                if scan.lookalikes.count < lookalikeLimit {
                    let string = String(decoding: text, as: UTF8.self)
                    scan.lookalikes.append(Lookalike(line: number, address: ip.description, text: String(string.prefix(300))))
                }
            }
            return true
        }
        return scan
    }
}
