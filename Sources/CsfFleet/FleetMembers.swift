import CsfCompat

/// csf's CLUSTER_SENDTO / CLUSTER_RECVFROM / CLUSTER_MASTER mapped onto the fleet: members are named by their
/// database role (the name the database stamps on their decisions) instead of an IP address. Each value is a
/// comma-separated list or, as in csf, the path of a file with one name per line.
public struct FleetMembers: Sendable, Equatable {
    /// Whose decisions this node applies; empty = every node of the fleet (access to the database is membership).
    public var receiveFrom: Set<String>
    /// Which nodes this node's decisions are for; empty = every node.
    public var sendTo: [String]
    public var master: String

    public init(receiveFrom: Set<String> = [], sendTo: [String] = [], master: String = "") {
        self.receiveFrom = receiveFrom
        self.sendTo = sendTo
        self.master = master
    }

    public init(config: CsfConfig) {
        self.init(receiveFrom: Set(Self.names(config["CLUSTER_RECVFROM"])), sendTo: Self.names(config["CLUSTER_SENDTO"]),
                  master: config["CLUSTER_MASTER"])
    }

    public func trusts(_ origin: String) -> Bool { receiveFrom.isEmpty || receiveFrom.contains(origin) }

    static func names(_ value: String) -> [String] {
        if value.hasPrefix("/") {
            guard let text = try? TextFile.read(value) else { return [] }
            return LineScanner.lines(text).map { $0.trimmingWhitespace() }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        }
        return ConfigSchema.items(value)
    }
}
