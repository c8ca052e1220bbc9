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
