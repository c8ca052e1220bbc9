#if canImport(Glibc)
import Glibc
#endif

/// Line-by-line reading of mapped data files (tor-geoipdb's country ranges, the ASN database): no String per
/// line, newlines found by memchr.
enum LineBytes {
    /// Each line without its `\r\n`, skipping empty lines and `#` comments.
    static func forEach(_ data: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard let base = data.baseAddress else { return }
        var start = 0
        while start < data.count {
            let end = memchr(base + start, 0x0A, data.count - start).map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? data.count
            var stop = end
            if stop > start && data[stop - 1] == 0x0D { stop -= 1 }
            if stop > start && data[start] != 0x23 { body(UnsafeBufferPointer(start: base + start, count: stop - start)) }
            start = end + 1
        }
    }

    /// Whether a download reads as the expected file at all: at least half of its first 100 lines `read` (an error
    /// page, or another format, is refused and the last copy kept).
    static func mostlyReadable(_ data: UnsafeBufferPointer<UInt8>, _ read: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
        var good = 0, lines = 0
        forEach(data) { line in
            guard lines < 100 else { return }
            lines += 1
            if read(line) { good += 1 }
        }
        return good > 0 && good * 2 >= lines
    }

    /// The order of files that hold both families: every IPv4 address before every IPv6 one.
    static func before(_ a: IPAddress, _ b: IPAddress) -> Bool {
        a.family == b.family ? a < b : a.family == .v4
    }

    /// Where a line of a sorted file stands against the address sought.
    enum Bisection<Found> {
        case before, after, found(Found)
        /// A comment or damaged line: stepped over to the right (Tor's files hold them before the ranges).
        case unreadable
    }

    /// Bisects a file of sorted lines: only the ~20 lines it lands on are looked at, so one address is found in
    /// 600k lines without loading them. `judge` says whether the address lies before, after or in a line.
    static func bisect<Found>(_ data: UnsafeBufferPointer<UInt8>, _ judge: (UnsafeBufferPointer<UInt8>) -> Bisection<Found>) -> Found? {
        // `low` and `high` are always line starts (or the end), so the line around `mid` lies between them.
        var low = 0, high = data.count
        while low < high {
            let mid = (low + high) / 2
            var start = mid
            while start > low && data[start - 1] != 0x0A { start -= 1 }
            var end = mid
            while end < high && data[end] != 0x0A { end += 1 }
            var stop = end
            if stop > start && data[stop - 1] == 0x0D { stop -= 1 }
            switch judge(UnsafeBufferPointer(rebasing: data[start..<stop])) {
            case .before: high = start
            case .after, .unreadable: low = end + 1
            case .found(let found): return found
            }
        }
        return nil
    }

    /// Decimal digits as a 32-bit number; nil for anything else or a larger one.
    static func uint32(_ digits: Slice<UnsafeBufferPointer<UInt8>>) -> UInt32? {
        guard !digits.isEmpty, digits.count <= 10 else { return nil }
        var n: UInt64 = 0
        for d in digits {
            guard d >= 0x30 && d <= 0x39 else { return nil }
            n = n * 10 + UInt64(d - 0x30)
        }
        return n <= UInt64(UInt32.max) ? UInt32(n) : nil
    }
}
