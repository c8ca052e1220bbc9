import CsfCompat
import LfdCore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// lfd's e-mail alerts (reference §6.12): a template from the template directory, filled by `AlertTemplate`,
/// delivered through the SENDMAIL binary (`-f FROM -t`) or straight to the SMTP server in LF_ALERT_SMTP.
/// Sending can take seconds (timeouts of 5 s per SMTP step, 10 s for sendmail): lfd calls it off its log loop.
public struct Alerts: Sendable {
    public let paths: CsfPaths
    public let config: CsfConfig
    let logger: Logger

    public init(paths: CsfPaths, config: CsfConfig, logger: Logger) {
        self.paths = paths
        self.config = config
        self.logger = logger
    }

    /// nftcsf's templates are conffiles under /etc/csf/tpl (an upgrade keeps an admin's changes); a csf
    /// installation's /usr/local/csf/tpl is read when /etc/csf/tpl lacks one.
    public var templateDirs: [String] { [paths.etc("tpl"), paths.path("/usr/local/csf/tpl")] }

    /// The filled message, or nil (logged) when the template is missing.
    public func message(_ template: String, _ values: [String: String], to: String? = nil, from: String? = nil) -> String? {
        guard let text = templateDirs.lazy.compactMap({ try? TextFile.read($0 + "/" + template) }).first else {
            logger.error("*Error* alert template \(template) is missing from \(templateDirs.joined(separator: " and ")); alert not sent")
            return nil
        }
        var vars = values
        vars["hostname"] = LfdLogFile.shortHostname()
        vars["time"] = LocalTime.format(SystemTime.wallSeconds, LocalTime.mail)
        return AlertTemplate.render(text, values: vars, to: to ?? config["LF_ALERT_TO"], from: from ?? config["LF_ALERT_FROM"])
    }

    /// `to`/`from` replace LF_ALERT_TO/LF_ALERT_FROM when given.
    /// True when the mail was handed over, false when that failed; nil when there was nothing to send.
    @discardableResult
    public func send(_ template: String, _ values: [String: String], to: String? = nil, from: String? = nil) -> Bool? {
        guard let message = message(template, values, to: to, from: from) else { return nil }
        let from = AlertTemplate.header("From", of: message), to = AlertTemplate.header("To", of: message)
        let smtp = config["LF_ALERT_SMTP"].trimmingWhitespace()
        if !smtp.isEmpty {
            if let error = SmtpClient.send(server: smtp, from: from, to: to, message: message) {
                logger.error("*Error* alert via SMTP \(smtp) failed: \(error)")
                return false
            }
            return true
        }
        let sendmail = config["SENDMAIL"].trimmingWhitespace()
        guard !sendmail.isEmpty, FileSystem.isExecutableFile(sendmail) else {
            logger.error("*Error* SENDMAIL (\(sendmail)) is not executable; alert not sent")
            return false
        }
        if case .exited(0) = Subprocess.run([sendmail, "-f", from, "-t"], input: message + "\n", timeout: 10, quiet: true) {
            return true
        }
        logger.error("*Error* alert via \(sendmail) failed")
        return false
    }
}
