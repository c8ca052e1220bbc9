import CsfCompat
import NftKernel
import NftRuleset

/// What a list command did: csf's messages, and whether anything changed (for `--json` / Ansible).
public struct ListChange: Sendable {
    public var changed = false
    public var messages: [String] = []
    public var added: [String] = []
    public var removed: [String] = []
    public var kernel: KernelOutcome = .unchanged

    public init() {}

    mutating func merge(_ other: ListChange) {
        changed = changed || other.changed
        messages += other.messages
        added += other.added
        removed += other.removed
        if other.kernel != .unchanged { kernel = other.kernel }
    }
}

/// The commands that edit csf's lists (`-a -ar -d -dr -df -td -ta -tr -tf`) and read them (`-t -g`).
/// Each edit happens under the lock csf and lfd share: files first (appended, or rewritten atomically), then
/// the kernel in one netlink batch; if the kernel refuses, the file goes back to what it was.
public struct ListCommands {
    public let paths: CsfPaths
    public let config: CsfConfig
    let host: HostAddresses
    let firewall: Firewall
    let clock: () -> Int

    public init(paths: CsfPaths, kernel: any KernelPort = NftablesKernel(), host: HostAddresses = .current(),
                clock: @escaping () -> Int = { SystemTime.wallSeconds }, lockTimeout: Double = 30) throws(CsfError) {
        let (config, diagnostics) = ConfigParser.load(paths.config)
        if diagnostics.contains(where: { $0.severity == .error }) { throw .invalidInput(diagnostics) }
        self.paths = paths
        self.config = config
        self.host = host
        self.firewall = Firewall(paths: paths, kernel: kernel, host: { host }, clock: clock, lockTimeout: lockTimeout, log: { _ in })
        self.clock = clock
    }

    /// For csf's own short-lived commands: set elements change on a netfilter socket lfd lends when it runs
    /// (`NetfilterSocketLoan`), so the command never closes a socket of its own and never waits for that close.
    public init(commandLine paths: CsfPaths) throws(CsfError) {
        let kernel = NftablesKernel()
        kernel.socketLender = NetfilterSocketLoan.path(paths)
        try self.init(paths: paths, kernel: kernel)
    }

    public var kernel: any KernelPort { firewall.kernel }

    var ipv6: Bool { config.bool("IPV6") }

    func lock() throws(CsfError) -> FileLock { try firewall.lock() }

    func listPath(_ kind: CsfTableLayout.ListKind) -> String { kind == .allow ? paths.allow : paths.deny }

    // MARK: -d / -a

    public func deny(_ targetText: String, comment: String?) throws(CsfError) -> ListChange {
        let lock = try self.lock()
        defer { withExtendedLifetime(lock) {} }
        let target = try CommandTarget.parse(targetText, verb: "deny", filters: true, ipv6: ipv6, host: host,
                                             ownAddressCheck: .containing)
        let note = try comment.map(CommandComment.validate)
        if let net = target.network {
            if let hit = firstCovering(net, in: AccessList.load(paths.allow).networks.map { ($0.0, $0.1.file) }) {
                throw .refused("deny failed: \(target.text) is in the allow file \(hit)")
            }
            if let hit = firstCovering(net, in: ignoreNetworks()) {
                throw .refused("deny failed: \(target.text) is in the ignore file \(hit)")
            }
        }
        let file = try ListFile.load(paths.deny)
        var change = ListChange()
        if isListed(target, in: file) {
            change.messages.append("deny failed: \(target.text) is in already in the deny file \(paths.deny) 1 times")
            if let net = target.network, try repair(SetContents.changes(from: [], to: SetContents.list(.deny, [net]))) {
                repaired(target, into: &change)
            }
            return change
        }
        var rotated: [Int] = []
        let limit = config.int("DENY_IP_LIMIT")
        if limit > 0 {
            let rotatable = file.lines.indices.filter(file.isRotatable)
            if rotatable.count >= limit {
                rotated = Array(rotatable.prefix(rotatable.count - limit + 1))
                change.messages.append("csf: DENY_IP_LIMIT (\(limit)), the following IP's were removed from \(paths.deny):")
                change.messages += rotated.map(file.text)
            }
        }
        let line = "\(target.text) # \(note ?? "Manually denied: \(lookup(target))") - \(Self.ctime(clock()))"
        change.messages.append("Adding \(target.text) to csf.deny and nftables DROP...")
        let removedTargets = rotated.compactMap { file.token($0).flatMap(Self.target) }
        change.kernel = try commit(.deny, file, removingLines: Set(rotated), appending: line,
                                   added: [target], removed: removedTargets)
        change.changed = true
        change.added = [target.text]
        change.removed = removedTargets.map(\.text)
        return change
    }

    public func allow(_ targetText: String, comment: String?) throws(CsfError) -> ListChange {
        let lock = try self.lock()
        defer { withExtendedLifetime(lock) {} }
        let target = try CommandTarget.parse(targetText, verb: "add", filters: true, ipv6: ipv6, host: host, ownAddressCheck: .exact)
        let note = try comment.map(CommandComment.validate)
        var change = ListChange()
        let denyFile = try ListFile.load(paths.deny)
        if isListed(target, in: denyFile, includes: false) {
            change.messages.append("Removing \(target.text) from csf.deny...")
            change.merge(try removeLines(matching: target, kind: .deny, file: denyFile))
        }
        let file = try ListFile.load(paths.allow)
        if isListed(target, in: file) {
            change.messages.append("add failed: \(target.text) is in already in the allow file \(paths.allow)")
            if let net = target.network, try repair(SetContents.changes(from: [], to: SetContents.list(.allow, [net]))) {
                repaired(target, into: &change)
            }
            return change
        }
        let line = "\(target.text) # \(note ?? "Manually allowed: \(lookup(target))") - \(Self.ctime(clock()))"
        change.messages.append("Adding \(target.text) to csf.allow and nftables ACCEPT...")
        let outcome = try commit(.allow, file, removingLines: [], appending: line, added: [target], removed: [])
        if outcome != .unchanged { change.kernel = outcome }
        change.changed = true
        change.added.append(target.text)
        return change
    }

    // MARK: -dr / -ar / -df

    public func denyRemove(_ targetText: String) throws(CsfError) -> ListChange {
        try remove(targetText, kind: .deny)
    }

    public func allowRemove(_ targetText: String) throws(CsfError) -> ListChange {
        try remove(targetText, kind: .allow)
    }

    private func remove(_ targetText: String, kind: CsfTableLayout.ListKind) throws(CsfError) -> ListChange {
        let lock = try self.lock()
        defer { withExtendedLifetime(lock) {} }
        let target = try CommandTarget.parse(targetText, verb: kind == .deny ? "denyrm" : "addrm", filters: true, ipv6: true,
                                             host: HostAddresses(), ownAddressCheck: .none)
        let change = try removeLines(matching: target, kind: kind, file: try ListFile.load(listPath(kind)))
        if kind == .deny && change.changed { pruneTempIP(target) }
        return change
    }

    /// `-df`: everything goes except comments, Includes and `do not delete` lines.
    public func denyFlush() throws(CsfError) -> ListChange {
        let lock = try self.lock()
        defer { withExtendedLifetime(lock) {} }
        let file = try ListFile.load(paths.deny)
        var change = ListChange()
        var drop = Set<Int>()
        for i in file.lines.indices {
            if file.token(i) == nil {
                if file.bytes[file.lines[i]].allSatisfy(ASCII.isBlank) { drop.insert(i) }
                continue
            }
            if file.isProtected(i) {
                change.messages.append("csf: skipped line: \(file.text(i))")
            } else {
                drop.insert(i)
            }
        }
        let removed = drop.compactMap { file.token($0).flatMap(Self.target) }
        change.kernel = try commit(.deny, file, removingLines: drop, appending: nil, added: [], removed: removed)
        change.changed = !removed.isEmpty
        change.removed = removed.map(\.text)
        change.messages.append("csf: all entries removed from csf.deny")
        return change
    }

    func removeLines(matching target: CommandTarget, kind: CsfTableLayout.ListKind, file: ListFile) throws(CsfError) -> ListChange {
        var change = ListChange()
        var drop: [Range<Int>] = []
        var kept = false
        // A matching line names the target: as its token, or inside a filter (IPv6: any spelling, so any `:` line).
        let candidates: [Range<Int>]
        var includes: [String]
        if target.network?.family == .v6 {
            candidates = file.lineRanges(containing: [ASCII.colon])
            includes = file.includeLines.compactMap(file.includePath)
        } else {
            let needle = Array((target.network?.address.description ?? target.text).utf8)
            (candidates, includes) = file.scan(forRemovalOf: Array(target.text.utf8), needle: needle)
        }
        for r in candidates {
            guard let token = file.token(in: r), Self.matches(token, target) else { continue }
            if kind == .deny && file.isProtected(in: r) {
                change.messages.append("csf: \(target.text) set as \"do not delete\" - not removed")
                kept = true
                continue
            }
            drop.append(r)
            change.messages.append("Removing rule...")
        }
        // Whether the address stays listed after the removal: a protected line, or an Include, still names it.
        let stillListed = kept || includes.contains { path in
            (try? ListFile.load(path)).map { isListed(target, in: $0) } ?? false
        }
        guard !drop.isEmpty else {
            if change.messages.isEmpty {
                change.messages.append("csf: \(target.text) not found in \(kind == .deny ? "csf.deny" : "csf.allow")")
                // An earlier removal may have died between the file and the kernel: the kernel must not keep an
                // address the files no longer list. (Hosts only: a network's interval may be another entry's.)
                if let net = target.network, net.isHost, !stillListed {
                    _ = try KernelSync(firewall: firewall).apply(SetContents.changes(from: SetContents.list(kind, [net]), to: []))
                }
            }
            return change
        }
        let removed = drop.compactMap { file.token(in: $0).flatMap(Self.target) }
        if file.bytes.count >= Self.inPlaceThreshold {
            change.kernel = try commitInPlace(kind, file, blanking: drop, removed: stillListed ? [] : removed)
        } else {
            let indices = Set(drop.map { file.lineIndex(at: $0.lowerBound) })
            change.kernel = try commit(kind, file, removingLines: indices, appending: nil, added: [], removed: removed)
        }
        change.changed = true
        change.removed = removed.map(\.text)
        return change
    }

    /// Above this size a removal blanks the line in place rather than rewriting (and fsyncing) the whole file.
    static let inPlaceThreshold = 256 * 1024

    /// `-dr` also forgets lfd's block history for the address (csf.tempip), so escalation starts afresh.
    private func pruneTempIP(_ target: CommandTarget) {
        let path = paths.lib("csf.tempip")
        guard let text = try? TextFile.read(path) else { return }
        let kept = LineScanner.lines(text).filter { !$0.isEmpty && $0.split(separator: "|").first.map(String.init) != target.text }
        try? FileSystem.writeAtomically(path, kept.map { $0 + "\n" }.joined())
    }

    // MARK: matching

    static func target(_ token: ArraySlice<UInt8>) -> CommandTarget? {
        if let net = token.listedNetwork { return .network(net) }
        if AdvancedFilter.looksLikeFilter(token) { return .filter(String(decoding: token, as: UTF8.self)) }
        return nil
    }

    /// csf compares the first token; addresses are compared normalised. For `-dr`/`-ar` an address also
    /// matches an advanced filter that names it (reference §1.3), so unblocking an address is complete.
    static func matches(_ token: ArraySlice<UInt8>, _ target: CommandTarget) -> Bool {
        switch target {
        case .filter(let f): return token.elementsEqual(f.utf8)
        case .network(let net):
            if let listed = token.listedNetwork { return listed == net }
            guard AdvancedFilter.looksLikeFilter(token),
                  let filter = try? AdvancedFilter.parse(Substring(String(decoding: token, as: UTF8.self))) else { return false }
            return filter.address?.network == net
        }
    }

    /// csf's duplicate test: does the first token of some line (main file and Includes) equal the target?
    /// IPv6 has many spellings, so lines with a `:` are compared parsed; everything else by bytes.
    func isListed(_ target: CommandTarget, in file: ListFile, includes: Bool = true) -> Bool {
        let text = Array(target.text.utf8)
        var includePaths: [String]
        if let net = target.network, net.family == .v6 {
            for i in file.lines(containing: [ASCII.colon]) {
                if let token = file.token(i), token.elementsEqual(text) || token.listedNetwork == net { return true }
            }
            includePaths = file.includeLines.compactMap(file.includePath)
        } else {
            let (found, seen) = file.scan(forToken: text)
            if found { return true }
            includePaths = seen
        }
        guard includes else { return false }
        for path in includePaths {
            guard let included = try? ListFile.load(path) else { continue }
            if isListed(target, in: included) { return true }
        }
        return false
    }

    func firstCovering(_ net: IPNetwork, in networks: [(IPNetwork, String)]) -> String? {
        networks.first { $0.0.contains(net) }?.1
    }

    func ignoreNetworks() -> [(IPNetwork, String)] {
        ListReader.read(paths.ignore).lines.compactMap { line in line.tokenBytes.listedNetwork.map { ($0, line.file) } }
    }

    /// csf's `iplookup` without the network round trips (a CLI command must never wait on DNS): the country from
    /// the local data with CC_LOOKUPS, `(-)` otherwise.
    func lookup(_ target: CommandTarget) -> String {
        guard let net = target.network, net.isHost, config.int("CC_LOOKUPS") > 0 else { return "\(target.text) (-)" }
        return IPLookup(config: config, paths: paths).tip(net.address)
    }

    static func ctime(_ epoch: Int) -> String { LocalTime.format(epoch, LocalTime.ctime) }
}
