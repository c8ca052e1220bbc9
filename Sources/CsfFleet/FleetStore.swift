import CsfCompat
import Logging
import PostgresNIO

/// The fleet's SQL, over one connection. Every value goes in as a bound parameter, never as text in the query.
public struct FleetStore: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    public struct SchemaProblem: Error, CustomStringConvertible {
        public let description: String
    }

    // MARK: schema

    func schemaVersion() async throws -> Int? {
        let exists = try await connection.query("SELECT to_regclass('nftcsf_schema') IS NOT NULL", logger: logger)
        for try await present in exists.decode(Bool.self) where !present { return nil }
        let rows = try await connection.query("SELECT max(version) FROM nftcsf_schema", logger: logger)
        for try await v in rows.decode(Int?.self) { return v ?? 0 }
        return 0
    }

    /// Brings the schema to the version this build knows, one step per transaction; false when it was current.
    @discardableResult
    public func migrate() async throws -> Bool {
        var migrated = false
        try await connection.query("CREATE TABLE IF NOT EXISTS nftcsf_schema (version integer NOT NULL)", logger: logger)
        while true {
            let done = try await connection.withTransaction(logger: logger) { conn in
                try await conn.query("SELECT pg_advisory_xact_lock(\(FleetSchema.migrationLock))", logger: logger)
                let have = try await FleetStore(connection: conn, logger: logger).schemaVersion() ?? 0
                if have > FleetSchema.current {
                    throw SchemaProblem(description: "the fleet database has schema \(have), newer than this csf knows (\(FleetSchema.current)): upgrade nftcsf")
                }
                guard have < FleetSchema.current else { return true }
                for statement in FleetSchema.steps[have] {
                    try await conn.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await conn.query("INSERT INTO nftcsf_schema (version) VALUES (\(have + 1))", logger: logger)
                return false
            }
            if done { return migrated }
            migrated = true
        }
    }

    /// A node follows only a database at the schema it knows; creating it takes `csf --cluster init`.
    func requireCurrentSchema() async throws {
        let have = try await schemaVersion()
        guard have == FleetSchema.current else {
            throw SchemaProblem(description: have == nil || have == 0
                ? "the fleet database has no nftcsf tables yet: run csf --cluster init"
                : "the fleet database has schema \(have ?? 0), this csf knows \(FleetSchema.current)")
        }
    }

    // MARK: decisions

    /// Writes one decision; the database stamps its id, origin and time. Returns the id.
    public func publish(_ d: Decision) async throws -> Int64 {
        let expires: Int64? = d.expires.map(Int64.init)
        let rows = try await connection.query("""
            INSERT INTO nftcsf_decisions (action, target, ports, direction, expires_at, reason, recipients, payload)
            VALUES (\(d.action.rawValue), \(d.target), \(d.ports), \(d.direction.rawValue),
                    to_timestamp(\(expires)::double precision), \(d.reason), \(d.recipients), \(d.payload))
            RETURNING id
            """, logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        throw SchemaProblem(description: "the database returned no id for the decision")
    }

    /// Decisions after `id` for this node, oldest first, at most `limit`.
    func decisions(after id: Int64, for node: String, limit: Int) async throws -> [Decision] {
        let rows = try await connection.query("""
            SELECT id, action, target, ports, direction, extract(epoch FROM expires_at)::bigint, reason, origin,
                   extract(epoch FROM created_at)::bigint, recipients, payload
            FROM nftcsf_decisions
            WHERE id > \(id) AND (cardinality(recipients) = 0 OR \(node) = ANY(recipients))
            ORDER BY id LIMIT \(limit)
            """, logger: logger)
        var out: [Decision] = []
        for try await (id, action, target, ports, direction, expires, reason, origin, created, recipients, payload)
            in rows.decode((Int64, String, String, String, String, Int64?, String, String, Int64, [String], String).self) {
            // A value this build does not know (a newer node's action) is kept as an invalid row to skip, not a stop.
            var d = Decision(id: id, action: Decision.Action(rawValue: action) ?? .ping, target: target, ports: ports,
                             direction: TempEntry.Direction(rawValue: direction) ?? .in, expires: expires.map(Int.init),
                             reason: reason, origin: origin, created: Int(created), recipients: recipients)
            d.payload = payload
            out.append(Decision.Action(rawValue: action) == nil ? d.unknown(action) : d)
        }
        return out
    }

    func newestID() async throws -> Int64 {
        let rows = try await connection.query("SELECT coalesce(max(id), 0) FROM nftcsf_decisions", logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        return 0
    }

    // MARK: nodes and replies

    func register(version: String) async throws {
        try await connection.query("""
            INSERT INTO nftcsf_nodes (name, version) VALUES (session_user, \(version))
            ON CONFLICT (name) DO UPDATE SET started_at = now(), last_seen = now(), version = excluded.version
            """, logger: logger)
    }

    func heartbeat(applied: Int64) async throws {
        try await connection.query("""
            UPDATE nftcsf_nodes SET last_seen = now(),
                applied_at = CASE WHEN last_applied <> \(applied) THEN now() ELSE applied_at END,
                last_applied = \(applied)
            WHERE name = session_user
            """, logger: logger)
    }

    func reply(to id: Int64, _ text: String) async throws {
        try await connection.query("""
            INSERT INTO nftcsf_replies (decision_id, reply) VALUES (\(id), \(text)) ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    public struct NodeState: Sendable {
        public let name: String
        public let lastSeen: Int
        public let lastApplied: Int64
        public let appliedAt: Int?
        public let version: String
        /// How old the oldest decision for this node that it has not applied is (0: it is up to date).
        public let lagSeconds: Int
    }

    public func nodes() async throws -> [NodeState] {
        let rows = try await connection.query("""
            SELECT n.name, extract(epoch FROM n.last_seen)::bigint, n.last_applied, extract(epoch FROM n.applied_at)::bigint, n.version,
                   coalesce((SELECT extract(epoch FROM now() - d.created_at)::bigint FROM nftcsf_decisions d
                             WHERE d.id > n.last_applied AND d.origin <> n.name
                               AND (cardinality(d.recipients) = 0 OR n.name = ANY(d.recipients))
                             ORDER BY d.id LIMIT 1), 0)
            FROM nftcsf_nodes n ORDER BY n.name
            """, logger: logger)
        var out: [NodeState] = []
        for try await (name, seen, applied, at, version, lag) in rows.decode((String, Int64, Int64, Int64?, String, Int64).self) {
            out.append(NodeState(name: name, lastSeen: Int(seen), lastApplied: applied, appliedAt: at.map(Int.init), version: version,
                                 lagSeconds: Int(max(0, lag))))
        }
        return out
    }

    public func replies(to id: Int64) async throws -> [(node: String, reply: String)] {
        let rows = try await connection.query(
            "SELECT node, reply FROM nftcsf_replies WHERE decision_id = \(id) ORDER BY node", logger: logger)
        var out: [(node: String, reply: String)] = []
        for try await (node, reply) in rows.decode((String, String).self) { out.append((node, reply)) }
        return out
    }

    public func databaseNow() async throws -> Int {
        let rows = try await connection.query("SELECT extract(epoch FROM now())::bigint", logger: logger)
        for try await t in rows.decode(Int64.self) { return Int(t) }
        return 0
    }

    func prune(keepDays: Int) async throws -> Int64 {
        let rows = try await connection.query("SELECT nftcsf_prune(\(keepDays))", logger: logger)
        for try await n in rows.decode(Int64.self) { return n }
        return 0
    }
}
