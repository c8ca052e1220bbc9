/// A problem found in a config or list file, located as `file:line`.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible, Codable {
    public enum Severity: String, Sendable, Codable { case error, warning }

    public var severity: Severity
    public var file: String
    public var line: Int
    public var message: String

    public init(_ severity: Severity, file: String, line: Int, _ message: String) {
        self.severity = severity
        self.file = file
        self.line = line
        self.message = message
    }

    public var location: String { line > 0 ? "\(file):\(line)" : file }
    public var description: String { "\(location): \(severity == .error ? "error" : "warning"): \(message)" }
}

/// Errors that stop a command; each carries what an admin needs to fix it.
public enum CsfError: Error, Sendable, CustomStringConvertible {
    case invalidInput([Diagnostic])
    case io(path: String, reason: String)
    case nft(operation: String, message: String)
    case refused(String)
    case script(name: String, reason: String)

    public var description: String {
        switch self {
        case .invalidInput(let diags):
            return diags.filter { $0.severity == .error }.map(\.description).joined(separator: "\n")
        case .io(let path, let reason): return "\(path): \(reason)"
        case .nft(let op, let message): return "nftables \(op) failed: \(message)"
        case .refused(let message): return message
        case .script(let name, let reason): return "\(name): \(reason)"
        }
    }
}
