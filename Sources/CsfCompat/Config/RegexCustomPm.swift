/// csf's `/usr/local/csf/bin/regex.custom.pm` (Perl) turned into lfd's custom-rule text (`/etc/csf/regex.custom`).
/// The form csf documents, and nearly every site uses, is translated:
///
///     if (($globlogs{CUSTOM1_LOG}{$lgfile}) and ($line =~ /^... \[(\d+\.\d+\.\d+\.\d+)\] .../)) {
///         return ("Failed myapp login from",$1,"myapp","5","80,443","1");
///     }
///
/// The capture the second value names becomes the `(?<ip>...)` group; "1" as the last value is permanent, more is
/// seconds. Anything else (other Perl, a file named by path, variables in the text) is reported with its line and
/// left out: nothing is guessed.
public enum RegexCustomPm {
    public static let installedPath = "/usr/local/csf/bin/regex.custom.pm"

    public static func path(_ paths: CsfPaths) -> String { paths.path(installedPath) }

    public struct Translation: Sendable {
        /// regex.custom blocks, one per translated rule.
        public var rulesText: String
        public var translated: Int
        public var diagnostics: [Diagnostic]
    }

    public static func load(_ paths: CsfPaths) -> Translation? {
        let file = path(paths)
        guard TextFile.exists(file) else { return nil }
        do {
            return translate(try TextFile.read(file), path: file)
        } catch {
            return Translation(rulesText: "", translated: 0, diagnostics: [Diagnostic(.error, file: file, line: 0, error.description)])
        }
    }

    public static func translate(_ text: String, path: String) -> Translation {
        let chars = Array(text)
        var out = Translation(rulesText: "", translated: 0, diagnostics: [])
        var names: Set<String> = []
        var searchFrom = 0
        while let match = find(Array("$line =~"), in: chars, from: searchFrom) {
            let line = lineNumber(of: match, in: chars)
            searchFrom = match + 8
            func skip(_ why: String) { out.diagnostics.append(Diagnostic(.warning, file: path, line: line, "not translated: \(why)")) }
            guard let (regex, afterRegex) = perlRegex(chars, from: match + 8) else { skip("the pattern is not a /.../ match"); continue }
            searchFrom = afterRegex
            let ifStart = lastIf(before: match, in: chars)
            let condition = String(chars[(ifStart ?? match)..<match])
            guard let key = logKey(in: condition) else {
                skip("the rule does not test $globlogs{KEY_LOG}{$lgfile}; name the file in a CUSTOMn_LOG key and use that")
                continue
            }
            guard let ret = find(Array("return"), in: chars, from: afterRegex), let open = chars[ret...].firstIndex(of: "("),
                  let close = chars[open...].firstIndex(of: ")") else { skip("no return (...) after the pattern"); continue }
            let values = perlList(String(chars[(open + 1)..<close]))
            guard values.count >= 6, values[1].hasPrefix("$"), let group = Int(values[1].dropFirst()), group >= 1 else {
                skip("return needs (text, $N, app, trigger, ports, perm)")
                continue
            }
            let (text, app, trigger, ports, perm) = (values[0], values[2], values[3], values[4], values[5])
            guard !text.contains("$"), let count = Int(trigger), count >= 1, let permValue = Int(perm), permValue >= 0,
                  !app.isEmpty, app.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }),
                  ports.allSatisfy({ $0.isNumber || $0 == "," || $0 == ";" || $0.isLetter }) else {
                skip("the returned values are not literal (text, $N, app, trigger, ports, perm)")
                continue
            }
            guard let pattern = namingCapture(group, in: regex) else { skip("the pattern has no capture group $\(group)"); continue }
            var name = app
            if names.contains(name) { name += "-\(line)" }
            names.insert(name)
            out.rulesText += """
                # \(path):\(line)
                [\(name)]
                log = \(key)
                pattern = \(pattern)
                trigger = \(count)
                block = \(permValue <= 1 ? "perm" : String(permValue))
                \(ports.isEmpty ? "" : "ports = \(ports)\n")text = \(text)


                """
            out.translated += 1
        }
        return out
    }

    // MARK: Perl pieces

    static func find(_ needle: [Character], in chars: [Character], from: Int) -> Int? {
        guard needle.count <= chars.count else { return nil }
        var i = from
        while i + needle.count <= chars.count {
            if chars[i] == needle[0] && Array(chars[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }

    static func lineNumber(of index: Int, in chars: [Character]) -> Int {
        chars[..<index].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
    }

    /// `/.../flags` after `=~`: the pattern text (with `\/` unescaped) and where it ends.
    static func perlRegex(_ chars: [Character], from: Int) -> (String, Int)? {
        var i = from
        while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 }
        guard i < chars.count else { return nil }
        var start = i
        if chars[i] == "m", i + 1 < chars.count, chars[i + 1] == "/" { start = i + 1 }
        guard chars[start] == "/" else { return nil }
        var out = ""
        var j = start + 1
        while j < chars.count {
            let c = chars[j]
            if c == "\n" { return nil }
            if c == "\\", j + 1 < chars.count {
                if chars[j + 1] == "/" { out.append("/") } else { out.append(c); out.append(chars[j + 1]) }
                j += 2
                continue
            }
            if c == "/" {
                j += 1
                var flags = ""
                while j < chars.count, chars[j].isLetter { flags.append(chars[j]); j += 1 }
                // Only flags PCRE2 takes inline; /x, /e and friends change the meaning and are refused.
                guard flags.allSatisfy({ "is".contains($0) }) else { return nil }
                return (flags.isEmpty ? out : "(?\(flags))" + out, j)
            }
            out.append(c)
            j += 1
        }
        return nil
    }

    static func lastIf(before index: Int, in chars: [Character]) -> Int? {
        var i = index - 2
        while i >= 0 {
            // `if (` or `elsif (`.
            if chars[i] == "i", chars[i + 1] == "f", i + 2 < chars.count, chars[i + 2] == " " || chars[i + 2] == "(" { return i }
            if chars[i] == ";" { return nil }   // the previous statement ended: no if of ours
            i -= 1
        }
        return nil
    }

    /// `$globlogs{CUSTOM1_LOG}{$lgfile}` → `CUSTOM1_LOG`.
    static func logKey(in condition: String) -> String? {
        let chars = Array(condition)
        let marker = Array("$globlogs{")
        guard let at = find(marker, in: chars, from: 0) else { return nil }
        let rest = chars[(at + marker.count)...]
        guard let end = rest.firstIndex(of: "}") else { return nil }
        let key = String(rest[..<end].filter { $0 != "'" && $0 != "\"" })
        guard key.hasSuffix("_LOG"), key.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) else { return nil }
        return String(key)
    }

    /// `"text",$1,'app',"5"` → the values, quotes removed.
    static func perlList(_ text: String) -> [String] {
        var values: [String] = []
        var current = ""
        var quote: Character?
        for c in text {
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "," {
                values.append(current.trimmingWhitespace())
                current = ""
            } else {
                current.append(c)
            }
        }
        values.append(current.trimmingWhitespace())
        return values
    }

    /// The pattern with its `n`-th capturing group named `ip` (escapes, classes and `(?...)` groups skipped).
    static func namingCapture(_ n: Int, in regex: String) -> String? {
        let chars = Array(regex)
        var count = 0
        var i = 0
        var inClass = false
        while i < chars.count {
            let c = chars[i]
            if c == "\\" { i += 2; continue }
            if inClass { if c == "]" { inClass = false }; i += 1; continue }
            if c == "[" { inClass = true; i += 1; continue }
            if c == "(" {
                let plain = i + 1 >= chars.count || chars[i + 1] != "?"
                let named = !plain && i + 2 < chars.count && (chars[i + 2] == "<" || chars[i + 2] == "P" || chars[i + 2] == "'")
                    && !(i + 3 < chars.count && chars[i + 2] == "<" && (chars[i + 3] == "=" || chars[i + 3] == "!"))
                if plain || named {
                    count += 1
                    if count == n {
                        guard plain else { return nil }
                        return String(chars[..<i]) + "(?<ip>" + String(chars[(i + 1)...])
                    }
                }
            }
            i += 1
        }
        return nil
    }
}
