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

    /// A line read from SYSLOG_LOG.
    mutating func saw(_ line: String) {
        guard let code, line.contains("lfd["), line.contains("SYSLOG check [\(code)]") else { return }
        self.code = nil
    }

    /// 15 to 29 letters and digits, as csf's.
    static func makeCode() -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return String((0..<Int.random(in: 15...29)).map { _ in alphabet.randomElement() ?? "x" })
    }

    /// One datagram to the syslog socket, as syslog(3) writes it: `<14>` is facility user, severity info.
    static func send(_ message: String, socketPath: String) {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.enumerated() { raw[i] = b }
        }
        let datagram = Array("<14>\(LocalTime.format(SystemTime.wallSeconds, LocalTime.syslog)) lfd[\(getpid())]: \(message)".utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                datagram.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
    }
}
