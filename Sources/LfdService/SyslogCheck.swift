#if canImport(Glibc)
import Glibc
#endif
import CSys
import CsfCompat

/// SYSLOG_CHECK (reference §6.9): every SYSLOG_CHECK seconds lfd sends `SYSLOG check [CODE]` to syslog (ident lfd,
/// facility user) and expects to read it back in SYSLOG_LOG — a file, or the journal where that is where syslog
/// lines end up — before the next round; a code not seen by then is reported. Without a working syslog most of
/// lfd's checks see nothing, silently.
struct SyslogCheck {
    private(set) var code: String?
    private var next = 0.0
    /// Where syslog listens (tests: a socket of their own, never the host's).
    var socketPath = "/dev/log"

    enum Step: Equatable {
        case sent(String)
        case missed(String)
    }

    /// Called every tick.
    mutating func tick(every seconds: Int, now: Double) -> Step? {
        guard seconds > 0 else {
            code = nil
            return nil
        }
        if next == 0 { next = now + Double(seconds) }
        guard now >= next else { return nil }
        next = now + Double(seconds)
        if let missed = code {
            code = nil
            return .missed(missed)
        }
        let fresh = Self.makeCode()
        code = fresh
        Self.send("SYSLOG check [\(fresh)]", socketPath: socketPath)
        return .sent(fresh)
    }

    /// A line read from SYSLOG_LOG; true when it is the check line (the log scanner leaves it out, as csf).
    @discardableResult
    mutating func saw(_ line: String) -> Bool {
        guard let code, line.contains("lfd["), line.contains("SYSLOG check [\(code)]") else { return false }
        self.code = nil
        return true
    }

    /// 15 to 29 letters and digits, as csf's.
    static func makeCode() -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return String((0..<Int.random(in: 15...29)).map { _ in alphabet.randomElement() ?? "x" })
    }

    /// One datagram to the syslog socket, as syslog(3) writes it: `<14>` is facility user, severity info.
    static func send(_ message: String, socketPath: String) {
        UnixDatagram.send(Array("<14>\(LocalTime.format(SystemTime.wallSeconds, LocalTime.syslog)) lfd[\(getpid())]: \(message)".utf8),
                          to: socketPath)
    }
}
