/// Parses csf.conf the way csf's Config.pm does: `NAME = "value"`, the value between the first and the last
/// double quote, whitespace stripped from names, `#` comments, `Include` files, duplicates fatal.
public struct ConfigParser {
    public private(set) var diagnostics: [Diagnostic] = []
    private var config: CsfConfig
    private var includeStack: [FileIdentity] = []
    private var included: Set<FileIdentity> = []

    public init(path: String) {
        config = CsfConfig(path: path)
        config.reserve(ConfigSchema.byName.count)
    }

    /// Loads the file and everything it includes, then checks every value against its kind.
    public static func load(_ path: String) -> (CsfConfig, [Diagnostic]) {
        var parser = ConfigParser(path: path)
        parser.parseFile(path, from: nil)
        parser.validate()
        parser.applyClamps()
        parser.applyAdditionDefaults()
        return (parser.config, parser.diagnostics)
    }

    /// Parses text as if it were a file (used by tests and `--check` of piped input).
    public static func parse(text: String, path: String) -> (CsfConfig, [Diagnostic]) {
        var parser = ConfigParser(path: path)
        parser.parseText(text, path: path)
        parser.validate()
        parser.applyClamps()
        parser.applyAdditionDefaults()
        return (parser.config, parser.diagnostics)
    }

    /// Keys nftcsf added are never in a csf.conf written for csf: a missing one means its default, not empty
    /// (a stock csf.conf would otherwise read NFLOG_GROUP as 0 and starve lfd's packet checks).
    private mutating func applyAdditionDefaults() {
        for spec in ConfigSchema.catalogue where spec.section == ConfigSchema.additionsSection && config.values[spec.name] == nil {
            config.set(spec.name, spec.defaultValue)
        }
    }

    private mutating func parseFile(_ path: String, from: Diagnostic?) {
        let identity = FileIdentity(path: path)
        if let identity, includeStack.contains(identity) {
            report(.error, from?.file ?? path, from?.line ?? 0, "Include loop: \(path) includes itself")
            return
        }
        if let identity, included.contains(identity) {
            report(.error, from?.file ?? path, from?.line ?? 0, "Include \(path): already included")
            return
        }
        let text: String
        do {
            text = try TextFile.read(path)
        } catch {
            report(.error, from?.file ?? path, from?.line ?? 0, from == nil ? "cannot read: \(error)" : "Include \(path): cannot read: \(error)")
            return
        }
        if let identity {
            includeStack.append(identity)
            included.insert(identity)
        }
        parseText(text, path: path)
        if identity != nil { includeStack.removeLast() }
    }

    private mutating func parseText(_ text: String, path: String) {
        let bytes = Array(text.utf8)
        var lines: [(Int, Range<Int>)] = []
        bytes.withUnsafeBufferPointer { buf in
            LineScanner.forEachEntry(buf) { lines.append(($0, $1)) }
        }
        for (lineNo, range) in lines { parseLine(bytes[range], lineNo: lineNo, path: path) }
    }

    private mutating func parseLine(_ line: ArraySlice<UInt8>, lineNo: Int, path: String) {
        if line.starts(with: ConfigParser.includeWord) {
            let target = String(decoding: line.dropFirst(ConfigParser.includeWord.count), as: UTF8.self).trimmingWhitespace()
            if target.isEmpty {
                report(.error, path, lineNo, "Include without a file name")
            } else {
                parseFile(target, from: Diagnostic(.error, file: path, line: lineNo, ""))
            }
            return
        }
        guard let eq = line.firstIndex(of: ASCII.equals) else {
            report(.warning, path, lineNo, "line has no '=' and is ignored")
            return
        }
        let name = String(decoding: line[..<eq].filter { !ASCII.isBlank($0) }, as: UTF8.self)
        guard let firstQuote = line.firstIndex(of: ASCII.quote), let lastQuote = line.lastIndex(of: ASCII.quote),
              firstQuote < lastQuote, firstQuote > eq else {
            report(.error, path, lineNo, "invalid configuration line: the value of \(name) must be in double quotes")
            return
        }
        guard !name.isEmpty, name.utf8.allSatisfy(ASCII.isWord) else {
            report(.error, path, lineNo, "invalid setting name '\(name)'")
            return
        }
        let value = String(decoding: line[(firstQuote + 1)..<lastQuote], as: UTF8.self)
        if let first = config.origin[name] {
            report(.error, path, lineNo, "setting \(name) is repeated (first set at \(first.file):\(first.line))")
            return
        }
        config.set(name, value, at: Diagnostic(.error, file: path, line: lineNo, ""))
        if ConfigSchema.byName[name] == nil {
            report(.warning, path, lineNo, "unknown setting \(name) is ignored")
        }
    }

    private static let includeWord = Array("Include".utf8)

    /// Problems are reported in key order; only they are sorted (a valid csf.conf sorts nothing).
    private mutating func validate() {
        var problems: [(name: String, text: String)] = []
        for (name, value) in config.values {
            guard let spec = ConfigSchema.byName[name] else { continue }
            // An empty value is csf's "unset": false, zero or no list.
            if value.isEmpty, !ConfigParser.mustNotBeEmpty(spec.kind) { continue }
            if let problem = ConfigSchema.problem(with: value, kind: spec.kind) {
                problems.append((name, "\(name) = \"\(value)\": \(problem)"))
            }
        }
        for (name, text) in problems.sorted(by: { $0.name < $1.name }) {
            let at = config.origin[name]
            report(.error, at?.file ?? config.path, at?.line ?? 0, text)
        }
    }

    private static func mustNotBeEmpty(_ kind: ConfigSchema.ValueKind) -> Bool {
        if case .choice(let options) = kind { return !options.contains("") }
        return false
    }

    /// Values csf/lfd silently force into range; we force them too, but say so.
    private mutating func applyClamps() {
        func clamp(_ key: String, when bad: (Int) -> Bool, to replacement: Int) {
            guard let raw = config.values[key], !raw.isEmpty, let v = Int(raw), bad(v) else { return }
            let at = config.origin[key]
            report(.warning, at?.file ?? config.path, at?.line ?? 0, "\(key) = \"\(raw)\" is out of range, using \(replacement)")
            config.set(key, String(replacement))
        }
        clamp("LF_PARSE", when: { $0 < 5 || $0 > 20 }, to: 5)
        clamp("LF_INTERVAL", when: { $0 < 60 }, to: 60)
        for key in ["PS_INTERVAL", "UID_INTERVAL", "LF_EXPLOIT"] { clamp(key, when: { $0 > 0 && $0 < 60 }, to: 60) }
        for key in ["DYNDNS", "LF_GLOBAL", "GLOBAL_DYNDNS_INTERVAL"] { clamp(key, when: { $0 > 0 && $0 < 60 }, to: 300) }
        clamp("LF_INTEGRITY", when: { $0 > 0 && $0 < 120 }, to: 300)
        clamp("CT_INTERVAL", when: { $0 < 10 }, to: 30)
        clamp("PT_INTERVAL", when: { $0 < 10 }, to: 60)
        clamp("AT_INTERVAL", when: { $0 < 10 }, to: 60)
        clamp("LF_QUEUE_INTERVAL", when: { $0 < 30 }, to: 300)
        clamp("USE_FTPHELPER", when: { $0 == 1 }, to: 0)
        if config.int("PS_INTERVAL") > 0 && config.bool("DROP_IP_LOGGING") {
            let at = config.origin["DROP_IP_LOGGING"]
            report(.warning, at?.file ?? config.path, at?.line ?? 0, "DROP_IP_LOGGING is turned off because PS_INTERVAL is set")
            config.set("DROP_IP_LOGGING", "0")
        }
    }

    private mutating func report(_ severity: Diagnostic.Severity, _ file: String, _ line: Int, _ message: String) {
        diagnostics.append(Diagnostic(severity, file: file, line: line, message))
    }
}
