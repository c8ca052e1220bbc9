#if canImport(Glibc)
import Glibc
#endif
import CsfCompat

/// A signal lfd read from its signalfd, with the process that sent it: an admin asking who stopped the daemon
/// (a stray init script, a stale pid file used by some tool) finds the answer in lfd.log.
struct ReceivedSignal: Sendable, CustomStringConvertible {
    var number: Int32
    /// The sending process (0: the kernel, e.g. a terminal's SIGINT).
    var sender: Int32
    var uid: UInt32

    var name: String {
        switch number {
        case SIGTERM: return "SIGTERM"
        case SIGINT: return "SIGINT"
        case SIGHUP: return "SIGHUP"
        default: return "signal \(number)"
        }
    }

    /// "SIGTERM from PID:[123] UID:[0] (/usr/sbin/csf -x)"; the command line is read now, so a sender that has
    /// already exited is named by pid alone.
    var description: String {
        guard sender > 0 else { return name }
        let command = Self.shown(commandLine: (try? TextFile.read("/proc/\(sender)/cmdline")) ?? "")
        return "\(name) from PID:[\(sender)] UID:[\(uid)]" + (command.isEmpty ? "" : " (\(command))")
    }

    /// /proc's NUL-separated arguments as one line of at most 200 characters. Non-printable bytes are dropped:
    /// it is the sender's text, and it must not start a forged line in lfd.log.
    static func shown(commandLine raw: String) -> String {
        let words = raw.split(separator: "\0").map { $0.filter { (0x20..<0x7f).contains($0.asciiValue ?? 0) } }
        return String(words.filter { !$0.isEmpty }.joined(separator: " ").prefix(200))
    }
}
