#if canImport(Glibc)
import Glibc
#endif

/// Just enough SMTP to hand one message to a local or relay server: EHLO, MAIL FROM, RCPT TO, DATA, QUIT.
public enum SmtpClient {
    /// nil on success, else what went wrong. `server` is `host` or `host:port` (default 25).
    public static func send(server: String, from: String, to: String, message: String, timeout: Int32 = 5000) -> String? {
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
        // A To: of several addresses (LF_ALERT_TO "a,b", an X-ARF report with its abuse contact): one RCPT each.
        for recipient in to.split(separator: ",").map({ $0.trimmingWhitespace() }).filter({ !$0.isEmpty }) {
            guard say("RCPT TO:<\(address(recipient))>"), let rcpt = reply(), rcpt == 250 || rcpt == 251 else { return "RCPT TO refused" }
        }
        guard say("DATA"), reply() == 354 else { return "DATA refused" }
        // Dot-stuffing: a line starting with '.' gets another; lines end in CRLF.
        let body = message.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") ? "." + $0 : String($0) }.joined(separator: "\r\n")
        guard say(body + "\r\n."), reply() == 250 else { return "message refused" }
        _ = say("QUIT")
        return nil
    }
}
