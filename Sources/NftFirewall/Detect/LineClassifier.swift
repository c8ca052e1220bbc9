/// Runs the rules that read a log key over one line, in order; the first rule whose pattern matches owns the line.
public struct LineClassifier: Sendable {
    public let rules: [FailureRule]

    public init(rules: [FailureRule]) {
        self.rules = rules
    }

    /// `logKey` nil tries every rule (what `lfd --scan` does without `--as`).
    public func classify(_ line: String, logKey: String?) -> Detection? {
        for rule in rules where logKey == nil || rule.logKeys.contains(logKey ?? "") {
            switch rule.match(line) {
            case .noMatch: continue
            case .consumed: return nil
            case .detected(let d): return d
            }
        }
        return nil
    }

    /// The rules enabled by csf.conf: a rule runs when its trigger key is non-zero (custom rules always run).
    public static func enabled(_ rules: [FailureRule], config: CsfConfig) -> [FailureRule] {
        rules.filter { $0.threshold != nil || config.int($0.trigger) > 0 }
    }
}
