#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import LfdCore

/// What lfd publishes about itself: /var/lib/csf/lfd.status for `lfd --status` / `csf --lfd status`, and
/// systemd's STATUS line, both renewed every LF_PARSE seconds.
struct StatusBoard {
    let started = SystemTime.wallSeconds
    var sources: [LfdStatus.Source] = []
    private(set) var recent: [LfdStatus.Ban] = []
    private var banTimes: [Int] = []

    mutating func banned(_ block: FailureTracker.Block, target: String, now: Int) {
        recent.insert(LfdStatus.Ban(time: now, target: target, trigger: block.trigger, seconds: block.seconds), at: 0)
        if recent.count > LfdStatus.recentBans { recent.removeLast(recent.count - LfdStatus.recentBans) }
        banTimes.append(now)
    }

    mutating func bansLastHour(now: Int) -> Int {
        banTimes.removeAll { $0 <= now - 3600 }
        return banTimes.count
    }

    static func sources(_ plan: LogSourcePlan) -> [LfdStatus.Source] {
        plan.entries.values.sorted { $0.key < $1.key }.map { entry in
            let reads: String
            switch entry.source {
            case .files(let paths): reads = paths.isEmpty ? entry.configured : paths.joined(separator: " ")
            case .journal(let spec): reads = spec
            }
            return LfdStatus.Source(key: entry.key, reads: reads, note: entry.note)
        }
    }
}

extension LfdDaemon {
    func publishStatus() {
        let now = SystemTime.wallSeconds
        let lastHour = board.bansLastHour(now: now)
        let status = LfdStatus(pid: getpid(), started: board.started, updated: now, sources: board.sources,
                               tracked: tracker.trackedAddresses, bansLastHour: lastHour, bans: board.recent)
        try? FileSystem.writeAtomically(LfdStatus.path(paths), status.text, mode: 0o644, sync: false)
        let files = tailer?.watchedPaths.count ?? 0
        SystemdNotify.send("STATUS=watching \(files) log file(s) and \(journals.count) journal source(s); \(lastHour) ban(s) in the last hour")
    }
}
