import CsfCompat
import NftRuleset

/// `csf -g ip`: where an address is allowed or blocked — list lines (exact or by a containing network,
/// with file and line), temporary entries with their remaining time, and the kernel sets that hold it.
public struct GrepReport: Sendable {
    public struct ListHit: Sendable {
        public var list: CsfTableLayout.ListKind
        public var exact: Bool
        public var file: String
        public var line: Int
        public var text: String
    }

    public struct TempHit: Sendable {
        public var kind: TempEntry.Kind
        public var entry: TempEntry
        public var remaining: Int
    }

    public var target: IPNetwork
    public var lists: [ListHit] = []
    public var temporary: [TempHit] = []
    /// Names of kernel sets whose elements contain the address; nil when the firewall is not running.
    public var kernelSets: [String]?

    public var found: Bool { !lists.isEmpty || !temporary.isEmpty || !(kernelSets ?? []).isEmpty }
}

extension ListCommands {
    public func grep(_ targetText: String) throws(CsfError) -> GrepReport {
        guard case .success(let parsed) = IPNetwork.parse(Substring(targetText)) else {
            throw .refused("csf: [\(targetText)] is not a valid IP/CIDR")
        }
        let target = parsed.network
        var report = GrepReport(target: target)
        for kind in [CsfTableLayout.ListKind.allow, .deny] {
            let file = try ListFile.load(listPath(kind))
            for e in file.entryTokens() {
                guard let net = e.token.listedNetwork, net.contains(target) else { continue }
                report.lists.append(.init(list: kind, exact: net == target, file: e.file, line: e.line, text: e.text))
            }
        }
        for t in try tempEntries() where t.entry.target.contains(target) {
            report.temporary.append(.init(kind: t.kind, entry: t.entry, remaining: t.remaining))
        }
        report.kernelSets = try kernelSets(containing: target, ports: report.temporary.flatMap(\.entry.ports))
        return report
    }

    /// The sets of the running table that hold the address: the address sets, and the per-port sets at the ports
    /// its temporary entries name (their elements are `addr . proto . port`, so the address alone is never one).
    private func kernelSets(containing target: IPNetwork, ports: [TempEntry.Port]) throws(CsfError) -> [String]? {
        guard try kernel.isRunning() else { return nil }
        let names = CsfTableLayout.SetName.holdingAddresses(target.family)
        let addressSets = names.filter { !$0.hasSuffix("_port") && (target.isHost || $0.hasSuffix("_net")) }
        var found = try kernel.sets(holding: target, among: addressSets)
        for port in Set(ports).sorted(by: { ($0.port, $0.proto.rawValue) < ($1.port, $1.proto.rawValue) }) {
            let element = NftSetElement.Port(port.proto, port.port)
            for name in try kernel.sets(holding: target, port: element, among: names.filter { $0.hasSuffix("_port") }) {
                found.append("\(name) (\(port.proto.rawValue) port \(port.port))")
            }
        }
        return found
    }
}
