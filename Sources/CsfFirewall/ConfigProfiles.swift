#if canImport(Glibc)
import Glibc
#endif
import CsfCompat

/// `csf --profile list|backup|restore|apply|keep|diff` (reference §1.2): csf.conf backups in
/// /var/lib/csf/backup/<epoch>_<name>, and profiles (`KEY = "value"` files) applied over csf.conf.
///
/// Unlike csf, every write is atomic under the lock csf and lfd share, `apply` rewrites only the lines the
/// profile changes (csf rewrote every line of csf.conf), and a result that does not load is refused with its
/// file:line, changing nothing. Names are reduced to word characters, as csf does, so none can leave its
/// directory.
public struct ConfigProfiles {
    public let paths: CsfPaths
    let lockTimeout: Double
    var now: () -> Int = { Int(time(nil)) }

    public init(paths: CsfPaths, lockTimeout: Double = 30) {
        self.paths = paths
        self.lockTimeout = lockTimeout
    }

    /// nftcsf's shipped profiles first, then an existing csf installation's; the first of a name wins.
    public var profileDirs: [String] { [paths.path("/usr/share/nftcsf/profiles"), paths.path("/usr/local/csf/profiles")] }
    public var backupDir: String { paths.lib("backup") }

    public enum Verb: String, Sendable { case list, backup, restore, apply, keep, diff }

    public struct Backup: Encodable, Sendable, Equatable {
        public var name: String
        public var time: Int
    }

    public struct Listing: Encodable, Sendable {
        public var profiles: [String]
        public var backups: [Backup]
    }

    public struct Difference: Encodable, Sendable, Equatable {
        public var setting: String
        public var first: String
        public var second: String
    }

    public struct Outcome: Encodable, Sendable {
        public var ok = true
        public var changed: Bool
        public var file: String?
        public var lines: [String]
    }

    /// csf's `s/\W/_/g`.
    public static func sanitized(_ name: String) -> String {
        String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") ? $0 : "_" })
    }

    public func list() -> Listing {
        var names: [String] = []
        for dir in profileDirs {
            for file in FileSystem.listDirectory(dir) where file.hasSuffix(".conf") {
                let name = String(file.dropLast(5))
                if !names.contains(name) { names.append(name) }
            }
        }
        return Listing(profiles: names.sorted(), backups: backups())
    }

    /// Newest first.
    func backups() -> [Backup] {
        FileSystem.listDirectory(backupDir).compactMap { name -> Backup? in
            guard let stamp = name.split(separator: "_", maxSplits: 1).first.flatMap({ Int($0) }) else { return nil }
            return Backup(name: name, time: stamp)
        }.sorted { ($0.time, $0.name) > ($1.time, $1.name) }
    }

    public static func listingLines(_ listing: Listing) -> [String] {
        var out = ["", "Configuration Profiles", "======================"]
        out += listing.profiles
        out += ["", "Configuration Backups", "====================="]
        out += listing.backups.map { "\($0.name) (\(LocalTime.format($0.time, LocalTime.ctime)))" }
        return out + [""]
    }

    public func backup(_ name: String?) throws(CsfError) -> Outcome {
        let lock = try FileLock(path: paths.lock, timeout: lockTimeout)
        defer { withExtendedLifetime(lock) {} }
        let label = Self.sanitized(name.flatMap { $0.isEmpty ? nil : $0 } ?? "backup")
        let target = try copyConfig(to: "\(now())_\(label)")
        return Outcome(changed: true, file: target, lines: ["Creating backup...", "'\(paths.config)' -> '\(target)'"])
    }

    public func restore(_ name: String) throws(CsfError) -> Outcome {
        let file = "\(backupDir)/\(Self.sanitized(name))"
        guard !name.isEmpty, FileSystem.isRegularFile(file) else {
            throw .refused("File [\(Self.sanitized(name))] not found in \(backupDir)/")
        }
        let text = try TextFile.read(file)
        try refuseIfBroken(text, path: file)
        let lock = try FileLock(path: paths.lock, timeout: lockTimeout)
        defer { withExtendedLifetime(lock) {} }
        try FileSystem.writeAtomically(paths.config, text)
        return Outcome(changed: true, file: paths.config,
                       lines: ["Restoring backup...", "'\(file)' -> '\(paths.config)'", "You should now restart csf and then lfd"])
    }

    public func apply(_ name: String) throws(CsfError) -> Outcome {
        let profile = Self.sanitized(name)
        guard !name.isEmpty, let file = profilePath(profile) else { throw .refused("[\(profile)] is not a valid profile") }
        let settings = try Self.settings(in: TextFile.read(file), path: file)
        let lock = try FileLock(path: paths.lock, timeout: lockTimeout)
        defer { withExtendedLifetime(lock) {} }
        let current = try TextFile.read(paths.config)
        let (updated, changed, absent) = Self.applying(settings, to: current)
        try refuseIfBroken(updated, path: paths.config)
        let backup = try copyConfig(to: "\(now())_pre_\(profile)")
        var lines = ["Creating backup...", "'\(paths.config)' -> '\(backup)'", "Applying profile..."]
        if changed > 0 { try FileSystem.writeAtomically(paths.config, updated) }
        if !absent.isEmpty { lines.append("Not in \(paths.config), left out: \(absent.joined(separator: " "))") }
        lines.append("[\(profile)] has been applied. You should now restart csf and then lfd")
        return Outcome(changed: changed > 0, file: paths.config, lines: lines)
    }

    /// Removes all but the newest `count` backups.
    public func keep(_ count: String) throws(CsfError) -> Outcome {
        guard let n = Int(count), n >= 0, count.allSatisfy(\.isNumber) else {
            throw .refused("You must specify the number of backups to keep")
        }
        let lock = try FileLock(path: paths.lock, timeout: lockTimeout)
        defer { withExtendedLifetime(lock) {} }
        let old = backups().dropFirst(n)
        for b in old { FileSystem.remove("\(backupDir)/\(b.name)") }
        return Outcome(changed: !old.isEmpty, file: nil, lines: old.map { "removed '\(backupDir)/\($0.name)'" })
    }

    /// Settings whose value in `first` differs from `second` (a backup, a profile, or "current": csf.conf),
    /// in `second`'s sorted order as csf prints them.
    public func diff(_ first: String, _ second: String?) throws(CsfError) -> (header: String, differences: [Difference]) {
        let a = Self.sanitized(first)
        let b = second.map(Self.sanitized).flatMap { $0.isEmpty || $0 == "current" ? nil : $0 }
        guard !first.isEmpty, let firstFile = profilePath(a) ?? backupPath(a) else {
            throw .refused("File [\(a)] not found in \(backupDir)/")
        }
        let secondFile: String
        if let b {
            guard let f = profilePath(b) ?? backupPath(b) else { throw .refused("File [\(b)] not found in \(backupDir)/") }
            secondFile = f
        } else {
            secondFile = paths.config
        }
        let one = Dictionary(Self.values(try TextFile.read(firstFile)), uniquingKeysWith: { _, last in last })
        let two = Self.values(try TextFile.read(secondFile)).sorted { $0.key < $1.key }
        let differences = two.compactMap { key, value -> Difference? in
            guard let was = one[key], was != value else { return nil }
            return Difference(setting: key, first: was, second: value)
        }
        return ("[SETTING]\t[\(a)]\t[\(b ?? "current")]", differences)
    }

    // MARK: files

    private func profilePath(_ name: String) -> String? {
        profileDirs.map { "\($0)/\(name).conf" }.first(where: FileSystem.isRegularFile)
    }

    private func backupPath(_ name: String) -> String? {
        let file = "\(backupDir)/\(name)"
        return FileSystem.isRegularFile(file) ? file : nil
    }

    private func copyConfig(to name: String) throws(CsfError) -> String {
        let target = "\(backupDir)/\(name)"
        try FileSystem.writeAtomically(target, TextFile.read(paths.config))
        return target
    }

    private func refuseIfBroken(_ text: String, path: String) throws(CsfError) {
        let errors = ConfigParser.parse(text: text, path: path).1.filter { $0.severity == .error }
        if !errors.isEmpty { throw .invalidInput(errors) }
    }

    // MARK: text

    /// `NAME = "value"` lines as csf reads them: comments and lines without `=` skipped, spaces removed from the
    /// name, the value taken between its first and last quote.
    static func values(_ text: String) -> [(key: String, value: String)] {
        text.split(separator: "\n").compactMap { line -> (String, String)? in
            guard !line.hasPrefix("#"), let eq = line.firstIndex(of: "=") else { return nil }
            let key = line[..<eq].filter { !$0.isWhitespace }
            let rest = line[line.index(after: eq)...]
            guard let open = rest.firstIndex(of: "\""), let close = rest.lastIndex(of: "\""), open < close else {
                return (key, String(rest))
            }
            return (key, String(rest[rest.index(after: open)..<close]))
        }
    }

    /// A profile's settings; a name that is not a csf.conf key name is an error with its line.
    static func settings(in text: String, path: String) throws(CsfError) -> [(key: String, value: String)] {
        var out: [(key: String, value: String)] = []
        var problems: [Diagnostic] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard !line.hasPrefix("#"), line.contains("=") else { continue }
            guard let (key, value) = values(String(line)).first else { continue }
            if key.isEmpty || !key.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "_") }) {
                problems.append(Diagnostic(.error, file: path, line: index + 1, "'\(key)' is not a csf.conf setting name"))
            } else {
                out.append((key, value))
            }
        }
        if !problems.isEmpty { throw .invalidInput(problems) }
        return out
    }

    /// csf.conf with each line that sets a profile's key given the profile's value; every other line is kept as
    /// it is. Returns the text, how many lines changed, and the profile's keys csf.conf does not set.
    static func applying(_ settings: [(key: String, value: String)], to config: String) -> (String, Int, [String]) {
        let wanted = Dictionary(settings, uniquingKeysWith: { _, last in last })
        var seen: Set<String> = []
        var changed = 0
        let lines = config.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard let (key, value) = values(String(line)).first, let new = wanted[key] else { return String(line) }
            seen.insert(key)
            guard new != value else { return String(line) }
            changed += 1
            return "\(key) = \"\(new)\""
        }
        let absent = settings.map(\.key).filter { !seen.contains($0) }
        var reported: Set<String> = []
        return (lines.joined(separator: "\n"), changed, absent.filter { reported.insert($0).inserted })
    }
}
