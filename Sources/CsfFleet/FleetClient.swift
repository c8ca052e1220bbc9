import CsfCompat
import Logging
import PostgresNIO

/// What csf's cluster commands and `csf --cluster` do over one short connection.
public struct FleetClient: Sendable {
    let endpoint: FleetEndpoint
    let members: FleetMembers
    let logger: Logger

    public init(endpoint: FleetEndpoint, members: FleetMembers, logger: Logger) {
        self.endpoint = endpoint
        self.members = members
        self.logger = logger
    }

    func withStore<T: Sendable>(_ body: (FleetStore) async throws -> T) async throws -> T {
        let connection = try await endpoint.connect(logger: logger)
        do {
            let result = try await body(FleetStore(connection: connection, logger: logger))
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    public func initialise() async throws -> Bool {
        try await withStore { try await $0.migrate() }
    }

    /// One node's answer to a sent decision.
    public struct Delivery: Sendable {
        public let node: String
        /// The node has applied the decision (its last applied id reached it).
        public let applied: Bool
        public let reply: String?
        public let lastSeenAgo: Int
        public let behind: Int64
    }

    /// Writes the decision, then waits up to `wait` seconds for the nodes it is for to apply (and answer) it.
    public func send(_ decision: Decision, wait: Duration) async throws -> (id: Int64, deliveries: [Delivery]) {
        var d = decision
        d.recipients = members.sendTo
        return try await withStore { store in
            try await store.requireCurrentSchema()
            let id = try await store.publish(d)
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: wait)
            let wantsReply = d.action == .ping || d.action == .grep
            while true {
                let deliveries = try await self.deliveries(store, id: id, replies: wantsReply)
                if deliveries.allSatisfy({ $0.applied && (!wantsReply || $0.reply != nil) }) || clock.now >= deadline {
                    return (id, deliveries)
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    func deliveries(_ store: FleetStore, id: Int64, replies wantsReply: Bool) async throws -> [Delivery] {
        let now = try await store.databaseNow()
        let replies = wantsReply ? Dictionary(try await store.replies(to: id).map { ($0.node, $0.reply) }) { a, _ in a } : [:]
        let me = endpoint.database.nodeName
        return try await store.nodes().filter { $0.name != me && (members.sendTo.isEmpty || members.sendTo.contains($0.name)) }.map {
            Delivery(node: $0.name, applied: $0.lastApplied >= id, reply: replies[$0.name], lastSeenAgo: max(0, now - $0.lastSeen),
                     behind: max(0, id - $0.lastApplied))
        }
    }

    /// `csf --cluster status`: every node, when it was last seen, how far behind it is.
    public struct Status: Sendable {
        public let newest: Int64
        public let now: Int
        public let nodes: [FleetStore.NodeState]
    }

    public func status() async throws -> Status {
        try await withStore { store in
            try await store.requireCurrentSchema()
            return Status(newest: try await store.newestID(), now: try await store.databaseNow(), nodes: try await store.nodes())
        }
    }
}
