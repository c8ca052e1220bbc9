#if canImport(Glibc)
import Glibc
#endif

/// A line on stderr, written at once (no buffering between a message and the exit that follows it).
public enum Output {
    public static func err(_ line: String) {
        let text = line + "\n"
        _ = text.withCString { write(2, $0, strlen($0)) }
    }

    /// A line on stdout, written at once: a service's lines reach its log while it runs.
    public static func out(_ line: String) {
        let text = line + "\n"
        _ = text.withCString { write(1, $0, strlen($0)) }
    }
}
