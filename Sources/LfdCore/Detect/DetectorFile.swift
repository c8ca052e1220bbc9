import CsfCompat

/// lfd's built-in detectors as data: one `*.rules` file per service family, read in file-name order
/// (shipped under compat/detectors, installed to /usr/share/nftcsf/detectors). The format is described at
/// the top of every shipped file; a mistake is a `file:line` error and the file's rules are not used.
public enum DetectorFile {
    static let keys: Set<String> = ["app", "text", "trigger", "log", "literal", "ip", "pattern", "also"]

    /// Every `*.rules` file of a directory, in name order; a missing or empty directory is an error (lfd
    /// without detectors protects nothing).
    public static func loadDirectory(_ directory: String) -> (rules: [FailureRule], diagnostics: [Diagnostic]) {
        let files = FileSystem.listDirectory(directory).filter { $0.hasSuffix(".rules") }
        guard !files.isEmpty else {
            return ([], [Diagnostic(.error, file: directory, line: 0, "no detector files (*.rules) found")])
        }
        var rules: [FailureRule] = []
        var diagnostics: [Diagnostic] = []
        for name in files {
            let (r, d) = load(directory + "/" + name)
            for rule in r where rules.contains(where: { $0.name == rule.name }) {
                diagnostics.append(Diagnostic(.error, file: directory + "/" + name, line: 0, "rule [\(rule.name)] is also defined in another file"))
            }
            rules += r
            diagnostics += d
        }
        return (rules, diagnostics)
    }

    public static func load(_ path: String) -> (rules: [FailureRule], diagnostics: [Diagnostic]) {
        do {
            return parse(try TextFile.read(path), path: path)
        } catch {
            return ([], [Diagnostic(.error, file: path, line: 0, error.description)])
        }
    }

    public static func parse(_ text: String, path: String) -> (rules: [FailureRule], diagnostics: [Diagnostic]) {
        let blocks = RuleBlocks(text: text, path: path, keys: keys, rawKeys: ["pattern", "literal"])
        var diagnostics = blocks.diagnostics
        var defines: [String: String] = [:]
        for block in blocks.blocks where block.name == "define" {
            for (name, fields) in block.fields {
                guard name.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "_") }), let f = fields.last else {
                    diagnostics.append(Diagnostic(.error, file: path, line: block.line, "define names use A-Z, 0-9 and '_'"))
                    continue
                }
                defines[name] = f.value
            }
        }
        defines = resolve(defines, path: path, diagnostics: &diagnostics)
        var rules: [FailureRule] = []
        for block in blocks.blocks where block.name != "define" {
            switch rule(block, defines: defines, path: path) {
            case .success(let r): rules.append(r)
            case .failure(let d): diagnostics.append(d)
            }
        }
        // A file with a mistake contributes nothing: half a service's detectors would be a silent gap.
        return diagnostics.isEmpty ? (rules, []) : ([], diagnostics)
    }

    /// Defines may use each other, in any order: each is expanded until it names no define (a define that
    /// still does after as many rounds as there are defines is part of a cycle, and refused).
    static func resolve(_ defines: [String: String], path: String, diagnostics: inout [Diagnostic]) -> [String: String] {
        var out = defines
        for _ in 0...defines.count {
            var changed = false
            for (name, value) in out {
                var v = value
                for (other, text) in out where other != name { v = v.replacingAll("%\(other)%", with: text) }
                if v != value { out[name] = v; changed = true }
            }
            if !changed { return out }
        }
        for name in out.keys.sorted() where out.keys.contains(where: { out[name]?.contains("%\($0)%") == true }) {
            diagnostics.append(Diagnostic(.error, file: path, line: 0, "define \(name) refers to itself through other defines"))
            out[name] = nil
        }
        return out
    }

    private static func rule(_ b: RuleBlocks.Block, defines: [String: String], path: String) -> Result<FailureRule, Diagnostic> {
        func fail(_ message: String, _ line: Int? = nil) -> Result<FailureRule, Diagnostic> {
            .failure(Diagnostic(.error, file: path, line: line ?? b.line, "rule [\(b.name)]: \(message)"))
        }
        for key in ["app", "text", "trigger", "log", "pattern"] where b.first(key) == nil {
            return fail("missing '\(key) = ...'")
        }
        guard let app = b.first("app")?.value, let text = b.first("text")?.value, let trigger = b.first("trigger"),
              let log = b.first("log"), let pattern = b.first("pattern") else { return fail("incomplete") }
        guard trigger.value.hasPrefix("LF_") || LoginTracker.services[trigger.value] != nil, trigger.value.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) else {
            return fail("trigger must be a csf.conf key such as LF_SSHD", trigger.line)
        }
        let logKeys = log.value.split(separator: ",").map { $0.trimmingWhitespace() }
        guard !logKeys.isEmpty, logKeys.allSatisfy({ $0.hasSuffix("_LOG") && $0.allSatisfy { $0.isUppercase || $0.isNumber || $0 == "_" } }) else {
            return fail("log must name *_LOG keys", log.line)
        }
        var literals: [String] = []
        for l in b.all("literal") {
            guard l.value.count >= 3, l.value.hasPrefix("\""), l.value.hasSuffix("\"") else {
                return fail("a literal is written in double quotes", l.line)
            }
            literals.append(String(l.value.dropFirst().dropLast()))
        }
        var form = FailureRule.IPForm.plain
        if let ip = b.first("ip") {
            switch ip.value {
            case "plain": form = .plain
            case "underscores": form = .underscores
            case "trailing-port": form = .trailingPort
            default: return fail("ip must be plain, underscores or trailing-port", ip.line)
            }
        }
        var expanded = pattern.value
        for (name, value) in defines { expanded = expanded.replacingAll("%\(name)%", with: value) }
        do {
            var also: [FailureRule] = []
            for a in b.all("also") {
                // `TRIGGER APP TEXT...`
                let parts = a.value.split(separator: " ", maxSplits: 2).map(String.init)
                guard parts.count == 3, parts[0].hasPrefix("LF_"), parts[0].allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }),
                      parts[1].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    return fail("also must be 'TRIGGER app text', e.g. also = LF_APACHE_401 apache401 Apache 401 hit from", a.line)
                }
                also.append(try FailureRule(name: "\(b.name) (\(parts[0]))", app: parts[1], text: parts[2], trigger: parts[0],
                                            logKeys: logKeys, literals: literals, pattern: expanded, ipForm: form))
            }
            return .success(try FailureRule(name: b.name, app: app, text: text, trigger: trigger.value, logKeys: logKeys,
                                            literals: literals, pattern: expanded, ipForm: form, also: also))
        } catch {
            return fail("pattern: \(error)", pattern.line)
        }
    }
}
