#if canImport(Glibc)
import Glibc
#endif
import CSys

/// The lines of one list file exactly as written (csf.allow, csf.deny), for the commands that edit it.
/// Only the main file is ever rewritten; Include'd files are read, never changed (as csf does).
/// csf.deny can hold 100,000 lines and `csf -d` must stay in the low milliseconds, so lookups search the
/// bytes with memchr/memmem instead of tokenising every line.
///
/// Not Sendable: the line table is cached on first use, unlocked; a ListFile belongs to the one command using it.
public struct ListFile {
    public let path: String
    public let bytes: MappedBytes
    private let index: LineIndex

    /// Byte ranges of every line, without the line end; built on first use (the `csf -d` path never needs it).
    public var lines: [Range<Int>] { index.lines(of: bytes) }

    public static func load(_ path: String) throws(CsfError) -> ListFile {
        ListFile(path: path, bytes: TextFile.exists(path) ? try MappedBytes(path: path) : .empty)
    }

    public init(path: String, bytes: [UInt8]) {
        self.init(path: path, bytes: MappedBytes(bytes))
    }

    init(path: String, bytes: MappedBytes) {
        self.path = path
        self.bytes = bytes
        self.index = LineIndex()
    }

    /// Walks the lines: for each, its start, its first non-blank byte and its end (line end excluded).
    /// `body` returns false to stop.
    func forEachLine(_ body: (_ start: Int, _ text: Int, _ end: Int) -> Bool) {
        let buf = bytes.buffer
        LineScanner.forEach(buf) { _, line in
            var s = line.lowerBound
            while s < line.upperBound, ASCII.isBlank(buf[s]) { s += 1 }
            return body(line.lowerBound, s, line.upperBound)
        }
    }

    /// Whether the line text at `s..<e` starts with `token` followed by a blank or the end.
    func startsWithToken(_ s: Int, _ e: Int, _ token: [UInt8]) -> Bool {
        let buf = bytes.buffer
        guard let base = buf.baseAddress, let first = token.first, s < e, buf[s] == first, s + token.count <= e,
              memcmp(base + s, token, token.count) == 0 else { return false }
        let end = s + token.count
        return end == e || ASCII.isBlank(buf[end])
    }

    /// One pass over the bytes: does some line's first token equal `token`? Also collects the Include
    /// targets seen on the way, which only matter when the token was not found.
    public func scan(forToken token: [UInt8]) -> (found: Bool, includes: [String]) {
        var includes: [String] = []
        var found = false
        forEachLine { _, s, e in
            if startsWithToken(s, e, token) {
                found = true
                return false
            }
            if s < e, bytes.buffer[s] == ASCII.upperI, let inc = includePath(in: s..<e) { includes.append(inc) }
            return true
        }
        return (found, includes)
    }

    /// The line table, computed once per file version.
    final class LineIndex {
        private var cached: [Range<Int>]?

        func lines(of bytes: MappedBytes) -> [Range<Int>] {
            if let cached { return cached }
            let built = ListFile.split(bytes)
            cached = built
            return built
        }
    }

    static func split(_ bytes: MappedBytes) -> [Range<Int>] {
        var lines: [Range<Int>] = []
        lines.reserveCapacity(bytes.count / 64 + 1)
        LineScanner.forEach(bytes.buffer) { _, line in
            lines.append(line)
            return true
        }
        return lines
    }

    /// Index of the line holding byte `offset`.
    package func lineIndex(at offset: Int) -> Int {
        let lines = self.lines
        var lo = 0, hi = lines.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lines[mid].lowerBound <= offset { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// Lines whose text contains `needle` anywhere.
    public func lines(containing needle: [UInt8]) -> [Int] {
        guard !needle.isEmpty else { return [] }
        var out: [Int] = []
        do {
            let buf = bytes.buffer
            guard let base = buf.baseAddress else { return [] }
            var i = 0
            while i < buf.count, let hit = memmem(base + i, buf.count - i, needle, needle.count) {
                let offset = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
                let line = lineIndex(at: offset)
                if out.last != line { out.append(line) }
                i = lines[line].upperBound + 1
            }
        }
        return out
    }

    /// Ranges of the lines holding `needle`, found without building the line table.
    public func lineRanges(containing needle: [UInt8]) -> [Range<Int>] {
        let buf = bytes.buffer
        guard let base = buf.baseAddress, !needle.isEmpty else { return [] }
        var out: [Range<Int>] = []
        var i = 0
        while i < buf.count, let hit = memmem(base + i, buf.count - i, needle, needle.count) {
            let offset = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
            var start = offset
            while start > 0, buf[start - 1] != 10 { start -= 1 }
            var end = offset
            if let p = memchr(base + offset, Int32(ASCII.lineFeed), buf.count - offset) {
                end = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(p))
            } else {
                end = buf.count
            }
            let next = end + 1
            if end > start, buf[end - 1] == ASCII.carriageReturn { end -= 1 }
            out.append(start..<end)
            i = next
        }
        return out
    }

    /// One pass for `-dr`/`-ar`: lines whose first token is `token`, lines that start with a letter (filters)
    /// and contain `needle`, and the Include targets.
    public func scan(forRemovalOf token: [UInt8], needle: [UInt8]) -> (candidates: [Range<Int>], includes: [String]) {
        var candidates: [Range<Int>] = []
        var includes: [String] = []
        let buf = bytes.buffer
        forEachLine { start, s, e in
            guard s < e, let base = buf.baseAddress else { return true }
            let b = buf[s] | 0x20
            if startsWithToken(s, e, token) {
                candidates.append(start..<e)
            } else if b >= 97 && b <= 122 {
                if buf[s] == ASCII.upperI, let inc = includePath(in: start..<e) {
                    includes.append(inc)
                } else if memmem(base + s, e - s, needle, needle.count) != nil {
                    candidates.append(start..<e)
                }
            }
            return true
        }
        return (candidates, includes)
    }

    /// What `-dr` leaves in place of a removed line in a large file: a comment of the same length, so the
    /// removal is one small in-place write instead of rewriting megabytes. The next rewrite drops it.
    public static let placeholder = Array("#-csf-removed".utf8)

    public static func placeholder(length: Int) -> [UInt8] {
        if length >= placeholder.count { return placeholder + [UInt8](repeating: ASCII.space, count: length - placeholder.count) }
        return [ASCII.hash] + [UInt8](repeating: ASCII.space, count: max(0, length - 1))
    }

    func isPlaceholder(_ r: Range<Int>) -> Bool {
        r.count >= Self.placeholder.count && bytes.buffer[r.lowerBound..<(r.lowerBound + Self.placeholder.count)]
            .elementsEqual(Self.placeholder) && bytes.buffer[(r.lowerBound + Self.placeholder.count)..<r.upperBound].allSatisfy { $0 == ASCII.space }
    }

    /// Lines that are Include directives (a cheap first-byte test before the real one).
    public var includeLines: [Int] {
        lines.indices.filter { i in
            let r = lines[i]
            var s = r.lowerBound
            while s < r.upperBound, ASCII.isBlank(bytes[s]) { s += 1 }
            return s < r.upperBound && bytes[s] == ASCII.upperI && includePath(i) != nil
        }
    }

    /// Lines whose first token is exactly `token`, found by comparing line starts (one pass, no tokenising).
    public func lines(withToken token: [UInt8]) -> [Int] {
        guard let first = token.first else { return [] }
        var out: [Int] = []
        do {
            let buf = bytes.buffer
            for (i, r) in lines.enumerated() {
                var s = r.lowerBound
                while s < r.upperBound, ASCII.isBlank(buf[s]) { s += 1 }
                guard s < r.upperBound, buf[s] == first, r.upperBound - s >= token.count else { continue }
                let end = s + token.count
                if end < r.upperBound, !ASCII.isBlank(buf[end]) { continue }
                var k = 1
                while k < token.count, buf[s + k] == token[k] { k += 1 }
                if k == token.count { out.append(i) }
            }
        }
        return out
    }

    public func text(_ line: Int) -> String { text(in: lines[line]) }
    public func text(in r: Range<Int>) -> String { String(decoding: bytes[r], as: UTF8.self) }

    /// The first token of an entry line, or nil for blank, `#` comment and Include lines.
    public func token(_ line: Int) -> ArraySlice<UInt8>? { token(in: lines[line]) }

    public func token(in r: Range<Int>) -> ArraySlice<UInt8>? {
        var s = r.lowerBound
        while s < r.upperBound, ASCII.isBlank(bytes[s]) { s += 1 }
        guard s < r.upperBound, bytes[s] != ASCII.hash else { return nil }
        var t = s
        while t < r.upperBound, !ASCII.isBlank(bytes[t]) { t += 1 }
        let token = bytes[s..<t]
        return token.elementsEqual("Include".utf8) ? nil : token
    }

    public func includePath(_ line: Int) -> String? { includePath(in: lines[line]) }

    public func includePath(in r: Range<Int>) -> String? {
        let text = self.text(in: r).trimmingWhitespace()
        guard text.hasPrefix("Include") else { return nil }
        let rest = text.dropFirst(7).trimmingWhitespace()
        return rest.isEmpty ? nil : String(rest)
    }

    /// `do not delete` anywhere in the line (case-insensitive) protects it from -dr, -df and rotation.
    public func isProtected(_ line: Int) -> Bool { isProtected(in: lines[line]) }

    public func isProtected(in r: Range<Int>) -> Bool {
        let needle = Array("do not delete".utf8)
        let hay = bytes[r]
        guard hay.count >= needle.count else { return false }
        var i = hay.startIndex
        while i + needle.count <= hay.endIndex {
            var k = 0
            while k < needle.count, (hay[i + k] | 0x20) == needle[k] || (needle[k] == ASCII.space && hay[i + k] == ASCII.space) { k += 1 }
            if k == needle.count { return true }
            i += 1
        }
        return false
    }

    /// csf's count for DENY_IP_LIMIT: entries that are not comments, Includes or protected lines.
    public func isRotatable(_ line: Int) -> Bool {
        token(line) != nil && !isProtected(line)
    }

    /// The file without the given lines; an absent trailing newline is added.
    public func removing(_ drop: Set<Int>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for (i, r) in lines.enumerated() where !drop.contains(i) && !isPlaceholder(r) {
            out.append(contentsOf: bytes.buffer[r])
            out.append(10)
        }
        return out
    }

    /// Every entry of the main file and its Includes, with where it is and its whole text.
    public func entryTokens(includingIncludes: Bool = true) -> [(file: String, line: Int, token: ArraySlice<UInt8>, text: String)] {
        var out: [(String, Int, ArraySlice<UInt8>, String)] = []
        for i in lines.indices {
            if let t = token(i) {
                out.append((path, i + 1, t, text(i)))
            } else if includingIncludes, let inc = includePath(i) {
                for l in ListReader.read(inc).lines {
                    out.append((l.file, l.line, l.tokenBytes, l.token + (l.comment.isEmpty ? "" : " # " + l.comment)))
                }
            }
        }
        return out
    }
}

extension ArraySlice where Element == UInt8 {
    /// The network a list token names, for plain addresses only (filters and names give nil).
    package var listedNetwork: IPNetwork? {
        if case .success(let n) = IPNetwork.parse(self) { return n.network }
        return nil
    }
}
