import Testing
@testable import CsfCompat
@testable import NftKernel
@testable import NftRuleset

@Suite struct NetlinkKeyTests {
    @Test func netlinkKeysForIntervalsAndConcatenations() {
        let net = NetlinkSetWriter.parts(.network(IPNetwork("192.0.2.0/24")!))
        #expect(net.count == 2 && net[0].key == [192, 0, 2, 0] && !net[0].intervalEnd)
        #expect(net[1].key == [192, 0, 3, 0] && net[1].intervalEnd)
        #expect(NetlinkSetWriter.parts(.network(IPNetwork("255.255.255.0/24")!)).count == 1, "no end past the last address")
        let port = NetlinkSetWriter.parts(.port(IPNetwork("192.0.2.9")!, proto: .udp, port: 53))
        #expect(port.count == 1 && port[0].key == [192, 0, 2, 9, 17, 0, 0, 0, 0, 53, 0, 0])
        #expect(port[0].keyEnd == port[0].key)
        let v6 = NetlinkSetWriter.parts(.port(IPNetwork("2001:db8::/32")!, proto: .tcp, port: 22))
        #expect(v6[0].key.count == 24 && v6[0].keyEnd?.prefix(6) == [0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff])
    }

    /// A message's element list is one netlink attribute (16-bit length): batches are cut by encoded size.
    @Test func batchesAreCutByEncodedBytesNotByCount() {
        let plain = (0..<20_000).map { SetChange.Element(.address(.v4(UInt32(10) << 24 | UInt32($0)))) }
        let commented = plain.map { SetChange.Element($0.key, timeoutMs: 3_600_000, comment: String(repeating: "c", count: 120)) }
        let a = NetlinkSetWriter.chunks(plain, timeouts: false).map(\.elements), b = NetlinkSetWriter.chunks(commented, timeouts: true).map(\.elements)
        #expect(a.reduce(0) { $0 + $1.count } == 20_000 && b.reduce(0) { $0 + $1.count } == 20_000)
        #expect(b.count > 4 * a.count, "\(a.count) plain chunks, \(b.count) with comments")
        for chunk in a + b {
            let bytes = chunk.reduce(0) { $0 + NetlinkSetWriter.encodedSize($1, timeouts: true) }
            #expect(bytes <= NetlinkSetWriter.messagePayloadLimit)
        }
        #expect(NetlinkSetWriter.chunks([], timeouts: false).isEmpty)
    }

    /// The buffer is sized by what the messages hold (a one-ban command no longer zeroes 48 KB a message); every
    /// message must still be in the batch, whatever the mix of elements.
    @Test func encodedBatchesHoldEveryMessageTheySizeFor() throws {
        let commented = (0..<20_000).map {
            SetChange.Element(.address(.v4(UInt32(10) << 24 | UInt32($0))), timeoutMs: 3_600_000, comment: String(repeating: "c", count: 200))
        }
        let networks = (0..<5_000).map { SetChange.Element(.network(IPNetwork("10.\($0 / 256).\($0 % 256).0/24")!)) }
        let cases: [[SetChange]] = [
            [SetChange(.add, set: "deny4", elements: [SetChange.Element(.address(IPAddress("192.0.2.1")!), comment: "one ban")])],
            [SetChange(.add, set: "tempdeny4", elements: commented), SetChange(.deleteIfPresent, set: "deny_net4", elements: networks)],
            [SetChange(.flush, set: "allow4"), SetChange(.add, set: "allow_net4", elements: networks)],
        ]
        for changes in cases {
            let batch = try #require(try NetlinkSetWriter.encode(changes, firstSequence: 1))
            var offset = 0, messages = 0
            try batch.bytes.withUnsafeBytes { raw in
                while offset < batch.length {
                    let length = Int(raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                    try #require(length >= 16)
                    offset += (length + 3) & ~3
                    messages += 1
                }
            }
            #expect(offset == batch.length)
            #expect(messages == batch.bySequence.count + 2, "begin, \(batch.bySequence.count) message(s), end")
        }
    }

    /// Plain elements are written without libnftnl objects: the bytes must be the ones libnftnl writes.
    @Test func directPayloadMatchesLibnftnlByteForByte() throws {
        let v4 = (0..<3_000).map { SetChange.Element(.address(.v4(UInt32(11) << 24 | UInt32($0) * 4))) }
        let v6 = ["2001:db8::1", "2001:db8::ffff", "::1"].map { SetChange.Element(.address(IPAddress($0)!)) }
        let nets = ["192.0.2.0/24", "10.0.0.0/8", "255.255.255.0/24", "2001:db8::/32", "ffff::/16"].map {
            SetChange.Element(.network(IPNetwork($0)!))
        }
        let ranges = [AddressRange(first: IPAddress("198.51.100.7")!, last: IPAddress("198.51.100.20")!),
                      AddressRange(first: IPAddress("203.0.113.9")!, last: IPAddress("255.255.255.255")!)].map {
            SetChange.Element(.range($0))
        }
        let cases: [[SetChange]] = [
            [SetChange(.add, set: "bl_X", elements: v4)],
            [SetChange(.add, set: "bl_6_X", elements: v6), SetChange(.delete, set: "bl_X", elements: Array(v4.prefix(10)))],
            [SetChange(.add, set: "bl_X_net", elements: nets + ranges)],
            [SetChange(.flush, set: "bl_X_net"), SetChange(.add, set: "bl_X_net", elements: nets)],
            [SetChange(.deleteIfPresent, set: "deny4", elements: Array(v4.prefix(3)))],
            [SetChange(.add, set: "tempdeny4", elements: [SetChange.Element(.address(IPAddress("192.0.2.1")!), timeoutMs: 60_000, comment: "x")])],
        ]
        for changes in cases {
            let direct = try #require(try NetlinkSetWriter.encode(changes, firstSequence: 7))
            let libnftnl = try #require(try NetlinkSetWriter.encode(changes, firstSequence: 7, direct: false))
            #expect(direct.length == libnftnl.length)
            #expect(direct.bytes.prefix(direct.length) == libnftnl.bytes.prefix(libnftnl.length), "\(changes.map(\.set))")
        }
        #expect(!DirectElementPayload.covers([SetChange.Element(.address(.v4(1)), timeoutMs: 5)], timeouts: true))
        #expect(DirectElementPayload.covers([SetChange.Element(.address(.v4(1)), timeoutMs: 5)], timeouts: false))
    }
}
