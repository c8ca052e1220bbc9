import Testing
@testable import NftKernel

@Suite struct ProcessEventTests {
    /// One netlink message of the proc connector: nlmsghdr, cn_msg, proc_event with `what` and its data.
    static func message(what: UInt32, data: [Int32]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 52)
        func put(_ value: UInt32, _ at: Int) { withUnsafeBytes(of: value) { bytes.replaceSubrange(at..<at + 4, with: $0) } }
        put(what, 36)
        for d in data { withUnsafeBytes(of: d) { bytes += $0 } }
        put(UInt32(bytes.count), 0)
        return bytes
    }

    @Test func forksExecsSessionsAndExitsOfWholeProcessesAreDecoded() {
        let datagram = Self.message(what: 1, data: [10, 10, 11, 11])      // fork: a process
            + Self.message(what: 1, data: [10, 10, 12, 10])               // fork: a thread of 10
            + Self.message(what: 2, data: [11, 11])
            + Self.message(what: 0x80, data: [11, 11])
            + Self.message(what: 0x8000_0000, data: [12, 10, 0, 0, 1, 1])  // a thread's exit
            + Self.message(what: 0x8000_0000, data: [11, 11, 0, 9, 10, 10])
        var events: [ProcessEvent] = []
        datagram.withUnsafeBytes { ProcessEventSocket.decode($0, count: datagram.count, into: &events) }
        #expect(events == [.fork(parent: 10, child: 11), .exec(pid: 11), .sessionStarted(pid: 11), .exit(pid: 11)])
    }
}

@Suite struct ProcessEventGarbageTests {
    @Test func truncatedOrLyingMessagesAreDroppedNotRead() {
        var events: [ProcessEvent] = []
        let good = ProcessEventTests.message(what: 1, data: [10, 10, 11, 11])
        // Cut short, a length beyond the datagram, a length below the header, random bytes.
        for bytes in [Array(good.prefix(40)), { var b = good; b[0] = 0xff; return b }(), { var b = good; b[0] = 8; return b }(),
                      (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37) }, []] {
            bytes.withUnsafeBytes { ProcessEventSocket.decode($0, count: bytes.count, into: &events) }
        }
        #expect(events.allSatisfy { if case .lost = $0 { return false } else { return true } })
        #expect(!events.contains(.fork(parent: 10, child: 11)), "nothing from the damaged copies of a fork")
    }
}
