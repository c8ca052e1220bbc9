#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import CsfFirewall
import Hummingbird
import HummingbirdCore
import Logging
import NIOSSL
import ServiceLifecycle

/// Reads csf.conf as root, starts the root helper (UI = 1), gives up root for UI_RUNAS, then serves the
/// metrics endpoint (METRICS = 1) and the web UI (UI = 1) until SIGTERM.
enum UIService {
    struct Settings: Sendable {
        var account: String
        var metrics: (host: String, port: Int, socket: String)?
        var web: WebSettings?
    }

    enum Start { case exit(Int32), serve(Settings), messenger(MessengerService.Settings), helper(CsfPaths) }

    static let usage = "usage: csf-ui [--messenger | --passwd [--read-only NAME] [--verify]]   (settings come from csf.conf: UI, UI_*, METRICS*, MESSENGER_*)"

    static func prepare(arguments: [String]) -> Start {
        if arguments == ["--version"] || arguments == ["-v"] {
            Output.out("csf-ui: nftcsf \(NftcsfVersion.string)")
            return .exit(0)
        }
        let paths = CsfPaths.fromEnvironment()
        switch arguments.first {
        case nil, "--messenger": break
        case "--passwd": return .exit(PasswordCommand.run(arguments: Array(arguments.dropFirst()), paths: paths))
        case "--helper" where arguments.count == 1:
            // Only csf-ui starts it, as root, on a socket pair; run by hand it would just wait on a terminal.
            var type: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard geteuid() == 0, getsockopt(0, SOL_SOCKET, SO_TYPE, &type, &length) == 0, type == Int32(SOCK_SEQPACKET.rawValue) else {
                Output.err("csf-ui: --helper is started by csf-ui itself")
                return .exit(2)
            }
            return .helper(paths)
        default:
            Output.err(usage)
            return .exit(2)
        }
        guard arguments.count <= 1 else {
            Output.err(usage)
            return .exit(2)
        }
        let (config, diagnostics) = ConfigParser.load(paths.config)
        if let error = diagnostics.first(where: { $0.severity == .error }) {
            Output.err("csf-ui: \(error)")
            return .exit(1)
        }
        if arguments == ["--messenger"] {
            guard config.bool("MESSENGER") else {
                Output.err("csf-ui: MESSENGER is 0 in \(paths.config); nothing to serve")
                return .exit(1)
            }
            return MessengerService.prepare(paths: paths, config: config)
        }
        let account = config["UI_RUNAS"].trimmingWhitespace()
        var settings = Settings(account: account)
        if config.bool("METRICS") {
            let ip = config["METRICS_IP"].trimmingWhitespace()
            settings.metrics = (ip.isEmpty ? "127.0.0.1" : ip, config.int("METRICS_PORT"), paths.metricsSocket)
        }
        if config.bool("UI") {
            if config.int("RESTRICT_UI") == 2 {
                Output.err("csf-ui: UI = 1 but RESTRICT_UI = 2 disables the web UI")
            } else {
                switch WebSettings.load(config: config, paths: paths) {
                case .failure(let why):
                    Output.err("csf-ui: \(why)")
                    return .exit(1)
                case .success(let web):
                    settings.web = web
                }
            }
        }
        guard settings.metrics != nil || settings.web != nil else {
            Output.err("csf-ui: METRICS and UI are 0 in \(paths.config); nothing to serve")
            return .exit(1)
        }
        if let problem = Privileges.become(account) {
            Output.err("csf-ui: \(problem)")
            return .exit(1)
        }
        return .serve(settings)
    }

    static func serve(_ settings: Settings) async -> Int32 {
        var logger = Logger(label: "csf-ui")
        logger.logLevel = .notice
        var services: [any Service] = []
        if let m = settings.metrics {
            let source = MetricsSource(socketPath: m.socket)
            let account = settings.account
            services.append(Application(router: Routes.router(metrics: source),
                                        configuration: .init(address: .hostname(m.host, port: m.port), serverName: nil),
                                        onServerRunning: { _ in Output.out("csf-ui: serving /metrics on \(m.host):\(m.port) as \(account)") },
                                        logger: logger))
        }
        if let web = settings.web {
            do {
                services.append(try web.application(account: settings.account, logger: logger))
            } catch {
                Output.err("csf-ui: \(error)")
                return 1
            }
        }
        if let web = settings.web { services.append(AccessListRefresh(app: web.app)) }
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) },
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
            return 0
        } catch {
            Output.err("csf-ui: \(error)")
            return 1
        }
    }
}

/// ui.allow and ui.ban followed while the UI runs (csf read them at every connection).
struct AccessListRefresh: Service {
    let app: WebApp
    func run() async throws {
        try await cancelWhenGracefulShutdown { await app.keepAccessListsFresh() }
    }
}

/// The web UI's settings, read as root: accounts, TLS identity, ui.allow / ui.ban, the helper started.
struct WebSettings: Sendable {
    var host: String
    var port: Int
    var app: WebApp
    var certificate: UICertificate
    /// UI_CHILDREN: connections served at once; more wait in the listen queue.
    var children: Int
    /// UI_SSL_VERSION and UI_CIPHER, read against csf-ui's floor (TLS 1.2, forward-secret AEAD suites).
    var tls: UITLSPolicy

    static func load(config: CsfConfig, paths: CsfPaths) -> Result<WebSettings, StartProblem> {
        let accounts: UIAccounts
        switch UIAccounts.load(config: config, paths: paths) {
        case .failure(let why): return .failure(why)
        case .success(let a): accounts = a
        }
        for problem in ListChecks.uiLists(paths) { Output.err("csf-ui: \(problem)") }
        var allowed: [IPNetwork]?
        if config.bool("UI_ALLOW") {
            let list = ClientAccess.readList(paths.etc("ui/ui.allow"))
            guard !list.isEmpty else {
                return .failure(StartProblem("UI_ALLOW = 1 but \(paths.etc("ui/ui.allow")) lists no address: nobody could sign in"))
            }
            allowed = list
        }
        let certPath = config["UI_CERT"].trimmingWhitespace(), keyPath = config["UI_KEY"].trimmingWhitespace()
        let certificate: UICertificate
        do throws(CsfError) {
            certificate = try UICertificate.loadOrCreate(certPath: certPath.isEmpty ? paths.etc("ui/server.crt") : certPath,
                                                         keyPath: keyPath.isEmpty ? paths.etc("ui/server.key") : keyPath,
                                                         commonName: LfdLogFile.shortHostname())
        } catch {
            return .failure(StartProblem(error.description))
        }
        if certificate.generated {
            Output.out("csf-ui: generated a self-signed certificate, SHA-256 fingerprint \(certificate.fingerprint)")
        }
        let tls: UITLSPolicy
        do throws(UITLSPolicy.Problem) {
            tls = try UITLSPolicy(sslVersion: config["UI_SSL_VERSION"], cipher: config["UI_CIPHER"])
        } catch {
            return .failure(StartProblem("\(error)"))
        }
        let helper: HelperClient
        switch HelperClient.start() {
        case .failure(let why): return .failure(why)
        case .success(let h): helper = h
        }
        let own = config.bool("UI_BLOCK_PRIVATE_NET") ? Array(HostAddresses.current().addresses) : []
        let guardian = LoginGuard(retry: config.int("UI_RETRY"), banned: ClientAccess.readList(paths.etc("ui/ui.ban")))
        let app = WebApp(helper: helper, accounts: accounts, sessions: SessionStore(timeout: config.int("UI_TIMEOUT")),
                         loginGuard: guardian, access: ClientAccess(allowed: allowed, ownAddresses: own),
                         showRemaining: config.bool("UI_RETRY_SHOW_REMAINING"), logRefresh: max(2, config.int("UI_LOGS_REFRESH_TIME")),
                         logStartsPaused: config.bool("UI_LOGS_START_PAUSED"))
        let ip = config["UI_IP"].trimmingWhitespace()
        let host = !ip.isEmpty ? ip : TextFile.exists("/proc/net/if_inet6") ? "::" : "0.0.0.0"
        let port = config.int("UI_PORT")
        if browserRestrictedPorts.contains(port) {
            Output.err("csf-ui: warning: browsers refuse UI_PORT \(port) (ERR_UNSAFE_PORT in Chromium, also blocked by Firefox); csf's default 6666 is one of them: choose another, e.g. 6443")
        }
        return .success(WebSettings(host: host, port: port, app: app, certificate: certificate, children: max(1, config.int("UI_CHILDREN")),
                                    tls: tls))
    }

    /// Ports Chromium and Firefox never connect to (IRC, mail, ...): a UI there cannot be reached by a browser.
    static let browserRestrictedPorts: Set<Int> = [1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95,
        101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515,
        526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190,
        5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080]

    func application(account: String, logger: Logger) throws -> some Service {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(certificate.certificatePEM).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: certificate.keyPEM, format: .pem)))
        tls.minimumTLSVersion = self.tls.minimum == .tls13 ? .tlsv13 : .tlsv12
        tls.maximumTLSVersion = self.tls.maximum == .tls13 ? .tlsv13 : .tlsv12
        // Names BoringSSL knows (UITLSPolicy's floor), never the admin's text: a rule BoringSSL rejected would trap.
        tls.cipherSuites = self.tls.cipherSuites.joined(separator: ":")
        let context = try NIOSSLContext(configuration: tls)
        let (host, port, fingerprint, app) = (self.host, self.port, certificate.fingerprint, self.app)
        // A browser's idle keep-alive connection gives its UI_CHILDREN slot back after 15 s.
        let server = HTTPServerBuilder { responder in
            GatedTLSChannel(base: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: .seconds(15))), tls: context,
                            access: app.access, loginGuard: app.loginGuard, handshakeSeconds: 10, onRefused: app.refused)
        }
        return Application(router: app.router(), server: server,
                           configuration: .init(address: .hostname(host, port: port), serverName: nil,
                                                availableConnectionsDelegate: MaximumAvailableConnections(children)),
                           onServerRunning: { _ in
                               Output.out("csf-ui: serving the web UI on https://\(host.contains(":") ? "[\(host)]" : host):\(port)/ as \(account) (certificate SHA-256 \(fingerprint))")
                           },
                           logger: logger)
    }
}
