import CsfCompat

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
        let blocks = RuleBlocks(text: text, path: path, keys: ["log", "pattern", "trigger", "block", "ports", "text"])
        var rules: [FailureRule] = []
        var diagnostics = blocks.diagnostics
        for block in blocks.blocks {
            switch rule(block, path: path) {
            case .success(let r): rules.append(r)
            case .failure(let d): diagnostics.append(d)
            }
        }
        return (rules, diagnostics)
    }

    private static func rule(_ block: RuleBlocks.Block, path: String) -> Result<FailureRule, Diagnostic> {
        func fail(_ msg: String, _ line: Int? = nil) -> Result<FailureRule, Diagnostic> {
            .failure(Diagnostic(.error, file: path, line: line ?? block.line, "rule [\(block.name)]: \(msg)"))
        }
        guard let log = block.first("log") else { return fail("missing 'log = <KEY>_LOG'") }
        guard log.value.hasSuffix("_LOG"), log.value.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) else {
            return fail("'\(log.value)' is not a log key (e.g. CUSTOM1_LOG, SSHD_LOG)", log.line)
        }
        guard let pattern = block.first("pattern") else { return fail("missing 'pattern = ...'") }
        let trigger = block.first("trigger").map { Int($0.value) } ?? 5
        guard let trigger, trigger >= 1 else { return fail("trigger must be a number of failures, 1 or more", block.first("trigger")?.line) }
        var blockSeconds: Int? = 3600
        if let b = block.first("block") {
            if b.value == "perm" || b.value == "0" || b.value == "1" {
                blockSeconds = nil
            } else if let s = TempTTL.parse(b.value), s >= 2 {
                blockSeconds = s
            } else {
                return fail("block must be seconds (or 30m, 2h, 1d) or 'perm'", b.line)
            }
        }
        if let p = block.first("ports"), (try? TempEntry.parsePorts(p.value)) == nil {
            return fail("invalid ports '\(p.value)'", p.line)
        }
        do {
            return .success(try FailureRule(name: block.name, app: block.name, text: block.first("text")?.value ?? "Failed \(block.name) login from",
                                            trigger: "LF_CUSTOMTRIGGER", logKeys: [log.value], literals: [], pattern: pattern.value,
                                            threshold: trigger, blockSeconds: blockSeconds, ports: block.first("ports")?.value))
        } catch {
            return fail("pattern: \(error)", pattern.line)
        }
    }
}
