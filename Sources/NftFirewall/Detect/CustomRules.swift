/// `/etc/csf/regex.custom`: site rules replacing csf's Perl `regex.custom.pm`. Blocks of `key = value` lines:
///
///     [myapp]                      # rule name
///     log = CUSTOM1_LOG            # which log key's files it reads (any *_LOG key)
///     pattern = ^%TS% myapp\[[0-9]+\]: login failed for (?<account>[^ ]+) from %IP%$
///     trigger = 5                  # failures within LF_INTERVAL that block
///     block = 3600                 # seconds of temporary ban; "perm" (or 0/1, as csf) for permanent
///     ports = 80,443               # optional: block only these ports (inbound)
///     text = Failed myapp login from   # optional: wording in lfd.log
///
/// `pattern` is a PCRE2 (Perl-compatible) regex with a named `(?<ip>...)` group (and optionally `account`, `count`);
/// `%TS%`, `%IP%` and `%SYSLOG(tag)%` expand as in the built-in rules.
public enum CustomRules {
    public static func path(_ paths: CsfPaths) -> String { paths.etc("regex.custom") }

    public static func load(_ path: String) -> (rules: [FailureRule], diagnostics: [Diagnostic]) {
        guard TextFile.exists(path) else { return ([], []) }
        do {
            return parse(try TextFile.read(path), path: path)
        } catch {
            return ([], [Diagnostic(.error, file: path, line: 0, error.description)])
        }
    }

    public static func parse(_ text: String, path: String) -> (rules: [FailureRule], diagnostics: [Diagnostic]) {
        var rules: [FailureRule] = []
        var diags: [Diagnostic] = []
        var current: (name: String, line: Int, fields: [String: (String, Int)])?

        func finish() {
            guard let block = current else { return }
            func fail(_ msg: String, _ line: Int? = nil) { diags.append(Diagnostic(.error, file: path, line: line ?? block.line, "rule [\(block.name)]: \(msg)")) }
            guard let (log, logLine) = block.fields["log"] else { return fail("missing 'log = <KEY>_LOG'") }
            guard log.hasSuffix("_LOG"), log.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) else {
                return fail("'\(log)' is not a log key (e.g. CUSTOM1_LOG, SSHD_LOG)", logLine)
            }
            guard let (pattern, patternLine) = block.fields["pattern"] else { return fail("missing 'pattern = ...'") }
            let trigger = block.fields["trigger"].map { Int($0.0) } ?? 5
            guard let trigger, trigger >= 1 else { return fail("trigger must be a number of failures, 1 or more", block.fields["trigger"]?.1) }
            var blockSeconds: Int? = nil
            if let (b, bLine) = block.fields["block"] {
                if b == "perm" || b == "0" || b == "1" {
                    blockSeconds = nil
                } else if let s = TempTTL.parse(b), s >= 2 {
                    blockSeconds = s
                } else {
                    return fail("block must be seconds (or 30m, 2h, 1d) or 'perm'", bLine)
                }
            } else {
                blockSeconds = 3600
            }
            if let (p, pLine) = block.fields["ports"], (try? TempEntry.parsePorts(p)) == nil {
                return fail("invalid ports '\(p)'", pLine)
            }
            do {
                rules.append(try FailureRule(name: block.name, app: block.name,
                                             text: block.fields["text"]?.0 ?? "Failed \(block.name) login from",
                                             trigger: "LF_CUSTOMTRIGGER", logKeys: [log], literals: [], pattern: pattern,
                                             threshold: trigger, blockSeconds: blockSeconds, ports: block.fields["ports"]?.0))
            } catch {
                fail("pattern: \(error)", patternLine)
            }
        }

        for (index, raw) in TextFile.lines(text).enumerated() {
            let lineNo = index + 1
            let line = raw.trimmingWhitespaceSubstring()
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") {
                finish()
                guard line.hasSuffix("]"), line.count > 2 else {
                    diags.append(Diagnostic(.error, file: path, line: lineNo, "expected [rule-name]"))
                    current = nil
                    continue
                }
                let name = String(line.dropFirst().dropLast())
                guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                    diags.append(Diagnostic(.error, file: path, line: lineNo, "rule names use letters, digits, '-' and '_'"))
                    current = nil
                    continue
                }
                if rules.contains(where: { $0.name == name }) || current?.name == name {
                    diags.append(Diagnostic(.error, file: path, line: lineNo, "rule [\(name)] is defined twice"))
                }
                current = (name, lineNo, [:])
                continue
            }
            guard let eq = line.firstIndex(of: "=") else {
                diags.append(Diagnostic(.error, file: path, line: lineNo, "expected 'key = value'"))
                continue
            }
            let key = String(line[..<eq]).trimmingWhitespace().lowercased()
            var value = String(line[line.index(after: eq)...]).trimmingWhitespace()
            if key != "pattern", let hash = value.firstIndex(of: "#") { value = String(value[..<hash]).trimmingWhitespace() }
            guard current != nil else {
                diags.append(Diagnostic(.error, file: path, line: lineNo, "'\(key)' outside a [rule] block"))
                continue
            }
            guard ["log", "pattern", "trigger", "block", "ports", "text"].contains(key) else {
                diags.append(Diagnostic(.error, file: path, line: lineNo, "unknown key '\(key)'"))
                continue
            }
            current?.fields[key] = (value, lineNo)
        }
        finish()
        return (rules, diags)
    }
}
