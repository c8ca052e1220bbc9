#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import Logging
import PostgresNIO

/// The node side of the fleet, run by lfd (as `csf-fleet follow`): it LISTENs on the decisions channel, applies
/// every new row it trusts through the same path as a local command, and records the last id it applied, in
/// `/var/lib/csf/csf.fleet` and in the database. After any disconnect (database down, node restarted) it catches
/// up from that id, so nothing is lost and nothing is applied twice. The local files and kernel stay the node's
/// truth: with the database away, the firewall and local commands keep working.
public final class FleetFollower: @unchecked Sendable {
    let endpoint: FleetEndpoint
    let members: FleetMembers
    let applier: FleetApplier
    let paths: CsfPaths
    let log: @Sendable (String) -> Void
    let logger: Logger
    /// Called when csf.ignore changed (lfd rereads it).
    let ignoreChanged: @Sendable () -> Void
    let version: String
    /// lfd's own blocks to share (CLUSTER_BLOCK).
    let shares: ShareQueue
    /// Rows fetched per query while catching up.
    static let batch = 10_000
    public let metrics: FleetMetrics

    public init(endpoint: FleetEndpoint, members: FleetMembers, applier: FleetApplier, paths: CsfPaths, version: String,
                shares: ShareQueue = ShareQueue(), logger: Logger, log: @escaping @Sendable (String) -> Void,
                ignoreChanged: @escaping @Sendable () -> Void) {
        self.shares = shares
        self.metrics = FleetMetrics(paths: paths)
        self.endpoint = endpoint
        self.members = members
        self.applier = applier
        self.paths = paths
        self.version = version
        self.logger = logger
        self.log = log
        self.ignoreChanged = ignoreChanged
    }

    var me: String { endpoint.database.nodeName }
    var statePath: String { paths.lib("csf.fleet") }

    /// The last id applied, from the node's own file (the database may be the one that is away).
    func lastApplied() -> Int64 {
        guard let text = try? TextFile.read(statePath), let id = Int64(text.trimmingWhitespace()), id >= 0 else { return 0 }
        return id
    }

    func record(_ id: Int64) {
        do { try FileSystem.writeAtomically(statePath, "\(id)\n", mode: 0o600, sync: false) } catch {
            log("*Error* Fleet: cannot record the last decision applied (\(error.description))")
        }
    }

    /// Runs until cancelled: connect, follow, and on any failure reconnect with a growing pause (1 s to 30 s).
    public func run() async {
        var pause = 1
        var wasDown = false
        while !Task.isCancelled {
            do {
                try await follow(onConnected: {
                    if wasDown { self.log("Fleet: connected to the fleet database again, catching up") }
                    wasDown = false
                    pause = 1
                })
            } catch is CancellationError {
                return
            } catch let busy as Busy {
                log("*WARNING* Fleet: csf's lock is held (\(busy.description)); trying again")
            } catch {
                if !wasDown { log("*Error* Fleet: \(describe(error)); local bans keep working, retrying") }
                wasDown = true
            }
            metrics.position(behind: 0, connected: false)
            metrics.write()
            try? await Task.sleep(for: .seconds(pause))
            pause = min(pause * 2, 30)
        }
    }

    func follow(onConnected: () -> Void) async throws {
        let connection = try await endpoint.connect(logger: logger)
        do {
            try await follow(connection, onConnected: onConnected)
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private func follow(_ connection: PostgresConnection, onConnected: () -> Void) async throws {
        let store = FleetStore(connection: connection, logger: logger)
        try await store.requireCurrentSchema()
        try await store.register(version: version)
        onConnected()
        try await connection.listen(on: FleetSchema.channel) { notifications in
            // Listening before the first catch-up: a row committed in between wakes the loop below.
            let first = try await catchUp(store, from: lastApplied())
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.heartbeats(store) }
                group.addTask { try await self.publishShares(store) }
                group.addTask {
                    var last = first
                    for try await _ in notifications { last = try await self.catchUp(store, from: last) }
                    throw FleetStore.SchemaProblem(description: "the database closed the notification channel")
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    /// Applies every row after `id`, in order, in batches; returns the new last id. Runs of permanent denies (the
    /// bulk of a catch-up) go to the kernel together; everything else one by one.
    func catchUp(_ store: FleetStore, from start: Int64) async throws -> Int64 {
        var id = start
        if id > 0, try await store.newestID() < id {
            log("*WARNING* Fleet: the database holds fewer decisions than this node applied (\(id)): it was replaced; following it from the start")
            id = 0
        }
        while true {
            let rows = try await store.decisions(after: id, for: me, limit: Self.batch)
            // `done`: the last row whose effect is in place; a busy lock stops here and the rest waits.
            var done = id
            var denies: [Decision] = []
            var runStart = 0
            do {
                for (i, row) in rows.enumerated() {
                    let d = accepted(row)
                    if let d, d.action == .deny {
                        if denies.isEmpty { runStart = i }
                        denies.append(d)
                        continue
                    }
                    if !denies.isEmpty {
                        try applyDenies(&denies)
                    }
                    done = i > 0 ? rows[i - 1].id : id
                    if let d { try await handle(d, store) }
                    done = row.id
                }
                if !denies.isEmpty { try applyDenies(&denies) }
                done = rows.last?.id ?? id
            } catch let busy as Busy {
                if !denies.isEmpty { done = runStart > 0 ? rows[runStart - 1].id : id }
                if done > id { record(done) }
                throw busy
            }
            if done > id {
                id = done
                record(id)
                try await store.heartbeat(applied: id)
            }
            if rows.count < Self.batch { return id }
        }
    }

    /// csf's lock stayed taken past its timeout (a long `csf -r`): the follower stops where it is and comes back.
    struct Busy: Error, CustomStringConvertible {
        let id: Int64
        let why: String
        var description: String { "decision \(id) waits: \(why)" }
    }

    /// The row as a decision this node will act on: not its own, from a trusted node, every field valid.
    func accepted(_ row: Decision) -> Decision? {
        guard row.origin != me else { return nil }
        metrics.count(.received)
        guard let d = trusted(row) else {
            metrics.count(.refused)
            return nil
        }
        return d
    }

    private func trusted(_ row: Decision) -> Decision? {
        if row.action.isPush, let why = members.pushRefusal(from: row.origin) {
            log("*WARNING* Fleet: configuration request \(row.id) from \(shown(row.origin)) refused: \(why)")
            return nil
        }
        // The master's pushes are taken whatever CLUSTER_RECVFROM says (csf's CLUSTER_MASTER rule).
        guard row.action.isPush || members.trusts(row.origin) else {
            log("*WARNING* Fleet: decision \(row.id) from \(shown(row.origin)) refused: not in CLUSTER_RECVFROM")
            return nil
        }
        do { return try row.validated() } catch {
            log("*WARNING* Fleet: decision \(row.id) from \(shown(row.origin)) refused: \(error.description)")
            return nil
        }
    }

    /// A run of denies in one batch; each logged as a single one would be (a long run in one summary line).
    func applyDenies(_ denies: inout [Decision]) throws(Busy) {
        guard !denies.isEmpty else { return }
        let outcomes = applier.denyMany(denies)
        if case .busy(let why) = outcomes.first, let first = denies.first { throw Busy(id: first.id, why: why) }
        var added = 0
        for (d, outcome) in zip(denies, outcomes) {
            metrics.tally(outcome)
            if case .applied = outcome { added += 1 }
            if denies.count <= 20 || !(outcome == .applied([])) { report(d, outcome) }
        }
        if denies.count > 20, let first = denies.first, let last = denies.last {
            log("Fleet: \(added) of \(denies.count) DENY decisions applied (\(first.id)-\(last.id))")
        }
        denies.removeAll()
    }

    func report(_ d: Decision, _ outcome: FleetApplier.Outcome) {
        switch outcome {
        case .applied: log("Fleet: \(d.localComment) - applied")
        case .unchanged(let why): log("Fleet: \(d.localComment) - no change: \(why)")
        case .refused(let why) where d.action.isPush:
            log("*WARNING* Fleet: Cluster member \(shown(d.origin)) said \(d.action.csfWord) - refused, nothing changed: \(why)")
        case .refused(let why): log("*WARNING* Fleet: \(d.localComment) - refused: \(why)")
        case .ignoreChanged:
            log("Fleet: \(d.localComment) - csf.ignore updated")
            ignoreChanged()
        case .busy: break
        case .pushed(let what):
            log("Fleet: Cluster member \(shown(d.origin)) said \(d.action.csfWord): \(what)")
            ignoreChanged()
        case .reply: break
        }
    }

    func handle(_ d: Decision, _ store: FleetStore) async throws {
        let outcome = applier.apply(d)
        if case .busy(let why) = outcome { throw Busy(id: d.id, why: why) }
        metrics.tally(outcome)
        guard case .reply(let text) = outcome else { return report(d, outcome) }
        if d.action == .ping { log("Cluster member \(shown(d.origin)) said PING!") }
        try await store.reply(to: d.id, text)
    }

    /// CLUSTER_BLOCK: lfd's blocks, written as this node's decisions (the other nodes apply them; this one skips
    /// its own rows). Looked at every 20 ms; a batch the database refused goes back to the queue.
    func publishShares(_ store: FleetStore) async throws {
        while true {
            let batch = shares.take()
            for (i, d) in batch.enumerated() {
                do {
                    let id = try await store.publish(d)
                    log("Cluster: \(d.action.csfWord) \(d.target) sent to the fleet (decision \(id))")
                } catch {
                    shares.putBack(Array(batch[i...]))
                    throw error
                }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func heartbeats(_ store: FleetStore) async throws {
        var pruned = 0
        while true {
            try await Task.sleep(for: .seconds(5))
            let applied = lastApplied()
            try await store.heartbeat(applied: applied)
            metrics.position(behind: try await store.newestID() - applied, connected: true)
            metrics.write()
            pruned += 5
            if pruned >= 3600 {
                pruned = 0
                // Members may lack the right; pruning is the owner's function and failing it is harmless.
                if let n = try? await store.prune(keepDays: 30), n > 0 { log("Fleet: pruned \(n) old decisions") }
            }
        }
    }

    func describe(_ error: any Error) -> String {
        FleetErrors.describe(error, endpoint: endpoint.database)
    }
}
