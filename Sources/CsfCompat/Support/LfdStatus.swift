/// What a running lfd says about itself, for `lfd --status` and `csf --lfd status`: the sources it reads,
/// how many addresses it tracks, its recent bans. lfd rewrites /var/lib/csf/lfd.status every LF_PARSE
/// seconds; one tab-separated record per line (paths and notes may hold spaces, never tabs or newlines).
public struct LfdStatus: Sendable, Equatable, Encodable {
    public struct Source: Sendable, Equatable, Encodable {
        public var key: String
        /// A file path or a `journal:` source.
        public var reads: String
        /// Why it is not what csf.conf names, or that nothing is there yet.
        public var note: String?

        public init(key: String, reads: String, note: String?) {
            self.key = key
            self.reads = reads
            self.note = note
        }
    }

    public struct Ban: Sendable, Equatable, Encodable {
        public var time: Int
        public var target: String
        public var trigger: String
        /// nil for a permanent block.
        public var seconds: Int?

        public init(time: Int, target: String, trigger: String, seconds: Int?) {
            self.time = time
            self.target = target
            self.trigger = trigger
            self.seconds = seconds
        }
    }

    public var pid: Int32
    public var started: Int
    public var updated: Int
    public var sources: [Source]
    public var tracked: Int
    public var bansLastHour: Int
    /// The most recent first, at most `LfdStatus.recentBans`.
    public var bans: [Ban]

    public static let recentBans = 20

    public init(pid: Int32, started: Int, updated: Int, sources: [Source] = [], tracked: Int = 0, bansLastHour: Int = 0, bans: [Ban] = []) {
        self.pid = pid
        self.started = started
        self.updated = updated
        self.sources = sources
        self.tracked = tracked
        self.bansLastHour = bansLastHour
        self.bans = bans
    }

    public static func path(_ paths: CsfPaths) -> String { paths.lib("lfd.status") }

    public var text: String {
        func clean(_ s: String) -> String { String(s.map { $0 == "\t" || $0 == "\n" || $0 == "\r" ? " " : $0 }) }
        var lines = ["pid\t\(pid)", "started\t\(started)", "updated\t\(updated)", "tracked\t\(tracked)", "bans_last_hour\t\(bansLastHour)"]
        lines += sources.map { "source\t\(clean($0.key))\t\(clean($0.reads))\t\(clean($0.note ?? ""))" }
        lines += bans.map { "ban\t\($0.time)\t\(clean($0.target))\t\(clean($0.trigger))\t\($0.seconds.map(String.init) ?? "perm")" }
        return lines.map { $0 + "\n" }.joined()
    }

    /// nil when the text is not a status file (or lacks its pid).
    public static func parse(_ text: String) -> LfdStatus? {
        var status = LfdStatus(pid: 0, started: 0, updated: 0)
        for line in LineScanner.lines(text) {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            switch (f.first ?? "", f.count) {
            case ("pid", 2): status.pid = Int32(f[1]) ?? 0
            case ("started", 2): status.started = Int(f[1]) ?? 0
            case ("updated", 2): status.updated = Int(f[1]) ?? 0
            case ("tracked", 2): status.tracked = Int(f[1]) ?? 0
            case ("bans_last_hour", 2): status.bansLastHour = Int(f[1]) ?? 0
            case ("source", 4): status.sources.append(Source(key: f[1], reads: f[2], note: f[3].isEmpty ? nil : f[3]))
            case ("ban", 5):
                guard let time = Int(f[1]) else { continue }
                status.bans.append(Ban(time: time, target: f[2], trigger: f[3], seconds: Int(f[4])))
            default: continue
            }
        }
        return status.pid > 0 ? status : nil
    }
}
