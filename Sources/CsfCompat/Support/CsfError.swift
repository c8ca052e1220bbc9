#if canImport(Glibc)
import Glibc
#endif

/// Errors that stop a command; each carries what an admin needs to fix it, and a code where the system gave one,
/// so callers decide on kinds of failure, never on message text.
public enum CsfError: Error, Sendable, CustomStringConvertible {
    case invalidInput([Diagnostic])
    /// A file could not be read or written; `errno` when the system said why.
    case io(path: String, reason: String, errno: Int32? = nil)
    /// nftables or the kernel refused an operation; `errno` when the kernel gave one.
    case kernel(operation: String, message: String, errno: Int32? = nil)
    /// csf's own refusals ("deny failed: ..."), worded for the admin.
    case refused(String)
    /// Another csf or lfd holds the lock.
    case locked(String)
    /// The NFTCSF_FORBID_NETNS tripwire: this network namespace must not be touched.
    case forbiddenNamespace(String)
    case script(name: String, reason: String)

    public var description: String {
        switch self {
        case .invalidInput(let diags):
            return diags.filter { $0.severity == .error }.map(\.description).joined(separator: "\n")
        case .io(let path, let reason, _): return "\(path): \(reason)"
        case .kernel(let op, let message, _): return "nftables \(op) failed: \(message)"
        case .refused(let message), .locked(let message), .forbiddenNamespace(let message): return message
        case .script(let name, let reason): return "\(name): \(reason)"
        }
    }

    /// An I/O error for `path` from an errno value (pass `errno` right after the failed call).
    public static func system(_ path: String, _ code: Int32) -> CsfError {
        .io(path: path, reason: String(cString: strerror(code)), errno: code)
    }
}
