/// Carries out lfd's blocks in-process (reference §6.7): straight into the kernel over netlink and into
/// csf.deny / csf.tempban through the same code as `csf -d` / `csf -td`, under the lock csf shares, with
/// csf's lfd.log lines. LF_PERMBLOCK turns an address's repeated temporary blocks into a permanent one.
public struct Blocker {
    public let commands: ListCommands
    public let log: LfdLog
    public let alerts: Alerts?
    let clock: @Sendable () -> Int

    public init(commands: ListCommands, log: LfdLog, alerts: Alerts? = nil, clock: @escaping @Sendable () -> Int = { Clock.wallSeconds }) {
        self.commands = commands
        self.log = log
        self.alerts = alerts
        self.clock = clock
    }

    /// alert.txt after a block (LF_EMAIL_ALERT; temporary blocks also need LF_TEMP_EMAIL_ALERT).
    private func alert(_ b: FailureTracker.Block) {
        guard config.bool("LF_EMAIL_ALERT"), b.seconds == nil || config.bool("LF_TEMP_EMAIL_ALERT") else { return }
        let action = b.seconds.map { "Temporary Block for \($0) seconds [\(b.trigger)]" } ?? "Permanent Block [\(b.trigger)]"
        alerts?.send("alert.txt", ["ip": "\(b.ip) (-)", "ipcount": "\(b.hits) (\(b.apps.joined(separator: ",")))",
                                   "iptick": "\(b.interval)", "block": action, "text": b.lines.joined(separator: "\n")])
    }

    var config: CsfConfig { commands.config }

    /// LF_SELECT: block only the ports of the service that failed (PORTS_<app>), inbound; not with LF_TRIGGER.
    func ports(for b: FailureTracker.Block) -> [TempEntry.Port] {
        if let custom = b.ports { return (try? TempEntry.parsePorts(custom)) ?? [] }
        guard config.bool("LF_SELECT"), b.trigger != "LF_TRIGGER", b.apps.count == 1 else { return [] }
        return (try? TempEntry.parsePorts(config["PORTS_\(b.apps[0])"].filter { !$0.isWhitespace })) ?? []
    }

    public func block(_ b: FailureTracker.Block) {
        let message = b.message
        let ports = ports(for: b)
        // Whole-address temporary blocks are in and outbound as in csf, inbound only with LF_BLOCKINONLY.
        let direction: TempEntry.Direction = ports.isEmpty && !config.bool("LF_BLOCKINONLY") ? .inout : .in
        do {
            if let seconds = b.seconds {
                let request = TempRequest(target: b.ip.description, ttl: seconds, ports: ports,
                                          direction: direction, comment: "lfd - \(message)")
                let change = try commands.tempAdd(.deny, request)
                guard change.changed else { return log.write("debug: \(b.ip) already blocked") }
                let portText = ports.isEmpty ? "" : " port=\(ports.map(\.description).joined(separator: ","))"
                log.write("\(message) - *Blocked in csf*\(portText) for \(seconds) secs [\(b.trigger)]")
                report(b.ip.description, ports: ports, perm: false, direction: direction, ttl: seconds, message: message,
                       lines: b.lines, trigger: b.trigger)
                alert(b)
                try escalate(b, message: message)
            } else if ports.isEmpty {
                let change = try commands.deny(b.ip.description, comment: "lfd: \(message)")
                guard change.changed else { return log.write("debug: \(b.ip) already blocked") }
                log.write("\(message) - *Blocked in csf* [\(b.trigger)]")
                report(b.ip.description, ports: [], perm: true, direction: config.bool("LF_BLOCKINONLY") ? .in : .inout, ttl: 0,
                       message: message, lines: b.lines, trigger: b.trigger)
                alert(b)
                if try !escalateNetwork(b) { recordHistory(b.ip.description, perm: true, message: message) }
            } else {
                for p in ports {
                    let filter = "\(p.proto.rawValue)|in|d=\(p.port)|s=\(b.ip)"
                    if try commands.deny(filter, comment: "lfd: \(message)").changed {
                        log.write("\(message) - *Blocked in csf* port=\(p.port) [\(b.trigger)]")
                        report(b.ip.description, ports: [p], perm: true, direction: .in, ttl: 0, message: message,
                               lines: b.lines, trigger: b.trigger)
                    }
                }
            }
        } catch {
            log.write("\(message) - *Block failed* [\(b.trigger)]: \(error.description)")
        }
    }

    // MARK: BLOCK_REPORT / UNBLOCK_REPORT

    /// BLOCK_REPORT with csf's eight arguments, detached and killed after 10 seconds (reference §6.10).
    func report(_ ip: String, ports: [TempEntry.Port], perm: Bool, direction: TempEntry.Direction, ttl: Int,
                message: String, lines: [String], trigger: String) {
        Self.runReport(config["BLOCK_REPORT"], [ip, ports.isEmpty ? "*" : ports.map(\.description).joined(separator: ","),
                                                perm ? "1" : "0", direction.rawValue, String(ttl), message,
                                                lines.isEmpty ? " " : lines.joined(separator: "\n"), trigger])
    }

    public static func runReport(_ script: String, _ arguments: [String]) {
        let path = script.trimmingWhitespace()
        guard !path.isEmpty, FileSystem.isExecutableFile(path) else { return }
        _ = Subprocess.spawnDetached(["/usr/bin/timeout", "-s", "KILL", "10", path] + arguments)
    }

    // MARK: LF_PERMBLOCK

    var historyPath: String { commands.paths.lib("csf.tempip") }

    /// `<ip>|<perm 0/1>|<epoch>|<message>` lines, as csf keeps them.
    func recordHistory(_ ip: String, perm: Bool, message: String) {
        try? FileSystem.appendLine(historyPath, "\(ip)|\(perm ? 1 : 0)|\(clock())|\(message)")
    }

    /// LF_NETBLOCK's network for an address: class A/B/C for IPv4 (LF_NETBLOCK_CLASS), LF_NETBLOCK_IPV6's
    /// prefix for IPv6 (csf never masked IPv6 properly, so its IPv6 netblocks never fired: reference §8 #14).
    func netblock(_ ip: IPAddress) -> IPNetwork? {
        switch ip {
        case .v4:
            let prefix = ["A": 8, "B": 16, "C": 24][config["LF_NETBLOCK_CLASS"].uppercased()] ?? 24
            return IPNetwork(address: ip.masked(to: prefix), prefix: prefix)
        case .v6:
            guard let prefix = Int(config["LF_NETBLOCK_IPV6"].filter(\.isNumber)), prefix >= 16, prefix < 128 else { return nil }
            return IPNetwork(address: ip.masked(to: prefix), prefix: prefix)
        }
    }

    struct HistoryLine {
        var target: String
        var perm: Bool
        var time: Int
        var text: Substring
    }

    func history() -> [HistoryLine] {
        ((try? TextFile.read(historyPath)) ?? "").split(separator: "\n").compactMap { line in
            let f = line.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false)
            guard f.count >= 3, let t = Int(f[2]) else { return nil }
            return HistoryLine(target: String(f[0]), perm: f[1] == "1", time: t, text: line)
        }
    }

    /// LF_NETBLOCK: more than LF_NETBLOCK_COUNT blocks of different addresses of one network within
    /// LF_NETBLOCK_INTERVAL deny the whole network. Returns true when it did.
    private func escalateNetwork(_ b: FailureTracker.Block) throws(CsfError) -> Bool {
        guard config.bool("LF_NETBLOCK"), let net = netblock(b.ip) else { return false }
        let now = clock()
        let window = max(config.int("LF_NETBLOCK_INTERVAL"), 1)
        let ip = b.ip.description
        let counted = history().filter { h in
            guard now - h.time < window, h.target != ip, let other = IPAddress(h.target) else { return false }
            return net.contains(other)
        }
        let count = counted.count + 1
        let limit = config.int("LF_NETBLOCK_COUNT")
        guard limit > 0, count > limit else { return false }
        let message = "(NETBLOCK) \(net) (-) has had more than \(limit) blocks in the last \(window) secs"
        if try commands.deny(net.description, comment: "lfd: \(message)").changed {
            log.write("\(message) - *Blocked in csf* [\(b.trigger)]")
            report(net.description, ports: [], perm: true, direction: .inout, ttl: 0, message: message, lines: [], trigger: "LF_NETBLOCK_COUNT")
            if config.bool("LF_NETBLOCK_ALERT") {
                alerts?.send("netblock.txt", ["block": net.description, "count": String(limit), "class": config["LF_NETBLOCK_CLASS"],
                                              "ips": (counted.map(\.target) + [ip]).joined(separator: "\n")])
            }
        }
        // The counted records are used up, as csf does, so the next block of the network starts afresh.
        let used = Set(counted.map(\.text))
        let kept = history().filter { !used.contains($0.text) }.map { String($0.text) + "\n" }.joined()
        try? FileSystem.writeAtomically(historyPath, kept)
        recordHistory(net.description, perm: true, message: message)
        return true
    }

    /// The LF_PERMBLOCK_COUNT-th temporary block inside LF_PERMBLOCK_INTERVAL becomes permanent.
    private func escalate(_ b: FailureTracker.Block, message: String) throws(CsfError) {
        let ip = b.ip.description
        if try escalateNetwork(b) { return }
        guard config.bool("LF_PERMBLOCK") else { return recordHistory(ip, perm: false, message: message) }
        let now = clock()
        let window = max(config.int("LF_PERMBLOCK_INTERVAL"), 1)
        let earlier = ((try? TextFile.read(historyPath)) ?? "").split(separator: "\n").filter { line in
            let f = line.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false)
            guard f.count >= 3, f[0] == ip, f[1] == "0", let t = Int(f[2]) else { return false }
            return now - t < window
        }.count
        let count = earlier + 1
        let limit = config.int("LF_PERMBLOCK_COUNT")
        guard count > limit, limit > 0 else { return recordHistory(ip, perm: false, message: message) }
        let permMessage = "(PERMBLOCK) \(ip) (-) has had more than \(limit) temp blocks in the last \(window) secs"
        _ = try commands.tempRemove(ip, kinds: [.deny])
        if try commands.deny(ip, comment: "lfd: \(permMessage)").changed {
            log.write("\(permMessage) - *Blocked in csf* [\(b.trigger)]")
            report(ip, ports: [], perm: true, direction: .inout, ttl: 0, message: permMessage, lines: [], trigger: "LF_PERMBLOCK_COUNT")
            if config.bool("LF_PERMBLOCK_ALERT") {
                alerts?.send("permblock.txt", ["ip": "\(ip) (-)", "count": "\(count)", "blocks": "\(window)"])
            }
        }
        recordHistory(ip, perm: true, message: permMessage)
    }
}
