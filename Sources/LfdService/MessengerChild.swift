import CsfCompat
import Logging

/// MESSENGER: lfd keeps `csf-ui --messenger` running as its child, as csf's lfd ran its messenger servers. The
/// servers read their templates at start, so every reload (SIGHUP) starts them again.
final class MessengerChild {
    private let child: ChildProcess
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
        child = ChildProcess(label: "Messenger", logger: logger)
    }

    static func program(beside executable: String) -> String {
        Subprocess.sibling("csf-ui", of: executable, override: "NFTCSF_UI")
    }

    func configure(_ config: CsfConfig, now: Double) {
        child.stop()
        guard config.bool("MESSENGER"), ["MESSENGER_HTML_IN", "MESSENGER_TEXT_IN", "MESSENGER_HTTPS_IN"].contains(where: { !config.ports($0).isEmpty }) else { return }
        // The firewall leaves the messenger off too (csf --check says why): nothing would be redirected to it.
        let user = config["MESSENGER_USER"].trimmingWhitespace()
        guard let uid = Accounts.uid(named: user), uid != 0 else {
            logger.warning("*WARNING* MESSENGER: MESSENGER_USER '\(user)' is missing or root; the messenger is not started")
            return
        }
        if child.start([Self.program(beside: Subprocess.currentExecutable), "--messenger"], now: now) {
            logger.info("Messenger: serving blocked visitors as \(user)")
        }
    }

    func supervise(now: Double) { child.supervise(now: now) }

    func stop() { child.stop() }
}
