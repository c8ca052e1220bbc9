#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import CsfFirewall

/// Who may sign in: UI_USER with UI_PASS (a scrypt hash that `csf --ui-passwd` writes), and read-only accounts
/// from /etc/csf/ui/ui.readonly (`name:hash` lines). Default or plain-text credentials are refused, not served.
struct UIAccounts: Sendable {
    struct Account: Sendable { var hash: String; var readOnly: Bool }
    var accounts: [String: Account]

    static func readOnlyPath(_ paths: CsfPaths) -> String { paths.etc("ui/ui.readonly") }

    static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 32
            && name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil)) || "._-".unicodeScalars.contains($0) }
    }

    static func load(config: CsfConfig, paths: CsfPaths) -> Result<UIAccounts, StartProblem> {
        let user = config["UI_USER"].trimmingWhitespace(), pass = config["UI_PASS"].trimmingWhitespace()
        if user.isEmpty || user == "username" {
            return .failure(StartProblem("UI_USER is \(user.isEmpty ? "empty" : "still csf's default \"username\""); choose an account name"))
        }
        guard validName(user) else { return .failure(StartProblem("UI_USER \"\(shown(user))\" may hold only letters, digits, '.', '_' and '-' (at most 32)")) }
        if pass == "password" || pass.isEmpty {
            return .failure(StartProblem("UI_PASS is \(pass.isEmpty ? "empty" : "still csf's default"); set a password with: csf --ui-passwd"))
        }
        guard PasswordHash.isHash(pass) else {
            return .failure(StartProblem("UI_PASS holds a plain-text password; run csf --ui-passwd to store it as a scrypt hash"))
        }
        var accounts = [user: Account(hash: pass, readOnly: false)]
        if let text = try? TextFile.read(readOnlyPath(paths)) {
            for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let t = line.trimmingWhitespace()
                if t.isEmpty || t.hasPrefix("#") { continue }
                let parts = t.split(separator: ":", maxSplits: 1).map(String.init)
                guard parts.count == 2, validName(parts[0]), PasswordHash.isHash(parts[1]), accounts[parts[0]] == nil else {
                    return .failure(StartProblem("\(readOnlyPath(paths)):\(i + 1): expected name:hash (set with csf --ui-passwd --read-only NAME)"))
                }
                accounts[parts[0]] = Account(hash: parts[1], readOnly: true)
            }
        }
        return .success(UIAccounts(accounts: accounts))
    }

    /// The account signed in, or nil. A missing account still costs one hash, so timing does not tell names.
    func verify(user: String, password: String) -> Account? {
        guard let account = accounts[user] else {
            _ = PasswordHash.verify(password, against: Self.decoy)
            return nil
        }
        return PasswordHash.verify(password, against: account.hash) ? account : nil
    }

    private static let decoy = PasswordHash.make("decoy") ?? ""
}

/// `csf-ui --passwd [--read-only NAME] [--verify]` (and `csf --ui-passwd`): the new password is read from the
/// terminal twice without echo, or as the first line of stdin; its scrypt hash replaces UI_PASS in csf.conf
/// (rewritten atomically under csf's lock) or NAME's line in ui.readonly. `--verify` changes nothing: it exits 0
/// when the stored hash is of that password, 1 when not, so configuration tools set a password only once.
enum PasswordCommand {
    static let usage = "usage: csf --ui-passwd [--read-only NAME] [--verify]"

    static func run(arguments: [String], paths: CsfPaths) -> Int32 {
        var readOnlyName: String?
        var verifyOnly = false
        var rest = arguments[...]
        while let arg = rest.popFirst() {
            switch arg {
            case "--verify" where !verifyOnly: verifyOnly = true
            case "--read-only" where readOnlyName == nil && !rest.isEmpty: readOnlyName = rest.popFirst()
            default:
                Output.err(usage)
                return 2
            }
        }
        if let name = readOnlyName, !UIAccounts.validName(name) {
            Output.err("csf: account name may hold only letters, digits, '.', '_' and '-' (at most 32)")
            return 2
        }
        guard let password = readPassword(confirm: !verifyOnly) else { return 1 }
        if verifyOnly { return verify(password, account: readOnlyName, paths: paths) }
        guard password.utf8.count >= 8 else {
            Output.err("csf: the password must have at least 8 characters")
            return 1
        }
        guard let hash = PasswordHash.make(password) else {
            Output.err("csf: libcrypto could not compute the hash")
            return 1
        }
        do throws(CsfError) {
            let lock = try FileLock(path: paths.lock, timeout: 30)
            defer { withExtendedLifetime(lock) {} }
            // ui.allow, ui.ban, the certificate and the read-only accounts live here (root only).
            try FileSystem.makeDirectories(paths.etc("ui"))
            if let name = readOnlyName {
                let path = UIAccounts.readOnlyPath(paths)
                let old = (try? TextFile.read(path)) ?? ""
                var lines = old.split(separator: "\n").map(String.init).filter { !$0.hasPrefix(name + ":") }
                lines.append("\(name):\(hash)")
                try FileSystem.makeDirectories(FileSystem.dirname(path))
                try FileSystem.writeAtomically(path, lines.joined(separator: "\n") + "\n", mode: 0o600)
                Output.out("csf: read-only UI account \(name) set in \(path); restart csf-ui to use it")
            } else {
                let updated = ConfigEdit.setting("UI_PASS", to: hash, in: try TextFile.read(paths.config)).text
                try FileSystem.writeAtomically(paths.config, updated, mode: 0o600)
                Output.out("csf: UI_PASS in \(paths.config) is now a scrypt hash; restart csf-ui to use it")
            }
        } catch {
            Output.err("\(error)")
            return 1
        }
        return 0
    }

    /// Whether the stored hash (UI_PASS, or NAME's line in ui.readonly) is of `password`.
    private static func verify(_ password: String, account: String?, paths: CsfPaths) -> Int32 {
        let stored: String
        if let name = account {
            let lines = ((try? TextFile.read(UIAccounts.readOnlyPath(paths))) ?? "").split(separator: "\n")
            stored = lines.first { $0.hasPrefix(name + ":") }.map { String($0.dropFirst(name.utf8.count + 1)) } ?? ""
        } else {
            stored = ConfigParser.load(paths.config).0["UI_PASS"].trimmingWhitespace()
        }
        if PasswordHash.isHash(stored) && PasswordHash.verify(password, against: stored) {
            Output.out("csf: the stored \(account.map { "password of \($0)" } ?? "UI_PASS") is this password")
            return 0
        }
        Output.out("csf: the stored \(account.map { "password of \($0)" } ?? "UI_PASS") is \(PasswordHash.isHash(stored) ? "another password" : "no scrypt hash")")
        return 1
    }

    private static func readPassword(confirm: Bool) -> String? {
        if isatty(0) == 1 {
            guard let a = getpass(confirm ? "New UI password: " : "UI password: ").map({ String(cString: $0) }) else { return nil }
            guard confirm else { return a }
            guard let b = getpass("Again: ").map({ String(cString: $0) }) else { return nil }
            guard a == b else {
                Output.err("csf: the passwords differ")
                return nil
            }
            return a
        }
        guard let line = readLine(strippingNewline: true) else {
            Output.err("csf: no password on stdin")
            return nil
        }
        return line
    }
}

/// Why csf-ui cannot start as configured: one sentence for the admin.
struct StartProblem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
