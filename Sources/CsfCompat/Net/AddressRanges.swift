/// Networks merged into the fewest ranges: overlapping, nested and adjacent networks become one
/// `[first, last]` range (issue 15: blocklists and country data go to the kernel as interval-set ranges, not as
/// CIDR explosions — US IPv4 is about 40k ranges against 75k CIDRs). Sorted by family, then address.
public struct AddressRange: Sendable, Hashable, CustomStringConvertible {
    public var first: IPAddress
    public var last: IPAddress

    public init(first: IPAddress, last: IPAddress) {
        self.first = first
        self.last = last
    }

    public var description: String { first == last ? first.description : "\(first)-\(last)" }

    public var family: IPAddress.Family { first.family }

    /// The one network the range is exactly, if it is one (nft lists such an interval as that network).
    public var network: IPNetwork? {
        if case .v4(let a) = first, case .v4(let b) = last {
            guard b >= a else { return nil }
            let size = UInt64(b - a) + 1
            guard size & (size - 1) == 0, UInt64(a) % size == 0 else { return nil }
            return IPNetwork(address: first, prefix: 32 - size.trailingZeroBitCount)
        }
        // The widest network starting at `first` whose last address is `last`.
        for prefix in 0...128 where first.masked(to: prefix) == first {
            let net = IPNetwork(address: first, prefix: prefix)
            if net.lastAddress == last { return net }
            if net.lastAddress < last { return nil }
        }
        return nil
    }
}

public enum AddressRanges {
    public static func merge<S: Sequence>(_ networks: S) -> [AddressRange] where S.Element == IPNetwork {
        var v4: [(UInt32, UInt32)] = []
        var v6: [AddressRange] = []
        for n in networks {
            switch (n.address.masked(to: n.prefix), n.lastAddress) {
            case (.v4(let a), .v4(let b)): v4.append((a, b))
            case (let a, let b): v6.append(AddressRange(first: a, last: b))
            }
        }
        // IPv4 as integers: a million entries sort and merge in milliseconds.
        v4.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 > $1.1) }
        var out: [AddressRange] = []
        out.reserveCapacity(v4.count / 2 + v6.count)
        var current: (UInt32, UInt32)?
        for (a, b) in v4 {
            if let (ca, cb) = current, cb == .max || a <= cb + 1 {
                current = (ca, max(cb, b))
            } else {
                if let (ca, cb) = current { out.append(AddressRange(first: .v4(ca), last: .v4(cb))) }
                current = (a, b)
            }
        }
        if let (ca, cb) = current { out.append(AddressRange(first: .v4(ca), last: .v4(cb))) }
        return out + merge(ranges: v6)
    }

    /// Ranges merged the same way: overlapping and adjacent ones joined, sorted (country data comes as ranges).
    public static func merge(ranges: [AddressRange]) -> [AddressRange] {
        let sorted = ranges.sorted { $0.first < $1.first || ($0.first == $1.first && $0.last > $1.last) }
        var out: [AddressRange] = []
        out.reserveCapacity(sorted.count)
        for r in sorted {
            if var last = out.last, last.family == r.family, last.last.successor.map({ r.first <= $0 }) ?? true {
                if r.last > last.last { last.last = r.last }
                out[out.count - 1] = last
            } else {
                out.append(r)
            }
        }
        return out
    }

    /// Whether `address` is inside one of `ranges` (sorted, merged, as `merge` returns them).
    public static func contains(_ ranges: [AddressRange], _ address: IPAddress) -> Bool {
        var low = 0, high = ranges.count - 1
        while low <= high {
            let mid = (low + high) / 2
            let r = ranges[mid]
            // IPAddress orders every IPv4 address before every IPv6 one, as `merge` sorts the ranges.
            if address < r.first {
                high = mid - 1
            } else if address > r.last {
                low = mid + 1
            } else {
                return true
            }
        }
        return false
    }
}
