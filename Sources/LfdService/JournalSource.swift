import CsfCompat
import CsfFirewall
import LfdCore

#if canImport(Glibc)
import Glibc
#endif

/// A log key read from the systemd journal instead of a file: `SSHD_LOG = "journal:sshd.service"` (a unit),
/// `"journal:SYSLOG_IDENTIFIER=sshd"` (any journal field; several, comma-separated, are alternatives), with an
/// optional `@/path/file.journal` to read journal files instead of the system journal. `!FIELD=value[+FIELD=value]`
/// leaves out the entries that have all of them (vsftpd's pam_unix lines in the auth facilities, which the syslog
/// file FTPD_LOG stands for leaves out). Entries are turned back
/// into syslog-shaped lines (`Mon DD HH:MM:SS host ident[pid]: message`) so the same detectors apply.
///
/// libsystemd is loaded with dlopen when a journal source is configured, so csf and hosts without systemd
/// never need it.
public final class JournalSource {
    public let spec: String
    public let keys: [String]
    private let api: JournalAPI
    private var journal: OpaquePointer?
    private let excluded: [[(field: String, value: String)]]
    /// The alternatives an entry must have one of. Checked here, not with sd_journal_add_match: with matches,
    /// systemd 252's sd_journal_next skips entries appended in a burst while following (measured: 16 to 37 of 40
    /// entries logged at once were returned; all 40 without matches).
    /// Grouped by field, so an entry's field is read once however many values are wanted.
    private let wanted: [(field: String, values: Set<String>)]
    /// RESTRICT_SYSLOG: only entries whose writer (the journal's own `_UID`, which the writer cannot set) passes
    /// count; nil: every entry.
    public var trusted: (@Sendable (UInt32) -> Bool)?
    /// Entries left out by `trusted` since the caller last reset it.
    public var untrusted = 0

    public struct Spec: Sendable, Equatable {
        public var matches: [String]
        public var file: String?
        /// `FIELD=value[+FIELD=value]`: entries with all of one are skipped.
        public var excluded: [String] = []
    }

    /// Parses the part after `journal:`.
    public static func parse(_ value: String) -> Spec? {
        guard value.hasPrefix("journal:") else { return nil }
        var rest = String(value.dropFirst("journal:".count)).trimmingWhitespace()
        var file: String?
        if let at = rest.firstIndex(of: "@") {
            file = String(rest[rest.index(after: at)...])
            rest = String(rest[..<at])
        }
        let items = rest.split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
        let matches = items.filter { !$0.hasPrefix("!") }.map { $0.contains("=") ? $0 : "_SYSTEMD_UNIT=\($0)" }
        let excluded = items.filter { $0.hasPrefix("!") && $0.contains("=") }.map { String($0.dropFirst()) }
        return Spec(matches: matches, file: file, excluded: excluded)
    }

    public init(value: String, keys: [String]) throws(CsfError) {
        guard let parsed = Self.parse(value) else { throw .refused("'\(value)' is not a journal source") }
        guard let api = JournalAPI.load() else {
            throw .refused("\(value): libsystemd.so.0 is not available, so the journal cannot be read")
        }
        spec = value
        self.keys = keys
        self.api = api
        excluded = parsed.excluded.map { all in all.split(separator: "+").compactMap { Self.pair(Substring($0)) } }
        let pairs = parsed.matches.compactMap { Self.pair(Substring($0)) }
        wanted = Dictionary(grouping: pairs, by: \.field).map { ($0.key, Set($0.value.map(\.value))) }.sorted { $0.field < $1.field }
        var j: OpaquePointer?
        var rc: Int32
        if let file = parsed.file {
            rc = file.withCString { p in
                var paths: [UnsafePointer<CChar>?] = [p, nil]
                return api.openFiles(&j, &paths, 0)
            }
        } else {
            rc = api.open(&j, 1)   // SD_JOURNAL_LOCAL_ONLY
        }
        guard rc >= 0, let j else { throw .refused("\(value): cannot open the journal (\(String(cString: strerror(-rc))))") }
        journal = j
        // Start at the end, as with files: only entries written from now on count.
        _ = api.seekTail(j)
        _ = api.previous(j)
    }

    deinit {
        if let journal { api.close(journal) }
    }

    /// The descriptor to poll (the journal's inotify watch).
    public var fd: Int32 {
        guard let journal else { return -1 }
        return api.getFD(journal)
    }

    /// New entries as syslog-shaped lines.
    public func poll() -> [LogTailer.Line] {
        guard let j = journal else { return [] }
        _ = api.process(j)
        var out: [LogTailer.Line] = []
        while api.next(j) > 0 {
            if !wanted.isEmpty && !wanted.contains(where: { w in field(j, w.field).map(w.values.contains) == true }) { continue }
            if let trusted, !(field(j, "_UID").flatMap(UInt32.init).map(trusted) ?? false) {
                untrusted += 1
                continue
            }
            guard let message = field(j, "MESSAGE") else { continue }
            if excluded.contains(where: { all in all.allSatisfy { field(j, $0.field) == $0.value } }) { continue }
            let ident = field(j, "SYSLOG_IDENTIFIER") ?? field(j, "_COMM") ?? "unknown"
            let pid = field(j, "SYSLOG_PID") ?? field(j, "_PID")
            let host = field(j, "_HOSTNAME").map { String($0.split(separator: ".").first ?? "") } ?? LfdLogFile.shortHostname()
            var usec: UInt64 = 0
            _ = api.realtime(j, &usec)
            let stamp = Self.stamp(usec)
            let tag = pid.map { "\(ident)[\($0)]" } ?? ident
            out.append(LogTailer.Line(path: spec, keys: keys, text: "\(stamp) \(host) \(tag): \(message)"))
            if out.count >= 100_000 { break }
        }
        return out
    }

    private static func pair(_ text: Substring) -> (field: String, value: String)? {
        text.firstIndex(of: "=").map { (String(text[..<$0]), String(text[text.index(after: $0)...])) }
    }

    private func field(_ j: OpaquePointer, _ name: String) -> String? {
        var data: UnsafeRawPointer?
        var length = 0
        guard name.withCString({ api.getData(j, $0, &data, &length) }) >= 0, let data, length > name.utf8.count else { return nil }
        let bytes = UnsafeRawBufferPointer(start: data, count: length).dropFirst(name.utf8.count + 1)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func stamp(_ usec: UInt64) -> String {
        LocalTime.format(Int(usec / 1_000_000), LocalTime.syslog)
    }
}

/// The sd-journal functions lfd uses, resolved from libsystemd.so.0 at run time.
struct JournalAPI: @unchecked Sendable {
    typealias OpenFn = @convention(c) (UnsafeMutablePointer<OpaquePointer?>, Int32) -> Int32
    typealias OpenFilesFn = @convention(c) (UnsafeMutablePointer<OpaquePointer?>, UnsafeMutablePointer<UnsafePointer<CChar>?>, Int32) -> Int32
    typealias JournalFn = @convention(c) (OpaquePointer) -> Int32
    typealias CloseFn = @convention(c) (OpaquePointer) -> Void
    typealias GetDataFn = @convention(c) (OpaquePointer, UnsafePointer<CChar>, UnsafeMutablePointer<UnsafeRawPointer?>, UnsafeMutablePointer<Int>) -> Int32
    typealias RealtimeFn = @convention(c) (OpaquePointer, UnsafeMutablePointer<UInt64>) -> Int32

    let open: OpenFn
    let openFiles: OpenFilesFn
    let seekTail: JournalFn
    let previous: JournalFn
    let next: JournalFn
    let process: JournalFn
    let getFD: JournalFn
    let close: CloseFn
    let getData: GetDataFn
    let realtime: RealtimeFn

    static func load() -> JournalAPI? {
        guard case .success(let lib) = DynamicLibrary.open("libsystemd.so.0"),
              let open = lib.function("sd_journal_open", as: OpenFn.self),
              let openFiles = lib.function("sd_journal_open_files", as: OpenFilesFn.self),
              let seekTail = lib.function("sd_journal_seek_tail", as: JournalFn.self),
              let previous = lib.function("sd_journal_previous", as: JournalFn.self),
              let next = lib.function("sd_journal_next", as: JournalFn.self),
              let process = lib.function("sd_journal_process", as: JournalFn.self),
              let getFD = lib.function("sd_journal_get_fd", as: JournalFn.self),
              let close = lib.function("sd_journal_close", as: CloseFn.self),
              let getData = lib.function("sd_journal_get_data", as: GetDataFn.self),
              let realtime = lib.function("sd_journal_get_realtime_usec", as: RealtimeFn.self) else { return nil }
        return JournalAPI(open: open, openFiles: openFiles, seekTail: seekTail, previous: previous,
                          next: next, process: process, getFD: getFD, close: close, getData: getData, realtime: realtime)
    }
}
