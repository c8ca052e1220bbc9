#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import CsfFirewall
import Dispatch
import LfdService

/// The UI's only way to the firewall and to csf's root-only files: a root process started by csf-ui before it
/// gives up root, reading typed requests from its end of a socket pair (stdin). It runs each through the same
/// `ListCommands` csf's CLI uses (so the same validation, lock and messages), writes every change to the audit
/// log, and ends when the UI does.
struct PrivilegedHelper {
    let paths: CsfPaths
    let audit: AuditLog
    /// Counted once per file version: a dashboard with a 1M-line csf.deny does not recount it.
    let listSizes: ListSizes

    init(paths: CsfPaths) {
        self.paths = paths
        self.audit = AuditLog(path: paths.path(AuditLog.defaultPath))
        self.listSizes = ListSizes(paths: paths)
    }

    static func run(paths: CsfPaths) -> Int32 {
        let helper = PrivilegedHelper(paths: paths)
        var buffer = [UInt8](repeating: 0, count: HelperEnvelope.maxMessage + 1)
        while true {
            let n = recv(0, &buffer, buffer.count, 0)
            if n == 0 { return 0 }
            if n < 0 {
                if errno == EINTR { continue }
                return 1
            }
            let reply = helper.answer(Array(buffer[0..<n]))
            var bytes = reply.encoded
            if bytes.count > HelperClient.maxReply { bytes = Array(bytes.prefix(HelperClient.maxReply)) }
            guard send(0, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { return 1 }
        }
    }

    func answer(_ message: [UInt8]) -> HelperReply {
        guard let envelope = HelperEnvelope(decoding: message) else {
            audit.write(user: "?", client: "?", action: "malformed request (\(message.count) bytes)", ok: false)
            return HelperReply(ok: false, text: "malformed request")
        }
        let request = envelope.request
        if request.changes && envelope.readOnly {
            audit.write(envelope, ok: false, note: "refused: read-only account")
            return HelperReply(ok: false, text: "refused: \(envelope.user) is a read-only account")
        }
        let reply: HelperReply
        do throws(CsfError) {
            reply = try perform(request)
        } catch {
            reply = HelperReply(ok: false, text: error.description)
        }
        if request.changes || [.login, .logout, .loginFailed].contains(request) {
            let failed = request == .loginFailed
            audit.write(envelope, ok: reply.ok && !failed, note: failed ? "wrong account or password" : reply.ok ? "" : reply.text)
        }
        alert(envelope)
        return reply
    }

    private func commands() throws(CsfError) -> ListCommands { try ListCommands(paths: paths) }

    private func perform(_ request: HelperRequest) throws(CsfError) -> HelperReply {
        switch request {
        case .login, .logout, .loginFailed, .accessRefused:
            return HelperReply(ok: true, text: "")
        case .summary:
            return HelperReply(ok: true, text: DashboardFacts.gather(paths: paths, sizes: listSizes).encoded)
        case .allow(let t, let c):
            return done(try commands().allow(t, comment: c.isEmpty ? nil : c))
        case .deny(let t, let c):
            return done(try commands().deny(t, comment: c.isEmpty ? nil : c))
        case .tempDeny(let t, let ttl, let c):
            return done(try commands().tempAdd(.deny, TempRequest(target: t, ttl: ttl, comment: c.isEmpty ? nil : c)))
        case .ignore(let t, let c):
            let change = try commands().ignore(t, comment: c.isEmpty ? "added by csf-ui" : c)
            // lfd rereads csf.ignore on SIGHUP.
            if change.changed, let pid = LfdPidFile.running(paths) { kill(pid, SIGHUP) }
            return done(change)
        case .unblock(let t):
            let c = try commands()
            let permanent = try c.denyRemove(t), temporary = try c.tempRemove(t, kinds: [.deny])
            return HelperReply(ok: true, text: (permanent.messages + temporary.messages).joined(separator: "\n"))
        case .search(let t):
            let report = try commands().grep(t)
            return HelperReply(ok: true, text: report.lines.joined(separator: "\n"))
        case .temporary:
            let rows = try commands().tempEntries().map { e in
                [e.kind.rawValue, e.entry.target.description, String(e.remaining), e.entry.portsText,
                 e.entry.direction.rawValue, e.entry.comment].joined(separator: "\t")
            }
            return HelperReply(ok: true, text: rows.joined(separator: "\n"))
        case .tempRemove(let t):
            return done(try commands().tempRemove(t))
        case .listPage(let list, let query, let page):
            let path = list == .allow ? paths.allow : list == .deny ? paths.deny : paths.ignore
            return HelperReply(ok: true, text: ListPage.read(path, query: query, page: page).encoded)
        case .logTail(let n):
            return HelperReply(ok: true, text: LogTail.lines(paths.lfdLog, count: n).joined(separator: "\n"))
        case .blockClient(let ip):
            return try blockClient(ip)
        case .settings(let query):
            let (rows, total) = ConfigEdit(paths: paths).settings(matching: query)
            var lines = ["\(total)\t\(pendingConfirmation() ?? -1)"]
            lines += rows.map { "\($0.key)\t\($0.editable ? 1 : 0)\t\($0.value)" }
            return HelperReply(ok: true, text: lines.joined(separator: "\n"))
        case .configPreview(let key, let value):
            return HelperReply(ok: true, text: ConfigPreviewText.encode(try ConfigEdit(paths: paths).preview(key: key, value: value)))
        case .configApply(let key, let value, let seconds):
            let (preview, report) = try ConfigEdit(paths: paths).apply(key: key, value: value, confirmWithin: seconds, firewall: firewall())
            var lines = ["\(preview.after): firewall restarted (\(report.elements) list entries)",
                         "Confirm within \(seconds) seconds, or the previous csf.conf and ruleset come back."]
            lines += report.warnings.map(\.description)
            return HelperReply(ok: true, text: lines.joined(separator: "\n"))
        case .accessLists:
            let lines = ClientAccess.readList(paths.etc("ui/ui.allow")).map { "allow\t\($0)" }
                + ClientAccess.readList(paths.etc("ui/ui.ban")).map { "ban\t\($0)" }
            return HelperReply(ok: true, text: lines.joined(separator: "\n"))
        case .configConfirm:
            return HelperReply(ok: true, text: firewall().confirm() ? "csf: the new ruleset is kept" : "csf: nothing was waiting for confirmation")
        }
    }

    /// UI_ALERT, csf's levels: 1 bans and blocks, 2 and failed sign-ins, 3 and sign-ins, 4 and refused
    /// connections. Mail goes out on a queue of its own: a slow SMTP server never holds up the UI.
    private func alert(_ e: HelperEnvelope) {
        let (level, what): (Int, String)
        switch e.request {
        case .blockClient: (level, what) = (1, "UI: too many failed sign-ins; the address was banned from the UI and blocked")
        case .loginFailed: (level, what) = (2, "UI: failed sign-in for account \(e.user)")
        case .login: (level, what) = (3, "UI: sign-in by \(e.user)")
        case .accessRefused(let why): (level, what) = (4, "UI: connection refused: \(why)")
        default: return
        }
        let config = ConfigParser.load(paths.config).0
        guard config.int("UI_ALERT") >= level else { return }
        let alerts = Alerts(paths: paths, config: config, logger: LfdLogging.logger(paths: paths, toStandardError: false))
        let values = ["ip": e.client, "alert": level == 1 ? "block" : level == 2 ? "login failure" : level == 3 ? "login success" : "access", "text": what]
        Self.mail.async { alerts.send("uialert.txt", values) }
    }

    private static let mail = DispatchQueue(label: "csf-ui.alerts")

    /// The firewall as csf's CLI drives it; its lockout watchdog is csf's (`csf --watchdog`), installed beside us.
    private func firewall() -> Firewall {
        let csf = Subprocess.sibling("csf", of: Subprocess.currentExecutable, override: "NFTCSF_CSF")
        return Firewall(paths: paths, launch: { argv in Subprocess.spawnDetached([csf] + argv.dropFirst()) }, log: { _ in })
    }

    /// Seconds left before an unconfirmed change is rolled back, nil when none waits.
    private func pendingConfirmation() -> Int? {
        guard let state = Watchdog(paths: paths).state(.confirm) else { return nil }
        return max(0, state.deadline - SystemTime.wallSeconds)
    }

    private func done(_ change: ListChange) -> HelperReply {
        HelperReply(ok: true, text: change.messages.joined(separator: "\n"))
    }

    /// UI_RETRY reached: UI_BAN keeps the address out of the UI (ui.ban); UI_BLOCK blocks it in the firewall,
    /// 1 permanently and more than 1 for that many seconds (csf always blocked permanently, reference §8 #18).
    private func blockClient(_ ip: String) throws(CsfError) -> HelperReply {
        guard let address = IPAddress(Substring(ip)) else { throw .refused("csf-ui: not an address: \(ip)") }
        let config = ConfigParser.load(paths.config).0
        var messages: [String] = []
        if config.bool("UI_BAN") {
            _ = try FileSystem.appendLine(paths.etc("ui/ui.ban"), "\(address) # UI: \(config.int("UI_RETRY")) failed logins - \(LocalTime.format(SystemTime.wallSeconds, LocalTime.ctime))")
            messages.append("added \(address) to ui.ban")
        }
        let block = config.int("UI_BLOCK")
        let comment = "lfd: UI: Invalid login attempts from \(address)"
        if block == 1 {
            messages += try commands().deny(address.description, comment: comment).messages
        } else if block > 1 {
            messages += try commands().tempAdd(.deny, TempRequest(target: address.description, ttl: block, comment: comment)).messages
        }
        return HelperReply(ok: true, text: messages.joined(separator: "\n"))
    }
}
