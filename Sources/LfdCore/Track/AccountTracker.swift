import CsfCompat

/// Account tracking (AT_ALERT, reference §4.1.22): the accounts of /etc/passwd (password hashes from /etc/shadow)
/// compared with a baseline, and every change told once in csf's words. csf kept its baseline in memory, so a
/// change made while lfd was down was never reported; this one is kept on disk (password hashes only as digests).
public struct AccountTracker: Sendable {
    public struct Account: Sendable, Equatable {
        public var passwordDigest: UInt64
        public var uid: String
        public var gid: String
        public var dir: String
        public var shell: String
    }

    public struct Settings: Sendable, Equatable {
        /// 0 off, 1 every account, 2 UID 0 accounts, 3 root alone.
        public var scope = 2
        public var new = true, old = true, password = true, uid = true, gid = true, dir = true, shell = true

        public init() {}

        public init(config: CsfConfig) {
            scope = config.int("AT_ALERT")
            new = config.bool("AT_NEW")
            old = config.bool("AT_OLD")
            password = config.bool("AT_PASSWD")
            uid = config.bool("AT_UID")
            gid = config.bool("AT_GID")
            dir = config.bool("AT_DIR")
            shell = config.bool("AT_SHELL")
        }

        public var enabled: Bool { scope > 0 }
    }

    public typealias Snapshot = [String: Account]

    /// Every account, from passwd and shadow text (the baseline holds all; AT_ALERT chooses what is told).
    public static func snapshot(passwd: String, shadow: String) -> Snapshot {
        var hashes: [Substring: Substring] = [:]
        for line in LineScanner.lines(shadow) {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            if f.count >= 2 { hashes[f[0]] = f[1] }
        }
        var out: Snapshot = [:]
        for line in LineScanner.lines(passwd) {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 7, !f[0].isEmpty, !f[0].hasPrefix("#") else { continue }
            let name = String(f[0])
            let password = hashes[f[0]] ?? f[1]
            out[name] = Account(passwordDigest: Self.digest(password.utf8), uid: String(f[2]), gid: String(f[3]), dir: String(f[5]),
                                shell: String(f[6]))
        }
        return out
    }

    /// csf's report lines for the changes from `old` to `new`, sorted by account. With AT_ALERT = 2 an account
    /// counts when it has UID 0 before or after the change (csf looked only after, so a UID-0 account moved to
    /// another UID went unreported).
    public static func report(from old: Snapshot, to new: Snapshot, settings: Settings) -> [String] {
        func watched(_ name: String) -> Bool {
            switch settings.scope {
            case 1: return true
            case 2: return old[name]?.uid == "0" || new[name]?.uid == "0"
            case 3: return name == "root"
            default: return false
            }
        }
        var lines: [String] = []
        for (name, a) in new.sorted(by: { $0.key < $1.key }) where watched(name) {
            guard let b = old[name] else {
                if settings.new {
                    lines.append("New account [\(name)] has been created with uid:[\(a.uid)] gid:[\(a.gid)] login:[\(a.dir)] shell:[\(a.shell)]")
                }
                continue
            }
            if settings.password && a.passwordDigest != b.passwordDigest { lines.append("Account [\(name)] password has changed") }
            if settings.uid && a.uid != b.uid { lines.append("Account [\(name)] uid has changed from [\(b.uid)] to [\(a.uid)]") }
            if settings.gid && a.gid != b.gid { lines.append("Account [\(name)] gid has changed from [\(b.gid)] to [\(a.gid)]") }
            if settings.dir && a.dir != b.dir { lines.append("Account [\(name)] login directory has changed from [\(b.dir)] to [\(a.dir)]") }
            if settings.shell && a.shell != b.shell { lines.append("Account [\(name)] login shell has changed from [\(b.shell)] to [\(a.shell)]") }
        }
        if settings.old {
            for (name, b) in old.sorted(by: { $0.key < $1.key }) where new[name] == nil && watched(name) {
                lines.append("Existing account [\(name)] has been removed. Old settings uid:[\(b.uid)] gid:[\(b.gid)] login:[\(b.dir)] shell:[\(b.shell)]")
            }
        }
        return lines
    }

    /// The baseline file: one account per line, tab-separated (passwd fields never hold a tab).
    public static func encode(_ snapshot: Snapshot) -> String {
        snapshot.sorted { $0.key < $1.key }.map { name, a in
            [name, String(a.passwordDigest, radix: 16), a.uid, a.gid, a.dir, a.shell].joined(separator: "\t")
        }.joined(separator: "\n") + "\n"
    }

    public static func decode(_ text: String) -> Snapshot {
        var out: Snapshot = [:]
        for line in LineScanner.lines(text) {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 6, let digest = UInt64(f[1], radix: 16) else { continue }
            out[f[0]] = Account(passwordDigest: digest, uid: f[2], gid: f[3], dir: f[4], shell: f[5])
        }
        return out
    }

    /// LF_EXPLOIT's SUPERUSER test (reference §6.9): accounts with UID 0 other than root and those in csf.suignore.
    public static func superusers(passwd: String, ignoring ignored: Set<String>) -> [String] {
        LineScanner.lines(passwd).compactMap { line -> String? in
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 7, f[2] == "0", !f[0].isEmpty, f[0] != "root", !ignored.contains(String(f[0])) else { return nil }
            return String(f[0])
        }
    }

    /// csf's report line and lfd.log line for one.
    public static func superuserReport(_ name: String) -> (report: String, log: String) {
        ("Possible root compromise: User account \(name) is a superuser (UID 0)",
         "*System Exploit* has detected a possible root compromise (\(name) = UID 0)")
    }

    /// FNV-1a: enough to see that a hash changed without keeping a copy of it.
    static func digest(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
