/// A problem found in a config or list file, located as `file:line`.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible, Codable, Error {
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
