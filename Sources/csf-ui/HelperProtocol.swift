/// What the unprivileged UI may ask its root helper: a closed set of typed requests. On the wire each is one
/// SOCK_SEQPACKET message of fields separated by 0x1F; a field may hold no control character, so no value can
/// add a field, and the helper re-validates every value (addresses, comments, numbers) as csf's CLI does.
enum HelperRequest: Equatable, Sendable {
    enum List: String, Sendable, CaseIterable { case allow, deny, ignore }

    case summary
    case login
    /// A wrong account or password (the envelope's user is the name tried, or "?").
    case loginFailed
    /// A client closed on accept: banned, outside ui.allow, or the server's own address (UI_ALERT 4).
    case accessRefused(String)
    case logout
    case allow(String, comment: String)
    case deny(String, comment: String)
    case tempDeny(String, ttl: Int, comment: String)
    case ignore(String, comment: String)
    case unblock(String)
    case search(String)
    case temporary
    case tempRemove(String)
    case listPage(List, query: String, page: Int)
    case logTail(lines: Int)
    /// UI_RETRY failed logins: UI_BAN and UI_BLOCK applied to this address.
    case blockClient(String)
    case settings(query: String)
    case configPreview(key: String, value: String)
    case configApply(key: String, value: String, confirmWithin: Int)
    case configConfirm
    /// ui.allow and ui.ban as they are now.
    case accessLists

    /// Requests that change something: refused for a read-only account, always written to the audit log.
    var changes: Bool {
        switch self {
        case .allow, .deny, .tempDeny, .ignore, .unblock, .tempRemove, .blockClient, .configApply, .configConfirm: return true
        case .summary, .accessLists, .login, .loginFailed, .accessRefused, .logout, .search, .temporary, .listPage, .logTail, .settings, .configPreview: return false
        }
    }

    var fields: [String] {
        switch self {
        case .summary: return ["summary"]
        case .login: return ["login"]
        case .loginFailed: return ["loginfailed"]
        case .accessRefused(let why): return ["refused", why]
        case .logout: return ["logout"]
        case .allow(let t, let c): return ["allow", t, c]
        case .deny(let t, let c): return ["deny", t, c]
        case .tempDeny(let t, let ttl, let c): return ["tempdeny", t, String(ttl), c]
        case .ignore(let t, let c): return ["ignore", t, c]
        case .unblock(let t): return ["unblock", t]
        case .search(let t): return ["search", t]
        case .temporary: return ["temporary"]
        case .tempRemove(let t): return ["temprm", t]
        case .listPage(let l, let q, let p): return ["list", l.rawValue, q, String(p)]
        case .logTail(let n): return ["log", String(n)]
        case .blockClient(let ip): return ["blockclient", ip]
        case .settings(let q): return ["settings", q]
        case .configPreview(let k, let v): return ["preview", k, v]
        case .configApply(let k, let v, let s): return ["apply", k, v, String(s)]
        case .configConfirm: return ["confirm"]
        case .accessLists: return ["access"]
        }
    }

    init?(fields f: [String]) {
        func int(_ s: String) -> Int? { s.utf8.count <= 9 ? Int(s) : nil }
        switch (f.first ?? "", f.count) {
        case ("summary", 1): self = .summary
        case ("login", 1): self = .login
        case ("loginfailed", 1): self = .loginFailed
        case ("refused", 2): self = .accessRefused(f[1])
        case ("logout", 1): self = .logout
        case ("allow", 3): self = .allow(f[1], comment: f[2])
        case ("deny", 3): self = .deny(f[1], comment: f[2])
        case ("tempdeny", 4):
            guard let ttl = int(f[2]) else { return nil }
            self = .tempDeny(f[1], ttl: ttl, comment: f[3])
        case ("ignore", 3): self = .ignore(f[1], comment: f[2])
        case ("unblock", 2): self = .unblock(f[1])
        case ("search", 2): self = .search(f[1])
        case ("temporary", 1): self = .temporary
        case ("temprm", 2): self = .tempRemove(f[1])
        case ("list", 4):
            guard let list = List(rawValue: f[1]), let page = int(f[3]), page >= 0 else { return nil }
            self = .listPage(list, query: f[2], page: page)
        case ("log", 2):
            guard let n = int(f[1]), (1...1000).contains(n) else { return nil }
            self = .logTail(lines: n)
        case ("blockclient", 2): self = .blockClient(f[1])
        case ("settings", 2): self = .settings(query: f[1])
        case ("preview", 3): self = .configPreview(key: f[1], value: f[2])
        case ("apply", 4):
            guard let s = int(f[3]) else { return nil }
            self = .configApply(key: f[1], value: f[2], confirmWithin: s)
        case ("confirm", 1): self = .configConfirm
        case ("access", 1): self = .accessLists
        default: return nil
        }
    }
}

/// Who asks: the account the UI authenticated, its role and the client's address (for the audit log).
struct HelperEnvelope: Equatable, Sendable {
    var user: String
    var readOnly: Bool
    var client: String
    var request: HelperRequest

    static let separator: UInt8 = 0x1F
    static let maxMessage = 16 << 10

    /// nil when a field holds a control character or the message is too long: such a request is never sent.
    func encoded() -> [UInt8]? {
        let all = [user, readOnly ? "ro" : "rw", client] + request.fields
        guard all.allSatisfy({ !$0.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) }) else { return nil }
        let bytes = Array(all.joined(separator: "\u{1F}").utf8)
        return bytes.count <= Self.maxMessage ? bytes : nil
    }

    init(user: String, readOnly: Bool, client: String, request: HelperRequest) {
        (self.user, self.readOnly, self.client, self.request) = (user, readOnly, client, request)
    }

    init?(decoding bytes: [UInt8]) {
        guard bytes.count <= Self.maxMessage,
              !bytes.contains(where: { ($0 < 0x20 && $0 != Self.separator) || $0 == 0x7F }) else { return nil }
        let f = bytes.split(separator: Self.separator, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard f.count >= 4, f[1] == "ro" || f[1] == "rw", let request = HelperRequest(fields: Array(f[3...])) else { return nil }
        self.init(user: f[0], readOnly: f[1] == "ro", client: f[2], request: request)
    }
}

/// The helper's answer: ok or refused, and text (csf's messages, or the lines a page shows).
struct HelperReply: Equatable, Sendable {
    var ok: Bool
    var text: String

    var encoded: [UInt8] { [ok ? UInt8(ascii: "+") : UInt8(ascii: "-")] + Array(text.utf8) }

    init(ok: Bool, text: String) { (self.ok, self.text) = (ok, text) }

    init?(decoding bytes: ArraySlice<UInt8>) {
        guard let first = bytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") else { return nil }
        self.init(ok: first == UInt8(ascii: "+"), text: String(decoding: bytes.dropFirst(), as: UTF8.self))
    }

    var lines: [Substring] { text.split(separator: "\n", omittingEmptySubsequences: false) }
}
