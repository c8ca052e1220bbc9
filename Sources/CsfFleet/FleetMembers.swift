import CsfCompat

/// csf's CLUSTER_SENDTO / CLUSTER_RECVFROM / CLUSTER_MASTER mapped onto the fleet: members are named by their
/// database role (the name the database stamps on their decisions) instead of an IP address. Each value is a
/// comma-separated list or, as in csf, the path of a file with one name per line.
public struct FleetMembers: Sendable, Equatable {
    /// Whose decisions this node applies; empty = every node of the fleet (access to the database is membership).
    public var receiveFrom: Set<String>
    /// Which nodes this node's decisions are for; empty = every node.
    public var sendTo: [String]
    /// The only node whose configuration pushes are applied (CLUSTER_MASTER: a node name here).
    public var master: String
    /// CLUSTER_CONFIG: this node takes pushes from the master, and may send them.
    public var acceptsConfig: Bool

    public init(receiveFrom: Set<String> = [], sendTo: [String] = [], master: String = "", acceptsConfig: Bool = false) {
        self.receiveFrom = receiveFrom
        self.sendTo = sendTo
        self.master = master
        self.acceptsConfig = acceptsConfig
    }

    public init(config: CsfConfig) {
        self.init(receiveFrom: Set(Self.names(config["CLUSTER_RECVFROM"])), sendTo: Self.names(config["CLUSTER_SENDTO"]),
                  master: config["CLUSTER_MASTER"], acceptsConfig: config.bool("CLUSTER_CONFIG"))
    }

    public func trusts(_ origin: String) -> Bool { receiveFrom.isEmpty || receiveFrom.contains(origin) }

    /// Why a push from `origin` is refused here, or nil when it may be applied.
    public func pushRefusal(from origin: String) -> String? {
        if !acceptsConfig { return "CLUSTER_CONFIG is off on this node" }
        if master.isEmpty || origin != master { return "\(origin) is not CLUSTER_MASTER" }
        return nil
    }

    static func names(_ value: String) -> [String] {
        if value.hasPrefix("/") {
            guard let text = try? TextFile.read(value) else { return [] }
            return LineScanner.lines(text).map { $0.trimmingWhitespace() }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        }
        return ConfigSchema.items(value)
    }
}
