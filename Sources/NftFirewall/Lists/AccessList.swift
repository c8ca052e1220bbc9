/// One csf.allow / csf.deny entry: a plain address or network, or an advanced filter.
public struct AccessEntry: Sendable {
    public enum Kind: Sendable {
        case network(IPNetwork)
        case filter(AdvancedFilter)
    }

    public var kind: Kind
    public var comment: String
    public var file: String
    public var line: Int
}

/// The parsed contents of csf.allow or csf.deny (with Includes), plus what was wrong with them.
public struct AccessList: Sendable {
    public var entries: [AccessEntry] = []
    public var diagnostics: [Diagnostic] = []

    public var networks: [(IPNetwork, AccessEntry)] {
        entries.compactMap { if case .network(let n) = $0.kind { return (n, $0) } else { return nil } }
    }

    public var filters: [(AdvancedFilter, AccessEntry)] {
        entries.compactMap { if case .filter(let f) = $0.kind { return (f, $0) } else { return nil } }
    }

    public static func load(_ path: String) -> AccessList {
        build(ListReader.read(path))
    }

    public static func parse(text: String, path: String) -> AccessList {
        build(ListReader.read(text: text, path: path))
    }

    static func build(_ reader: ListReader) -> AccessList {
        var list = AccessList()
        list.diagnostics = reader.diagnostics
        list.entries.reserveCapacity(reader.lines.count)
        for line in reader.lines {
            list.add(line)
        }
        return list
    }

    private mutating func add(_ line: ListLine) {
        func report(_ s: Diagnostic.Severity, _ message: String) {
            diagnostics.append(Diagnostic(s, file: line.file, line: line.line, message))
        }
        if let problem = CommentText.problem(line.comment) {
            report(.error, "comment \(problem)")
            return
        }
        let comment = String(line.comment)
        if AdvancedFilter.looksLikeFilter(line.token) {
            do {
                let filter = try AdvancedFilter.parse(line.token)
                if filter.effect == .nothing {
                    report(.warning, "filter '\(line.token)' creates no rule (csf needs a port and an address, or u=/g=); ignored")
                    return
                }
                entries.append(AccessEntry(kind: .filter(filter), comment: comment, file: line.file, line: line.line))
            } catch {
                report(.error, "filter '\(line.token)': \(error)")
            }
            return
        }
        switch IPNetwork.parse(line.token) {
        case .success(let net):
            if net.prefix == 0 {
                report(.error, "'\(line.token)' covers every address; refusing a /0 entry")
                return
            }
            if net.address.isLoopback {
                report(.warning, "loopback address '\(line.token)' is ignored (loopback is always allowed)")
                return
            }
            if net.hasHostBits {
                report(.warning, "'\(line.token)' has host bits set; using \(net.network)")
            }
            entries.append(AccessEntry(kind: .network(net.network), comment: comment, file: line.file, line: line.line))
        case .failure(let reason):
            if line.token.contains(where: { $0.isLetter }) && !line.token.contains("/") && !line.token.contains(":") {
                report(.warning, "'\(line.token)' is not an IP address; host names are only resolved from csf.dyndns; ignored")
            } else {
                report(.error, "'\(line.token)' is \(reason)")
            }
        }
    }
}

/// Free text that will be carried into nft as a quoted comment. nft strings have no escapes, so a double
/// quote, a backslash or a control character cannot be represented and is refused outright.
public enum CommentText {
    public static let maxBytes = 128

    public static func problem(_ text: Substring) -> String? {
        for scalar in text.unicodeScalars {
            if scalar == "\"" { return "contains a double quote, which cannot be stored in the firewall" }
            if scalar == "\\" { return "contains a backslash, which cannot be stored in the firewall" }
            if scalar.value < 0x20 || scalar.value == 0x7f { return "contains a control character" }
        }
        return nil
    }

    /// The comment cut to nft's limit on a character boundary.
    public static func truncated(_ text: String) -> String {
        if text.utf8.count <= maxBytes { return text }
        var out = ""
        for ch in text {
            if out.utf8.count + ch.utf8.count > maxBytes { break }
            out.append(ch)
        }
        return out
    }
}
