import Foundation
import Testing
@testable import CsfCompat
@testable import NftKernel
import CsfTestSupport

/// Set elements added and removed over raw netlink, proven with packets from a peer.
@Suite(.serialized, .enabled(if: NetLab.available, "needs root and iproute2"))
struct NetlinkKernelTests {
    static var probe: String {
        URL(fileURLWithPath: NetLab.csfBinary).deletingLastPathComponent().appendingPathComponent("NetlinkProbe").path
    }

    func probe(_ lab: NetLab, _ args: String...) throws -> Shell.Result {
        try Shell.run(["ip", "netns", "exec", lab.fw, "env", "NFTCSF_FORBID_NETNS=\(NetLab.rootNetns)", Self.probe] + args)
    }

    @Test func addAndDeleteDenyElementsWithoutAReload() throws {
        let lab = try NetLab(peers: 2)
        let (p1, p2) = (lab.peers[0], lab.peers[1])
        try lab.setConfig(["TCP_IN": "22", "IPV6": "1", "TCP6_IN": "22"])
        try lab.serve(in: lab.fw, tcp: [22], udp: [])
        try lab.csf("-s")
        #expect(try lab.tcpOpen(from: p1, port: 22))
        var r = try probe(lab, "add", "csf", "deny4", p1.v4, "", "lfd: 5 failures")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try !lab.tcpOpen(from: p1, port: 22))
        #expect(try lab.tcpOpen(from: p2, port: 22))
        #expect(try lab.nft("list", "set", "inet", "csf", "deny4").stdout.contains("\(p1.v4) comment \"lfd: 5 failures\""))
        r = try probe(lab, "add", "csf", "deny6", p2.v6)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try !lab.tcpOpen(from: p2, port: 22, v6: true))
        r = try probe(lab, "del", "csf", "deny4", p1.v4)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try lab.tcpOpen(from: p1, port: 22))
        // Removing what is not there is an error the caller can see, and changes nothing.
        r = try probe(lab, "del", "csf", "deny4", "\(p1.v4),\(p2.v4)")
        #expect(r.status == 1 && r.stderr.contains("No such file"), "\(r.stderr)")
        r = try probe(lab, "add", "csf", "no_such_set", p1.v4)
        #expect(r.status == 1)
    }

    @Test func elementTimeoutsExpireInTheKernel() throws {
        let lab = try NetLab(peers: 1)
        let peer = lab.peers[0]
        try lab.serve(in: lab.fw, tcp: [22], udp: [])
        let script = lab.root + "/t.nft"
        try """
        table inet t {
            set ban { type ipv4_addr; flags timeout; }
            chain input { type filter hook input priority 0; policy accept; ip saddr @ban drop; }
        }
        """.write(toFile: script, atomically: true, encoding: .utf8)
        #expect(try lab.nft("-f", script).status == 0)
        let r = try probe(lab, "add", "t", "ban", peer.v4, "2000")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try !lab.tcpOpen(from: peer, port: 22))
        // No process of ours is running now: expiry is the kernel's.
        #expect(try eventually(within: 6, every: 0.2) { try lab.tcpOpen(from: peer, port: 22, timeout: 0.3) })
    }

    @Test func tenThousandElementsInOneBatch() throws {
        let lab = try NetLab(peers: 1)
        try lab.csf("-s")
        let r = try probe(lab, "bulk", "csf", "deny4", "10000")
        #expect(r.status == 0, "\(r.stderr)")
        let listing = try lab.nft("list", "set", "inet", "csf", "deny4").stdout
        #expect(listing.contains("10.0.0.0") && listing.contains("10.0.39.15"))
    }
}
