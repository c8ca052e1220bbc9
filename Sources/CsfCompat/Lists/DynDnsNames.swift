/// csf.dyndns and GLOBAL_DYNDNS's list (reference §2): one host name per line, `#` comments, `Include`. An address
/// is taken as it is. csf.dyndns may also hold csf's advanced filters with a host name in place of the address
/// (`tcp|in|d=22|s=home.example.net`): the name is resolved like the others, and the filter's rule matches a set
/// of its own holding the answer. GLOBAL_DYNDNS's downloaded list takes names only (its filters are reported).
public enum DynDnsNames {
    public struct Parsed: Sendable, Equatable {
        public var names: [String] = []
        public var filters: [DynDnsFilter] = []
        public var problems: [Diagnostic] = []

        /// Every name to look up: the plain ones, then those of the filters.
        public var allNames: [String] {
            var seen = Set(names)
            return names + filters.map(\.host).filter { seen.insert($0).inserted }
        }
    }

    public static func parse(_ reader: ListReader, filters: Bool = false) -> Parsed {
        var out = Parsed()
        out.problems = reader.diagnostics
        var seen = Set<String>(), seenFilters = Set<String>()
        for line in reader.lines {
            let token = line.token
            if token.contains("|") || token.contains(":") && IPAddress(token) == nil {
                if filters, let filter = DynDnsFilter(token) {
                    if seenFilters.insert(filter.text).inserted { out.filters.append(filter) }
                    continue
                }
                out.problems.append(Diagnostic(.warning, file: line.file, line: line.line, filters
                    ? "\(shown(token)): not an advanced filter with one host name (tcp|in|d=22|s=home.example.net); line skipped"
                    : "\(shown(token)): advanced filters are not supported in GLOBAL_DYNDNS lists; line skipped"))
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

/// An advanced filter of csf.dyndns whose address is a host name: the filter as csf parses it with a stand-in
/// address, and the name whose answers take the stand-in's place (in a set of the filter's own).
public struct DynDnsFilter: Sendable, Equatable {
    /// As written, lower-cased: how the cache of its answers names it.
    public let text: String
    public let host: String
    public let filter: AdvancedFilter

    public init?(_ token: String) {
        let lowered = token.lowercased()
        var fields = lowered.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        let named = fields.indices.filter { i in
            let f = fields[i]
            guard f.hasPrefix("s=") || f.hasPrefix("d=") else { return false }
            let value = String(f.dropFirst(2))
            return IPAddress(value) != nil || DynDnsNames.isHostName(value)
        }
        guard named.count == 1, let i = named.first else { return nil }
        let host = String(fields[i].dropFirst(2))
        fields[i] = String(fields[i].prefix(2)) + "192.0.2.1"
        guard let filter = try? AdvancedFilter.parse(Substring(fields.joined(separator: "|"))), filter.effect == .addressRule,
              filter.address != nil else { return nil }
        text = lowered
        self.host = host
        self.filter = filter
    }
}

/// csf.tempdynf: the last answers for each csf.dyndns filter, `ADDRESS FILTER` per line, from which `csf -s` fills
/// the filters' sets without DNS (as csf.tempdyn does for the plain names).
public enum DynDnsFilterCache {
    public static let name = "csf.tempdynf"

    public static func parse(_ text: String) -> [String: [IPAddress]] {
        var out: [String: [IPAddress]] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let address = IPAddress(String(parts[0])) else { continue }
            out[String(parts[1]), default: []].append(address)
        }
        return out
    }

    public static func text(_ answers: [(filter: String, addresses: [IPAddress])]) -> String {
        answers.flatMap { entry in entry.addresses.map { "\($0) \(entry.filter)\n" } }.joined()
    }
}
