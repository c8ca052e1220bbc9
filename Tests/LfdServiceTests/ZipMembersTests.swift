import Testing
@testable import LfdService

/// MaxMind's zip as lfd reads it: a download that is no zip, or a damaged one, is a failure with a reason
/// (the caller keeps the last copy), never a crash or an out-of-range read.
struct ZipMembersTests {
    /// One stored member `a.csv` holding "x,y\n".
    static func storedZip() -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func u32(_ v: Int) -> [UInt8] { u16(v & 0xFFFF) + u16(v >> 16) }
        let name = Array("dir/a.csv".utf8), data = Array("x,y\n".utf8)
        let local = u32(0x0403_4B50) + u16(10) + u16(0) + u16(0) + u16(0) + u16(0) + u32(0) + u32(data.count) + u32(data.count)
            + u16(name.count) + u16(0) + name + data
        let central = u32(0x0201_4B50) + u16(20) + u16(10) + u16(0) + u16(0) + u16(0) + u16(0) + u32(0) + u32(data.count)
            + u32(data.count) + u16(name.count) + u16(0) + u16(0) + u16(0) + u16(0) + u32(0) + u32(0) + name
        let end = u32(0x0605_4B50) + u16(0) + u16(0) + u16(1) + u16(1) + u32(central.count) + u32(local.count) + u16(0)
        return local + central + end
    }

    @Test func aMemberIsFoundByItsName() {
        #expect((try? ZipMembers.extract("a.csv", from: Self.storedZip(), limit: 1 << 20).get()) == Array("x,y\n".utf8))
    }

    @Test func garbageAndDamageAreFailuresWithAReason() {
        let zip = Self.storedZip()
        var pointsPastTheEnd = zip
        pointsPastTheEnd[pointsPastTheEnd.count - 6] = 0xFF  // the central directory's offset
        var badLocalOffset = zip
        badLocalOffset[zip.count - 22 - 9 - 4] = 0x7F  // the member's local header offset
        let cases: [([UInt8], String)] = [
            (Array("<html>Moved</html>\n".utf8), "not a zip file"), ([], "not a zip file"),
            (Array(zip.prefix(zip.count - 1)), "not a zip file"), (pointsPastTheEnd, "not a zip file"),
            (badLocalOffset, "damaged local header"), (zip, "no member b.csv"),
        ]
        for (i, (bytes, reason)) in cases.enumerated() {
            let name = i == cases.count - 1 ? "b.csv" : "a.csv"
            switch ZipMembers.extract(name, from: bytes, limit: 1 << 20) {
            case .success: Issue.record("case \(i) read a member")
            case .failure(let f): #expect(f.description.contains(reason), "case \(i): \(f.description)")
            }
        }
        #expect(throws: Never.self) { _ = ZipMembers.extract("a.csv", from: zip, limit: 2) }
        if case .failure(let f) = ZipMembers.extract("a.csv", from: zip, limit: 2) { #expect(f.description.contains("more than")) }
    }
}
