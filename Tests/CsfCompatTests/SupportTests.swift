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
}
