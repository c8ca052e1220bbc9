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

    /// Asks the kernel, set by set; `get element` fails when the address is not in the set.
    private func kernelSets(containing target: IPNetwork) throws(CsfError) -> [String]? {
        guard try firewall.isRunning() else { return nil }
        let ctx = try NftContext(terse: true)
        var names: [String] = []
        for kind in [CsfTableLayout.ListKind.allow, .deny] {
            names += [CsfTableLayout.SetName.hosts(kind, target.family), CsfTableLayout.SetName.networks(kind, target.family)]
        }
        for kind in [TempEntry.Kind.allow, .deny] {
            for inbound in [true, false] {
                names += [TempSets.name(kind, inbound: inbound, target.family, .host),
                          TempSets.name(kind, inbound: inbound, target.family, .network)]
            }
        }
        return names.filter { name in
            if !target.isHost && !name.hasSuffix("_net") { return false }
            return ctx.run("get element \(Firewall.tableRef) \(name) { \(target) }").ok
        }
    }
}
