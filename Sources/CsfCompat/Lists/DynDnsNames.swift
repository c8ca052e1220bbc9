/// csf.dyndns and GLOBAL_DYNDNS's list (reference §2): one host name per line, `#` comments, `Include`. An address
/// is taken as it is. csf also reads advanced filters here (`tcp|in|d=22|s=home.example.net`); those are reported
/// and skipped: their resolved form would be a rule, not a set element.
public enum DynDnsNames {
    public struct Parsed: Sendable, Equatable {
        public var names: [String] = []
        public var problems: [Diagnostic] = []
    }

    public static func parse(_ reader: ListReader) -> Parsed {
        var out = Parsed()
        out.problems = reader.diagnostics
        var seen = Set<String>()
        for line in reader.lines {
            let token = line.token
            if token.contains("|") || token.contains(":") && IPAddress(token) == nil {
                out.problems.append(Diagnostic(.warning, file: line.file, line: line.line,
                                               "\(shown(token)): advanced filters are not supported in DYNDNS lists; line skipped"))
                continue
            }
            guard IPAddress(token) != nil || isHostName(token) else {
                out.problems.append(Diagnostic(.warning, file: line.file, line: line.line, "\(shown(token)) is not a host name; line skipped"))
                continue
            }
            let name = token.lowercased()
            if seen.insert(name).inserted { out.names.append(name) }
        }
        return out
    }

    /// Letters, digits, `-` and `_` in dot-separated labels of 1–63 bytes, 253 in all: nothing else reaches the
    /// resolver or a log line.
    public static func isHostName(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        let labels = bytes.split(separator: 0x2E, omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != 0x2D
                && label.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2D || $0 == 0x5F }
        } && bytes.contains { ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }
    }
}
