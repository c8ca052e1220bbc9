#if canImport(Glibc)
import Glibc
#endif

/// /var/log/lfd.log in csf's exact line format: `Jan  5 09:05:03 host lfd[123]: message`, appended under an
/// exclusive flock so csf and lfd lines never interleave mid-line.
public struct LfdLogFile: Sendable {
    public let path: String
    /// `lfd`, or `csf` for the lines csf itself writes there (its lockout watchdog).
    public let program: String

    public init(path: String, program: String = "lfd") {
        self.path = path
        self.program = program
    }

    public static func line(_ message: String, at epoch: Int = SystemTime.wallSeconds, host: String = shortHostname(),
                            program: String = "lfd", pid: Int32 = getpid()) -> String {
        "\(LocalTime.format(epoch, LocalTime.syslog)) \(host) \(program)[\(pid)]: \(message)"
    }

    public func write(_ message: String) {
        try? FileSystem.makeDirectories(FileSystem.dirname(path))
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        flock(fd, LOCK_EX)
        let text = Self.line(message, program: program) + "\n"
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        flock(fd, LOCK_UN)
    }

    /// The text before the first dot of the kernel's host name, as csf uses.
    public static func shortHostname() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, buf.count - 1)
        let name = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(name.split(separator: ".").first ?? "localhost")
    }
}
