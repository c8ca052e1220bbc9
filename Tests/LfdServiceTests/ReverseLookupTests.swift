import Testing
@testable import CsfCompat
@testable import LfdService

@Suite struct ReverseLookupTests {
    /// Uses the host's /etc/hosts entry for localhost (present on every Debian system).
    @Test func matchesWholeLabelsOfAForwardConfirmedName() {
        #expect(ReverseLookup(entries: ["localhost"]).match(IPAddress("127.0.0.1")!) == "localhost")
        #expect(ReverseLookup(entries: ["host", "calhost", "ocalhost"]).match(IPAddress("127.0.0.1")!) == nil,
                "no partial-label matches (csf's unescaped regex matched these)")
        #expect(ReverseLookup(entries: []).match(IPAddress("127.0.0.1")!) == nil)
    }
}
