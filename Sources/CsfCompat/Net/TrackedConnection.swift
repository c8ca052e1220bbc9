/// One conntrack entry, original direction.
public struct TrackedConnection: Sendable, Equatable {
    public var source: IPAddress
    public var destination: IPAddress
    public var proto: UInt8
    public var sourcePort: UInt16?
    public var destinationPort: UInt16?
    /// TCP state (conntrack's numbering); nil for other protocols.
    public var tcpState: UInt8?

    public init(source: IPAddress, destination: IPAddress, proto: UInt8, sourcePort: UInt16?, destinationPort: UInt16?,
                tcpState: UInt8?) {
        self.source = source
        self.destination = destination
        self.proto = proto
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.tcpState = tcpState
    }

    /// csf's /proc/net/tcp names for conntrack's TCP states (CT_STATES is written with those).
    public var tcpStateName: String? {
        guard let s = tcpState else { return nil }
        return ["NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2"]
            .dropFirst(Int(s)).first
    }
}
