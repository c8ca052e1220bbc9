/// The bytes csf's file formats are made of, by name.
package enum ASCII {
    package static let tab: UInt8 = 0x09
    package static let lineFeed: UInt8 = 0x0A
    package static let carriageReturn: UInt8 = 0x0D
    package static let space: UInt8 = 0x20
    package static let quote: UInt8 = 0x22
    package static let hash: UInt8 = 0x23
    package static let percent: UInt8 = 0x25
    package static let dot: UInt8 = 0x2E
    package static let slash: UInt8 = 0x2F
    package static let zero: UInt8 = 0x30
    package static let nine: UInt8 = 0x39
    package static let colon: UInt8 = 0x3A
    package static let equals: UInt8 = 0x3D
    package static let upperI: UInt8 = 0x49
    package static let backslash: UInt8 = 0x5C
    package static let pipe: UInt8 = 0x7C
    package static let delete: UInt8 = 0x7F

    /// Blank: a space or a tab (what separates a list entry from its comment).
    package static func isBlank(_ b: UInt8) -> Bool { b == space || b == tab }
    package static func isDigit(_ b: UInt8) -> Bool { b >= zero && b <= nine }
    package static func isHexDigit(_ b: UInt8) -> Bool { isDigit(b) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46) }
    package static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
    /// A letter, a digit or `_` (Perl's `\w` in ASCII). A comparison, not a set: csf reads this per byte.
    package static func isWord(_ b: UInt8) -> Bool { isLetter(b) || isDigit(b) || b == 0x5F }
    /// Unicode's White_Space among the ASCII bytes: tab, line feed, vertical tab, form feed, carriage return, space.
    package static func isWhitespace(_ b: UInt8) -> Bool { b == space || (b >= tab && b <= carriageReturn) }
}

extension Character {
    /// `isWhitespace`, answered without Unicode's property tables for an ASCII character (csf.conf's port lists
    /// and value lists ask it of every character of every csf start).
    package var isWhitespaceCheaply: Bool {
        if let byte = asciiValue { return ASCII.isWhitespace(byte) }
        return isWhitespace
    }
}

extension Unicode.Scalar {
    /// `properties.isWhitespace`, answered without Unicode's property tables for an ASCII scalar.
    package var isWhitespaceCheaply: Bool {
        isASCII ? ASCII.isWhitespace(UInt8(value)) : properties.isWhitespace
    }
}
