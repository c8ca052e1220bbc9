#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import Hummingbird
import Logging

/// Reads csf.conf, gives up root for UI_RUNAS, then serves until SIGTERM.
enum UIService {
    struct Settings: Sendable {
        var host: String
        var port: Int
        var account: String
        var metricsSocket: String
    }

    enum Start { case exit(Int32), serve(Settings), messenger(MessengerService.Settings) }

    static func prepare(arguments: [String]) -> Start {
        if arguments == ["--version"] || arguments == ["-v"] {
            Output.out("csf-ui: nftcsf \(NftcsfVersion.string)")
            return .exit(0)
        }
        guard arguments.isEmpty || arguments == ["--messenger"] else {
            Output.err("usage: csf-ui [--messenger]   (settings come from csf.conf: METRICS, METRICS_IP, METRICS_PORT, UI_RUNAS; MESSENGER_*)")
            return .exit(2)
        }
        let paths = CsfPaths.fromEnvironment()
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
        guard config.bool("METRICS") else {
            Output.err("csf-ui: METRICS is 0 in \(paths.config); nothing to serve")
            return .exit(1)
        }
        let account = config["UI_RUNAS"].trimmingWhitespace()
        if let problem = Privileges.become(account) {
            Output.err("csf-ui: \(problem)")
            return .exit(1)
        }
        let ip = config["METRICS_IP"].trimmingWhitespace()
        return .serve(Settings(host: ip.isEmpty ? "127.0.0.1" : ip, port: config.int("METRICS_PORT"), account: account,
                               metricsSocket: paths.metricsSocket))
    }

    static func serve(_ settings: Settings) async -> Int32 {
        let (host, port, account) = (settings.host, settings.port, settings.account)
        var logger = Logger(label: "csf-ui")
        logger.logLevel = .notice
        let source = MetricsSource(socketPath: settings.metricsSocket)
        let app = Application(router: Routes.router(metrics: source),
                              configuration: .init(address: .hostname(host, port: port), serverName: nil),
                              onServerRunning: { _ in
                                  Output.out("csf-ui: serving /metrics on \(host):\(port) as \(account)")
                              },
                              logger: logger)
        do {
            try await app.runService()
            return 0
        } catch {
            Output.err("csf-ui: \(error)")
            return 1
        }
    }
}
