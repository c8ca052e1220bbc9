import CsfCompat
import CsfFirewall
import LfdCore
import Logging

/// What lfd hands to its notifier after a firewall change: alert mails and BLOCK_REPORT/UNBLOCK_REPORT runs,
/// which may take seconds and never hold up a block or the log loop.
public enum Notice: Sendable, Equatable {
    case alert(template: String, values: [String: String])
    case report(script: String, arguments: [String])
    /// A template to other addresses than LF_ALERT_TO/LF_ALERT_FROM (X-ARF reports: X_ARF_TO, X_ARF_FROM).
    /// `abuseOf`: also to the abuse contact of that address (X_ARF_ABUSE), looked up when the mail is sent.
    case mail(template: String, values: [String: String], to: String, from: String, abuseOf: IPAddress?)
}

/// Carries out lfd's blocks (reference §6.7) through the same code as `csf -d` / `csf -td` (files, csf's lock,
/// the kernel in one batch), with csf's lfd.log lines, then escalates (LF_NETBLOCK, LF_PERMBLOCK). Runs on lfd's
/// firewall worker: waiting for csf's lock never stalls log reading.
public struct Blocker {
    public enum Outcome: Sendable, Equatable {
        case blocked
        /// The address was blocked already (the kernel was brought in step with the file).
        case alreadyBlocked
        /// csf refuses the block for good (an address in csf.allow or csf.ignore, this host's own).
        case refused(String)
        /// The block did not land (csf's lock held, the kernel refusing): try again later.
        case failed(String)
    }

    public let commands: ListCommands
    let logger: Logger
    let escalation: Escalation
    /// csf's iplookup for lfd.log, csf.deny comments and alerts (CC_LOOKUPS).
    let lookup: IPLookup
    let notify: @Sendable (Notice) -> Void
    let clock: () -> Int

    public init(commands: ListCommands, logger: Logger, notify: @escaping @Sendable (Notice) -> Void,
                clock: @escaping () -> Int = { SystemTime.wallSeconds }) {
        self.commands = commands
        self.logger = logger
        self.escalation = Escalation(settings: .init(config: commands.config))
        self.lookup = IPLookup(config: commands.config, paths: commands.paths)
        self.notify = notify
        self.clock = clock
    }

    var config: CsfConfig { commands.config }
    var note: AddressNote { { [lookup] in lookup.note($0) } }
    var paths: CsfPaths { commands.paths }

    /// LF_SELECT: block only the ports of the service that failed (PORTS_<app>), inbound; not with LF_TRIGGER.
    /// Apache 404/403/401 hits always block the web ports only (PORTS_mod_security), as csf does.
    func ports(for b: FailureTracker.Block) -> [TempEntry.Port] {
        if let custom = b.ports { return (try? TempEntry.parsePorts(custom)) ?? [] }
        if FailureTracker.apacheHitCounters[b.trigger] != nil {
            return (try? TempEntry.parsePorts(config["PORTS_mod_security"].filter { !$0.isWhitespace })) ?? []
        }
        guard config.bool("LF_SELECT"), b.trigger != "LF_TRIGGER", b.apps.count == 1 else { return [] }
        return (try? TempEntry.parsePorts(config["PORTS_\(b.apps[0])"].filter { !$0.isWhitespace })) ?? []
    }

    public func block(_ b: FailureTracker.Block) -> Outcome {
        let message = b.message(note)
        let ports = ports(for: b)
        // Whole-address temporary blocks are in and outbound as in csf, inbound only with LF_BLOCKINONLY.
        let direction: TempEntry.Direction = ports.isEmpty && !config.bool("LF_BLOCKINONLY") ? .inout : .in
        let target = b.network?.description ?? b.ip.description
        do {
            if let seconds = b.seconds {
                let request = TempRequest(target: target, ttl: seconds, ports: ports, direction: direction, comment: "lfd - \(message)")
                guard try commands.tempAdd(.deny, request).changed else { return already(b) }
                let portText = ports.isEmpty ? "" : " port=\(ports.map(\.description).joined(separator: ","))"
                logger.notice("\(message) - *Blocked in csf*\(portText) for \(seconds) secs [\(b.trigger)]")
                report(target, ports: ports, perm: false, direction: direction, ttl: seconds, message: message, lines: b.lines, trigger: b.trigger)
            } else if ports.isEmpty {
                guard try commands.deny(target, comment: "lfd: \(message)").changed else { return already(b) }
                logger.notice("\(message) - *Blocked in csf* [\(b.trigger)]")
                report(target, ports: [], perm: true, direction: config.bool("LF_BLOCKINONLY") ? .in : .inout, ttl: 0,
                       message: message, lines: b.lines, trigger: b.trigger)
            } else {
                for p in ports {
                    let filter = "\(p.proto.rawValue)|in|d=\(p.port)|s=\(b.ip)"
                    if try commands.deny(filter, comment: "lfd: \(message)").changed {
                        logger.notice("\(message) - *Blocked in csf* port=\(p.port) [\(b.trigger)]")
                        report(b.ip.description, ports: [p], perm: true, direction: .in, ttl: 0, message: message,
                               lines: b.lines, trigger: b.trigger)
                    }
                }
                return .blocked
            }
        } catch {
            if case .refused(let why) = error {
                logger.warning("\(message) - *Block refused* [\(b.trigger)]: \(why)")
                return .refused(why)
            }
            logger.error("\(message) - *Block failed* [\(b.trigger)]: \(error.description); it will be retried")
            return .failed(error.description)
        }
        alert(b)
        xarf(b)
        // LT_SKIPPERMBLOCK: login-tracking blocks never count toward LF_PERMBLOCK.
        if !(LoginTracker.services[b.trigger] != nil && config.bool("LT_SKIPPERMBLOCK")) {
            escalate(b, message: message, perm: b.seconds == nil)
        }
        return .blocked
    }

    private func already(_ b: FailureTracker.Block) -> Outcome {
        logger.debug("debug: \(b.ip) already blocked")
        return .alreadyBlocked
    }

    /// alert.txt after a block (LF_EMAIL_ALERT; temporary blocks also need LF_TEMP_EMAIL_ALERT); port scans and
    /// connection tracking have templates of their own.
    private func alert(_ b: FailureTracker.Block) {
        let action = b.seconds.map { "Temporary Block for \($0) seconds [\(b.trigger)]" } ?? "Permanent Block [\(b.trigger)]"
        // Relay tracking mails relayalert.txt itself.
        if b.trigger.hasPrefix("RT_") { return }
        switch b.trigger {
        case "PS_LIMIT":
            guard config.bool("PS_EMAIL_ALERT") else { return }
            notify(.alert(template: "portscan.txt", values: ["ip": lookup.tip(b.ip), "count": "\(b.hits)", "blocks": "\(b.interval)",
                                                             "temp": action, "text": b.lines.joined(separator: "\n")]))
        case "LF_DISTFTP", "LF_DISTSMTP":
            // csf's own switches for these blocks instead of LF_EMAIL_ALERT.
            guard config.bool(b.trigger == "LF_DISTFTP" ? "LF_DISTFTP_ALERT" : "LF_DISTSMTP_ALERT") else { return }
            notify(loginFailureAlert(b, action: action, text: b.message(note)))
        case "LT_POP3D", "LT_IMAPD":
            guard config.bool("LT_EMAIL_ALERT") else { return }
            notify(.alert(template: "tracking.txt", values: ["ip": lookup.tip(b.ip), "app": b.apps.first ?? "", "logins": "\(b.hits)",
                                                             "account": b.account ?? "", "timeout": "\(b.interval)",
                                                             "flush": "\(b.seconds ?? 0) secs", "rate": String(config.int(b.trigger))]))
        case "CT_LIMIT", "CT_SUBNET_LIMIT":
            guard config.bool("CT_EMAIL_ALERT") else { return }
            notify(.alert(template: "connectiontracking.txt", values: ["ip": "\(b.network?.description ?? b.ip.description) \(lookup.note(b.ip))",
                                                                       "ipcount": "\(b.hits)", "temp": action, "iptext": b.message(note)]))
        default:
            guard config.bool("LF_EMAIL_ALERT"), b.seconds == nil || config.bool("LF_TEMP_EMAIL_ALERT") else { return }
            notify(loginFailureAlert(b, action: action, text: b.lines.joined(separator: "\n")))
        }
    }

    /// X_ARF: an abuse report in the X-ARF format (x-arf.txt) for login-failure, port-scan and connection
    /// blocks, to X_ARF_TO (else LF_ALERT_TO) from X_ARF_FROM, and with X_ARF_ABUSE (and X_ARF_FROM, as csf) to the
    /// address's abuse contact too. The MIME boundary is random: a log line cannot close the report's part and
    /// forge another.
    private func xarf(_ b: FailureTracker.Block) {
        guard config.bool("X_ARF"), LoginTracker.services[b.trigger] == nil, !b.trigger.hasPrefix("RT_") else { return }
        let to = config["X_ARF_TO"].trimmingWhitespace(), from = config["X_ARF_FROM"].trimmingWhitespace()
        let host = LfdLogFile.shortHostname()
        let boundary = FileDigest.hex((0..<12).map { _ in UInt8.random(in: 0...255) })
        let service: String
        switch b.trigger {
        case "PS_LIMIT": service = "portscan"
        case "CT_LIMIT", "CT_SUBNET_LIMIT": service = "connection-tracking"
        default: service = b.apps.joined(separator: ",")
        }
        let values = ["ip": b.ip.description, "tip": lookup.tip(b.ip), "iptype": b.ip.family == .v4 ? "ipv4" : "ipv6",
                      "ipcount": "\(b.hits) (\(service))", "iptick": "\(b.interval)", "service": service,
                      "csfversion": NftcsfVersion.string, "reportedfrom": from.isEmpty ? "root@\(host)" : from,
                      "reportedid": "\(boundary)@\(host)", "boundary": boundary,
                      "text": b.lines.map { shown($0, limit: 4000) }.joined(separator: "\n"),
                      "RFC3339": LocalTime.format(SystemTime.wallSeconds, "%Y-%m-%dT%H:%M:%S%z"), "abuseip": ""]
        let abuse = config.bool("X_ARF_ABUSE") && !from.isEmpty ? b.ip : nil
        notify(.mail(template: "x-arf.txt", values: values, to: to.isEmpty ? config["LF_ALERT_TO"] : to,
                     from: from.isEmpty ? config["LF_ALERT_FROM"] : from, abuseOf: abuse))
    }

    /// csf's alert.txt for a block.
    func loginFailureAlert(_ b: FailureTracker.Block, action: String, text: String) -> Notice {
        .alert(template: "alert.txt", values: ["ip": lookup.tip(b.ip), "ipcount": "\(b.hits) (\(b.apps.joined(separator: ",")))",
                                               "iptick": "\(b.interval)", "block": action, "text": text])
    }

    /// BLOCK_REPORT with csf's eight arguments (reference §6.10).
    func report(_ ip: String, ports: [TempEntry.Port], perm: Bool, direction: TempEntry.Direction, ttl: Int,
                message: String, lines: [String], trigger: String) {
        let script = config["BLOCK_REPORT"].trimmingWhitespace()
        guard !script.isEmpty else { return }
        notify(.report(script: script, arguments: [ip, ports.isEmpty ? "*" : ports.map(\.description).joined(separator: ","),
                                                   perm ? "1" : "0", direction.rawValue, String(ttl), message,
                                                   lines.isEmpty ? " " : lines.joined(separator: "\n"), trigger]))
    }

    // MARK: LF_NETBLOCK / LF_PERMBLOCK

    /// After a block: the escalation it causes, carried out; csf.tempip is read once and rewritten once.
    private func escalate(_ b: FailureTracker.Block, message: String, perm: Bool) {
        let now = clock()
        var history = BlockHistory.load(paths, now: now, keep: escalation.settings.keep)
        let step = escalation.decide(ip: b.ip, perm: perm, message: message, history: &history, now: now, note: note)
        do {
            try history.write(paths)
            switch step {
            case .netblock(let net, let addresses, let text)?:
                guard try commands.deny(net.description, comment: "lfd: \(text)").changed else { return }
                logger.notice("\(text) - *Blocked in csf* [\(b.trigger)]")
                report(net.description, ports: [], perm: true, direction: .inout, ttl: 0, message: text, lines: [], trigger: "LF_NETBLOCK_COUNT")
                if config.bool("LF_NETBLOCK_ALERT") {
                    notify(.alert(template: "netblock.txt", values: ["block": net.description, "count": String(escalation.settings.netblockCount),
                                                                     "class": escalation.settings.netblockClass,
                                                                     "ips": addresses.joined(separator: "\n")]))
                }
            case .permblock(let ip, let count, let text)?:
                _ = try commands.tempRemove(ip.description, kinds: [.deny])
                guard try commands.deny(ip.description, comment: "lfd: \(text)").changed else { return }
                logger.notice("\(text) - *Blocked in csf* [\(b.trigger)]")
                report(ip.description, ports: [], perm: true, direction: .inout, ttl: 0, message: text, lines: [], trigger: "LF_PERMBLOCK_COUNT")
                if config.bool("LF_PERMBLOCK_ALERT") {
                    notify(.alert(template: "permblock.txt", values: ["ip": lookup.tip(ip), "count": "\(count)",
                                                                      "blocks": "\(escalation.settings.permblockInterval)"]))
                }
            case nil:
                break
            }
        } catch {
            logger.error("*Error* escalating the block of \(b.ip): \(error.description)")
        }
    }
}
