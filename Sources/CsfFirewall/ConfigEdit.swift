import CsfCompat
import CsfPolicy

/// One setting of csf.conf changed the way the web UI does it: the new text checked with `csf --check`'s
/// checks before anything is written, shown as a diff, then applied with `--confirm-within` so that a change
/// the admin does not confirm in time is undone, csf.conf included.
public struct ConfigEdit: Sendable {
    public struct Preview: Sendable, Equatable {
        public var key: String
        public var before: String?
        public var after: String
        public var text: String
        /// `file:line: error: …` lines, as `csf --check` prints them; empty when the change may be applied.
        public var errors: [String]
        public var warnings: [String]
    }

    public let paths: CsfPaths

    public init(paths: CsfPaths) { self.paths = paths }

    /// Keys the UI never edits whatever RESTRICT_UI says: its own credentials and access rules.
    public static func alwaysRestricted(_ key: String) -> Bool {
        key.hasPrefix("UI") || key == "RESTRICT_UI" || key == "CLUSTER_KEY"
    }

    /// With RESTRICT_UI = 1 the UI edits only structured settings (switches, numbers, ports, rates, choices):
    /// never free text, which names programs, files, URLs and patterns root uses.
    public static func restricted(_ key: String, restrictUI: Int) -> Bool {
        if alwaysRestricted(key) { return true }
        guard restrictUI == 1 else { return false }
        guard let spec = ConfigSchema.byName[key] else { return true }
        return spec.kind == .text || spec.kind == .databaseURL || key.hasPrefix("CLUSTER_")
    }

    public func preview(key: String, value: String) throws(CsfError) -> Preview {
        let current = try TextFile.read(paths.config)
        let (config, _) = ConfigParser.parse(text: current, path: paths.config)
        guard ConfigSchema.byName[key] != nil else { throw .refused("csf: \(shown(key)) is not a csf.conf setting") }
        if Self.restricted(key, restrictUI: config.int("RESTRICT_UI")) {
            throw .refused("csf: \(key) cannot be changed from the web UI (RESTRICT_UI = \(config.int("RESTRICT_UI")))")
        }
        if let bad = value.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "\"" }) {
            throw .refused("csf: a value cannot hold \(bad == "\"" ? "a double quote" : "a control character")")
        }
        let (text, before, line) = Self.setting(key, to: value, in: current)
        let (candidate, parsed) = ConfigParser.parse(text: text, path: paths.config)
        var diagnostics = parsed
        if !parsed.contains(where: { $0.severity == .error }) {
            let outcome = PolicyBuilder.build(PolicyLoader.inputs(paths: paths, config: candidate, host: .current(), now: SystemTime.wallSeconds))
            diagnostics = outcome.fatal + outcome.diagnostics.filter { $0.severity == .warning }
        }
        return Preview(key: key, before: before, after: line, text: text,
                       errors: diagnostics.filter { $0.severity == .error }.map(\.description),
                       warnings: diagnostics.filter { $0.severity == .warning }.map(\.description))
    }

    /// csf.conf's text with `KEY = "value"` in place of the key's line (appended when it has none): the new
    /// text, the line it replaced, and the new line. The value must already be free of quotes and control
    /// characters.
    public static func setting(_ key: String, to value: String, in current: String) -> (text: String, before: String?, line: String) {
        let line = "\(key) = \"\(value)\""
        var before: String?
        var lines = current.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let at = lines.firstIndex(where: { assigns($0, key) }) {
            before = lines[at]
            lines[at] = line
        } else {
            if lines.last == "" { lines.removeLast() }
            lines += [line, ""]
        }
        return (lines.joined(separator: "\n"), before, line)
    }

    private static func assigns(_ line: String, _ key: String) -> Bool {
        let t = line.trimmingWhitespace()
        guard t.hasPrefix(key) else { return false }
        return t.dropFirst(key.count).trimmingWhitespace().hasPrefix("=")
    }

    /// Checks the change again (csf.conf may have changed since the preview), writes it and restarts the
    /// firewall from it; unless confirmed within `seconds` the watchdog restores the previous csf.conf and the
    /// ruleset it built. Nothing is written when the check finds an error.
    public func apply(key: String, value: String, confirmWithin seconds: Int, firewall: Firewall) throws(CsfError) -> (Preview, Firewall.StartReport) {
        guard (10...3600).contains(seconds) else { throw .refused("csf: the confirmation time must be 10 to 3600 seconds") }
        let previous: String, preview: Preview
        do {
            let lock = try FileLock(path: paths.lock, timeout: 30)
            defer { withExtendedLifetime(lock) {} }
            previous = try TextFile.read(paths.config)
            preview = try self.preview(key: key, value: value)
            guard preview.errors.isEmpty else { throw CsfError.refused(preview.errors.joined(separator: "\n")) }
            try FileSystem.writeAtomically(paths.config, preview.text, mode: 0o600)
        }
        do {
            return (preview, try firewall.start(.init(confirmWithin: seconds, restoreConfig: previous)))
        } catch {
            // The kernel refused the new ruleset: the old one still runs, so the old settings go back too.
            try? FileSystem.writeAtomically(paths.config, previous, mode: 0o600)
            throw error
        }
    }

    /// Settings whose name holds `query`, for the editor's list; secrets are never shown.
    public func settings(matching query: String, limit: Int = 60) -> (shown: [(key: String, value: String, editable: Bool)], total: Int) {
        let config = ConfigParser.load(paths.config).0
        let restrict = config.int("RESTRICT_UI")
        let q = query.uppercased()
        let names = ConfigSchema.catalogue.map(\.name).filter { q.isEmpty || $0.contains(q) }
        let rows = names.prefix(limit).map { name in
            (key: name, value: Self.secret(name) ? "(hidden)" : config[name], editable: !Self.restricted(name, restrictUI: restrict))
        }
        return (Array(rows), names.count)
    }

    static func secret(_ key: String) -> Bool { key == "UI_PASS" || key == "CLUSTER_KEY" || key.hasSuffix("_SECRET") || key == "MM_LICENSE_KEY" }
}
