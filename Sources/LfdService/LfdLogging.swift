#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import Logging

/// lfd's own log through swift-log: every message goes to `/var/log/lfd.log` in csf's exact line format, and —
/// when lfd runs in the foreground (systemd, an admin's terminal) — to stderr with the sd-daemon priority
/// prefix, so `journalctl -u lfd` shows bans as notices and errors as errors.
public enum LfdLogging {
    public static func logger(paths: CsfPaths, toStandardError: Bool) -> Logger {
        let file = LfdLogFile(path: paths.lfdLog)
        return Logger(label: "lfd") { _ in
            var handlers: [any LogHandler] = [CsfLogFileHandler(file: file)]
            if toStandardError { handlers.append(StandardErrorHandler()) }
            return handlers.count == 1 ? handlers[0] : MultiplexLogHandler(handlers)
        }
    }
}

/// csf's lfd.log line: `Jan  5 09:05:03 host lfd[123]: message`.
public struct CsfLogFileHandler: LogHandler {
    public let file: LfdLogFile
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info

    public init(file: LfdLogFile) { self.file = file }

    public func log(event: LogEvent) {
        file.write(event.message.description)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
}

/// One line per message on stderr, prefixed `<N>` with the syslog priority (sd-daemon(3)): journald strips the
/// prefix and files the line at that priority; a terminal shows it as it is.
public struct StandardErrorHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info

    public init() {}

    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    public func log(event: LogEvent) {
        Output.err("<\(Self.priority(event.level))>\(event.message.description)")
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
}
