import CsfCompat
import NftRuleset

/// `-td` / `-ta` arguments after parsing.
public struct TempRequest: Sendable {
    public var target: String
    public var ttl: Int
    public var ports: [TempEntry.Port]
    public var direction: TempEntry.Direction?
    public var comment: String?

    public init(target: String, ttl: Int, ports: [TempEntry.Port] = [], direction: TempEntry.Direction? = nil, comment: String? = nil) {
        self.target = target
        self.ttl = ttl
        self.ports = ports
        self.direction = direction
        self.comment = comment
    }
}

extension ListCommands {
    // MARK: -td / -ta

    public func tempAdd(_ kind: TempEntry.Kind, _ request: TempRequest) throws(CsfError) -> ListChange {
        let lock = try self.lock()
        defer { withExtendedLifetime(lock) {} }
        let target = try CommandTarget.parse(request.target, verb: kind == .deny ? "deny" : "allow", filters: false, ipv6: ipv6,
                                             host: host, ownAddressCheck: kind == .deny ? .containing : .none)
        guard let net = target.network else { throw .refused("csf: a temporary entry needs an IP address or CIDR") }
        guard request.ttl >= 2, request.ttl <= TempTTL.maximum else {
            throw .refused("csf: invalid TTL \(request.ttl) (2 seconds to \(TempTTL.maximum / 86400) days)")
        }
        let note = try request.comment.map(CommandComment.validate)
        let word = kind == .deny ? "blocked" : "allowed"
        var change = ListChange()
        if kind == .deny {
            if let hit = firstCovering(net, in: AccessList.load(paths.allow).networks.map { ($0.0, $0.1.file) }) {
                throw .refused("deny failed: \(target.text) is in the allow file \(hit)")
            }
            if let hit = firstCovering(net, in: ignoreNetworks()) {
                throw .refused("deny failed: \(target.text) is in the ignore file \(hit)")
            }
        }
        if isListed(target, in: try ListFile.load(kind == .deny ? paths.deny : paths.allow)) {
            change.messages.append("csf: \(target.text) is already permanently \(word)")
            return change
        }
        let now = clock()
        let entry = TempEntry(created: now, target: net, ports: request.ports,
                              direction: request.direction ?? (kind == .deny ? .in : .inout), ttl: request.ttl,
                              comment: note ?? "Manually added: \(lookup(target))")
        let path = TempList.path(kind, paths: paths)
        let placements = SetContents.placements(entry, kind: kind, now: now)
        let file = TextFile.exists(path) ? try MappedBytes(path: path) : .empty
        let summary = TempFileSummary.scan(file, ip: Array(target.text.utf8), ports: Array(entry.portsText.utf8), now: now)
        if summary.duplicate {
            change.messages.append("csf: \(target.text) is already temporarily \(word)")
            if let existing = TempList.load(kind, paths: paths).active(now: now).first(where: { $0.target == net && $0.portsText == entry.portsText }),
               try repair(Self.changes(adding: [(kind, existing)], now: now)) {
                repaired(target, into: &change)
            }
            return change
        }
        let changes = Self.changes(adding: [(kind, entry)], now: now)
        var appendedAt: Int?
        if summary.hasExpired || summary.damaged || summary.hasNetworks || !net.isHost {
            // The full path: parse every line, refuse overlaps, rewrite without expired lines.
            var list = TempList.load(kind, paths: paths)
            let pruned = list.prune(now: now)
            if list.entries.contains(where: { $0.target == net && $0.portsText == entry.portsText }) {
                change.messages.append("csf: \(target.text) is already temporarily \(word)")
                return change
            }
            if let clash = overlapping(placements, list.entries, kind: kind, now: now) {
                throw .refused("csf: \(target.text) overlaps the temporary entry \(clash.target) (\(clash.portsText.isEmpty ? "*" : clash.portsText)); remove it first with csf -tr \(clash.target)")
            }
            list.entries.append(entry)
            if pruned {
                let old = file.array
                try list.write()
                Self.crashPointBeforeKernel()
                do {
                    change.kernel = try KernelSync(firewall: firewall).apply(changes)
                    FlushAfterKernel.traceLanded()
                } catch {
                    try? FileSystem.writeAtomically(path, bytes: old)
                    throw error
                }
            } else {
                appendedAt = try FileSystem.appendLine(path, entry.line, flush: false)
            }
        } else {
            appendedAt = try FileSystem.appendLine(path, entry.line, flush: false)
        }
        if let size = appendedAt {
            let undoFile = { FileSystem.truncate(path, to: size); try? FileSystem.flush(path) }
            Self.crashPointBeforeKernel()
            let sync = KernelSync(firewall: firewall)
            change.kernel = try FlushAfterKernel.run(path, kernel: { () throws(CsfError) in try sync.apply(changes) },
                                                     undoFile: undoFile, undoBoth: {
                undoFile()
                _ = try? sync.apply(Self.changes(removing: [(kind, entry)], now: now))
            })
        }
        change.changed = true
        change.added = [target.text]
        let ports = entry.portsText.isEmpty ? "*" : entry.portsText
        change.messages.append("csf: \(target.text) \(word) on port \(ports) for \(entry.ttl) seconds \(entry.direction.phrase)")
        return change
    }

    /// Interval sets refuse overlapping elements, so a network that overlaps another entry's is refused here
    /// with a clear message instead of a kernel error.
    private func overlapping(_ placements: [SetContents.Placement], _ entries: [TempEntry], kind: TempEntry.Kind,
                             now: Int) -> TempEntry? {
        for existing in entries {
            for p in SetContents.placements(existing, kind: kind, now: now) where p.shape != .host {
                for q in placements where q.set == p.set && q.element.port == p.element.port
                    && q.element.network != p.element.network && q.element.network.overlaps(p.element.network) {
                    return existing
                }
            }
        }
        return nil
    }

    /// The set changes that put temporary entries into the kernel, or take them out: the entries' set contents
    /// against nothing.
    static func changes(adding entries: [(TempEntry.Kind, TempEntry)], now: Int) -> [SetChange] {
        SetContents.changes(from: [], to: SetContents.temporary(entries, now: now))
    }

    static func changes(removing entries: [(TempEntry.Kind, TempEntry)], now: Int) -> [SetChange] {
        SetContents.changes(from: SetContents.temporary(entries, now: now), to: [])
    }

    // MARK: -tr / -trd / -tra / -tf

    public func tempRemove(_ targetText: String, kinds: [TempEntry.Kind] = [.deny, .allow]) throws(CsfError) -> ListChange {
        let lock = try self.lock()
        defer { withExtendedLifetime(lock) {} }
        let target = try CommandTarget.parse(targetText, verb: "temprm", filters: false, ipv6: true, host: HostAddresses(),
                                             ownAddressCheck: .none)
        guard let net = target.network else { throw .refused("csf: No IP specified") }
        var change = ListChange()
        let now = clock()
        for kind in kinds {
            let (word, plural) = kind == .deny ? ("block", "bans") : ("allow", "allows")
            var list = TempList.load(kind, paths: paths)
            _ = list.prune(now: now)
            if list.entries.isEmpty {
                change.messages.append("csf: There are no temporary IP \(plural)")
                if TextFile.exists(list.path) { try list.write() }
                continue
            }
            let gone = list.entries.filter { $0.target == net }
            guard !gone.isEmpty else {
                change.messages.append("csf: \(target.text) not found in temporary \(plural)")
                continue
            }
            let old = (try? TextFile.readBytes(list.path)) ?? []
            list.entries.removeAll { $0.target == net }
            try list.write()
            do {
                let outcome = try KernelSync(firewall: firewall).apply(Self.changes(removing: gone.map { (kind, $0) }, now: now))
                if outcome != .unchanged { change.kernel = outcome }
            } catch {
                try? FileSystem.writeAtomically(list.path, bytes: old)
                throw error
            }
            change.changed = true
            change.removed.append(target.text)
            change.messages.append("csf: \(target.text) temporary \(word) removed")
        }
        return change
    }

    public func tempFlush() throws(CsfError) -> ListChange {
        let lock = try self.lock()
        defer { withExtendedLifetime(lock) {} }
        var change = ListChange()
        let now = clock()
        var flushes: [SetChange] = []
        for kind in [TempEntry.Kind.deny, .allow] {
            let list = TempList.load(kind, paths: paths)
            for entry in list.active(now: now) {
                change.messages.append("csf: \(entry.target) temporary \(kind == .deny ? "block" : "allow") removed")
                change.removed.append(entry.target.description)
            }
            flushes += SetContents.temporaryDeclarations().filter { $0.name.hasPrefix("temp\(kind.rawValue)_") }
                .map { SetChange(.flush, set: $0.name) }
        }
        let before = [TempEntry.Kind.deny, .allow].map { (TempList.path($0, paths: paths), (try? TextFile.readBytes(TempList.path($0, paths: paths))) ?? []) }
        for (path, _) in before where TextFile.exists(path) { try FileSystem.writeAtomically(path, "") }
        do {
            change.kernel = try KernelSync(firewall: firewall).apply(flushes)
        } catch {
            for (path, bytes) in before { try? FileSystem.writeAtomically(path, bytes: bytes) }
            throw error
        }
        change.changed = !change.removed.isEmpty
        if change.messages.isEmpty { change.messages.append("csf: There are no temporary IP entries") }
        return change
    }

    // MARK: -t

    /// The active temporary entries. A list that exists but cannot be read is an error, never "no entries".
    public func tempEntries() throws(CsfError) -> [(kind: TempEntry.Kind, entry: TempEntry, remaining: Int)] {
        let now = clock()
        var out: [(kind: TempEntry.Kind, entry: TempEntry, remaining: Int)] = []
        for kind in [TempEntry.Kind.deny, .allow] {
            let list = TempList.load(kind, paths: paths)
            let unreadable = list.diagnostics.filter { $0.severity == .error && $0.line == 0 }
            if !unreadable.isEmpty { throw .invalidInput(unreadable) }
            out += list.active(now: now).map { (kind, $0, $0.remaining(now: now)) }
        }
        return out
    }
}

extension ListCommands {
    /// Puts every active temporary entry back into the kernel with its remaining time (adding an element that
    /// is there already changes nothing), and prunes expired lines. Kernel and files can drift apart only if
    /// something outside csf removes elements; lfd calls this periodically and `csf -s` rebuilds everything.
    /// `locked`: the caller holds csf's lock already (the confirm watchdog).
    public func reassertTemporary(locked: Bool = false) throws(CsfError) -> Int {
        let lock = locked ? nil : try self.lock()
        defer { withExtendedLifetime(lock) {} }
        let now = clock()
        var entries: [(TempEntry.Kind, TempEntry)] = []
        var count = 0
        for kind in [TempEntry.Kind.deny, .allow] {
            var list = TempList.load(kind, paths: paths)
            if list.prune(now: now) { try list.write() }
            let active = list.entries.filter { ipv6 || $0.target.family == .v4 }
            count += active.reduce(0) { $0 + SetContents.placements($1, kind: kind, now: now).count }
            entries += active.map { (kind, $0) }
        }
        _ = try KernelSync(firewall: firewall).apply(Self.changes(adding: entries, now: now))
        return count
    }

    /// The same for csf.allow and csf.deny: every address and network they list goes back into its set (what
    /// is there already stays as it is). lfd does this at start, so an edit a crash left half done — in the file,
    /// not in the kernel — is finished without reloading the table. Advanced filters are rules and need a
    /// restart; they are not touched. Returns the number of elements asserted (0 when nothing runs).
    public func reassertPermanent(locked: Bool = false) throws(CsfError) -> Int {
        let lock = locked ? nil : try self.lock()
        defer { withExtendedLifetime(lock) {} }
        var changes: [SetChange] = []
        for (kind, path) in [(CsfTableLayout.ListKind.allow, paths.allow), (.deny, paths.deny)] {
            let networks = AccessList.load(path).listedNetworks.filter { ipv6 || $0.family == .v4 }
            changes += SetContents.changes(from: [], to: SetContents.list(kind, networks))
        }
        let count = changes.reduce(0) { $0 + $1.elements.count }
        return try KernelSync(firewall: firewall).apply(changes) == .applied ? count : 0
    }
}

extension ListCommands {
    /// lfd's expiry pass (reference §6.8): the kernel has already dropped expired elements; this removes their
    /// lines, and enforces DENY_TEMP_IP_LIMIT by releasing the oldest bans (kernel elements too). Returns what left.
    public func expireTemporary() throws(CsfError) -> [(kind: TempEntry.Kind, entry: TempEntry)] {
        let now = clock()
        var gone: [(TempEntry.Kind, TempEntry)] = []
        for kind in [TempEntry.Kind.deny, .allow] {
            let path = TempList.path(kind, paths: paths)
            guard TextFile.exists(path) else { continue }
            let summary = TempFileSummary.scan(try MappedBytes(path: path), ip: [], ports: [], now: now)
            let limit = kind == .deny ? config.int("DENY_TEMP_IP_LIMIT") : 0
            guard summary.hasExpired || summary.damaged || limit > 0 else { continue }
            let lock = try self.lock()
            defer { withExtendedLifetime(lock) {} }
            var list = TempList.load(kind, paths: paths)
            let expired = list.entries.filter { $0.isExpired(now: now) }
            list.entries.removeAll { $0.isExpired(now: now) }
            var released: [TempEntry] = []
            if limit > 0, list.entries.count > limit {
                released = Array(list.entries.prefix(list.entries.count - limit))
                list.entries.removeFirst(released.count)
            }
            guard !expired.isEmpty || !released.isEmpty || !list.diagnostics.isEmpty else { continue }
            try list.write()
            if !released.isEmpty {
                _ = try KernelSync(firewall: firewall).apply(Self.changes(removing: released.map { (kind, $0) }, now: now))
            }
            gone += (expired + released).map { (kind, $0) }
        }
        return gone
    }
}
