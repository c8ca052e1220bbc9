import CsfCompat

/// Process tracking's decisions (reference §4.1.19, §6.9): given what /proc says about every process, which are
/// suspicious, which users run too many, which processes use too much, which sessions are fork bombs. Pure: the
/// caller reads /proc, logs, mails and kills. What was reported is remembered for LF_FLUSH seconds, as csf's
/// csf.temppids / csf.tempusers, but by pid and start time, so a reused pid is a new process.
public struct ProcessTracker: Sendable {
    public struct Settings: Sendable, Equatable {
        public var limit = 60
        public var skipHTTP = false
        public var deleted = false
        public var userProcesses = 10
        public var userMemoryMB = 512
        public var userRSSMB = 256
        public var userSeconds = 1800
        public var userKill = false
        public var userKillAlert = true
        public var forkBomb = 0
        public var sshdHung = false
        public var flush = 3600

        public init() {}

        public init(config: CsfConfig) {
            limit = config.int("PT_LIMIT")
            skipHTTP = config.bool("PT_SKIP_HTTP")
            deleted = config.bool("PT_DELETED")
            userProcesses = config.int("PT_USERPROC")
            userMemoryMB = config.int("PT_USERMEM")
            userRSSMB = config.int("PT_USERRSS")
            userSeconds = config.int("PT_USERTIME")
            userKill = config.bool("PT_USERKILL")
            userKillAlert = config.bool("PT_USERKILL_ALERT")
            forkBomb = config.int("PT_FORKBOMB")
            sshdHung = config.bool("PT_SSHDHUNG")
            flush = max(1, config.int("LF_FLUSH"))
        }

        /// PT_LIMIT = 0 turns process tracking off, fork bombs included, as in csf.
        public var enabled: Bool { limit > 0 }
        /// Whether any check needs the per-user totals.
        var checksUsers: Bool { userProcesses > 0 || userMemoryMB > 0 || userRSSMB > 0 || userSeconds > 0 }
    }

    public enum Finding: Sendable, Equatable {
        /// Older than PT_LIMIT with a connected socket, or running a deleted executable (PT_DELETED).
        case suspicious(ProcessFacts, sockets: [SocketFact])
        /// A user with more than PT_USERPROC processes.
        case excessive(user: String, processes: [ProcessFacts], kill: Bool)
        /// A process over PT_USERMEM, PT_USERRSS or PT_USERTIME (the last one crossed names it, as in csf).
        case resource(ProcessFacts, resource: String, level: String, kill: Bool, logLines: [String])
        /// A session with PT_FORKBOMB processes or more.
        case forkBomb(sid: Int32, processes: [ProcessFacts], trigger: ProcessFacts)
        /// `sshd: unknown [net]` / `[priv]` older than 60 s (PT_SSHDHUNG).
        case sshdHung(ProcessFacts)

        /// csf's lfd.log line.
        public var logLine: String {
            switch self {
            case .suspicious(let p, _):
                return "*Suspicious Process* PID:\(p.pid) PPID:\(p.ppid) User:\(p.user) Uptime:\(p.uptime) secs EXE:\(p.exe) CMD:\(p.command)"
            case .excessive(let user, let processes, let kill):
                return "*Excessive Processes* User:\(user) Kill:\(kill ? 1 : 0) Process Count:\(processes.count)"
            case .resource(_, _, _, _, let lines):
                return lines.joined(separator: "\n")
            case .forkBomb(let sid, _, let p):
                return "*PT_FORKBOMB* PID:\(p.pid) SID:\(sid) User:\(p.user) EXE:\(p.exe) CMD:\(p.command)"
            case .sshdHung(let p):
                return "*PT_SSHDHUNG* process pid:[\(p.pid)] cmd:[\(p.command)] Uptime:[\(p.uptime)], killed"
            }
        }
    }

    public var settings: Settings
    public var ignore: ProcessIgnore
    private var reportedProcesses: [ProcessIdentity: Int] = [:]
    private var reportedUsers: [String: Int] = [:]

    public init(settings: Settings = Settings(), ignore: ProcessIgnore = ProcessIgnore()) {
        self.settings = settings
        self.ignore = ignore
    }

    /// One look at every process. `sockets` is asked only for processes old enough to be suspicious.
    public mutating func review(_ processes: [ProcessFacts], sockets: (ProcessFacts) -> [SocketFact], now: Int) -> [Finding] {
        guard settings.enabled else { return [] }
        reportedProcesses = reportedProcesses.filter { now - $0.value < settings.flush }
        reportedUsers = reportedUsers.filter { now - $0.value < settings.flush }
        let byPid = Dictionary(processes.map { ($0.pid, $0) }, uniquingKeysWith: { a, _ in a })
        var findings: [Finding] = []
        var sessions: [Int32: [ProcessFacts]] = [:]
        var perUser: [String: [ProcessFacts]] = [:]
        for p in processes {
            guard passesIgnores(p, byPid: byPid) else { continue }
            if settings.sshdHung, Self.isHungSshd(p.command), p.uptime > 60 {
                findings.append(.sshdHung(p))
                continue
            }
            if settings.forkBomb > 0, p.sid > 1 { sessions[p.sid, default: []].append(p) }
            if p.uid == 0 || p.user == "root" { continue }
            if settings.skipHTTP, p.pid != p.pgrp, let leader = byPid[p.pgrp], Self.httpdExecutables.contains(leader.exe) { continue }
            if p.user != "nobody" && !p.isDeleted { perUser[p.user, default: []].append(p) }
            guard p.uptime > settings.limit else { continue }
            let held = sockets(p)
            let suspect = !held.isEmpty && !(settings.skipHTTP && held.contains { $0.localPort == 80 || $0.localPort == 443 })
            if suspect || p.isDeleted {
                reportedProcesses[p.identity] = now
                if p.isDeleted, let parent = byPid[p.ppid], parent.isDeleted { reportedProcesses[parent.identity] = now }
                findings.append(.suspicious(p, sockets: held))
            }
        }
        for (sid, members) in sessions.sorted(by: { $0.key < $1.key }) where members.count >= settings.forkBomb {
            findings.append(.forkBomb(sid: sid, processes: members, trigger: members[members.count - 1]))
        }
        findings += userFindings(perUser, now: now)
        return findings
    }

    /// The fork bomb check alone, for a session the process events flagged.
    public func forkBomb(session sid: Int32, _ members: [ProcessFacts]) -> Finding? {
        guard settings.enabled, settings.forkBomb > 0, sid > 1 else { return nil }
        let byPid = Dictionary(members.map { ($0.pid, $0) }, uniquingKeysWith: { a, _ in a })
        let counted = members.filter { $0.sid == sid && passesIgnores($0, byPid: byPid) }
        guard counted.count >= settings.forkBomb, let last = counted.last else { return nil }
        return .forkBomb(sid: sid, processes: counted, trigger: last)
    }

    /// csf's order: already reported, user ignores, kernel threads (no exe), deleted executables, exe and
    /// command ignores.
    private func passesIgnores(_ p: ProcessFacts, byPid: [Int32: ProcessFacts]) -> Bool {
        if reportedProcesses[p.identity] != nil { return false }
        if ignore.ignores(user: p.user) || p.exe.isEmpty { return false }
        if p.isDeleted {
            if !settings.deleted { return false }
            if let parent = byPid[p.ppid], parent.pid != p.pid, parent.isDeleted, reportedProcesses[parent.identity] != nil { return false }
        }
        return !ignore.ignores(exe: p.exe) && !ignore.ignores(command: p.command)
    }

    private mutating func userFindings(_ perUser: [String: [ProcessFacts]], now: Int) -> [Finding] {
        var findings: [Finding] = []
        let kill = settings.userKill
        if settings.userProcesses > 0 {
            for (user, processes) in perUser.sorted(by: { $0.key < $1.key })
            where reportedUsers[user] == nil && processes.count > settings.userProcesses {
                if !kill { reportedUsers[user] = now }
                findings.append(.excessive(user: user, processes: processes, kill: kill))
            }
        }
        for p in perUser.values.joined().sorted(by: { $0.pid < $1.pid }) {
            var resource = "", level = "", lines: [String] = []
            let head = "*User Processing* PID:\(p.pid) Kill:\(kill ? 1 : 0) User:\(p.user)"
            if settings.userMemoryMB > 0, p.vmSizeKB > settings.userMemoryMB * 1024 {
                (resource, level) = ("Virtual Memory Size", "\(p.vmSizeKB / 1024) > \(settings.userMemoryMB) (MB)")
                lines.append("\(head) VM:\(p.vmSizeKB / 1024)(MB) EXE:\(p.exe) CMD:\(p.command)")
            }
            if settings.userRSSMB > 0, p.vmRSSKB > settings.userRSSMB * 1024 {
                (resource, level) = ("RSS Memory Size", "\(p.vmRSSKB / 1024) > \(settings.userRSSMB) (MB)")
                lines.append("\(head) RSS:\(p.vmRSSKB / 1024)(MB) EXE:\(p.exe) CMD:\(p.command)")
            }
            if settings.userSeconds > 0, p.uptime > settings.userSeconds {
                (resource, level) = ("Process Time", "\(p.uptime) > \(settings.userSeconds) (seconds)")
                lines.append("\(head) Time:\(p.uptime) EXE:\(p.exe) CMD:\(p.command)")
            }
            guard !lines.isEmpty else { continue }
            if !kill { reportedProcesses[p.identity] = now }
            findings.append(.resource(p, resource: resource, level: level, kill: kill, logLines: lines))
        }
        return findings
    }

    /// csf's pattern meant `sshd: unknown [net]` or `[priv]`; its missing parentheses made it match any command
    /// line starting `sshd: unknown [net` or ending `priv]` (reference §8): this one says what it meant.
    static func isHungSshd(_ command: String) -> Bool {
        guard command.hasPrefix("sshd:") else { return false }
        let words = command.dropFirst("sshd:".count).split(whereSeparator: \.isWhitespace)
        return words.count == 2 && words[0] == "unknown" && (words[1] == "[net]" || words[1] == "[priv]")
    }

    /// PT_SKIP_HTTP: children of a web server. csf named cPanel's and RHEL's httpd; Debian's apache2 too.
    static let httpdExecutables: Set<String> = ["/usr/local/apache/bin/httpd", "/usr/local/bin/httpd", "/usr/bin/httpd",
                                                "/usr/sbin/httpd", "/usr/sbin/apache2"]
}
