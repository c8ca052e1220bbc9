/// One meaningful line of a csf list file: its first token, the free text after it, and where it came from.
public struct ListLine: Sendable {
    public var file: String
    public var line: Int
    public var token: Substring
    public var comment: Substring
}

/// Reads csf list files (csf.allow, csf.deny, csf.ignore, ...) with csf's rules: trimmed lines, `#` comments,
/// `Include <path>` (nested, missing files warned), only the first token significant.
///
/// One deliberate difference from csf (reference §8 #4): a line is skipped as an Include only when it *is*
/// an Include directive, not whenever the word appears in its comment.
public struct ListReader {
    public private(set) var lines: [ListLine] = []
    public private(set) var diagnostics: [Diagnostic] = []
    private var stack: [String] = []

    public static func read(_ path: String, required: Bool = false) -> ListReader {
        var reader = ListReader()
        reader.readFile(path, includedFrom: nil, required: required)
        return reader
    }

    public static func read(text: String, path: String) -> ListReader {
        var reader = ListReader()
        reader.scan(Array(text.utf8), path: path)
        return reader
    }

    private mutating func readFile(_ path: String, includedFrom: (String, Int)?, required: Bool) {
        if stack.contains(path) {
            diagnostics.append(Diagnostic(.error, file: includedFrom?.0 ?? path, line: includedFrom?.1 ?? 0, "Include loop: \(path)"))
            return
        }
        guard TextFile.exists(path) else {
            if let (file, line) = includedFrom {
                diagnostics.append(Diagnostic(.warning, file: file, line: line, "Include \(path): file does not exist"))
            } else if required {
                diagnostics.append(Diagnostic(.error, file: path, line: 0, "file does not exist"))
            }
            return
        }
        do {
            let bytes = try TextFile.readBytes(path)
            stack.append(path)
            scan(bytes, path: path)
            stack.removeLast()
        } catch {
            diagnostics.append(Diagnostic(.error, file: includedFrom?.0 ?? path, line: includedFrom?.1 ?? 0, "\(error)"))
        }
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 }
    private static func isLineEnd(_ b: UInt8) -> Bool { b == 10 || b == 13 || b == 11 || b == 12 }

    private mutating func scan(_ bytes: [UInt8], path: String) {
        let text = String(decoding: bytes, as: UTF8.self)
        let utf8 = text.utf8
        var lineNo = 0
        var i = utf8.startIndex
        let end = utf8.endIndex
        while i < end {
            lineNo += 1
            var j = i
            while j < end, !ListReader.isLineEnd(utf8[j]) { j = utf8.index(after: j) }
            // CR LF counts as one line end.
            var next = j
            if next < end {
                let wasCR = utf8[next] == 13
                next = utf8.index(after: next)
                if wasCR, next < end, utf8[next] == 10 { next = utf8.index(after: next) }
            }
            handleLine(text[i..<j], lineNo: lineNo, path: path)
            i = next
        }
    }

    private mutating func handleLine(_ raw: Substring, lineNo: Int, path: String) {
        let u = raw.utf8
        var s = u.startIndex
        var e = u.endIndex
        while s < e, ListReader.isSpace(u[s]) { s = u.index(after: s) }
        while e > s, ListReader.isSpace(u[u.index(before: e)]) { e = u.index(before: e) }
        if s == e || u[s] == 35 /* # */ { return }
        let body = raw[s..<e]
        if body.hasPrefix("Include") {
            let target = String(body.dropFirst(7)).trimmingWhitespace()
            if target.isEmpty {
                diagnostics.append(Diagnostic(.error, file: path, line: lineNo, "Include without a file name"))
            } else {
                readFile(target, includedFrom: (path, lineNo), required: false)
            }
            return
        }
        var t = s
        while t < e, !ListReader.isSpace(u[t]) { t = u.index(after: t) }
        var c = t
        while c < e, ListReader.isSpace(u[c]) || u[c] == 35 { c = u.index(after: c) }
        lines.append(ListLine(file: path, line: lineNo, token: raw[s..<t], comment: raw[c..<e]))
    }
}
