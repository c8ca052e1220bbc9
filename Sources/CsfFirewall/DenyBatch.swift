import CsfCompat

extension ListCommands {
    public struct BatchItem: Sendable {
        public var target: String
        public var comment: String
        public init(target: String, comment: String) {
            self.target = target
            self.comment = comment
        }
    }

    public enum BatchResult: Sendable, Equatable {
        case added
        case alreadyListed
        case refused(String)
    }

    /// Many `csf -d ADDRESS comment` at once, for a fleet node catching up on thousands of decisions: each item is
    /// checked exactly as `deny` checks it (an address or CIDR, not this host's own, not in csf.allow or
    /// csf.ignore, not listed already), but the lock is taken, the lists read, the lines appended (one fsync) and
    /// the kernel changed (one netlink batch) once for all. DENY_IP_LIMIT rotates the oldest lines out, as `deny`.
    public func denyMany(_ items: [BatchItem]) throws(CsfError) -> [BatchResult] {
        let lock = try self.lock()
        defer { withExtendedLifetime(lock) {} }
        let allow = AccessList.load(paths.allow).networks.map { ($0.0, $0.1.file) }
        let ignore = ignoreNetworks()
        let file = try ListFile.load(paths.deny)
        var listed = Set<IPNetwork>()
        for e in file.entryTokens() { if let n = e.token.listedNetwork { listed.insert(n) } }
        let stamp = Self.ctime(clock())
        var results: [BatchResult] = []
        var lines: [String] = []
        var added: [CommandTarget] = []
        for item in items {
            do throws(CsfError) {
                let target = try CommandTarget.parse(item.target, verb: "deny", filters: false, ipv6: ipv6, host: host,
                                                     ownAddressCheck: .containing)
                guard let net = target.network else { throw CsfError.refused("deny failed: \(target.text) is not an address") }
                let note = try CommandComment.validate(item.comment)
                if let hit = firstCovering(net, in: allow) { throw CsfError.refused("deny failed: \(target.text) is in the allow file \(hit)") }
                if let hit = firstCovering(net, in: ignore) { throw CsfError.refused("deny failed: \(target.text) is in the ignore file \(hit)") }
                guard listed.insert(net).inserted else {
                    results.append(.alreadyListed)
                    continue
                }
                lines.append("\(target.text) # \(note) - \(stamp)")
                added.append(target)
                results.append(.added)
            } catch {
                results.append(.refused(error.description))
            }
        }
        guard !lines.isEmpty else { return results }
        var rotated: [Int] = []
        let limit = config.int("DENY_IP_LIMIT")
        if limit > 0 {
            let rotatable = file.lines.indices.filter(file.isRotatable)
            let over = rotatable.count + lines.count - limit
            if over > 0 { rotated = Array(rotatable.prefix(over)) }
        }
        let removed = rotated.compactMap { file.token($0).flatMap(Self.target) }
        _ = try commit(.deny, file, removingLines: Set(rotated), appending: lines.joined(separator: "\n"), added: added, removed: removed)
        return results
    }
}
