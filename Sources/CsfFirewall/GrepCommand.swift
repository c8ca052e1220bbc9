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
    /// For the sets of downloaded lists and countries: the setting that fills them, in csf's words
    /// (`SPAMDROP file:/etc/csf/csf.blocklists`, `GLOBAL_DENY`, `CC_DENY Country:CN`).
    public var settings: [String: String] = [:]

    public var found: Bool { !lists.isEmpty || !temporary.isEmpty || !(kernelSets ?? []).isEmpty }

    /// `csf -g`'s output (also a fleet node's answer to `csf -cg`).
    public var lines: [String] {
        var out: [String] = []
        if let sets = kernelSets {
            if sets.isEmpty { out.append("No matches found for \(target) in nftables") }
            for s in sets { out.append("nftables: table inet csf, set \(s) holds \(target)" + (settings[s].map { " (Setting:\($0))" } ?? "")) }
        } else {
            out.append("csf: the firewall is not running (no table inet csf)")
        }
        for t in temporary {
            let label = t.kind == .allow ? "Temporary Allows" : "Temporary Blocks"
            out.append("\(label): IP:\(t.entry.target) Port:\(t.entry.portsText) Dir:\(t.entry.direction.rawValue) TTL:\(t.entry.ttl) Remaining:\(TempTTL.format(t.remaining)) (\(t.entry.comment))")
        }
        for h in lists {
            let name = h.list == .allow ? "csf.allow" : "csf.deny"
            let label = h.exact ? name : (h.list == .allow ? "Permanent Allows (csf.allow)" : "Permanent Blocks (csf.deny)")
            out.append("\(label): \(h.file):\(h.line): \(h.text)")
        }
        if !found { out.append("csf: No matches found for \(target)") }
        return out
    }
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
        if report.kernelSets != nil {
            let settings = listSettings(target.address)
            let held = try kernel.sets(holding: target, among: settings.keys.sorted().filter { target.isHost || $0.hasSuffix("_net") || $0.hasPrefix("cc_") })
            report.kernelSets? += held
            for name in held { report.settings[name] = settings[name] }
            if target.isHost, let code = IPLookup(config: config, paths: paths).country(target.address) {
                for name in held where name.hasPrefix("cc_") { report.settings[name, default: ""] += " Country:\(code)" }
            }
        }
        return report
    }

    /// The sets csf.blocklists, GLOBAL_ALLOW/DENY and the CC_* settings fill that could hold `address` (a big
    /// blocklist's is one of its shards), with csf's words for each.
    private func listSettings(_ address: IPAddress) -> [String: String] {
        let family = address.family
        var out: [String: String] = [:]
        for source in RemoteList.sources(config: config, blocklists: PolicyLoader.blocklists(paths)) {
            let setting: String
            switch source.list {
            case .blocklist(let name): setting = "\(name) file:\(paths.etc("csf.blocklists"))"
            case .globalAllow: setting = "GLOBAL_ALLOW"
            case .globalDeny: setting = "GLOBAL_DENY"
            case .globalIgnore, .dyndns, .globalDyndns: continue
            }
            for name in CsfTableLayout.SetName.remoteSetsThatCouldHold(address, source.list) { out[name] = setting }
        }
        for list in RemoteList.resolvedLists(config) {
            let setting = list == .dyndns ? "DYNDNS file:\(paths.etc("csf.dyndns"))" : "GLOBAL_DYNDNS"
            for name in CsfTableLayout.SetName.remoteSets(list, family) { out[name] = setting }
        }
        let keys: [CsfTableLayout.CountryKind: String] = [.allow: "CC_ALLOW", .deny: "CC_DENY", .allowFilter: "CC_ALLOW_FILTER",
                                                          .allowPorts: "CC_ALLOW_PORTS", .denyPorts: "CC_DENY_PORTS",
                                                          .messengerAllow: "CC_MESSENGER_ALLOW", .messengerDeny: "CC_MESSENGER_DENY"]
        for (kind, key) in keys where !config.list(key).isEmpty { out[CsfTableLayout.SetName.country(kind, family)] = key }
        return out
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
