import CsfCompat
import Synchronization

/// Signed-in browsers: a random 256-bit id in a `Secure; HttpOnly; SameSite=Strict` cookie, bound to the
/// client's address, ended after UI_TIMEOUT seconds idle; each carries its own CSRF token for every form.
final class SessionStore: Sendable {
    struct Session: Sendable, Equatable {
        var user: String
        var readOnly: Bool
        var csrf: String
        var client: String
        var lastSeen: Int
    }

    static let cookie = "csfui_session"
    private let sessions = Mutex<[String: Session]>([:])
    let timeout: Int
    private let clock: @Sendable () -> Int

    init(timeout: Int, clock: @escaping @Sendable () -> Int = { Int(SystemTime.monotonic) }) {
        self.timeout = max(30, timeout)
        self.clock = clock
    }

    func create(user: String, readOnly: Bool, client: String) -> (id: String, session: Session) {
        let id = Secrets.token()
        let session = Session(user: user, readOnly: readOnly, csrf: Secrets.token(), client: client, lastSeen: clock())
        sessions.withLock { all in
            let now = clock()
            all = all.filter { now - $0.value.lastSeen <= timeout }
            all[id] = session
        }
        return (id, session)
    }

    /// The session for this cookie and client, its idle time renewed; nil when unknown, idle too long, or
    /// presented from another address (a stolen cookie is worth nothing elsewhere).
    func find(_ id: String, client: String) -> Session? {
        sessions.withLock { all in
            guard var s = all[id] else { return nil }
            let now = clock()
            if now - s.lastSeen > timeout {
                all[id] = nil
                return nil
            }
            guard s.client == client else { return nil }
            s.lastSeen = now
            all[id] = s
            return s
        }
    }

    func remove(_ id: String) { _ = sessions.withLock { $0.removeValue(forKey: id) } }

    static func setCookie(_ id: String, maxAge: Int) -> String {
        "\(cookie)=\(id); Path=/; Max-Age=\(maxAge); Secure; HttpOnly; SameSite=Strict"
    }
}

/// Failed logins per address: UI_RETRY of them in a row and the address is shut out of the UI at once and
/// handed to the helper for UI_BAN / UI_BLOCK.
final class LoginGuard: Sendable {
    private let failures = Mutex<[String: Int]>([:])
    private let banned: Mutex<[IPNetwork]>
    let retry: Int

    init(retry: Int, banned: [IPNetwork]) {
        self.retry = max(1, retry)
        self.banned = Mutex(banned)
    }

    func isBanned(_ address: IPAddress) -> Bool { banned.withLock { $0.contains { $0.contains(address) } } }

    /// ui.ban as the helper read it now (it holds this process's bans too: the helper appended them).
    func replaceBanned(_ networks: [IPNetwork]) { banned.withLock { $0 = networks } }

    /// Counts a failure; true when this one reached UI_RETRY (the caller bans once).
    func failed(_ address: IPAddress) -> (reached: Bool, remaining: Int) {
        let count = failures.withLock { all -> Int in
            all[address.description, default: 0] += 1
            return all[address.description] ?? 0
        }
        if count >= retry {
            failures.withLock { $0[address.description] = nil }
            banned.withLock { $0.append(IPNetwork(host: address)) }
            return (true, 0)
        }
        return (false, retry - count)
    }

    func succeeded(_ address: IPAddress) { failures.withLock { $0[address.description] = nil } }

    private let reported = Mutex<[String: Int]>([:])

    /// True once per address per `interval` seconds (and for at most 10,000 addresses at once).
    func shouldReport(_ address: IPAddress, now: Int = Int(SystemTime.monotonic), interval: Int = 600) -> Bool {
        reported.withLock { seen in
            if let last = seen[address.description], now - last < interval { return false }
            if seen.count >= 10_000 { seen = seen.filter { now - $0.value < interval } }
            guard seen.count < 10_000 else { return false }
            seen[address.description] = now
            return true
        }
    }
}

/// Who may reach the UI at all: not a banned address (ui.ban, or UI_RETRY reached), with UI_ALLOW only the
/// addresses in ui.allow, and with UI_BLOCK_PRIVATE_NET not the server's own addresses. ui.allow is root's
/// file: the helper reads it again every few seconds (`replaceAllowed`), so an edit needs no restart.
final class ClientAccess: Sendable {
    private let allowed: Mutex<[IPNetwork]?>
    let ownAddresses: [IPAddress]

    init(allowed: [IPNetwork]?, ownAddresses: [IPAddress]) {
        self.allowed = Mutex(allowed)
        self.ownAddresses = ownAddresses
    }

    var usesAllowList: Bool { allowed.withLock { $0 != nil } }

    func replaceAllowed(_ networks: [IPNetwork]) { allowed.withLock { if $0 != nil { $0 = networks } } }

    func refusal(_ address: IPAddress, guard loginGuard: LoginGuard) -> String? {
        if loginGuard.isBanned(address) { return "your address is banned from this interface" }
        if let list = allowed.withLock({ $0 }), !list.contains(where: { $0.contains(address) }) { return "your address is not in ui.allow" }
        if ownAddresses.contains(address) { return "connections from this server's own addresses are refused (UI_BLOCK_PRIVATE_NET)" }
        return nil
    }

    /// ui.allow / ui.ban: one address or CIDR per line, `#` comments.
    static func readList(_ path: String) -> [IPNetwork] {
        guard let text = try? TextFile.read(path) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let word = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first?
                .split(whereSeparator: { $0 == " " || $0 == "\t" }).first
            return word.flatMap { IPNetwork(String($0)) }
        }
    }
}
