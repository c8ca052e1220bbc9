import CsfCompat

/// A big blocklist's single addresses are spread over several hash sets, each address always in the same one. The
/// kernel allocates and zeroes a fixed hash's buckets inside the transaction that declares it, and every other
/// change (csf -d, lfd's bans) waits for that transaction; on a VM whose fresh pages are slow to touch, one set for
/// a million addresses (16 MB of buckets) held them 36–80 ms and eight of 2 MB still 17 ms each, where sets of
/// 512 KB declare in about a no-op's time (bench/RESULTS.md, session 25). lfd declares a standby slot's shards one
/// transaction each, so a shard holds at most `addressesPerShard` addresses (with a standby's half again as room:
/// 2^16 buckets).
///
/// An address's shard is a few bits of it, so each shard's rule tests them before its lookup (`ip saddr & 0.0.31.0
/// == 0.0.5.0 ip saddr @bl5_NAME`): a new connection hashes into one shard, not all (bench/RESULTS.md, session 25:
/// a lookup into each of 32 cost a fifth of the new-flow packet rate). The bits are the low ones of the third
/// octet (of the interface identifier's second byte for IPv6): a list of that size spans thousands of /24s, and
/// lists of every fourth or every other address, which the last octet's bits would put all in one shard, spread
/// evenly. Only lists that big pay even the tests: a smaller list keeps its one set, named as csf names it. A
/// skewed list gets shards of unequal sizes, each still sized for its own count.
public enum HostShards {
    /// The most addresses a shard is planned for.
    public static let addressesPerShard = 32_768
    /// The most shards a list of one family takes (two million addresses before a shard outgrows its plan).
    public static let most = 64
    /// Every count `count(_:addresses:)` can answer (the powers of two up to `most`): the shards an address may be
    /// in, whatever the list's size.
    public static let possibleCounts = Array(sequence(first: 1) { $0 < most ? $0 * 2 : nil })

    /// How many hash sets a list's `addresses` single addresses of one family take: one for any list but a big
    /// blocklist, else a power of two (a list that grows or shrinks a little keeps its count).
    public static func count(_ list: RemoteList, addresses: Int) -> Int {
        guard case .blocklist = list, addresses > addressesPerShard else { return 1 }
        var n = 2
        while n < most && n * addressesPerShard < addresses { n *= 2 }
        return n
    }

    /// The shard counts of a list's `ranges`, per family.
    public static func counts(_ list: RemoteList, _ ranges: [AddressRange]) -> [IPAddress.Family: Int] {
        let addresses = singleAddresses(ranges)
        return [.v4: count(list, addresses: addresses[0]), .v6: count(list, addresses: addresses[1])]
    }

    /// How many single addresses of `ranges` each of `shards[family]` shards takes, per family.
    public static func perShard(_ ranges: [AddressRange], shards: [IPAddress.Family: Int]) -> [IPAddress.Family: [Int]] {
        var out: [IPAddress.Family: [Int]] = [:]
        for family in [IPAddress.Family.v4, .v6] { out[family] = Array(repeating: 0, count: shards[family] ?? 1) }
        for r in ranges where r.first == r.last {
            let n = shards[r.first.family] ?? 1
            out[r.first.family]?[index(r.first, of: n)] += 1
        }
        return out
    }

    /// The shard of an address among `count` (a power of two): the bits `mask(count)` selects, which the packet
    /// path tests; fixed, as what is loaded must be found again by csf -g, the next refresh and csf -r.
    public static func index(_ address: UInt32, of count: Int) -> Int {
        Int((address & mask(count)) >> 8) % max(1, count)
    }

    public static func index(_ address: IPAddress, of count: Int) -> Int {
        switch address {
        case .v4(let a): return index(a, of: count)
        case .v6(_, let lo): return index(UInt32(truncatingIfNeeded: lo), of: count)
        }
    }

    /// What an address of shard `k` has in the bits `mask` selects.
    public static func bits(ofShard k: Int) -> UInt32 { UInt32(truncatingIfNeeded: k) << 8 }

    /// The bits that name a shard among `count`: the lowest of the address's second-lowest byte.
    public static func mask(_ count: Int) -> UInt32 {
        var n = 1
        while n < count && n < 1 << 16 { n <<= 1 }
        return UInt32(n - 1) << 8
    }

    /// A family's single addresses split by shard, each shard keeping their order.
    static func split(_ addresses: [IPAddress], into count: Int) -> [[IPAddress]] {
        split(addresses, into: count) { index($0, of: count) }
    }

    /// `items` split by shard, each shard keeping their order; one shard is `items` itself (no copy).
    static func split<T>(_ items: [T], into count: Int, _ address: (T) -> Int) -> [[T]] {
        guard count > 1 else { return [items] }
        var out = [[T]](repeating: [], count: count)
        for item in items { out[address(item)].append(item) }
        return out
    }

    private static func singleAddresses(_ ranges: [AddressRange]) -> [Int] {
        var v4 = 0, v6 = 0
        for r in ranges where r.first == r.last {
            if r.first.family == .v4 { v4 += 1 } else { v6 += 1 }
        }
        return [v4, v6]
    }
}

extension SetContents.AddressList {
    /// The list split by shard (HostShards.index), each part in the list's order.
    func sharded(_ count: Int) -> [SetContents.AddressList] {
        switch self {
        case .v4(let a): return HostShards.split(a, into: count) { HostShards.index($0, of: count) }.map { .v4($0) }
        case .v6(let a): return HostShards.split(a, into: count) { HostShards.index($0, of: count) }.map { .v6($0) }
        }
    }
}
