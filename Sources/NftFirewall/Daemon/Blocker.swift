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
        let action = b.seconds.map { "Temporary Block for \($0) seconds [\(b.trigger)]" } ?? "Permanent Block [\(b.trigger)]"
        switch b.trigger {
        case "PS_LIMIT":
            guard config.bool("PS_EMAIL_ALERT") else { return }
            return alerts?.send("portscan.txt", ["ip": "\(b.ip) (-)", "count": "\(b.hits)", "blocks": "\(b.interval)", "temp": action,
                                                 "text": b.lines.joined(separator: "\n")]) ?? ()
        case "CT_LIMIT", "CT_SUBNET_LIMIT":
            guard config.bool("CT_EMAIL_ALERT") else { return }
            return alerts?.send("connectiontracking.txt", ["ip": "\(b.network?.description ?? b.ip.description) (-)", "ipcount": "\(b.hits)",
                                                           "temp": action, "iptext": b.message]) ?? ()
        default:
            break
        }
        guard config.bool("LF_EMAIL_ALERT"), b.seconds == nil || config.bool("LF_TEMP_EMAIL_ALERT") else { return }
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
        let target = b.network?.description ?? b.ip.description
        do {
            if let seconds = b.seconds {
                let request = TempRequest(target: target, ttl: seconds, ports: ports,
                                          direction: direction, comment: "lfd - \(message)")
                let change = try commands.tempAdd(.deny, request)
                guard change.changed else { return log.write("debug: \(b.ip) already blocked") }
                let portText = ports.isEmpty ? "" : " port=\(ports.map(\.description).joined(separator: ","))"
                log.write("\(message) - *Blocked in csf*\(portText) for \(seconds) secs [\(b.trigger)]")
                report(target, ports: ports, perm: false, direction: direction, ttl: seconds, message: message,
                       lines: b.lines, trigger: b.trigger)
                alert(b)
                try escalate(b, message: message, perm: false)
            } else if ports.isEmpty {
                let change = try commands.deny(target, comment: "lfd: \(message)")
                guard change.changed else { return log.write("debug: \(b.ip) already blocked") }
                log.write("\(message) - *Blocked in csf* [\(b.trigger)]")
                report(target, ports: [], perm: true, direction: config.bool("LF_BLOCKINONLY") ? .in : .inout, ttl: 0,
                       message: message, lines: b.lines, trigger: b.trigger)
                alert(b)
                try escalate(b, message: message, perm: true)
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

    // MARK: LF_NETBLOCK / LF_PERMBLOCK

    var historyPath: String { commands.paths.lib("csf.tempip") }

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

    /// One `<ip>|<perm 0/1>|<epoch>|<message>` line of csf.tempip, as csf keeps them.
    struct HistoryLine {
        var target: String
        var perm: Bool
        var time: Int
        var message: Substring

        var text: String { "\(target)|\(perm ? 1 : 0)|\(time)|\(message)" }
    }

    /// csf.tempip without the lines older than either escalation window (csf prunes the same way on every block).
    func loadHistory(now: Int) -> [HistoryLine] {
        let keep = max(config.int("LF_PERMBLOCK_INTERVAL"), config.int("LF_NETBLOCK_INTERVAL"), 1)
        return ((try? TextFile.read(historyPath)) ?? "").split(separator: "\n").compactMap { line in
            let f = line.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false)
            guard f.count >= 3, let t = Int(f[2]), now - t < keep else { return nil }
            return HistoryLine(target: String(f[0]), perm: f[1] == "1", time: t, message: f.count > 3 ? f[3] : "")
        }
    }

    /// After a block: LF_NETBLOCK, then (for temporary blocks) LF_PERMBLOCK, then the block's own history line.
    /// csf.tempip is read once and rewritten once per block, so it stays small and a ban costs one file pass.
    private func escalate(_ b: FailureTracker.Block, message: String, perm: Bool) throws(CsfError) {
        let now = clock()
        let ip = b.ip.description
        var history = loadHistory(now: now)
        defer {
            try? FileSystem.writeAtomically(historyPath, history.map { $0.text + "\n" }.joined())
        }
        if let net = try escalateNetwork(b, history: &history, now: now) {
            history.append(HistoryLine(target: net.description, perm: true, time: now, message: Substring(net.message)))
            return
        }
        if !perm, let permMessage = try escalateAddress(b, history: history, now: now) {
            history.append(HistoryLine(target: ip, perm: true, time: now, message: Substring(permMessage)))
            return
        }
        history.append(HistoryLine(target: ip, perm: perm, time: now, message: Substring(message)))
    }

    /// LF_NETBLOCK: more than LF_NETBLOCK_COUNT blocks of different addresses of one network within
    /// LF_NETBLOCK_INTERVAL deny the whole network; the counted lines are used up, as csf does.
    private func escalateNetwork(_ b: FailureTracker.Block, history: inout [HistoryLine], now: Int)
        throws(CsfError) -> (description: String, message: String)? {
        guard config.bool("LF_NETBLOCK"), let net = netblock(b.ip) else { return nil }
        let window = max(config.int("LF_NETBLOCK_INTERVAL"), 1)
        let ip = b.ip.description
        func counts(_ h: HistoryLine) -> Bool {
            guard now - h.time < window, h.target != ip, let other = IPAddress(h.target) else { return false }
            return net.contains(other)
        }
        let counted = history.filter(counts)
        let limit = config.int("LF_NETBLOCK_COUNT")
        guard limit > 0, counted.count + 1 > limit else { return nil }
        let message = "(NETBLOCK) \(net) (-) has had more than \(limit) blocks in the last \(window) secs"
        if try commands.deny(net.description, comment: "lfd: \(message)").changed {
            log.write("\(message) - *Blocked in csf* [\(b.trigger)]")
            report(net.description, ports: [], perm: true, direction: .inout, ttl: 0, message: message, lines: [], trigger: "LF_NETBLOCK_COUNT")
            if config.bool("LF_NETBLOCK_ALERT") {
                alerts?.send("netblock.txt", ["block": net.description, "count": String(limit), "class": config["LF_NETBLOCK_CLASS"],
                                              "ips": (counted.map(\.target) + [ip]).joined(separator: "\n")])
            }
        }
        history.removeAll(where: counts)
        return (net.description, message)
    }

    /// LF_PERMBLOCK: the LF_PERMBLOCK_COUNT+1-th temporary block inside LF_PERMBLOCK_INTERVAL becomes permanent.
    private func escalateAddress(_ b: FailureTracker.Block, history: [HistoryLine], now: Int) throws(CsfError) -> String? {
        guard config.bool("LF_PERMBLOCK") else { return nil }
        let ip = b.ip.description
        let window = max(config.int("LF_PERMBLOCK_INTERVAL"), 1)
        let count = history.filter { $0.target == ip && !$0.perm && now - $0.time < window }.count + 1
        let limit = config.int("LF_PERMBLOCK_COUNT")
        guard limit > 0, count > limit else { return nil }
        let permMessage = "(PERMBLOCK) \(ip) (-) has had more than \(limit) temp blocks in the last \(window) secs"
        _ = try commands.tempRemove(ip, kinds: [.deny])
        if try commands.deny(ip, comment: "lfd: \(permMessage)").changed {
            log.write("\(permMessage) - *Blocked in csf* [\(b.trigger)]")
            report(ip, ports: [], perm: true, direction: .inout, ttl: 0, message: permMessage, lines: [], trigger: "LF_PERMBLOCK_COUNT")
            if config.bool("LF_PERMBLOCK_ALERT") {
                alerts?.send("permblock.txt", ["ip": "\(ip) (-)", "count": "\(count)", "blocks": "\(window)"])
            }
        }
        return permMessage
    }
}
