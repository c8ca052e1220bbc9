/// One csf.allow / csf.deny entry: a plain address or network, or an advanced filter.
public struct AccessEntry: Sendable {
    public enum Kind: Sendable {
        case network(IPNetwork)
        /// Boxed: a filter is large and rare, and a million-line csf.deny is a million entries copied around.
        indirect case filter(AdvancedFilter)
    }

    public var kind: Kind
    public var source: ListLine

    public var comment: String { source.comment }
    public var file: String { source.file }
    public var line: Int { source.line }
}

/// The parsed contents of csf.allow or csf.deny (with Includes), plus what was wrong with them.
public struct AccessList: Sendable {
    public var entries: [AccessEntry] = []
    public var diagnostics: [Diagnostic] = []

    public init() {}

    /// The addresses and networks of the list in file order, without copying the entries (lists reach a million).
    public var listedNetworks: some Sequence<IPNetwork> {
        entries.lazy.compactMap { if case .network(let n) = $0.kind { return n } else { return nil } }
    }

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
        let lines = reader.lines
        // A million-line csf.deny: each half on its own core (csf -r waits for this before the kernel can start).
        guard lines.count >= 100_000 else {
            list.append(lines[...])
            return list
        }
        let middle = lines.count / 2
        let second = BackgroundWork { () -> AccessList in
            var half = AccessList()
            half.append(lines[middle...])
            return half
        }
        list.append(lines[..<middle])
        let rest = second.wait()
        list.entries += rest.entries
        list.diagnostics += rest.diagnostics
        return list
    }

    private mutating func append(_ lines: ArraySlice<ListLine>) {
        entries.reserveCapacity(entries.count + lines.count)
        for line in lines { add(line) }
    }

    private mutating func add(_ line: ListLine) {
        func report(_ s: Diagnostic.Severity, _ message: String) {
            diagnostics.append(Diagnostic(s, file: line.file, line: line.line, message))
        }
        // The comment is free text: it stays in the file and never reaches nft, so anything goes (csf loads such
        // lines too, and refusing one would drop the entry).
        if AdvancedFilter.looksLikeFilter(line.tokenBytes) {
            do {
                let filter = try AdvancedFilter.parse(Substring(line.token))
                if filter.effect == .nothing {
                    report(.warning, "filter '\(line.token)' creates no rule (csf needs a port and an address, or u=/g=); ignored")
                    return
                }
                // A filter's address meets the refusals of a plain entry: a /0 filter closes a port to the world.
                if let net = filter.address?.network, filter.owner == nil {
                    if net.prefix == 0 || net.address.isUnspecified {
                        report(.error, "filter '\(line.token)' covers every address or none; refused")
                        return
                    }
                    if net.address.isLoopback {
                        report(.warning, "filter '\(line.token)' names a loopback address (loopback is always allowed); ignored")
                        return
                    }
                }
                entries.append(AccessEntry(kind: .filter(filter), source: line))
            } catch {
                report(.error, "filter '\(line.token)': \(error)")
            }
            return
        }
        switch IPNetwork.parse(line.tokenBytes) {
        case .success(let net):
            if net.prefix == 0 || net.address.isUnspecified {
                report(.error, "'\(line.token)' covers every address or none; refusing a /0 or unspecified entry")
                return
            }
            if net.address.isLoopback {
                report(.warning, "loopback address '\(line.token)' is ignored (loopback is always allowed)")
                return
            }
            if net.hasHostBits {
                report(.warning, "'\(line.token)' has host bits set; using \(net.network)")
            }
            entries.append(AccessEntry(kind: .network(net.network), source: line))
        case .failure(let reason):
            let token = line.token
            if token.contains(where: { $0.isLetter }) && !token.contains("/") && !token.contains(":") {
                report(.warning, "'\(line.token)' is not an IP address; host names are only resolved from csf.dyndns; ignored")
            } else {
                report(.error, "'\(line.token)' is \(reason)")
            }
        }
    }
}

/// Free text that reaches nft: rule comments, and the comments temporary entries carry into the kernel. nft
/// strings have no escapes, so a double quote, a backslash or a control character cannot be stored; such a
/// comment is refused where it is typed (`csf -d IP comment`) and left out where it is only data (an element
/// comment loaded from csf.tempban). List-file comments never reach nft and are not checked.
public enum CommentText {
    public static let maxBytes = 128

    public static func problem(_ text: Substring) -> String? { problem(ArraySlice(text.utf8)) }

    public static func problem(_ bytes: ArraySlice<UInt8>) -> String? {
        for b in bytes {
            if b == ASCII.quote { return "contains a double quote, which cannot be stored in the firewall" }
            if b == ASCII.backslash { return "contains a backslash, which cannot be stored in the firewall" }
            if b < ASCII.space || b == ASCII.delete { return "contains a control character" }
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
