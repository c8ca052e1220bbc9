/// csf's directory-watching verdicts (reference §6.9, lfd.pl `dirfiles`), pure: what kind of entry, its path and
/// name, its owner and its first bytes in; the reason csf gives, or nil. csf's checks are kept with two fixes: a
/// name starting with `-` is judged by the name (csf matched the whole path, which starts with `/`, so never),
/// and the owner check (root-owned entries are trusted, except core dumps) is part of the verdict.
public enum SuspiciousFile {
    public enum Kind: Sendable, Equatable {
        case symlink(target: String)
        case directory
        case regular
        /// Sockets, FIFOs, devices: csf's walk never judged them.
        case other
    }

    /// Names csf's lfd knows from exploit kits.
    static let knownExploits: Set<String> = ["udp.pl", "r0nin", "dc.pl", "bind", "bindz", "inetd", "z", "httpd", "sshd", "ssh",
                                             "cron", "crond", "su"]
    static let scriptExtensions = ["pl", "cgi", "py", "sh", "bash"]

    /// `inCron`: the entry is under one of the /etc/cron.* directories, where only core dumps are suspicious.
    /// `head`: up to the first bytes of a regular file (4 are enough).
    public static func reason(path: String, name: String, kind: Kind, uid: UInt32, inCron: Bool,
                              head: () -> [UInt8]) -> String? {
        let isCore = name.hasPrefix("core.")
        if uid == 0 && !(isCore && kind == .regular) { return nil }
        switch kind {
        case .other:
            return nil
        case .symlink(let target):
            return "Suspicious symlink (->\(target))"
        case .directory:
            return name.hasPrefix(".") || name.first?.isWhitespace == true ? "Suspicious directory" : nil
        case .regular:
            if inCron { return isCore ? "Core dump found - possible root exploit attack" : nil }
            if path.contains(where: { $0 == ";" || $0 == "|" || $0 == "`" || $0 == "\\" }) || name.hasPrefix("-") {
                return "Suspicious file name"
            }
            if hasScriptExtension(name) { return "Script, file extension" }
            if knownExploits.contains(name) { return "Known exploit" }
            let bytes = head()
            if bytes.starts(with: [0x7f, 0x45, 0x4c, 0x46]) { return "Linux Binary" }
            if bytes.starts(with: [0x23, 0x21]) { return "Script, starts with #!" }
            return nil
        }
    }

    /// csf's `\.(pl|cgi|ph.*|py|sh|bash)$`: `ph` followed by anything (php, phtml, phar…) counts.
    static func hasScriptExtension(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: ".") else { return false }
        if scriptExtensions.contains(String(name[name.index(after: dot)...])) { return true }
        // csf's `.ph.*` spans dots: `x.php.txt` is `.ph` + `p.txt`.
        let bytes = Array(name.utf8)
        return bytes.indices.contains { bytes[$0...].starts(with: [0x2e, 0x70, 0x68]) }
    }
}
