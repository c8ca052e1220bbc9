import Testing
@testable import CsfCompat
@testable import LfdCore
import CsfTestSupport

struct PacketTrackingTests {
    let local = IPAddress("198.51.100.1")!
    let scanner = IPAddress("203.0.113.75")!

    func packet(_ port: UInt16?, tag: String = "TCP_IN Blocked", proto: UInt8 = 6, to dst: IPAddress? = nil, inbound: Bool = true,
                uid: UInt32? = nil) -> LoggedPacket {
        LoggedPacket(prefix: "Firewall: *\(tag)* ", source: scanner, destination: dst ?? local, proto: proto, destinationPort: port,
                     inbound: inbound, uid: uid)
    }

    func tracker(_ values: [String: String]) -> PacketLogTracker {
        var config = CsfConfig.defaults
        for (k, v) in ["PS_INTERVAL": "60", "PS_LIMIT": "3", "TCP_IN": "22,80"].merging(values, uniquingKeysWith: { $1 }) {
            config.set(k, v)
        }
        return PacketLogTracker(settings: .init(config: config, uidIgnore: []))
    }

    func feed(_ t: inout PacketLogTracker, _ packets: [LoggedPacket], now: Int = 1000) -> [PacketLogTracker.Event] {
        packets.compactMap { t.record($0, now: now, isLocal: { $0 == local }, ignores: { _ in false }) }
    }

    @Test func moreThanTheLimitBlocksWithCsfsWording() {
        var t = tracker([:])
        let events = feed(&t, [2000, 2001, 2002, 2003].map { packet($0) })
        guard events.count == 1, case .portScan(let b) = events[0] else { Issue.record("\(events)"); return }
        #expect(b.message == "*Port Scan* detected from 203.0.113.75 (-). 4 hits in the last 1 seconds")
        #expect(b.message { "(\($0 == b.ip ? "XC" : "?")/-/-)" } == "*Port Scan* detected from 203.0.113.75 (XC/-/-). 4 hits in the last 1 seconds")
        #expect(b.trigger == "PS_LIMIT" && b.seconds == 3600 && b.lines.count == 4)
        #expect(b.lines[0] == "Firewall: *TCP_IN Blocked* SRC=203.0.113.75 DST=198.51.100.1 PROTO=TCP DPT=2000")
    }

    @Test func openPortsInvalidBroadcastAndDiversityFollowPsPorts() {
        var t = tracker([:])
        #expect(feed(&t, [22, 22, 80, 80, 22].map { packet($0) }).isEmpty, "hits on TCP_IN ports are not scans")
        #expect(feed(&t, (0..<5).map { _ in packet(2000, tag: "INVALID") }).isEmpty, "INVALID is skipped by default")
        #expect(feed(&t, (0..<5).map { _ in packet(53, tag: "UDP_IN Blocked", proto: 17, to: IPAddress("198.51.100.255")) }).isEmpty,
                "UDP to a broadcast address is skipped without BRD")
        var open = tracker(["PS_PORTS": "0:65535,OPEN"])
        #expect(feed(&open, [22, 22, 80, 80].map { packet($0) }).count == 1)
        var diverse = tracker(["PS_DIVERSITY": "3"])
        #expect(feed(&diverse, [2000, 2000, 2000, 2000, 2001].map { packet($0) }).isEmpty, "two distinct ports < PS_DIVERSITY")
        #expect(feed(&diverse, [packet(2002)]).count == 1)
        var icmpOnly = tracker(["PS_PORTS": "1024:65535"])
        #expect(feed(&icmpOnly, (0..<5).map { _ in packet(nil, tag: "ICMP_IN Blocked", proto: 1) }).isEmpty,
                "ICMP counts as port 0 or with the ICMP word")
    }

    @Test func theBucketIsResetWholesaleEveryInterval() {
        var t = tracker([:])
        #expect(feed(&t, [2000, 2001, 2002].map { packet($0) }, now: 1000).isEmpty)
        #expect(feed(&t, [packet(2003)], now: 1061).isEmpty, "a new bucket started")
    }

    @Test func uidTrackingCountsOutboundDropsPerUidOncePerBucket() {
        var t = tracker(["UID_INTERVAL": "60", "UID_LIMIT": "2"])
        let out = (0..<5).map { _ in packet(25, tag: "TCP_OUT Blocked", inbound: false, uid: 1001) }
        let events = feed(&t, out)
        guard events.count == 1, case .uidScan(let uid, let count, let ports) = events[0] else { Issue.record("\(events)"); return }
        #expect(uid == 1001 && count == 3 && ports == [25])
    }

    @Test func loggedHeadersAreParsed() {
        let v4: [UInt8] = [0x45, 0, 0, 60, 0, 0, 0x40, 0, 64, 6, 0, 0, 203, 0, 113, 75, 198, 51, 100, 1, 0xc8, 0x32, 0x00, 0x17]
        let p = v4.withUnsafeBytes { LoggedPacket.parse(prefix: "Firewall: *TCP_IN Blocked* ", family: 2, payload: $0, inbound: true, uid: nil) }
        #expect(p?.source == scanner && p?.destination == local && p?.destinationPort == 23 && p?.tag == "TCP_IN Blocked")
        var v6 = [UInt8](repeating: 0, count: 44)
        v6[0] = 0x60; v6[6] = 17; v6[8] = 0x20; v6[9] = 0x01; v6[23] = 1; v6[24] = 0x20; v6[25] = 0x01; v6[39] = 2; v6[42] = 0; v6[43] = 53
        let q = v6.withUnsafeBytes { LoggedPacket.parse(prefix: "Knock: *22_IN* ", family: 10, payload: $0, inbound: true, uid: nil) }
        #expect(q?.source == IPAddress("2001::1") && q?.destination == IPAddress("2001::2") && q?.destinationPort == 53)
        #expect(v4.prefix(10).withUnsafeBytes { LoggedPacket.parse(prefix: "", family: 2, payload: $0, inbound: true, uid: nil) } == nil)
    }

    @Test func connectionTrackingCountsRemoteEndsWithCsfsFilters() {
        var s = ConnectionTracker.Settings()
        s.limit = 2
        s.subnetLimit = 4
        let a = IPAddress("203.0.113.9")!, b = IPAddress("203.0.113.10")!
        func conn(_ src: IPAddress, _ dst: IPAddress, sport: UInt16 = 40000, dport: UInt16 = 22, state: UInt8 = 3) -> TrackedConnection {
            TrackedConnection(source: src, destination: dst, proto: 6, sourcePort: sport, destinationPort: dport, tcpState: state)
        }
        let table = [conn(a, local), conn(a, local), conn(a, local, state: 7),
                     conn(local, b, sport: 50000, dport: 443), conn(b, local, dport: 80),
                     conn(IPAddress("10.0.0.1")!, IPAddress("10.0.0.2")!),          // forwarded: not ours
                     conn(IPAddress("127.0.0.1")!, local)]
        let blocks = ConnectionTracker(settings: s).check(table, isLocal: { $0 == local }, ignores: { _ in false })
        #expect(blocks.map(\.message) == ["(CT) IP 203.0.113.9 (-) found to have 3 connections",
                                          "(CT) Subnet 203.0.113.0/24 (-) found to have 5 connections"])
        #expect(blocks[1].network?.description == "203.0.113.0/24")
        s.skipTimeWait = true
        s.subnetLimit = 0
        #expect(ConnectionTracker(settings: s).check(table, isLocal: { $0 == local }, ignores: { _ in false }).isEmpty, "TIME_WAIT skipped")
        s.skipTimeWait = false
        s.ports = [PortRange(80)]
        #expect(ConnectionTracker(settings: s).check(table, isLocal: { $0 == local }, ignores: { _ in false }).isEmpty, "CT_PORTS")
        s.ports = []
        s.states = ["SYN_RECV"]
        #expect(ConnectionTracker(settings: s).check(table, isLocal: { $0 == local }, ignores: { _ in false }).isEmpty, "CT_STATES")
        s.states = []
        #expect(ConnectionTracker(settings: s).check(table, isLocal: { $0 == local }, ignores: { $0 == a }).isEmpty, "csf.ignore")
    }
}
