import CsfCompat

/// Annotated sample lines beside each detector file (`samples/<family>.log`): every line is preceded by what
/// the detectors must make of it.
///
///     # expect RULE IP [count=N] [account=NAME]   the line is detected by RULE with that address
///     # reject RULE [RULE...]                      none of these rules matches the line
///     # reject *                                   no detector at all matches the line
///
/// Other `#` lines are comments. The test suite runs every sample and requires each rule to have at least one
/// `expect` and one `reject` (fail2ban holds its filters to the same rule).
public struct DetectorSample: Sendable {
    public enum Expectation: Sendable, Equatable {
        case detect(rule: String, ip: IPAddress, count: Int?, account: String?)
        case reject(rules: [String])
        case rejectAll
    }

    public var file: String
    public var line: Int
    public var text: String
    public var expectation: Expectation

    public var location: String { "\(file):\(line)" }

    public static func parse(_ text: String, path: String) -> (samples: [DetectorSample], diagnostics: [Diagnostic]) {
        var samples: [DetectorSample] = []
        var diagnostics: [Diagnostic] = []
        var pending: (Expectation, Int)?
        for (index, raw) in LineScanner.lines(text).enumerated() {
            let lineNo = index + 1
            let line = String(raw)
            if isDirective(line, "expect") || isDirective(line, "reject") {
                if let (_, at) = pending { diagnostics.append(Diagnostic(.error, file: path, line: at, "annotation without a sample line")) }
                switch expectation(line) {
                case .success(let e): pending = (e, lineNo)
                case .failure(let error):
                    diagnostics.append(Diagnostic(.error, file: path, line: lineNo, error.message))
                    pending = nil
                }
                continue
            }
            if line.hasPrefix("#") || line.isEmpty { continue }
            guard let (e, _) = pending else {
                diagnostics.append(Diagnostic(.error, file: path, line: lineNo, "sample line without '# expect' or '# reject' above it"))
                continue
            }
            samples.append(DetectorSample(file: path, line: lineNo, text: line, expectation: e))
            pending = nil
        }
        if let (_, at) = pending { diagnostics.append(Diagnostic(.error, file: path, line: at, "annotation without a sample line")) }
        return (samples, diagnostics)
    }

    private static func isDirective(_ line: String, _ word: String) -> Bool {
        line == "# \(word)" || line.hasPrefix("# \(word) ")
    }

    private static func expectation(_ line: String) -> Result<Expectation, SampleError> {
        let body = line.dropFirst("# expect".count).drop { $0 == " " }
        if isDirective(line, "reject") {
            let rules = body.split(separator: " ").map(String.init)
            if rules == ["*"] { return .success(.rejectAll) }
            guard !rules.isEmpty, !rules.contains("*") else { return .failure(SampleError("'# reject' needs rule names or '*'")) }
            return .success(.reject(rules: rules))
        }
        var rest = Substring(body)
        var account: String?
        if let r = rest.firstRange(of: " account=") {
            account = String(rest[r.upperBound...])
            rest = rest[..<r.lowerBound]
        }
        let words = rest.split(separator: " ")
        guard words.count >= 2, let ip = IPAddress(String(words[1])) else {
            return .failure(SampleError("expected '# expect RULE IP [count=N] [account=NAME]'"))
        }
        var count: Int?
        for word in words.dropFirst(2) {
            guard word.hasPrefix("count="), let n = Int(word.dropFirst(6)) else { return .failure(SampleError("unknown field '\(word)'")) }
            count = n
        }
        return .success(.detect(rule: String(words[0]), ip: ip, count: count, account: account))
    }

    struct SampleError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// What is wrong with this sample against the detectors (nil when it holds). `classifier` holds every rule,
    /// as lfd --scan without --as runs them.
    public func check(_ classifier: LineClassifier) -> String? {
        func rule(_ name: String) -> FailureRule? { classifier.rules.first { $0.name == name } }
        switch expectation {
        case .detect(let name, let ip, let count, let account):
            guard rule(name) != nil else { return "\(location): no rule [\(name)]" }
            guard let d = classifier.classify(text, logKey: nil) else { return "\(location): [\(name)] expected \(ip), nothing matched" }
            if d.rule.name != name { return "\(location): [\(name)] expected, [\(d.rule.name)] matched first" }
            if d.ip != ip { return "\(location): [\(name)] took \(d.ip), expected \(ip)" }
            if let count, d.count != count { return "\(location): [\(name)] counted \(d.count), expected \(count)" }
            if let account, (d.account ?? "") != account { return "\(location): [\(name)] account \(d.account ?? "none"), expected \(account)" }
            return nil
        case .reject(let names):
            for name in names {
                guard let r = rule(name) else { return "\(location): no rule [\(name)]" }
                if case .noMatch = r.match(text) { continue }
                return "\(location): [\(name)] matched a line it must not match"
            }
            return nil
        case .rejectAll:
            guard let d = classifier.classify(text, logKey: nil) else { return nil }
            return "\(location): [\(d.rule.name)] matched a line no detector may match (took \(d.ip))"
        }
    }

    /// Rules among `rules` that lack an `expect` or a `reject` sample.
    public static func uncovered(_ rules: [FailureRule], by samples: [DetectorSample]) -> [String] {
        var positive = Set<String>(), negative = Set<String>()
        for s in samples {
            switch s.expectation {
            case .detect(let rule, _, _, _): positive.insert(rule)
            case .reject(let names): negative.formUnion(names)
            case .rejectAll: break
            }
        }
        return rules.compactMap { r in
            var missing: [String] = []
            if !positive.contains(r.name) { missing.append("an expect") }
            if !negative.contains(r.name) { missing.append("a reject") }
            return missing.isEmpty ? nil : "[\(r.name)] has no \(missing.joined(separator: " and no ")) sample"
        }
    }
}
