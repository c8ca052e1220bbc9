/// Line scanning shared by csf.conf and the list files: csf's line ends (LF, CR, CR LF, VT, FF), blanks and
/// tabs trimmed, empty lines and `#` comment lines skipped. Works on bytes: list files reach a million lines.
enum ByteLines {
    static func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 }
    static func isLineEnd(_ b: UInt8) -> Bool { b == 10 || b == 13 || b == 11 || b == 12 }

    /// Calls `body` with the line number and the trimmed byte range of every meaningful line.
    /// csf.conf is read by lines (LF/CR only); the list files also break on VT and FF.
    static func forEach(_ bytes: UnsafeBufferPointer<UInt8>, verticalSpaceEndsLines: Bool = true,
                        _ body: (Int, Range<Int>) -> Void) {
        func isEnd(_ b: UInt8) -> Bool { b == 10 || b == 13 || (verticalSpaceEndsLines && (b == 11 || b == 12)) }
        let end = bytes.count
        var i = 0, lineNo = 0
        while i < end {
            lineNo += 1
            var j = i
            while j < end, !isEnd(bytes[j]) { j += 1 }
            var s = i, e = j
            while s < e, isSpace(bytes[s]) { s += 1 }
            while e > s, isSpace(bytes[e - 1]) { e -= 1 }
            if s < e && bytes[s] != 35 { body(lineNo, s..<e) }
            i = j < end && bytes[j] == 13 && j + 1 < end && bytes[j + 1] == 10 ? j + 2 : j + 1
        }
    }
}
