/// Untrusted text as it may appear in a message: control characters (an ESC that would drive the admin's
/// terminal, a line break that would forge another line) are written as escapes, and long text is cut.
public func shown(_ text: String, limit: Int = 200) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        if out.unicodeScalars.count >= limit {
            out += "…"
            break
        }
        switch scalar.value {
        case 0x20..<0x7f, 0xa0..<0x2028, 0x202a...:
            out.unicodeScalars.append(scalar)
        default:
            out += scalar.value < 0x100 ? "\\x" + hex(scalar.value, 2) : "\\u{" + hex(scalar.value, 4) + "}"
        }
    }
    return out
}

private func hex(_ v: UInt32, _ width: Int) -> String {
    let digits = String(v, radix: 16)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
