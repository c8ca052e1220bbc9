import CsfCompat

/// A blocklist's single addresses are spread over several hash sets, each address always in the same one. The
/// kernel allocates and zeroes a fixed hash's buckets inside the transaction that declares it, and every other
/// change (csf -d, lfd's bans) waits for that transaction: one set for a million addresses (16 MB of buckets) held
/// them 26–80 ms on a standby slot's declaration, where a 2 MB set declares in about a no-op's time
/// (bench/RESULTS.md, sessions 24–25). lfd declares a standby slot's shards one transaction each.
///
/// The price is a lookup per shard for a new connection (and for a live one only after a deny changed); the other
/// lists stay one set, as they are refreshed in place.
public enum HostShards {
    /// How many hash sets a blocklist's addresses take per family and slot.
    public static let blocklist = 8

    public static func count(_ list: RemoteList) -> Int {
        if case .blocklist = list { return blocklist }
        return 1
    }

    /// The shard of an address among `count`: a multiplicative hash, so lists of neighbouring addresses spread
    /// evenly; fixed, as what is loaded must be found again by csf -g, the next refresh and the next csf -r.
    public static func index(_ address: UInt32, of count: Int) -> Int {
        Int((UInt64(address &* 0x9E37_79B1) &* UInt64(count)) >> 32)
    }

    public static func index(_ address: IPAddress, of count: Int) -> Int {
        switch address {
        case .v4(let a):
            return index(a, of: count)
        case .v6(let hi, let lo):
            let folded = hi ^ lo
            return index(UInt32(truncatingIfNeeded: folded >> 32) ^ UInt32(truncatingIfNeeded: folded), of: count)
        }
    }

    /// How many single addresses of `ranges` each of the list's shards takes, per family.
    public static func counts(_ list: RemoteList, _ ranges: [AddressRange]) -> [IPAddress.Family: [Int]] {
        let shards = count(list)
        var out: [IPAddress.Family: [Int]] = [.v4: Array(repeating: 0, count: shards), .v6: Array(repeating: 0, count: shards)]
        for r in ranges where r.first == r.last { out[r.first.family]?[index(r.first, of: shards)] += 1 }
        return out
    }

    /// `items` split by shard, each shard keeping their order; one shard is `items` itself (no copy).
    static func split<T>(_ items: [T], into count: Int, _ address: (T) -> Int) -> [[T]] {
        guard count > 1 else { return [items] }
        var out = [[T]](repeating: [], count: count)
        for item in items { out[address(item)].append(item) }
        return out
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
