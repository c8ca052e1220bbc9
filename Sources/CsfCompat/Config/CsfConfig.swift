/// csf.conf as parsed: raw values by key plus typed accessors. A missing key reads as empty, as in csf.
public struct CsfConfig: Sendable {
    public private(set) var values: [String: String]
    public private(set) var origin: [String: Diagnostic]
    public let path: String

    public init(values: [String: String] = [:], path: String = "csf.conf") {
        self.values = values
        self.origin = [:]
        self.path = path
    }

    /// The shipped defaults, every key set: what a fresh install behaves like.
    public static var defaults: CsfConfig {
        var c = CsfConfig(path: "(defaults)")
        for spec in ConfigSchema.catalogue { c.values[spec.name] = spec.defaultValue }
        return c
    }

    public subscript(key: String) -> String { values[key] ?? "" }

    /// Room for a whole csf.conf, so that reading one never rehashes (csf's ~440 keys).
    mutating func reserve(_ keys: Int) {
        values.reserveCapacity(keys)
        origin.reserveCapacity(keys)
    }

    public mutating func set(_ key: String, _ value: String, at location: Diagnostic? = nil) {
        values[key] = value
        if let location { origin[key] = location }
    }

    /// Perl truthiness: empty and "0" are false.
    public func bool(_ key: String) -> Bool {
        let v = self[key]
        return !v.isEmpty && v != "0"
    }

    /// Non-numbers read as 0, as Perl's numeric comparisons do.
    public func int(_ key: String) -> Int {
        Int(self[key].trimmingWhitespace()) ?? 0
    }

    public func ports(_ key: String) -> [PortRange] {
        (try? PortList.parse(self[key])) ?? []
    }

    public func rate(_ key: String) -> Rate? { Rate(csf: self[key]) }

    public func list(_ key: String) -> [String] { ConfigSchema.items(self[key]) }

    private func file(of key: String) -> String {
        origin[key]?.file ?? path
    }

    /// A problem with a setting, located where the setting was read (its file and line, or csf.conf itself).
    public func diagnostic(_ severity: Diagnostic.Severity, _ key: String, _ message: String) -> Diagnostic {
        Diagnostic(severity, file: file(of: key), line: origin[key]?.line ?? 0, message)
    }

    /// The settings as one csf.conf text (Includes folded in): what a start applied, kept so a rollback can
    /// rebuild the rules of before with the lists of now.
    public var text: String {
        values.keys.sorted().map { "\($0) = \"\(values[$0] ?? "")\"\n" }.joined()
    }
}
