/// `lfd --scan`: the detectors run over a file without banning anything, for admins testing rules
/// (what `fail2ban-regex` is to fail2ban).
public struct LogScan: Sendable {
    public struct Hit: Sendable {
        public var line: Int
        public var detection: Detection
    }

    public var hits: [Hit] = []
    public var lines = 0

    public var perApp: [String: Int] {
        hits.reduce(into: [:]) { $0[$1.detection.rule.app, default: 0] += 1 }
    }

    public var addresses: Set<IPAddress> { Set(hits.map(\.detection.ip)) }

    public static func run(path: String, classifier: LineClassifier, logKey: String?) throws(CsfError) -> LogScan {
        var scan = LogScan()
        let bytes = try TextFile.readBytes(path)
        var lineNo = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 10 { end += 1 }
            lineNo += 1
            var e = end
            if e > start, bytes[e - 1] == 13 { e -= 1 }
            let line = String(decoding: bytes[start..<e], as: UTF8.self)
            if let d = classifier.classify(line, logKey: logKey) { scan.hits.append(Hit(line: lineNo, detection: d)) }
            start = end + 1
        }
        scan.lines = lineNo
        return scan
    }
}
