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
    public func send(_ template: String, _ values: [String: String], to: String? = nil, from: String? = nil) {
        guard let message = message(template, values, to: to, from: from) else { return }
        let from = AlertTemplate.header("From", of: message), to = AlertTemplate.header("To", of: message)
        let smtp = config["LF_ALERT_SMTP"].trimmingWhitespace()
        if !smtp.isEmpty {
            if let error = SmtpClient.send(server: smtp, from: from, to: to, message: message) {
                logger.error("*Error* alert via SMTP \(smtp) failed: \(error)")
            }
            return
        }
        let sendmail = config["SENDMAIL"].trimmingWhitespace()
        guard !sendmail.isEmpty, FileSystem.isExecutableFile(sendmail) else {
            logger.error("*Error* SENDMAIL (\(sendmail)) is not executable; alert not sent")
            return
        }
        if case .exited(0) = Subprocess.run([sendmail, "-f", from, "-t"], input: message + "\n", timeout: 10, quiet: true) {
            return
        }
        logger.error("*Error* alert via \(sendmail) failed")
    }
}

/// Just enough SMTP to hand one message to a local or relay server: EHLO, MAIL FROM, RCPT TO, DATA, QUIT.
enum SmtpClient {
    /// nil on success, else what went wrong. `server` is `host` or `host:port` (default 25).
    static func send(server: String, from: String, to: String, message: String, timeout: Int32 = 5000) -> String? {
        var host = server, port = "25"
        if let colon = server.lastIndex(of: ":"), !server.contains("]") || server.hasPrefix("[") {
            host = String(server[..<colon].filter { $0 != "[" && $0 != "]" })
            port = String(server[server.index(after: colon)...])
        }
        let fd: Int32
        switch TcpConnection.open(host: host, port: port, timeoutMilliseconds: timeout) {
        case .success(let opened): fd = opened
        case .failure(let reason): return reason.description
        }
        defer { close(fd) }
        var pending: [UInt8] = []
        func reply() -> Int? {
            while true {
                // Bytes, not Characters: "\r\n" is one Character in Swift and would never match "\n".
                if let nl = pending.firstIndex(of: ASCII.lineFeed) {
                    let line = Array(pending[..<nl])
                    pending.removeSubrange(...nl)
                    // Multi-line replies have a '-' after the code; the last line has a space.
                    if line.count >= 4, line[3] == 45 { continue }
                    return Int(String(decoding: line.prefix(3), as: UTF8.self))
                }
                var buf = [UInt8](repeating: 0, count: 1024)
                let n = recv(fd, &buf, buf.count, 0)
                if n <= 0 { return nil }
                pending += buf[0..<n]
            }
        }
        func say(_ text: String) -> Bool {
            let bytes = Array((text + "\r\n").utf8)
            return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
        }
        func address(_ a: String) -> String { a.contains("@") ? a : "\(a)@\(LfdLogFile.shortHostname())" }
        guard reply() == 220 else { return "no greeting" }
        guard say("EHLO \(LfdLogFile.shortHostname())"), reply() == 250 else { return "EHLO refused" }
        guard say("MAIL FROM:<\(address(from))>"), reply() == 250 else { return "MAIL FROM refused" }
        guard say("RCPT TO:<\(address(to))>"), let rcpt = reply(), rcpt == 250 || rcpt == 251 else { return "RCPT TO refused" }
        guard say("DATA"), reply() == 354 else { return "DATA refused" }
        // Dot-stuffing: a line starting with '.' gets another; lines end in CRLF.
        let body = message.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") ? "." + $0 : String($0) }.joined(separator: "\r\n")
        guard say(body + "\r\n."), reply() == 250 else { return "message refused" }
        _ = say("QUIT")
        return nil
    }
}

/// A TCP connection with send and receive timeouts, for lfd's small clients (SMTP alerts, the Apache status page).
enum TcpConnection {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func open(host: String, port: String, timeoutMilliseconds timeout: Int32) -> Result<Int32, Failure> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, port, &hints, &res) == 0, let ai = res else { return .failure(Failure(description: "cannot resolve \(host)")) }
        defer { freeaddrinfo(res) }
        let fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), ai.pointee.ai_protocol)
        guard fd >= 0 else { return .failure(Failure(description: "socket: \(String(cString: strerror(errno)))")) }
        var tv = timeval(tv_sec: Int(timeout / 1000), tv_usec: Int(timeout % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            return .failure(Failure(description: "connect: \(reason)"))
        }
        return .success(fd)
    }
}
