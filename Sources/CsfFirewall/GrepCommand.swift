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
        for t in tempEntries() where t.entry.target.contains(target) {
            report.temporary.append(.init(kind: t.kind, entry: t.entry, remaining: t.remaining))
        }
        report.kernelSets = try kernelSets(containing: target)
        return report
    }

    /// The sets of the running table that hold the address (per-port sets are keyed by address, protocol
    /// and port, so an address alone is never one of their elements).
    private func kernelSets(containing target: IPNetwork) throws(CsfError) -> [String]? {
        guard try kernel.isRunning() else { return nil }
        let candidates = CsfTableLayout.SetName.holdingAddresses(target.family).filter { name in
            !name.hasSuffix("_port") && (target.isHost || name.hasSuffix("_net"))
        }
        return try kernel.sets(holding: target, among: candidates)
    }
}
