#if canImport(Glibc)
import Glibc
#endif

/// The bytes of one list file, shared by every line read from it so lines cost no copies.
public final class ListSource: Sendable {
    public let path: String
    public let bytes: [UInt8]

    init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
    }
}

/// One meaningful line of a csf list file: its first token, the free text after it, and where it came from.
public struct ListLine: Sendable {
    public let source: ListSource
    public let line: Int
    let tokenRange: Range<Int>
    let commentRange: Range<Int>

    public var file: String { source.path }
    public var tokenBytes: ArraySlice<UInt8> { source.bytes[tokenRange] }
    public var commentBytes: ArraySlice<UInt8> { source.bytes[commentRange] }
    public var token: String { String(decoding: tokenBytes, as: UTF8.self) }
    public var comment: String { String(decoding: commentBytes, as: UTF8.self) }
}

/// Reads csf list files (csf.allow, csf.deny, csf.ignore, ...) with csf's rules: trimmed lines, `#` comments,
/// `Include <path>` (nested, missing files warned), only the first token significant.
///
/// One deliberate difference from csf (reference §8 #4): a line is skipped as an Include only when it *is*
/// an Include directive, not whenever the word appears in its comment.
public struct ListReader: Sendable {
    public private(set) var lines: [ListLine] = []
    public private(set) var diagnostics: [Diagnostic] = []
    /// Files being read (to find loops) and every file read (a diamond of Includes reads each once).
    private var stack: [FileIdentity] = []
    private var visited: Set<FileIdentity> = []

    public init() {}

    public static func read(_ path: String, required: Bool = false) -> ListReader {
        var reader = ListReader()
        reader.readFile(path, includedFrom: nil, required: required)
        return reader
    }

    public static func read(text: String, path: String) -> ListReader {
        var reader = ListReader()
        reader.scan(ListSource(path: path, bytes: Array(text.utf8)))
        return reader
    }

    private mutating func readFile(_ path: String, includedFrom: (String, Int)?, required: Bool) {
        let identity = FileIdentity(path: path)
        if let identity, stack.contains(identity) {
            diagnostics.append(Diagnostic(.error, file: includedFrom?.0 ?? path, line: includedFrom?.1 ?? 0, "Include loop: \(path)"))
            return
        }
        if let identity, visited.contains(identity) {
            diagnostics.append(Diagnostic(.warning, file: includedFrom?.0 ?? path, line: includedFrom?.1 ?? 0,
                                          "Include \(path): already read; not read again"))
            return
        }
        guard let identity, TextFile.exists(path) else {
            if let (file, line) = includedFrom {
                diagnostics.append(Diagnostic(.warning, file: file, line: line, "Include \(path): file does not exist"))
            } else if required {
                diagnostics.append(Diagnostic(.error, file: path, line: 0, "file does not exist"))
            }
            return
        }
        do {
            let bytes = try TextFile.readBytes(path)
            stack.append(identity)
            visited.insert(identity)
            scan(ListSource(path: path, bytes: bytes))
            stack.removeLast()
        } catch {
            diagnostics.append(Diagnostic(.error, file: includedFrom?.0 ?? path, line: includedFrom?.1 ?? 0, "\(error)"))
        }
    }

    private static let include = Array("Include".utf8)

    typealias Scanned = (found: [(Int, Range<Int>, Range<Int>)], includes: [(Int, String)])

    private mutating func scan(_ source: ListSource) {
        let count = source.bytes.count
        var scanned: Scanned
        // A file of many megabytes (a million-line csf.deny) is scanned in two halves on two threads, split at a
        // line end; the second half numbers its lines after counting the first half's.
        if count >= 8 << 20, let split = source.bytes[(count / 2)...].firstIndex(of: ASCII.lineFeed), split + 1 < count {
            let second = BackgroundWork { () -> Scanned in
                let before = source.bytes.withUnsafeBufferPointer { Self.lineFeeds(UnsafeBufferPointer(rebasing: $0[...split])) }
                return Self.entries(source, (split + 1)..<count, firstLine: before + 1)
            }
            scanned = Self.entries(source, 0..<(split + 1), firstLine: 1)
            let rest = second.wait()
            scanned.found += rest.found
            scanned.includes += rest.includes
        } else {
            scanned = Self.entries(source, 0..<count, firstLine: 1)
        }
        let (found, includes) = scanned
        // Included entries follow the line that includes them, as csf appends them in reading order.
        var includeIndex = 0
        for (lineNo, token, comment) in found {
            while includeIndex < includes.count, includes[includeIndex].0 < lineNo {
                handleInclude(includes[includeIndex], path: source.path)
                includeIndex += 1
            }
            lines.append(ListLine(source: source, line: lineNo, tokenRange: token, commentRange: comment))
        }
        while includeIndex < includes.count {
            handleInclude(includes[includeIndex], path: source.path)
            includeIndex += 1
        }
    }

    /// The entries and Include lines of `range` of the file, with file offsets and line numbers.
    private static func entries(_ source: ListSource, _ range: Range<Int>, firstLine: Int) -> Scanned {
        var found: [(Int, Range<Int>, Range<Int>)] = []
        var includes: [(Int, String)] = []
        source.bytes.withUnsafeBufferPointer { all in
            let buf = UnsafeBufferPointer(rebasing: all[range])
            let at = range.lowerBound, lines = firstLine - 1
            LineScanner.forEachEntry(buf) { lineNo, line in
                let (s, e) = (line.lowerBound, line.upperBound)
                if e - s >= 7 && ListReader.include.indices.allSatisfy({ buf[s + $0] == ListReader.include[$0] }) {
                    includes.append((lines + lineNo, String(decoding: UnsafeBufferPointer(rebasing: buf[(s + 7)..<e]), as: UTF8.self)))
                    return
                }
                var t = s
                while t < e, !ASCII.isBlank(buf[t]) { t += 1 }
                var c = t
                while c < e, ASCII.isBlank(buf[c]) || buf[c] == ASCII.hash { c += 1 }
                found.append((lines + lineNo, (at + s)..<(at + t), (at + c)..<(at + e)))
            }
        }
        return (found, includes)
    }

    private static func lineFeeds(_ buf: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = buf.baseAddress else { return 0 }
        var n = 0, start = 0
        while start < buf.count, let p = memchr(base + start, Int32(ASCII.lineFeed), buf.count - start) {
            n += 1
            start = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(p)) + 1
        }
        return n
    }

    private mutating func handleInclude(_ include: (Int, String), path: String) {
        let target = include.1.trimmingWhitespace()
        if target.isEmpty {
            diagnostics.append(Diagnostic(.error, file: path, line: include.0, "Include without a file name"))
        } else {
            readFile(target, includedFrom: (path, include.0), required: false)
        }
    }
}
