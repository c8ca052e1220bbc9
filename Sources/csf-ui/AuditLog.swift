#if canImport(Glibc)
import Glibc
#endif
import CsfCompat

/// Every change made through the UI, who made it and from where: one line per request, appended (O_APPEND)
/// by the root helper to a root-only file the UI process cannot open.
struct AuditLog {
    static let defaultPath = "/var/log/csf-ui.audit.log"
    let path: String

    func write(_ e: HelperEnvelope, ok: Bool, note: String) {
        write(user: e.user, client: e.client, action: e.request.fields.map(AuditLog.field).joined(separator: " "),
              ok: ok, note: note)
    }

    func write(user: String, client: String, action: String, ok: Bool, note: String = "") {
        try? FileSystem.makeDirectories(FileSystem.dirname(path))
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let when = LocalTime.format(SystemTime.wallSeconds, LocalTime.syslog)
        var line = "\(when) user=\(AuditLog.field(user)) from=\(AuditLog.field(client)) \(ok ? "ok" : "refused"): \(action)"
        if !note.isEmpty { line += " (\(note.split(separator: "\n").joined(separator: "; ")))" }
        line += "\n"
        _ = line.withCString { Glibc.write(fd, $0, strlen($0)) }
    }

    /// A value as one token of the line: control characters escaped, quoted when it holds a space or a quote.
    static func field(_ text: String) -> String {
        let safe = shown(text, limit: 1100)
        guard safe.isEmpty || safe.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) else { return safe }
        return "\"" + safe.replacing("\"", with: "\\\"") + "\""
    }
}
