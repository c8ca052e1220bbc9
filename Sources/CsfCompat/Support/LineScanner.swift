#if canImport(Glibc)
import Glibc
#endif

/// The one rule for line ends in every file csf and lfd read or write: a line ends at LF, and a CR right before
/// the LF belongs to the line end (files edited on Windows). Nothing else ends a line — not a lone CR, VT, FF,
/// NEL or U+2028 — so a comment can never split one stored line into two.
package enum LineScanner {
    /// Calls `body` with the number (from 1) and the byte range (line end excluded) of every line of `buf`,
    /// a last line without LF included. `body` returns false to stop.
    package static func forEach(_ buf: UnsafeBufferPointer<UInt8>, _ body: (_ number: Int, _ range: Range<Int>) -> Bool) {
        guard let base = buf.baseAddress else { return }
        let count = buf.count
        var start = 0, number = 0
        while start < count {
            number += 1
            var lf = count
            if let p = memchr(base + start, Int32(ASCII.lineFeed), count - start) {
                lf = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(p))
            }
            var end = lf
            if end > start, buf[end - 1] == ASCII.carriageReturn { end -= 1 }
            if !body(number, start..<end) { return }
            start = lf + 1
        }
    }

    /// The lines of a text by the same rule (a final LF does not start an empty last line).
    package static func lines(_ text: String) -> [Substring] {
        var out: [Substring] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            guard let lf = rest.utf8.firstIndex(of: ASCII.lineFeed) else {
                out.append(rest.utf8.last == ASCII.carriageReturn ? rest.dropLast() : rest)
                break
            }
            var line = rest[..<lf]
            if line.utf8.last == ASCII.carriageReturn { line = line.dropLast() }
            out.append(line)
            rest = rest[rest.utf8.index(after: lf)...]
        }
        return out
    }

    /// The range without the blanks (spaces, tabs) at either end.
    package static func trimmed(_ buf: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
        var s = range.lowerBound, e = range.upperBound
        while s < e, ASCII.isBlank(buf[s]) { s += 1 }
        while e > s, ASCII.isBlank(buf[e - 1]) { e -= 1 }
        return s..<e
    }

    /// csf's meaningful lines: trimmed, without empty lines and `#` comment lines.
    package static func forEachEntry(_ buf: UnsafeBufferPointer<UInt8>, _ body: (_ number: Int, _ range: Range<Int>) -> Void) {
        forEach(buf) { number, range in
            let r = trimmed(buf, range)
            if !r.isEmpty && buf[r.lowerBound] != ASCII.hash { body(number, r) }
            return true
        }
    }
}
