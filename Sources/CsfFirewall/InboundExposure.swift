import CsfCompat
import CsfPolicy

/// The inbound ports a policy opens to everyone, as `--check` reports them: a missing or mistyped TCP_IN
/// is visible before a start closes SSH.
public struct InboundExposure: Encodable, Sendable {
    public var tcp: [String]
    public var udp: [String]
    /// nil while IPv6 is off.
    public var tcp6: [String]?
    public var udp6: [String]?
    /// The ports sshd listens on (its Port lines, else 22).
    public var ssh: [UInt16]

    public init(_ policy: FirewallPolicy, sshPorts: [UInt16]) {
        tcp = policy.ports4.tcpIn.map(\.description)
        udp = policy.ports4.udpIn.map(\.description)
        tcp6 = policy.ipv6 ? policy.ports6.tcpIn.map(\.description) : nil
        udp6 = policy.ipv6 ? policy.ports6.udpIn.map(\.description) : nil
        ssh = sshPorts
        closedSSH = sshPorts.filter { !PortList.contains(policy.ports4.tcpIn, $0) }
        closedSSH6 = policy.ipv6 ? sshPorts.filter { !PortList.contains(policy.ports6.tcpIn, $0) } : []
    }

    private let closedSSH: [UInt16]
    private let closedSSH6: [UInt16]
    private enum CodingKeys: String, CodingKey { case tcp, udp, tcp6, udp6, ssh }

    /// One line per family, the way an admin reads csf.conf.
    public var summary: [String] {
        func line(_ family: String, _ tcp: [String], _ udp: [String]) -> String {
            "csf: open inbound \(family): TCP \(tcp.isEmpty ? "none" : tcp.joined(separator: ",")); UDP \(udp.isEmpty ? "none" : udp.joined(separator: ","))"
        }
        var lines = [line("IPv4", tcp, udp)]
        if let tcp6, let udp6 { lines.append(line("IPv6", tcp6, udp6)) }
        return lines
    }

    /// A warning when sshd's port is not open: only csf.allow's addresses would reach SSH after a start.
    public func closedSSHWarning(_ config: CsfConfig) -> Diagnostic? {
        if !closedSSH.isEmpty {
            return config.diagnostic(.warning, "TCP_IN", "sshd listens on port \(list(closedSSH)), which TCP_IN does not open: only addresses in csf.allow will reach SSH")
        }
        if !closedSSH6.isEmpty {
            return config.diagnostic(.warning, "TCP6_IN", "sshd listens on port \(list(closedSSH6)), which TCP6_IN does not open: only addresses in csf.allow will reach SSH over IPv6")
        }
        return nil
    }

    private func list(_ ports: [UInt16]) -> String { ports.map(String.init).joined(separator: ",") }
}
