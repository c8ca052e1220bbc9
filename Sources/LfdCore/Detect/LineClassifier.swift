import CsfCompat

/// Runs the rules that read a log key over one line, in order; the first rule whose pattern matches owns the
/// line. A single literal scan decides which rules can possibly match before any pattern runs.
public struct LineClassifier: Sendable {
    public let rules: [FailureRule]
    private let matcher: LiteralMatcher
    /// Per rule, `matcher.words` words: the literals it needs, as bits.
    private let needMasks: [UInt64]

    public init(rules: [FailureRule]) {
        self.rules = rules
        // The scan looks for each literal's first few bytes (a small table stays in cache); a candidate rule
        // then checks its whole literals with memmem before its pattern runs.
        var prefix = 8
        var keys: [[[UInt8]]] = []
        var literals: [[UInt8]] = []
        while true {
            keys = rules.map { $0.literalBytes.filter { !$0.isEmpty }.map { Array($0.prefix(prefix)) } }
            literals = Array(Set(keys.joined())).sorted { $0.lexicographicallyPrecedes($1) }
            if LiteralMatcher.fits(literals) || prefix == 1 { break }
            prefix -= 1
        }
        var ids: [[UInt8]: Int] = [:]
        for (i, lit) in literals.enumerated() { ids[lit] = i }
        matcher = LiteralMatcher(literals)
        var masks = [UInt64](repeating: 0, count: rules.count * matcher.words)
        for (i, ruleKeys) in keys.enumerated() {
            for key in ruleKeys { if let id = ids[key] { masks[i * matcher.words + id / 64] |= 1 << UInt64(id % 64) } }
        }
        needMasks = masks
    }

    /// `logKey` nil tries every rule (what `lfd --scan` does without `--as`).
    public func classify(_ line: String, logKey: String?) -> Detection? {
        var line = line
        var found = [UInt64](repeating: 0, count: matcher.words)
        return line.withUTF8 { classify($0, logKey: logKey, scratch: &found) }
    }

    /// What one line is to the rules: a failure, a line a rule owns but counts for nothing (its address is not
    /// usable: csf's "ignored"), or no rule's.
    public enum Verdict: Sendable {
        case detected(Detection)
        case ignored(rule: String)
        case unmatched
    }

    /// `scratch` holds `matcher.words` words; pass the same array for every line to avoid allocations.
    public func classify(_ line: UnsafeBufferPointer<UInt8>, logKey: String?, scratch found: inout [UInt64]) -> Detection? {
        if case .detected(let d) = verdict(line, logKey: logKey, scratch: &found) { return d }
        return nil
    }

    /// A line whose literals fit a rule but whose pattern did not is tried once more with its syslog header
    /// rewritten into the classic one (`SyslogHeader`), so RFC 5424, BusyBox or FreeBSD files are read too.
    public func verdict(_ line: UnsafeBufferPointer<UInt8>, logKey: String?, scratch found: inout [UInt64]) -> Verdict {
        let (verdict, tried) = firstMatch(line, logKey: logKey, scratch: &found)
        guard case .unmatched = verdict, tried, SyslogHeader.mayRewrite(line) else { return verdict }
        guard let canonical = SyslogHeader.canonical(Substring(String(decoding: line, as: UTF8.self))) else { return .unmatched }
        let bytes = Array(canonical.utf8)
        return bytes.withUnsafeBufferPointer { firstMatch($0, logKey: logKey, scratch: &found).0 }
    }

    /// The first rule that owns the line, and whether any rule's literals were all present (its pattern ran).
    private func firstMatch(_ line: UnsafeBufferPointer<UInt8>, logKey: String?, scratch found: inout [UInt64]) -> (Verdict, Bool) {
        matcher.scan(line, into: &found)
        let words = matcher.words
        return needMasks.withUnsafeBufferPointer { masks -> (Verdict, Bool) in
            rules.withUnsafeBufferPointer { rules -> (Verdict, Bool) in
                var tried = false
                for i in 0..<rules.count {
                    var candidate = true
                    for w in 0..<words where found[w] & masks[i * words + w] != masks[i * words + w] {
                        candidate = false
                        break
                    }
                    guard candidate else { continue }
                    let rule = rules[i]
                    if let logKey, !rule.logKeys.contains(logKey) { continue }
                    tried = true
                    switch rule.match(line) {
                    case .noMatch: continue
                    case .consumed: return (.ignored(rule: rule.name), true)
                    case .detected(let d): return (.detected(d), true)
                    }
                }
                return (.unmatched, tried)
            }
        }
    }

    public var scratchWords: Int { matcher.words }

    /// The rules enabled by csf.conf: a rule runs when its trigger key is non-zero (custom rules always run).
    public static func enabled(_ rules: [FailureRule], config: CsfConfig) -> [FailureRule] {
        rules.filter { $0.threshold != nil || config.int($0.trigger) > 0 || $0.also.contains { config.int($0.trigger) > 0 } }
    }
}
