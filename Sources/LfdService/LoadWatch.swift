#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import CsfFirewall
import LfdCore
import Logging

/// Load alerts (PT_LOAD, reference §4.1.19): every PT_LOAD seconds the 1, 5 or 15 minute load average
/// (PT_LOAD_AVG) against PT_LOAD_LEVEL; at or over it, csf's log line, PT_LOAD_ACTION and loadalert.txt with
/// the process tree, memory and connections (read from /proc, not by running ps, vmstat and netstat) and
/// Apache's server-status page; then quiet for PT_LOAD_SKIP seconds (the time is kept in csf.load, as csf does).
struct LoadWatch {
    let paths: CsfPaths
    var proc = "/proc"
    private var lastLook = 0.0

    init(paths: CsfPaths) { self.paths = paths }

    struct Alarm: Sendable {
        var averages: [String]
        var minutes: Int
        var reported: String
        var level: String
        var processes: String
    }

    /// Called every tick; an alarm when a look is due and the load is at or over the level.
    mutating func look(_ config: CsfConfig, now: Double) -> Alarm? {
        let every = config.int("PT_LOAD")
        guard every > 0, now - lastLook >= Double(every) else { return nil }
        lastLook = now
        if let text = try? TextFile.read(paths.lib("csf.load")), let start = Int(text.trimmingWhitespace()),
           SystemTime.wallSeconds - start < config.int("PT_LOAD_SKIP") { return nil }
        guard let text = try? TextFile.read(proc + "/loadavg") else { return nil }
        let fields = text.split(separator: " ").map(String.init)
        guard fields.count >= 4 else { return nil }
        let minutes = [1, 15].contains(config.int("PT_LOAD_AVG")) ? config.int("PT_LOAD_AVG") : 5
        let reported = fields[minutes == 1 ? 0 : minutes == 5 ? 1 : 2]
        guard let load = Double(reported), let level = Double(config["PT_LOAD_LEVEL"].trimmingWhitespace()), load >= level else { return nil }
        try? FileSystem.makeDirectories(paths.libDir)
        try? FileSystem.writeAtomically(paths.lib("csf.load"), "\(SystemTime.wallSeconds)\n", mode: 0o600)
        return Alarm(averages: Array(fields[0..<3]), minutes: minutes, reported: reported,
                     level: config["PT_LOAD_LEVEL"].trimmingWhitespace(), processes: fields[3])
    }

    /// csf's lfd.log line.
    static func logLine(_ alarm: Alarm) -> String {
        "*LOAD* \(alarm.minutes) minute load average is \(alarm.reported), threshold is \(alarm.level) - email sent"
    }

    /// loadalert.txt's values; reads /proc and fetches the status page (seconds at worst): run off the loop.
    static func values(_ alarm: Alarm, statusURL: String, proc: String = "/proc") -> [String: String] {
        var table = ProcessTable(proc: proc)
        let apache: String
        switch HttpGet.fetch(statusURL, timeout: 5) {
        case .success(let body): apache = body
        case .failure(let reason): apache = "Unable to retrieve Apache Server Status [\(statusURL)] - \(reason)"
        }
        return ["loadavg1": alarm.averages[0], "loadavg5": alarm.averages[1], "loadavg15": alarm.averages[2],
                "loadavg": "\(alarm.minutes)", "reportload": alarm.reported, "totprocs": alarm.processes,
                "processlist": processTree(table.all(), proc: proc), "vmstat": memory(proc: proc),
                "netstat": connections(proc: proc), "apache": apache, "boundary": "csf\(SystemTime.wallSeconds)"]
    }

    /// Like `ps axuf`: every process under its parent.
    static func processTree(_ processes: [ProcessFacts], proc: String) -> String {
        var children: [Int32: [ProcessFacts]] = [:]
        let pids = Set(processes.map(\.pid))
        var roots: [ProcessFacts] = []
        for p in processes {
            // ProcessFacts say "ppid = itself" for init's children, as csf does.
            if p.ppid != p.pid, pids.contains(p.ppid) { children[p.ppid, default: []].append(p) } else { roots.append(p) }
        }
        var lines = ["USER       PID     PPID      VSZ(kB)    RSS(kB)   SECS COMMAND"]
        func walk(_ p: ProcessFacts, depth: Int) {
            let indent = depth == 0 ? "" : String(repeating: "    ", count: depth - 1) + " \\_ "
            let command = p.command.isEmpty ? "[\(p.exe)]" : p.command
            lines.append(pad(p.user, 8) + " " + pad("\(p.pid)", 7) + " " + pad("\(p.ppid == p.pid ? 1 : p.ppid)", 7) + " "
                         + pad("\(p.vmSizeKB)", 10) + " " + pad("\(p.vmRSSKB)", 10) + " " + pad("\(p.uptime)", 6) + " " + indent + command)
            guard depth < 64 else { return }
            for c in (children[p.pid] ?? []).sorted(by: { $0.pid < $1.pid }) { walk(c, depth: depth + 1) }
        }
        for r in roots.sorted(by: { $0.pid < $1.pid }) { walk(r, depth: 0) }
        return lines.joined(separator: "\n")
    }

    /// What vmstat's first line tells: processes running and blocked, memory, swap.
    static func memory(proc: String) -> String {
        var info: [String: String] = [:]
        for line in LineScanner.lines((try? TextFile.read(proc + "/meminfo")) ?? "") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { info[String(parts[0])] = parts[1].trimmingWhitespace() }
        }
        var stat: [String: String] = [:]
        for line in LineScanner.lines((try? TextFile.read(proc + "/stat")) ?? "") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { stat[String(parts[0])] = String(parts[1]) }
        }
        return """
        Processes running: \(stat["procs_running"] ?? "-"), blocked: \(stat["procs_blocked"] ?? "-")
        Memory total: \(info["MemTotal"] ?? "-"), free: \(info["MemFree"] ?? "-"), available: \(info["MemAvailable"] ?? "-"), buffers: \(info["Buffers"] ?? "-"), cached: \(info["Cached"] ?? "-")
        Swap total: \(info["SwapTotal"] ?? "-"), free: \(info["SwapFree"] ?? "-")
        """
    }

    /// Like `netstat -autpn`: every TCP and UDP socket with its state and owner.
    static func connections(proc: String) -> String {
        let owners = ListeningPorts.socketOwners(proc: proc)
        let states = ["", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT",
                      "LAST_ACK", "LISTEN", "CLOSING"]
        var lines = ["Proto Local Address                 Foreign Address               State        PID/Program name"]
        for file in ["tcp", "tcp6", "udp", "udp6"] {
            for s in ProcNetSocket.parse((try? TextFile.read("\(proc)/net/\(file)")) ?? "") {
                let state = file.hasPrefix("tcp") && Int(s.state) < states.count ? states[Int(s.state)] : ""
                let owner = owners[s.inode].map { pid in
                    "\(pid)/" + ((try? TextFile.read("\(proc)/\(pid)/comm"))?.trimmingWhitespace() ?? "?")
                } ?? "-"
                lines.append(pad(file, 5) + " " + pad("\(s.local):\(s.localPort)", 29) + " " + pad("\(s.remote):\(s.remotePort)", 29)
                             + " " + pad(state, 12) + " " + owner)
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
}
