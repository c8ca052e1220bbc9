import CsfCompat
import Hummingbird
import NIOPosix

/// The signed-in UI: login, sessions, CSRF, the pages; every read and change goes to the root helper.
struct WebApp: Sendable {
    let helper: HelperClient
    let accounts: UIAccounts
    let sessions: SessionStore
    let loginGuard: LoginGuard
    let access: ClientAccess
    let showRemaining: Bool
    let logRefresh: Int
    /// UI_LOGS_START_PAUSED: the log page opens paused.
    let logStartsPaused: Bool

    static let loginCookie = "csfui_login"

    func router() -> Router<UIContext> {
        let router = Router(context: UIContext.self)
        router.add(middleware: SecurityHeaders())
        router.add(middleware: ClientGate(access: access, loginGuard: loginGuard))
        router.get("style.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"],
                     body: .init(byteBuffer: ByteBuffer(string: Html.stylesheet)))
        }
        router.get("favicon.ico") { _, _ in Response(status: .noContent) }
        router.get("login") { _, _ in loginPage(message: nil, status: .ok) }
        router.post("login") { request, context in try await login(request, context) }
        router.post("logout") { request, context in
            try await signedIn(request, context, change: false) { s, _, _ in
                if let id = request.cookies[SessionStore.cookie]?.value { sessions.remove(id) }
                _ = await helper.ask(envelope(s, .logout))
                return WebPages.redirect("/login", headers: [.setCookie: SessionStore.setCookie("", maxAge: 0)])
            }
        }
        router.get("") { request, context in
            try await page(request, context) { s in
                let reply = await helper.ask(envelope(s, .summary))
                guard reply.ok else { return WebPages.plain(.internalServerError, reply.text) }
                return WebPages.html(.ok, WebPages.dashboard(DashboardFacts(decoding: reply.text), session: s))
            }
        }
        router.get("quick") { request, context in
            try await page(request, context) { s in WebPages.html(.ok, WebPages.quick(session: s, result: nil)) }
        }
        router.post("quick") { request, context in
            try await signedIn(request, context, change: nil) { s, form, _ in
                let result = await quick(s, form)
                let status: HTTPResponse.Status = result.ok ? .ok : s.readOnly && form["action"] != "search" ? .forbidden : .badRequest
                return WebPages.html(status, WebPages.quick(session: s, result: result))
            }
        }
        router.get("temp") { request, context in
            try await page(request, context) { s in await temporaryPage(s, result: nil) }
        }
        router.post("temp/remove") { request, context in
            try await signedIn(request, context, change: true) { s, form, _ in
                let reply = await helper.ask(envelope(s, .tempRemove(form["ip"] ?? "")))
                return await temporaryPage(s, result: (reply.ok, reply.lines.map(String.init)))
            }
        }
        router.get("list/:name") { request, context in
            try await page(request, context) { s in
                guard let name = context.parameters.get("name").flatMap(HelperRequest.List.init(rawValue:)) else {
                    return WebPages.plain(.notFound, "no such list")
                }
                let query = String((request.uri.queryParameters.get("q") ?? "").prefix(200))
                let pageNumber = min(1_000_000, max(0, request.uri.queryParameters.get("page").flatMap { Int($0) } ?? 0))
                let reply = await helper.ask(envelope(s, .listPage(name, query: query, page: pageNumber)))
                guard reply.ok else { return WebPages.plain(.badRequest, reply.text) }
                return WebPages.html(.ok, WebPages.list(name, query: query, page: ListPage(decoding: reply.text), session: s))
            }
        }
        router.get("log") { request, context in
            try await page(request, context) { s in
                let reply = await helper.ask(envelope(s, .logTail(lines: 200)))
                let paused = request.uri.queryParameters.get("paused").map { $0 == "1" } ?? logStartsPaused
                return WebPages.html(.ok, WebPages.log(lines: reply.lines.map(String.init), refresh: logRefresh, paused: paused, session: s))
            }
        }
        router.get("config") { request, context in
            try await page(request, context) { s in
                let query = String((request.uri.queryParameters.get("q") ?? "").prefix(64))
                let reply = await helper.ask(envelope(s, .settings(query: query)))
                guard reply.ok else { return WebPages.plain(.internalServerError, reply.text) }
                return WebPages.html(.ok, WebPages.settings(session: s, query: query, reply: reply.text))
            }
        }
        router.post("config/preview") { request, context in
            try await signedIn(request, context, change: true) { s, form, _ in
                let (key, value) = (form["key"] ?? "", form["value"] ?? "")
                let reply = await helper.ask(envelope(s, .configPreview(key: key, value: value)))
                guard reply.ok else { return WebPages.html(.badRequest, WebPages.applied(session: s, ok: false, lines: reply.lines.map(String.init), seconds: nil)) }
                let p = ConfigPreviewText.decode(reply.text)
                return WebPages.html(p.errors.isEmpty ? .ok : .badRequest, WebPages.preview(session: s, key: key, value: value, p: p))
            }
        }
        router.post("config/apply") { request, context in
            try await signedIn(request, context, change: true) { s, form, _ in
                guard let seconds = Int(form["confirm"] ?? ""), (10...3600).contains(seconds) else {
                    return WebPages.html(.badRequest, WebPages.applied(session: s, ok: false, lines: ["The confirmation time must be 10 to 3600 seconds."], seconds: nil))
                }
                let reply = await helper.ask(envelope(s, .configApply(key: form["key"] ?? "", value: form["value"] ?? "", confirmWithin: seconds)))
                return WebPages.html(reply.ok ? .ok : .badRequest, WebPages.applied(session: s, ok: reply.ok, lines: reply.lines.map(String.init), seconds: seconds))
            }
        }
        router.post("config/confirm") { request, context in
            try await signedIn(request, context, change: true) { s, _, _ in
                let reply = await helper.ask(envelope(s, .configConfirm))
                return WebPages.html(.ok, WebPages.applied(session: s, ok: reply.ok, lines: reply.lines.map(String.init), seconds: nil))
            }
        }
        return router
    }

    /// Reads ui.allow and ui.ban again through the helper every `seconds`, until the task is cancelled.
    func keepAccessListsFresh(every seconds: Int = 10) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(seconds))
            let reply = await helper.ask(HelperEnvelope(user: "-", readOnly: true, client: "-", request: .accessLists))
            guard reply.ok else { continue }
            var allow: [IPNetwork] = [], ban: [IPNetwork] = []
            for line in reply.lines {
                let f = line.split(separator: "\t")
                guard f.count == 2, let net = IPNetwork(String(f[1])) else { continue }
                if f[0] == "allow" { allow.append(net) } else if f[0] == "ban" { ban.append(net) }
            }
            access.replaceAllowed(allow)
            loginGuard.replaceBanned(ban)
        }
    }

    /// A connection closed on accept, told to the helper (UI_ALERT 4) at most once per address per 10 minutes.
    func refused(_ client: IPAddress, _ why: String) {
        guard loginGuard.shouldReport(client) else { return }
        let helper = self.helper
        Task { _ = await helper.ask(HelperEnvelope(user: "-", readOnly: true, client: client.description, request: .accessRefused(why))) }
    }

    private func envelope(_ s: SessionStore.Session, _ request: HelperRequest) -> HelperEnvelope {
        HelperEnvelope(user: s.user, readOnly: s.readOnly, client: s.client, request: request)
    }

    // MARK: signing in

    private func loginPage(message: String?, status: HTTPResponse.Status) -> Response {
        // Login CSRF: the form's token must come back with the cookie set here (a forged form has neither).
        let token = Secrets.token()
        return WebPages.html(status, WebPages.login(csrf: token, message: message),
                             headers: [.setCookie: "\(Self.loginCookie)=\(token); Path=/login; Max-Age=900; Secure; HttpOnly; SameSite=Strict"])
    }

    private func login(_ request: Request, _ context: UIContext) async throws -> Response {
        guard let client = context.client else { return WebPages.plain(.forbidden, "no client address") }
        let form = try await Self.form(request, context)
        guard let token = form["csrf"], let cookie = request.cookies[Self.loginCookie]?.value, Secrets.equal(token, cookie) else {
            return loginPage(message: "The sign-in form expired; try again.", status: .forbidden)
        }
        let user = String((form["user"] ?? "").prefix(64)), password = String((form["password"] ?? "").prefix(1024))
        let accounts = self.accounts
        let account = try await NIOThreadPool.singleton.runIfActive { accounts.verify(user: user, password: password) }
        guard let account else {
            let (reached, remaining) = loginGuard.failed(client)
            let name = UIAccounts.validName(user) ? user : "?"
            _ = await helper.ask(HelperEnvelope(user: name, readOnly: false, client: client.description, request: .loginFailed))
            if reached {
                _ = await helper.ask(HelperEnvelope(user: name, readOnly: false, client: client.description, request: .blockClient(client.description)))
                return WebPages.plain(.forbidden, "Access denied: too many failed sign-ins")
            }
            return loginPage(message: "Invalid account or password" + (showRemaining ? " (\(remaining) attempts left)" : ""), status: .unauthorized)
        }
        loginGuard.succeeded(client)
        let (id, session) = sessions.create(user: user, readOnly: account.readOnly, client: client.description)
        _ = await helper.ask(envelope(session, .login))
        var headers = HTTPFields()
        headers[values: .setCookie] = [SessionStore.setCookie(id, maxAge: 86400),
                                       "\(Self.loginCookie)=; Path=/login; Max-Age=0; Secure; HttpOnly; SameSite=Strict"]
        return WebPages.redirect("/", headers: headers)
    }

    // MARK: sessions and forms

    private func session(_ request: Request, _ context: UIContext) -> SessionStore.Session? {
        guard let client = context.client, let id = request.cookies[SessionStore.cookie]?.value else { return nil }
        return sessions.find(id, client: client.description)
    }

    /// A page to show: signed in, or sent to the sign-in page.
    private func page(_ request: Request, _ context: UIContext, _ body: (SessionStore.Session) async throws -> Response) async throws -> Response {
        guard let s = session(request, context) else { return WebPages.redirect("/login") }
        return try await body(s)
    }

    /// A form posted: signed in, with this session's CSRF token, and (when it changes something) not read-only.
    /// `change` nil lets the handler decide (the quick page's search reads only).
    private func signedIn(_ request: Request, _ context: UIContext, change: Bool?,
                          _ body: (SessionStore.Session, [String: String], Bool) async throws -> Response) async throws -> Response {
        guard let s = session(request, context) else {
            return WebPages.plain(.forbidden, "Your session has ended or is not valid from this address; sign in again.")
        }
        let form = try await Self.form(request, context)
        guard let token = form["csrf"], Secrets.equal(token, s.csrf) else {
            return WebPages.plain(.forbidden, "Refused: the form's CSRF token is missing or wrong.")
        }
        if change == true && s.readOnly { return WebPages.plain(.forbidden, "Refused: \(s.user) is a read-only account.") }
        return try await body(s, form, s.readOnly)
    }

    static func form(_ request: Request, _ context: UIContext) async throws -> [String: String] {
        var request = request
        let buffer = try await request.collectBody(upTo: 64 << 10)
        let text = String(buffer: buffer)
        guard !text.isEmpty else { return [:] }
        return (try? URLEncodedFormDecoder().decode([String: String].self, from: text)) ?? [:]
    }

    // MARK: actions

    private func quick(_ s: SessionStore.Session, _ form: [String: String]) async -> (ok: Bool, lines: [String]) {
        let ip = (form["ip"] ?? "").trimmingWhitespace(), comment = (form["comment"] ?? "").trimmingWhitespace()
        let request: HelperRequest
        switch form["action"] ?? "" {
        case "allow": request = .allow(ip, comment: comment)
        case "deny": request = .deny(ip, comment: comment)
        case "ignore": request = .ignore(ip, comment: comment)
        case "unblock": request = .unblock(ip)
        case "search": request = .search(ip)
        case "tempdeny":
            guard let n = Int(form["ttl"] ?? ""), n > 0, let unit = Int(form["unit"] ?? "1"), [1, 60, 3600, 86400].contains(unit),
                  n <= 3650 * 86400 / unit else { return (false, ["Invalid TTL"]) }
            request = .tempDeny(ip, ttl: n * unit, comment: comment)
        default: return (false, ["Unknown action"])
        }
        if request.changes && s.readOnly { return (false, ["Refused: \(s.user) is a read-only account."]) }
        let reply = await helper.ask(envelope(s, request))
        return (reply.ok, reply.lines.map(String.init))
    }

    private func temporaryPage(_ s: SessionStore.Session, result: (ok: Bool, lines: [String])?) async -> Response {
        let reply = await helper.ask(envelope(s, .temporary))
        guard reply.ok else { return WebPages.plain(.internalServerError, reply.text) }
        let rows = reply.text.isEmpty ? [] : reply.lines.map { $0.split(separator: "\t", maxSplits: 5, omittingEmptySubsequences: false).map(String.init) }
        return WebPages.html(.ok, WebPages.temporary(session: s, rows: rows, result: result))
    }
}
