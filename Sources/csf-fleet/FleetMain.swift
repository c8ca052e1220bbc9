#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import CsfFirewall
import CsfFleet
import Logging

/// csf's cluster commands and lfd's fleet follower, apart from csf and lfd so that neither links SwiftNIO:
/// `csf -cd ...` and `csf --cluster ...` run this program with their arguments; lfd runs `csf-fleet follow`.
@main
struct FleetMain {
    static func main() async {
        var args = Array(CommandLine.arguments.dropFirst())
        let json = args.contains("--json")
        args.removeAll { $0 == "--json" }
        let paths = CsfPaths.fromEnvironment()
        let (config, diagnostics) = ConfigParser.load(paths.config)
        if diagnostics.contains(where: { $0.severity == .error }) {
            exit(fail(diagnostics.filter { $0.severity == .error }.map(\.description).joined(separator: "\n"), json: json))
        }
        let endpoint: FleetEndpoint
        do { endpoint = try FleetEndpoint.from(config, paths: paths) } catch { exit(fail("csf: \(error.description)", json: json)) }
        var logger = Logger(label: "csf-fleet")
        logger.logLevel = .critical
        let members = FleetMembers(config: config)
        let client = FleetClient(endpoint: endpoint, members: members, logger: logger)
        guard let first = args.first else { exit(fail(usage, json: json, code: 2)) }
        if first == "follow" {
            await follow(endpoint: endpoint, members: members, paths: paths, config: config, logger: logger)
            exit(0)
        }
        if first == "--cluster" {
            exit(await cluster(Array(args.dropFirst()), client: client, json: json))
        }
        guard let command = ClusterVerb.spellings[first.lowercased()] else { exit(fail(usage, json: json, code: 2)) }
        if [.config, .file, .restart].contains(command), !members.acceptsConfig {
            exit(fail("No configuration setting requests allowed (CLUSTER_CONFIG is off)", json: json))
        }
        exit(await send(command, Array(args.dropFirst()), client: client, json: json))
    }

    static let usage = """
        csf-fleet: csf's cluster commands on the fleet database (CLUSTER_DB)
          csf -cd|-ca|-ci IP [reason]     csf -ctd|-cta IP TTL [-p ports] [-d in|out|inout] [reason]
          csf -cr|-car|-cir|-cg IP        csf -cp
          csf -cc KEY VALUE | -cf FILE | -crs   (the master's push; CLUSTER_CONFIG = 1)
          csf --cluster init|status [--json]
        """

    static func fail(_ message: String, json: Bool, code: Int32 = 1) -> Int32 {
        if json { print("{\"ok\": false, \"error\": \(JSONText.quote(message))}") } else { Output.err(message) }
        return code
    }

    // MARK: -cd and friends

    static func send(_ command: ClusterVerb, _ words: [String], client: FleetClient, json: Bool) async -> Int32 {
        let decision: Decision
        do { decision = try command.decision(words, now: SystemTime.wallSeconds, readFile: { try? TextFile.read($0) }) } catch {
            return fail(error.message, json: json, code: 2)
        }
        do {
            let (id, deliveries) = try await client.send(decision, wait: .seconds(waitSeconds()))
            if json {
                let nodes = deliveries.map { d in
                    "{\"node\": \(JSONText.quote(d.node)), \"applied\": \(d.applied), \"reply\": \(d.reply.map(JSONText.quote) ?? "null"), \"behind\": \(d.behind)}"
                }
                print("{\"ok\": true, \"decision\": \(id), \"nodes\": [\(nodes.joined(separator: ", "))]}")
                return 0
            }
            print("csf: \(decision.action.csfWord) \(decision.target) sent to the fleet (decision \(id))".replacingDoubleSpace())
            if decision.action.isPush { print("csf: nodes apply it only from CLUSTER_MASTER and with CLUSTER_CONFIG = 1; see each node's lfd.log") }
            for d in deliveries { print(line(for: d, command: command)) }
            if deliveries.isEmpty { print("csf: no other node has joined the fleet yet; each will apply it when it does") }
            return 0
        } catch {
            return fail("csf: Cluster error: \(describe(error))", json: json)
        }
    }

    static func line(for d: FleetClient.Delivery, command: ClusterVerb) -> String {
        if let reply = d.reply {
            if command == .grep {
                let bar = String(repeating: "=", count: 80)
                return "Sent request to \(d.node), reply:\n\(bar)\n\(reply)\n\(bar)"
            }
            return "Sent request to \(d.node), reply: [\(reply)]"
        }
        if d.applied && (command == .ping || command == .grep) {
            return "Sent request to \(d.node): no answer (\(d.node) does not take requests from this node)"
        }
        if d.applied { return "Sent request to \(d.node), reply: [Received]" }
        return "Sent request to \(d.node): not applied yet (last seen \(d.lastSeenAgo)s ago, \(d.behind) decision(s) behind); it applies it when it catches up"
    }

    /// How long a command waits for the nodes' answers (csf waited up to 5 s per member).
    static func waitSeconds() -> Int {
        Environment.value("NFTCSF_FLEET_WAIT").flatMap(Int.init).map { max(0, min($0, 60)) } ?? 2
    }

    // MARK: --cluster

    static func cluster(_ words: [String], client: FleetClient, json: Bool) async -> Int32 {
        do {
            switch words {
            case ["init"]:
                let migrated = try await client.initialise()
                if json { print("{\"ok\": true, \"changed\": \(migrated)}") } else {
                    print(migrated ? "csf: the fleet database is ready" : "csf: the fleet database is already up to date")
                }
                return 0
            case ["status"], []:
                let s = try await client.status()
                if json {
                    let nodes = s.nodes.map { n in
                        "{\"name\": \(JSONText.quote(n.name)), \"last_seen_ago\": \(max(0, s.now - n.lastSeen)), \"last_applied\": \(n.lastApplied), "
                            + "\"behind\": \(max(0, s.newest - n.lastApplied)), \"lag_seconds\": \(n.lagSeconds), "
                            + "\"version\": \(JSONText.quote(n.version))}"
                    }
                    print("{\"ok\": true, \"newest\": \(s.newest), \"nodes\": [\(nodes.joined(separator: ", "))]}")
                } else {
                    print("Fleet: newest decision \(s.newest), \(s.nodes.count) node(s)")
                    for n in s.nodes {
                        let behind = max(0, s.newest - n.lastApplied)
                        let lag = n.lagSeconds > 0 ? ", oldest unapplied \(n.lagSeconds)s old" : ""
                        print("  \(n.name): last seen \(max(0, s.now - n.lastSeen))s ago, applied \(n.lastApplied) (\(behind) behind\(lag)), nftcsf \(n.version)")
                    }
                }
                return 0
            default:
                return fail("csf: --cluster takes init or status", json: json, code: 2)
            }
        } catch {
            return fail("csf: Cluster error: \(describe(error))", json: json)
        }
    }

    static func describe(_ error: any Error) -> String {
        FleetErrors.describe(error)
    }

    // MARK: follow

    static func follow(endpoint: FleetEndpoint, members: FleetMembers, paths: CsfPaths, config: CsfConfig, logger: Logger) async {
        let logFile = LfdLogFile(path: paths.lfdLog)
        let parent = Environment.value("LFD_PID").flatMap(Int32.init)
        let shares = ShareQueue()
        // Run by lfd: its blocks arrive on stdin, and end of file means lfd is gone.
        if parent != nil { LineReader.start(fd: 0, onLine: { if let d = ShareQueue.parse($0, now: SystemTime.wallSeconds) { shares.add(d) } },
                                            onEnd: { exit(0) }) }
        // NFTCSF_FLEET_LOCK_TIMEOUT: a test hook (the wait for csf's lock before a decision is tried again later).
        let lockTimeout = Environment.value("NFTCSF_FLEET_LOCK_TIMEOUT").flatMap(Double.init) ?? 10
        let applier = FleetApplier(paths: paths, lockTimeout: lockTimeout)
        let follower = FleetFollower(endpoint: endpoint, members: members, applier: applier, paths: paths,
                                     version: NftcsfVersion.string, shares: shares, logger: logger, log: { logFile.write($0) },
                                     ignoreChanged: { if let parent { kill(parent, SIGHUP) } })
        await follower.run()
    }
}

extension String {
    fileprivate func replacingDoubleSpace() -> String {
        var out = ""
        for ch in self where !(ch == " " && out.last == " ") { out.append(ch) }
        return out
    }
}
