#if canImport(Glibc)
import Glibc
#endif

/// A POSIX extended regular expression (glibc's matcher: no backreferences in ERE, so no catastrophic
/// backtracking on hostile log lines). Named groups `(?<name>…)` are accepted and turned into numbered ones,
/// so rule files can say `(?<ip>…)` without counting parentheses.
public final class PosixRegex: @unchecked Sendable {
    // regexec on a compiled regex_t only reads it, so one compiled pattern is safe to share between threads.
    private var compiled = regex_t()
    public let pattern: String
    public let groups: [String: Int]
    private let groupCount: Int

    public struct CompileError: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ pattern: String, caseInsensitive: Bool = false) throws(CompileError) {
        let (plain, names, count) = try Self.numberGroups(pattern)
        self.pattern = pattern
        self.groups = names
        self.groupCount = count
        let flags = REG_EXTENDED | (caseInsensitive ? REG_ICASE : 0)
        let rc = regcomp(&compiled, plain, flags)
        guard rc == 0 else {
            var buf = [CChar](repeating: 0, count: 256)
            regerror(rc, &compiled, &buf, buf.count)
            throw CompileError(description: String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    deinit { regfree(&compiled) }

    /// The text of each named group when the whole pattern matches `line`.
    public func match(_ line: String) -> [String: Substring]? {
        var matches = [regmatch_t](repeating: regmatch_t(), count: groupCount + 1)
        let rc = line.withCString { regexec(&compiled, $0, matches.count, &matches, 0) }
        guard rc == 0 else { return nil }
        var out: [String: Substring] = [:]
        let utf8 = line.utf8
        for (name, index) in groups {
            let m = matches[index]
            guard m.rm_so >= 0, m.rm_eo >= m.rm_so else { continue }
            let start = utf8.index(utf8.startIndex, offsetBy: Int(m.rm_so))
            let end = utf8.index(utf8.startIndex, offsetBy: Int(m.rm_eo))
            out[name] = Substring(line.utf8[start..<end])
        }
        return out
    }

    /// Rewrites `(?<name>` to `(` and records which numbered group each name became. Other `(?` forms are
    /// not ERE and are refused with a clear message.
    static func numberGroups(_ pattern: String) throws(CompileError) -> (String, [String: Int], Int) {
        var out = ""
        var names: [String: Int] = [:]
        var count = 0
        var chars = Array(pattern)
        var i = 0
        var inBracket = false
        while i < chars.count {
            let c = chars[i]
            if c == "\\" && i + 1 < chars.count {
                out.append(c)
                out.append(chars[i + 1])
                i += 2
                continue
            }
            if inBracket {
                if c == "]" { inBracket = false }
                out.append(c)
                i += 1
                continue
            }
            if c == "[" {
                inBracket = true
                out.append(c)
                i += 1
                // A `]` right after `[` or `[^` is a literal member.
                if i < chars.count, chars[i] == "^" { out.append("^"); i += 1 }
                if i < chars.count, chars[i] == "]" { out.append("]"); i += 1 }
                continue
            }
            if c == "(" {
                count += 1
                if i + 2 < chars.count, chars[i + 1] == "?" {
                    guard chars[i + 2] == "<", let close = chars[(i + 3)...].firstIndex(of: ">") else {
                        throw CompileError(description: "only (?<name>...) groups are supported")
                    }
                    let name = String(chars[(i + 3)..<close])
                    guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                        throw CompileError(description: "invalid group name '\(name)'")
                    }
                    names[name] = count
                    out.append("(")
                    i = close + 1
                    continue
                }
            }
            out.append(c)
            i += 1
        }
        chars.removeAll()
        return (out, names, count)
    }
}
