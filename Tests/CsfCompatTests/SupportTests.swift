import Testing
@testable import CsfCompat

/// The small tools a million-line csf -r leans on.
@Suite struct SupportTests {
    @Test func radixSortAgreesWithTheStandardSort() {
        var rng = SystemRandomNumberGenerator()
        for count in [0, 1, 5, 8192, 8193, 100_000] {
            // Duplicates and both halves of every 16-bit digit in play.
            let keys = (0..<count).map { i -> UInt32 in i % 7 == 0 ? 0xFFFF_0000 | UInt32(i & 3) : UInt32.random(in: .min ... .max, using: &rng) }
            var radix = keys
            RadixSort.sort(&radix)
            #expect(radix == keys.sorted(), "\(count) keys")
        }
    }

    @Test func backgroundWorkRunsBesideTheCallerAndGivesItsResult() {
        let work = BackgroundWork { (0..<1_000).reduce(0, +) }
        let mine = (0..<10).reduce(0, +)
        #expect(work.wait() == 499_500 && mine == 45)
        #expect(work.wait() == 499_500, "a second wait gives the same result")
    }

    /// The cheap whitespace test csf.conf's parse uses must answer exactly what Unicode's tables answer.
    @Test func cheapWhitespaceAgreesWithUnicode() throws {
        var scalars = (0...0x7F).compactMap { Unicode.Scalar(UInt32($0)) }
        scalars += [0x85, 0xA0, 0x1680, 0x2000, 0x2003, 0x200B, 0x2028, 0x3000, 0xFEFF, 0x1F600].compactMap { Unicode.Scalar(UInt32($0)) }
        for scalar in scalars {
            #expect(scalar.isWhitespaceCheaply == scalar.properties.isWhitespace, "U+\(String(scalar.value, radix: 16))")
            let character = Character(scalar)
            #expect(character.isWhitespaceCheaply == character.isWhitespace, "U+\(String(scalar.value, radix: 16))")
        }
        #expect(Character("\r\n").isWhitespaceCheaply && Character("e\u{301}").isWhitespaceCheaply == false)
        #expect(" \t\u{A0}a b\u{2003}\n".trimmingWhitespace() == "a b")
        #expect(try PortList.parse(" 22 ,\t1000 : 2000,\u{A0}80") == [PortRange(22), PortRange(1000, 2000), PortRange(80)])
        #expect(ConfigSchema.items(" a , b\u{2003}c ,, ") == ["a", "bc"])
    }
}
