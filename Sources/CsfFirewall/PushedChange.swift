import CsfCompat

/// What the fleet's master may push (csf's `-cc`, `-cf`, `-crs`): one setting of csf.conf, one file of
/// /etc/csf, or a restart. The receiving node applies it only if it passes the checks of `csf --check` and the
/// firewall starts with it; otherwise the old file is put back and the firewall keeps (or gets back) what ran.
public enum PushedChange: Sendable, Equatable {
    case setting(key: String, value: String)
    case file(name: String, content: String)
    case restart

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// csf's rules for the text a master sends: a key that is a csf.conf name, a value on one line (quotes and
    /// `=` stripped, as csf did), a file name without a directory.
    public static func setting(_ key: String, _ rawValue: String) throws(Invalid) -> PushedChange {
        guard !key.isEmpty, key.utf8.count <= 64, key.utf8.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 }) else {
            throw Invalid("invalid setting name '\(shown(key))'")
        }
        let value = String(rawValue.unicodeScalars.filter { $0 != "\"" && $0 != "=" && $0.value >= 32 && $0.value != 127 })
        guard value.utf8.count <= 4096 else { throw Invalid("the value of \(key) is too long") }
        return .setting(key: key, value: value)
    }

    /// The files of /etc/csf a master may push: csf's settings and lists. Not hook scripts (csfpre.sh, csfpost.sh),
    /// not the fleet's own password file, nothing else that happens to live there.
    public static let pushableFiles: Set<String> = [
        "csf.conf", "csf.allow", "csf.deny", "csf.ignore", "csf.pignore", "csf.rignore", "csf.fignore", "csf.signore",
        "csf.mignore", "csf.uidignore", "csf.dirwatch", "csf.dyndns", "csf.blocklists", "csf.logfiles", "csf.logignore",
        "csf.redirect", "csf.sips", "csf.syslogs", "csf.syslogusers", "csf.smtpauth", "csf.rblconf", "csf.cloudflare",
        "regex.custom",
    ]

    public static func file(_ name: String, _ content: String) throws(Invalid) -> PushedChange {
        guard pushableFiles.contains(name) else {
            throw Invalid("\(shown(name)) may not be pushed (csf's settings and list files only: \(pushableFiles.sorted().joined(separator: ", ")))")
        }
        guard content.utf8.count <= 1 << 20 else { throw Invalid("\(name) is larger than 1 MiB") }
        return .file(name: name, content: content)
    }
}

extension Firewall {
    /// Applies a pushed change: the file written (atomically), everything checked as `csf --check` checks it, the
    /// firewall started; an error in the check or the start puts the old file back and starts the firewall again
    /// with it. Returns csf's message for the log.
    public func applyPushed(_ change: PushedChange) throws(CsfError) -> String {
        switch change {
        case .restart:
            _ = try start()
            return "csf restarted"
        case .setting(let key, let value):
            let old = try TextFile.read(paths.config)
            var found = false
            let lines = old.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                let name = line.split(separator: "=", maxSplits: 1).first.map { String($0).trimmingWhitespace() }
                guard name == key, !line.trimmingWhitespace().hasPrefix("#") else { return String(line) }
                found = true
                return "\(key) = \"\(value)\""
            }
            // csf never adds a key a node's csf.conf does not have.
            guard found else { throw .refused("\(key) is not in \(paths.config); nothing changed") }
            try replace(paths.config, with: lines.joined(separator: "\n"), old: old)
            return "\(key) set to \"\(value)\" and csf restarted"
        case .file(let name, let content):
            let path = paths.etc(name)
            let old = TextFile.exists(path) ? try TextFile.read(path) : nil
            try replace(path, with: content, old: old)
            return "\(name) replaced and csf restarted"
        }
    }

    private func replace(_ path: String, with text: String, old: String?) throws(CsfError) {
        func restore() {
            if let old { try? FileSystem.writeAtomically(path, old) } else { FileSystem.remove(path) }
        }
        try FileSystem.writeAtomically(path, text)
        let errors = check().diagnostics.filter { $0.severity == .error }
        if !errors.isEmpty {
            restore()
            throw .invalidInput(errors)
        }
        do {
            _ = try start()
        } catch {
            restore()
            _ = try? start()
            throw error
        }
    }
}
