import Testing
@testable import CsfCompat
@testable import LfdService

struct AbuseContactTests {
    /// A TXT answer as BIND sends it: header, the question, one answer with a compressed name and two strings.
    static func answer(_ strings: [String]) -> [UInt8] {
        var m: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]
        for label in ["2", "2", "0", "192", "abuse-contacts", "abusix", "org"] { m += [UInt8(label.utf8.count)] + Array(label.utf8) }
        m += [0, 0, 16, 0, 1]
        var rdata: [UInt8] = []
        for s in strings { rdata += [UInt8(s.utf8.count)] + Array(s.utf8) }
        m += [0xC0, 12, 0, 16, 0, 1, 0, 0, 1, 44, UInt8(rdata.count >> 8), UInt8(rdata.count & 0xff)] + rdata
        return m
    }

    @Test func txtStringsAreReadAndCutAnswersAreSafe() {
        #expect(DnsTxt.strings(Self.answer(["abuse@", "example.net"])) == ["abuse@example.net"])
        let full = Self.answer(["abuse@example.net"])
        for cut in [0, 5, 12, 20, full.count - 3] { _ = DnsTxt.strings(Array(full.prefix(cut))) }
        #expect(DnsTxt.strings(Array(full.prefix(full.count - 3))).isEmpty)
    }

    @Test func onlyPlainAddressesBecomeRecipients() {
        #expect(AbuseContact.addresses(["abuse@example.net"]) == ["abuse@example.net"])
        #expect(AbuseContact.addresses(["a@example.net, b@example.org"]) == ["a@example.net", "b@example.org"])
        #expect(AbuseContact.addresses(["x@example.net\nBcc: all@example.org", "no-at-sign", "a@b@c", "@x", "<a@b>"]).isEmpty)
    }

    @Test func reversedNames() {
        #expect(DnsTxt.reversed(IPAddress("192.0.2.7")!) == "7.2.0.192")
        #expect(DnsTxt.reversed(IPAddress("2001:db8::1")!).hasPrefix("1.0.0.0.0.0.0.0") && DnsTxt.reversed(IPAddress("2001:db8::1")!).hasSuffix("8.b.d.0.1.0.0.2"))
    }
}
