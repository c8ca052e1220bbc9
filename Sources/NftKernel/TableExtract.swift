import CsfCompat

/// One table out of a whole-ruleset listing (see `NftablesKernel.structure`).
enum TableExtract {
    /// The `table inet csf { ... }` block of nft's text output.
    /// `prefix`: the header line may go on (`nft -a` appends `# handle N`).
    static func text(_ ruleset: String, header: String, prefix: Bool = false) -> String {
        var out: [Substring] = []
        var inside = false
        for line in ruleset.split(separator: "\n", omittingEmptySubsequences: false) {
            if !inside && (prefix ? line.hasPrefix(header) : line == header) { inside = true }
            if inside {
                out.append(line)
                if line == "}" { break }
            }
        }
        return out.isEmpty ? "" : out.joined(separator: "\n") + "\n"
    }

    /// The handle `# handle N` at the end of a listed line.
    static func handle(_ line: Substring) -> UInt64? {
        guard let mark = line.firstRange(of: "# handle ") else { return nil }
        return UInt64(line[mark.upperBound...].prefix { $0.isNumber })
    }

    /// `\tset NAME { # handle N` (or `chain`) → the name and handle.
    static func object(_ line: Substring, kind: String) -> (String, UInt64)? {
        let prefix = "\t\(kind) "
        guard line.hasPrefix(prefix), let open = line.firstRange(of: " {"), let handle = handle(line) else { return nil }
        return (String(line[line.index(line.startIndex, offsetBy: prefix.count)..<open.lowerBound]), handle)
    }

    /// One chain's block of a table listed as text.
    static func chain(_ table: String, named name: String) -> String {
        var out: [Substring] = []
        var inside = false
        for line in table.split(separator: "\n") {
            if !inside && line.hasPrefix("\tchain \(name) {") { inside = true }
            if inside {
                out.append(line)
                if line == "\t}" { break }
            }
        }
        return out.joined(separator: "\n")
    }

    /// nft's JSON (`{"nftables": [ {...}, ... ]}`) keeping the metainfo and the objects of one table: each
    /// top-level object is cut out by tracking strings and nesting, never parsed into values.
    static func json(_ ruleset: String, family: String, table: String) -> String {
        let bytes = Array(ruleset.utf8)
        guard let open = bytes.firstIndex(of: UInt8(ascii: "[")) else { return ruleset }
        var objects: [ArraySlice<UInt8>] = []
        var depth = 0, start = -1, inString = false, escaped = false
        var i = open + 1
        while i < bytes.count {
            let b = bytes[i]
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
            } else if b == UInt8(ascii: "\"") {
                inString = true
            } else if b == UInt8(ascii: "{") {
                if depth == 0 { start = i }
                depth += 1
            } else if b == UInt8(ascii: "}") {
                depth -= 1
                if depth == 0, start >= 0 { objects.append(bytes[start...i]) }
            } else if b == UInt8(ascii: "]"), depth == 0 {
                break
            }
            i += 1
        }
        let ours = Array("\"family\": \"\(family)\"".utf8), name = Array("\"table\": \"\(table)\"".utf8),
            tableObject = Array("\"name\": \"\(table)\"".utf8)
        let kept = objects.filter { o in
            let text = Array(o)
            if text.starts(with: Array("{\"metainfo\"".utf8)) { return true }
            return contains(text, ours) && (contains(text, name) || (text.starts(with: Array("{\"table\"".utf8)) && contains(text, tableObject)))
        }
        return "{\"nftables\": [" + kept.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ", ") + "]}\n"
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        var i = 0
        while i + needle.count <= haystack.count {
            if haystack[i] == needle[0] && haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}
