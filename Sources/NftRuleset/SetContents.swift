import CsfCompat

/// What each list set of the table holds: the one mapping from csf's lists and temporary entries to set
/// elements. The full load (`csf -s`) fills the table's sets with it; a single list edit computes it for the
/// entries it touches before and after, and sends the difference (`changes(from:to:)`).
public enum SetContents {
    typealias Name = CsfTableLayout.SetName

    // MARK: csf.allow / csf.deny / csf.sips

    /// The hash and interval sets of one permanent list. Plain addresses are deduplicated and sorted; a network
    /// inside another listed one is left out (interval sets refuse overlaps; the outer one covers it). List
    /// comments stay in the files: a million element comments make a load five times slower.
    public static func list<S: Sequence>(_ kind: CsfTableLayout.ListKind, _ networks: S) -> [NftSet] where S.Element == IPNetwork {
        let file = kind == .allow ? "csf.allow" : "csf.deny"
        let (hosts, nets) = partition(networks)
        var sets: [NftSet] = []
        for family in [IPAddress.Family.v4, .v6] {
            let keyType: NftSet.KeyType = family == .v4 ? .ipv4 : .ipv6
            sets.append(NftSet(name: Name.hosts(kind, family), keyType: keyType, comment: "\(file) addresses",
                               elements: hosts.filter { $0.family == family }.map { NftSetElement($0) }))
            sets.append(NftSet(name: Name.networks(kind, family), keyType: keyType, flags: [.interval], comment: "\(file) networks",
                               elements: withoutCoveredNetworks(nets.filter { $0.family == family }.map { NftSetElement($0) })))
        }
        return sets
    }

    /// csf.sips: one interval set per family (a lookup per packet only when the list is not empty).
    public static func sips(_ networks: [IPNetwork]) -> [NftSet] {
        [IPAddress.Family.v4, .v6].map { family in
            NftSet(name: Name.hosts(.sips, family), keyType: family == .v4 ? .ipv4 : .ipv6, flags: [.interval], comment: "csf.sips",
                   elements: withoutCoveredNetworks(networks.filter { $0.family == family }.map { NftSetElement($0) }))
        }
    }

    /// Plain addresses (deduplicated, sorted) and networks. IPv4 addresses are sorted as integers: lists reach a
    /// million entries.
    static func partition<S: Sequence>(_ networks: S) -> (hosts: [IPNetwork], networks: [IPNetwork]) where S.Element == IPNetwork {
        var v4: [UInt32] = []
        var v6: [IPAddress] = []
        var nets: [IPNetwork] = []
        v4.reserveCapacity(networks.underestimatedCount)
        for net in networks {
            if !net.isHost {
                nets.append(net)
            } else if case .v4(let a) = net.address {
                v4.append(a)
            } else {
                v6.append(net.address)
            }
        }
        RadixSort.sort(&v4)
        var hosts: [IPNetwork] = []
        hosts.reserveCapacity(v4.count + v6.count)
        var last: UInt32?
        for a in v4 where a != last {
            hosts.append(IPNetwork(address: .v4(a), prefix: 32))
            last = a
        }
        for a in Set(v6).sorted() { hosts.append(IPNetwork(host: a)) }
        return (hosts, nets)
    }

    /// An interval set without auto-merge refuses overlaps, so a network inside another one is dropped.
    /// Adjacent networks stay separate so each can be removed on its own.
    static func withoutCoveredNetworks(_ elements: [NftSetElement]) -> [NftSetElement] {
        let sorted = elements.sorted { a, b in
            a.network.address != b.network.address ? a.network.address < b.network.address : a.network.prefix < b.network.prefix
        }
        var out: [NftSetElement] = []
        out.reserveCapacity(sorted.count)
        for e in sorted {
            if let last = out.last, last.network.contains(e.network) { continue }
            out.append(e)
        }
        return out
    }

    // MARK: downloaded lists (csf.blocklists, GLOBAL_ALLOW, GLOBAL_DENY)

    /// Per family the hash sets of the single addresses (one per shard, HostShards) and an interval set of the
    /// other ranges.
    public static func remote(_ list: RemoteList, _ ranges: [AddressRange], families: [IPAddress.Family]) -> [NftSet] {
        families.flatMap { family -> [NftSet] in
            let keyType: NftSet.KeyType = family == .v4 ? .ipv4 : .ipv6
            let all = Array(hosts(ranges, family))
            let shards = HostShards.count(list, addresses: all.count)
            let parts = HostShards.split(all, into: shards)
            let addresses = parts.enumerated().map { shard, part in
                var set = NftSet(name: Name.remote(list, family, shard: shard), keyType: keyType, comment: "\(list) addresses",
                                 elements: part.map { NftSetElement(IPNetwork(host: $0)) })
                set.snapshotted = true
                set.shards = shards
                return set
            }
            return addresses + [NftSet(name: Name.remote(list, family, networks: true), keyType: keyType, flags: [.interval],
                                       comment: "\(list) networks", elements: networks(ranges, family).map { NftSetElement($0) })]
        }
    }

    /// A refresh as the transactions to send, in order: batches of the addresses that are new, taking turns with
    /// batches of those that left the list; then the interval sets replaced in one transaction where their ranges
    /// changed; then the addresses that moved into a new network. No address of the new list is ever out of both
    /// sets, a hash set never holds much more than the larger of the two lists, and no transaction is large
    /// enough to keep `csf -d` waiting behind it for long (1,024 elements: ~1 ms of the kernel's lock, see `fill`).
    ///
    /// What the kernel holds comes from lfd's last load (`loaded`) or, after lfd started, from csf's last table
    /// load (`loadedHosts`: its snapshots of a family's hash sets, `NftablesKernel.bulkAddresses`, the shards' in
    /// any order; the interval sets are then replaced, as their contents are not known). Hash sets known to neither
    /// are emptied and filled in the interval sets' transaction, so their old contents are enforced until the commit.
    /// `shards`: how many address sets each family has in the running table (HostShards; one when not given).
    public static func refresh(_ list: RemoteList, _ ranges: [AddressRange], loaded: LoadedRanges?,
                               loadedHosts: [IPAddress.Family: [IPAddress]] = [:],
                               families: [IPAddress.Family], slot: Int = 0, shards counts: [IPAddress.Family: Int] = [:],
                               batch: Int = 1024) -> RefreshPlan {
        var plan = RefreshPlan(batch: batch)
        for family in families {
            let shards = counts[family] ?? 1
            let hostSets = Name.remoteHostSets(list, family, slot: slot, shards: shards), netsName = Name.remote(list, family, networks: true, slot: slot)
            let newNets = networks(ranges, family)
            let replaceNets = [SetChange(.flush, set: netsName), SetChange(.add, set: netsName, elements: newNets.map(netElement))]
            let diff: (added: AddressList, leaving: AddressList, moving: AddressList)
            if let loaded {
                if loaded.networks.filter({ $0.family == family }) != newNets { plan.nets += replaceNets }
                // Straight from the two lists: a million-address list is not copied twice more on the way.
                diff = family == .v4 ? difference(old: loaded.v4Hosts, new: v4Hosts(ranges), newNets)
                                     : difference(old: loaded.v6Hosts, new: hosts(ranges, family), newNets)
            } else if let old = loadedHosts[family] {
                plan.nets += replaceNets
                if family == .v4 {
                    var numbers = old.compactMap(v4Number)
                    RadixSort.sort(&numbers)
                    diff = difference(old: numbers, new: v4Hosts(ranges), newNets)
                } else {
                    diff = difference(old: old.sorted(), new: hosts(ranges, family), newNets)
                }
            } else {
                let parts = HostShards.split(Array(hosts(ranges, family)), into: shards)
                for (name, part) in zip(hostSets, parts) {
                    plan.nets += [SetChange(.flush, set: name), SetChange(.add, set: name, elements: part.map { SetChange.Element($0) })]
                }
                plan.nets += replaceNets
                plan.replacedHostSets += hostSets
                continue
            }
            plan.adds += zip(hostSets, diff.added.sharded(shards)).filter { $0.1.count > 0 }
            plan.leaving += zip(hostSets, diff.leaving.sharded(shards)).filter { $0.1.count > 0 }
            plan.moving += zip(hostSets, diff.moving.sharded(shards)).filter { $0.1.count > 0 }
        }
        plan.seal()
        return plan
    }

    /// A whole list as batches of additions into the empty sets of a blocklist's standby `slot`: addresses, then
    /// networks, `batch` elements a transaction. The kernel holds every other change back while it inserts a
    /// batch: 1,024 addresses ~1.1 ms, where 4,096 took ~5 ms that a `csf -d` could wait behind (bench/RESULTS.md,
    /// session 22). `shards`: the new sets' counts per family (HostShards.counts of `ranges`).
    public static func fill(_ name: String, _ ranges: [AddressRange], families: [IPAddress.Family], slot: Int,
                            shards: [IPAddress.Family: Int], batch: Int = 1024) -> RefreshPlan {
        var plan = RefreshPlan(batch: batch)
        for family in families {
            let list = RemoteList.blocklist(name)
            let hosts: AddressList = family == .v4 ? .v4(Array(v4Hosts(ranges))) : .v6(Array(self.hosts(ranges, family)))
            let count = shards[family] ?? 1
            plan.adds += zip(Name.remoteHostSets(list, family, slot: slot, shards: count), hosts.sharded(count)).filter { $0.1.count > 0 }
            let nets = networks(ranges, family)
            if !nets.isEmpty { plan.netAdds.append((Name.remote(list, family, networks: true, slot: slot), nets)) }
        }
        plan.seal()
        return plan
    }

    /// A refresh's addresses to send: IPv4 ones as numbers (4 bytes each, where an IPAddress takes 24), as a
    /// million-address refresh holds up to three such lists at once.
    enum AddressList {
        case v4([UInt32]), v6([IPAddress])

        var count: Int {
            switch self {
            case .v4(let a): return a.count
            case .v6(let a): return a.count
            }
        }

        func elements(_ range: Range<Int>) -> [SetChange.Element] {
            switch self {
            case .v4(let a): return a[range].map { SetChange.Element(.address(.v4($0))) }
            case .v6(let a): return a[range].map { SetChange.Element(.address($0)) }
            }
        }
    }

    /// Added, leaving (in no new range) and moving (into a new network) addresses between two sorted lists.
    private static func difference(old: some Sequence<UInt32>, new: some Sequence<UInt32>, _ newNets: [AddressRange]) -> (added: AddressList, leaving: AddressList, moving: AddressList) {
        let (added, removed) = sortedDifference(old: old, new: new)
        let (leaving, moving) = splitByCover(removed, newNets) { IPAddress.v4($0) }
        return (.v4(added), .v4(leaving), .v4(moving))
    }

    private static func difference(old: some Sequence<IPAddress>, new: some Sequence<IPAddress>, _ newNets: [AddressRange]) -> (added: AddressList, leaving: AddressList, moving: AddressList) {
        let (added, removed) = sortedDifference(old: old, new: new)
        let (leaving, moving) = splitByCover(removed, newNets) { $0 }
        return (.v6(added), .v6(leaving), .v6(moving))
    }

    private static func v4Number(_ a: IPAddress) -> UInt32? {
        if case .v4(let n) = a { return n }
        return nil
    }

    /// The single IPv4 addresses of a list as numbers, in order, without a copy.
    private static func v4Hosts(_ ranges: [AddressRange]) -> some Sequence<UInt32> {
        ranges.lazy.compactMap { $0.first == $0.last ? v4Number($0.first) : nil }
    }

    /// What lfd last loaded of a list, kept between refreshes: its single IPv4 addresses as numbers (a million in
    /// 4 MB, where as ranges they took 48 MB), the rest as they came.
    public struct LoadedRanges: Sendable, Equatable {
        var v4Hosts: [UInt32] = []
        var v6Hosts: [IPAddress] = []
        var networks: [AddressRange] = []

        /// `ranges` merged (sorted, no overlaps), as AddressRanges.merge gives them.
        public init(_ ranges: [AddressRange]) {
            for r in ranges {
                if r.first != r.last {
                    networks.append(r)
                } else if case .v4(let a) = r.first {
                    v4Hosts.append(a)
                } else {
                    v6Hosts.append(r.first)
                }
            }
        }
    }

    /// The transactions of a refresh, each built only when it is sent: the elements of a million changes never
    /// exist as netlink changes all at once.
    public struct RefreshPlan: RandomAccessCollection {
        var batch: Int
        var nets: [SetChange] = []
        var adds: [(set: String, addresses: AddressList)] = []
        /// Addresses gone from the list altogether: removed as early as the adds, so a hash set sized for its
        /// list (csf -r declares it twice as large) never holds the old and the new list in full at once.
        var leaving: [(set: String, addresses: AddressList)] = []
        /// Addresses that now fall in one of the list's networks: removed only after the interval set has them.
        var moving: [(set: String, addresses: AddressList)] = []
        /// Networks added in batches (a standby slot's fill; a refresh replaces its interval sets in `nets`).
        var netAdds: [(set: String, networks: [AddressRange])] = []
        private var steps: [Step] = []

        /// What only differences cost beyond adding the new entries: each removed address, and each network of
        /// an interval set replaced in one transaction (flushed and filled). What decides for a standby slot.
        public var removalsAndReplacements: Int {
            (leaving + moving).reduce(0) { $0 + $1.addresses.count } + nets.reduce(0) { $0 + $1.elements.count }
        }

        /// One transaction: a batch of one of the address lists, or the interval sets' replacement.
        private enum Step {
            case addresses(SetChange.Operation, set: String, kind: Kind, list: Int, range: Range<Int>)
            case nets
            case netAdds(list: Int, range: Range<Int>)
        }
        private enum Kind { case adds, leaving, moving }

        init(batch: Int) { self.batch = Swift.max(1, batch) }

        /// Orders the transactions: adds and removals of leaving addresses taking turns, the interval sets, then
        /// the removals of the addresses the new networks hold.
        mutating func seal() {
            let add = batches(adds, .adds, .add), leave = batches(leaving, .leaving, .delete)
            steps = []
            for k in 0..<Swift.max(add.count, leave.count) {
                if k < add.count { steps.append(add[k]) }
                if k < leave.count { steps.append(leave[k]) }
            }
            if !nets.isEmpty { steps.append(.nets) }
            steps += batches(moving, .moving, .delete)
            for (i, list) in netAdds.enumerated() {
                steps += stride(from: 0, to: list.networks.count, by: batch).map { .netAdds(list: i, range: $0..<Swift.min($0 + batch, list.networks.count)) }
            }
        }

        private func batches(_ lists: [(set: String, addresses: AddressList)], _ kind: Kind, _ operation: SetChange.Operation) -> [Step] {
            lists.indices.flatMap { i in
                stride(from: 0, to: lists[i].addresses.count, by: batch).map { start in
                    Step.addresses(operation, set: lists[i].set, kind: kind, list: i,
                                   range: start..<Swift.min(start + batch, lists[i].addresses.count))
                }
            }
        }

        public var startIndex: Int { 0 }
        public var endIndex: Int { steps.count }

        /// The hash sets emptied and filled whole (what the kernel held was not known); the others get differences.
        public internal(set) var replacedHostSets: [String] = []

        public subscript(position: Int) -> [SetChange] {
            switch steps[position] {
            case .nets:
                return nets
            case .netAdds(let list, let range):
                return [SetChange(.add, set: netAdds[list].set, elements: netAdds[list].networks[range].map(netElement))]
            case .addresses(let operation, let set, let kind, let list, let range):
                let addresses = kind == .adds ? adds[list].addresses : kind == .leaving ? leaving[list].addresses : moving[list].addresses
                return [SetChange(operation, set: set, elements: addresses.elements(range))]
            }
        }
    }

    /// Splits the removed addresses (sorted) into those no new network holds and those one does (both sorted).
    static func splitByCover<T>(_ removed: [T], _ networks: [AddressRange], _ address: (T) -> IPAddress) -> (leaving: [T], moving: [T]) {
        guard !networks.isEmpty else { return (removed, []) }
        var leaving: [T] = [], moving: [T] = []
        var n = 0
        for item in removed {
            let a = address(item)
            while n < networks.count && networks[n].last < a { n += 1 }
            if n < networks.count && networks[n].first <= a { moving.append(item) } else { leaving.append(item) }
        }
        return (leaving, moving)
    }

    /// The single addresses of `family` (the hash set's share of a list), in order, without a copy.
    private static func hosts(_ ranges: [AddressRange], _ family: IPAddress.Family) -> some Sequence<IPAddress> {
        ranges.lazy.filter { $0.family == family && $0.first == $0.last }.map(\.first)
    }

    /// The ranges of `family` that are more than one address (the interval set's share).
    private static func networks(_ ranges: [AddressRange], _ family: IPAddress.Family) -> [AddressRange] {
        ranges.filter { $0.family == family && $0.first != $0.last }
    }

    private static func netElement(_ r: AddressRange) -> SetChange.Element {
        SetChange.Element(r.network.map { .network($0) } ?? .range(r))
    }

    /// What is in `new` and not in `old`, and the reverse; both sorted and without duplicates (merged ranges are).
    static func sortedDifference<T: Comparable>(old: some Sequence<T>, new: some Sequence<T>) -> (added: [T], removed: [T]) {
        var added: [T] = [], removed: [T] = []
        var olds = old.makeIterator(), news = new.makeIterator()
        var o = olds.next(), n = news.next()
        while true {
            switch (o, n) {
            case (nil, nil):
                return (added, removed)
            case (let a?, nil):
                removed.append(a); o = olds.next()
            case (nil, let b?):
                added.append(b); n = news.next()
            case (let a?, let b?):
                if a < b {
                    removed.append(a); o = olds.next()
                } else if b < a {
                    added.append(b); n = news.next()
                } else {
                    o = olds.next(); n = news.next()
                }
            }
        }
    }

    // MARK: csf.tempallow / csf.tempban

    /// Where one temporary entry goes: a set and the element, timed to expire when the entry does.
    public struct Placement: Sendable, Hashable {
        public var set: String
        public var shape: CsfTableLayout.Shape
        public var element: NftSetElement
    }

    /// The kernel elements of one temporary entry, one per direction it covers (and per port).
    public static func placements(_ entry: TempEntry, kind: TempEntry.Kind, now: Int) -> [Placement] {
        let remaining = entry.remaining(now: now)
        guard remaining > 0 else { return [] }
        let comment = entry.comment.isEmpty ? nil : entry.comment
        var out: [Placement] = []
        for inbound in [true, false] where inbound ? entry.direction.inbound : entry.direction.outbound {
            let family = entry.target.family
            if entry.ports.isEmpty {
                let shape: CsfTableLayout.Shape = entry.target.isHost ? .host : .network
                out.append(Placement(set: Name.temporary(kind, inbound: inbound, family, shape), shape: shape,
                                     element: NftSetElement(entry.target, timeout: remaining, comment: comment)))
            } else {
                for p in entry.ports {
                    out.append(Placement(set: Name.temporary(kind, inbound: inbound, family, .port), shape: .port,
                                         element: NftSetElement(entry.target, port: .init(p.proto, p.port), timeout: remaining,
                                                                comment: comment)))
                }
            }
        }
        return out
    }

    /// Every temporary set, filled from the stored entries. An entry inside another one of the same set is
    /// left to the outer one; a repeated address keeps its longest timeout.
    public static func temporary(_ entries: [(TempEntry.Kind, TempEntry)], now: Int) -> [NftSet] {
        var bySet: [String: [NftSetElement]] = [:]
        for (kind, entry) in entries {
            for p in placements(entry, kind: kind, now: now) { bySet[p.set, default: []].append(p.element) }
        }
        return temporaryDeclarations().map { set in
            var s = set
            s.elements = withoutOverlaps(bySet[set.name] ?? [])
            return s
        }
    }

    /// Every temporary set, empty, so single changes can go straight into them over netlink.
    public static func temporaryDeclarations() -> [NftSet] {
        var sets: [NftSet] = []
        for kind in [TempEntry.Kind.allow, .deny] {
            let file = kind == .deny ? "csf.tempban" : "csf.tempallow"
            for inbound in [true, false] {
                let direction = inbound ? "inbound" : "outbound"
                for family in [IPAddress.Family.v4, .v6] {
                    let address: NftSet.KeyType = family == .v4 ? .ipv4 : .ipv6
                    sets.append(NftSet(name: Name.temporary(kind, inbound: inbound, family, .host), keyType: address,
                                       flags: [.timeout], comment: "\(file) \(direction) addresses"))
                    sets.append(NftSet(name: Name.temporary(kind, inbound: inbound, family, .network), keyType: address,
                                       flags: [.interval, .timeout], comment: "\(file) \(direction) networks"))
                    sets.append(NftSet(name: Name.temporary(kind, inbound: inbound, family, .port),
                                       keyType: family == .v4 ? .ipv4Port : .ipv6Port,
                                       flags: [.interval, .timeout], comment: "\(file) \(direction) per-port entries"))
                }
            }
        }
        return sets
    }

    static func withoutOverlaps(_ elements: [NftSetElement]) -> [NftSetElement] {
        let sorted = elements.sorted { a, b in
            if a.port != b.port { return (a.port?.proto.number ?? 0, a.port?.port ?? 0) < (b.port?.proto.number ?? 0, b.port?.port ?? 0) }
            if a.network.address != b.network.address { return a.network.address < b.network.address }
            if a.network.prefix != b.network.prefix { return a.network.prefix < b.network.prefix }
            return (a.timeout ?? 0) > (b.timeout ?? 0)
        }
        var out: [NftSetElement] = []
        out.reserveCapacity(sorted.count)
        for e in sorted {
            if let last = out.last, last.port == e.port, last.network.contains(e.network) { continue }
            out.append(e)
        }
        return out
    }

    // MARK: edits

    /// The set changes that turn `before` into `after` (sets matched by name): removals first, so an interval
    /// set never holds an old and a new overlapping element at once, then additions with their timeouts.
    public static func changes(from before: [NftSet], to after: [NftSet]) -> [SetChange] {
        var deletes: [SetChange] = []
        var adds: [SetChange] = []
        var names: [String] = []
        var old: [String: NftSet] = [:], new: [String: NftSet] = [:]
        for s in before where old[s.name] == nil { old[s.name] = s; names.append(s.name) }
        for s in after where new[s.name] == nil {
            new[s.name] = s
            if old[s.name] == nil { names.append(s.name) }
        }
        for name in names {
            let was = old[name].map(keyed) ?? [:], now = new[name].map(keyed) ?? [:]
            let removed = was.filter { now[$0.key] == nil }.map(\.value).sorted(by: keyOrder)
            let added = now.filter { was[$0.key] == nil }.map(\.value).sorted(by: keyOrder)
            if !removed.isEmpty { deletes.append(SetChange(.deleteIfPresent, set: name, elements: removed)) }
            if !added.isEmpty { adds.append(SetChange(.add, set: name, elements: added)) }
        }
        return deletes + adds
    }

    /// The netlink element for each element of a set, by key (timeouts and comments are not part of the key).
    static func keyed(_ set: NftSet) -> [SetChange.Key: SetChange.Element] {
        var out: [SetChange.Key: SetChange.Element] = [:]
        for e in set.elements {
            let element = Self.element(e, interval: set.flags.contains(.interval))
            out[element.key] = element
        }
        return out
    }

    /// A set's elements as netlink elements, in the set's order.
    public static func elements(of set: NftSet) -> [SetChange.Element] {
        let interval = set.flags.contains(.interval)
        return set.elements.map { element($0, interval: interval) }
    }

    /// Some of them: a large set sent in turns.
    public static func elements(of set: NftSet, in range: Range<Int>) -> [SetChange.Element] {
        let interval = set.flags.contains(.interval)
        return set.elements[range].map { element($0, interval: interval) }
    }

    private static func element(_ e: NftSetElement, interval: Bool) -> SetChange.Element {
        let key: SetChange.Key
        if let port = e.port {
            key = .port(e.network, proto: port.proto, port: port.port)
        } else if let last = e.last {
            key = .range(AddressRange(first: e.network.address, last: last))
        } else if interval {
            key = .network(e.network)
        } else {
            key = .address(e.network.address)
        }
        return SetChange.Element(key, timeoutMs: e.timeout.map { UInt64($0) * 1000 }, comment: e.comment)
    }

    private static func keyOrder(_ a: SetChange.Element, _ b: SetChange.Element) -> Bool {
        func parts(_ k: SetChange.Key) -> (IPNetwork, UInt8, UInt16) {
            switch k {
            case .address(let a): return (IPNetwork(host: a), 0, 0)
            case .network(let n): return (n, 0, 0)
            case .range(let r): return (IPNetwork(host: r.first), 0, 0)
            case .port(let n, let proto, let port): return (n, proto.number, port)
            case .scalar(let v, _): return (IPNetwork(host: .v4(v)), 0, 0)
            }
        }
        let (x, y) = (parts(a.key), parts(b.key))
        if x.0 != y.0 { return x.0 < y.0 }
        return (x.1, x.2) < (y.1, y.2)
    }
}
