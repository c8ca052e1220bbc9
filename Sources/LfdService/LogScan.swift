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
    public var addresses: Set<IPAddress> = []

    /// `keepHits` false only counts (for benchmarks over millions of lines).
    public static func run(path: String, classifier: LineClassifier, logKey: String?, keepHits: Bool = true) throws(CsfError) -> LogScan {
        var scan = LogScan()
        let bytes = try MappedBytes(path: path)
        let buf = bytes.buffer
        var scratch = [UInt64](repeating: 0, count: classifier.scratchWords)
        LineScanner.forEach(buf) { number, line in
            scan.lines = number
            if let d = classifier.classify(UnsafeBufferPointer(rebasing: buf[line]), logKey: logKey, scratch: &scratch) {
                scan.matched += 1
                scan.perApp[d.rule.app, default: 0] += 1
                scan.addresses.insert(d.ip)
                if keepHits { scan.hits.append(Hit(line: number, detection: d)) }
            }
            return true
        }
        return scan
    }
}
