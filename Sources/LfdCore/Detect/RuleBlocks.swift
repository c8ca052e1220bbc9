import CsfCompat

/// The block format detector files and `/etc/csf/regex.custom` share: `[name]` starts a block, `key = value`
/// lines fill it, `#` starts a comment line. Keys may repeat; each value keeps its line for error messages.
struct RuleBlocks {
    struct Field {
        var value: String
        var line: Int
    }

    struct Block {
        var name: String
        var line: Int
        var fields: [String: [Field]] = [:]

        func first(_ key: String) -> Field? { fields[key]?.first }
        func all(_ key: String) -> [Field] { fields[key] ?? [] }
    }

    var blocks: [Block] = []
    var diagnostics: [Diagnostic] = []

    /// `keys`: the keys a block may hold. A `#` after a value starts a comment, except in `rawKeys` (patterns).
    init(text: String, path: String, keys: Set<String>, rawKeys: Set<String> = ["pattern"]) {
        var current: Block?
        func finish() {
            if let block = current { blocks.append(block) }
            current = nil
        }
        func report(_ line: Int, _ message: String) { diagnostics.append(Diagnostic(.error, file: path, line: line, message)) }
        for (index, raw) in LineScanner.lines(text).enumerated() {
            let lineNo = index + 1
            let line = raw.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") {
                finish()
                guard line.hasSuffix("]"), line.count > 2 else {
                    report(lineNo, "expected [rule-name]")
                    continue
                }
                let name = String(line.dropFirst().dropLast())
                guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                    report(lineNo, "rule names use letters, digits, '-' and '_'")
                    continue
                }
                if blocks.contains(where: { $0.name == name }) { report(lineNo, "rule [\(name)] is defined twice") }
                current = Block(name: name, line: lineNo)
                continue
            }
            guard let eq = line.firstIndex(of: "=") else {
                report(lineNo, "expected 'key = value'")
                continue
            }
            let key = String(line[..<eq]).trimmingWhitespace()
            var value = String(line[line.index(after: eq)...]).trimmingWhitespace()
            guard current != nil else {
                report(lineNo, "'\(key)' outside a [rule] block")
                continue
            }
            let lowered = key.lowercased()
            if current?.name == "define" {
                current?.fields[key, default: []].append(Field(value: value, line: lineNo))
                continue
            }
            guard keys.contains(lowered) else {
                report(lineNo, "unknown key '\(key)'")
                continue
            }
            if !rawKeys.contains(lowered), let hash = value.firstIndex(of: "#") { value = String(value[..<hash]).trimmingWhitespace() }
            current?.fields[lowered, default: []].append(Field(value: value, line: lineNo))
        }
        finish()
    }
}
