import Foundation
import Testing
@testable import NftFirewall

/// SYNFLOOD and CONNLIMIT with real connections from peer namespaces.
@Suite(.serialized, .enabled(if: NetLab.available, "needs root and iproute2"))
struct FloodKernelTests {
    func burst(_ lab: NetLab, from peer: NetLab.Peer, port: Int, count: Int) throws -> Int {
        let r = try lab.peerRun(peer, ["burst-tcp", peer.fwV4, String(port), String(count), "1.5"])
        return Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test func synFloodLetsTheBurstThroughDropsTheRestAndAllowedSourcesSkipIt() throws {
        let lab = try NetLab(peers: 2)
        let (p1, p2) = (lab.peers[0], lab.peers[1])
        try lab.setConfig(["TCP_IN": "22", "SYNFLOOD": "1", "SYNFLOOD_RATE": "1/s", "SYNFLOOD_BURST": "3"])
        try lab.write("csf.allow", "\(p2.v4) # trusted\n")
        try lab.serve(in: lab.fw, tcp: [22], udp: [])
        #expect(try lab.csf("-s").status == 0)
        #expect(try lab.tcpOpen(from: p1, port: 22), "an ordinary connection passes")
        sleep(3)   // refill the bucket
        let ok = try burst(lab, from: p1, port: 22, count: 20)
        #expect(ok >= 1 && ok <= 6, "the burst of 3 (plus about a token a second) gets through, not 20: \(ok)")
        #expect(try burst(lab, from: p2, port: 22, count: 20) == 20, "csf.allow is accepted before SYNFLOOD")
        sleep(2)
        #expect(try lab.tcpOpen(from: p1, port: 22), "the bucket refills")
        #expect(try lab.nft("list", "chain", "inet", "csf", "SYNFLOOD").stdout.contains("limit rate 1/second burst 3 packets return"))
    }

    @Test func connLimitResetsConnectionsOverTheLimitPerSource() throws {
        let lab = try NetLab(peers: 2)
        let (p1, p2) = (lab.peers[0], lab.peers[1])
        try lab.setConfig(["TCP_IN": "22,80", "CONNLIMIT": "22;2"])
        try lab.serve(in: lab.fw, tcp: [22, 80], udp: [])
        #expect(try lab.csf("-s").status == 0)
        // p1 holds two connections to port 22.
        for _ in 0..<2 {
            try lab.background(in: p1.ns, ["python3", NetLab.peerScript, "hold-tcp", p1.fwV4, "22", "20", "0.5"])
        }
        #expect(try eventually(within: 5) {
            (try lab.nft("list", "set", "inet", "csf", "connlimit4_22").stdout).contains(p1.v4)
        })
        usleep(500_000)
        #expect(try !lab.tcpOpen(from: p1, port: 22, timeout: 1), "a third connection is reset")
        #expect(try lab.tcpOpen(from: p1, port: 80), "other ports are not limited")
        #expect(try lab.tcpOpen(from: p2, port: 22), "another source has its own count")
    }

    @Test func portFloodBlocksTheHitsThConnectionUntilQuietAndOthersStayOpen() throws {
        let lab = try NetLab(peers: 2)
        let (p1, p2) = (lab.peers[0], lab.peers[1])
        try lab.setConfig(["TCP_IN": "22,8080", "PORTFLOOD": "8080;tcp;4;3"])
        try lab.serve(in: lab.fw, tcp: [22, 8080], udp: [])
        #expect(try lab.csf("-s").status == 0)
        // Six connections at once: as with csf's xt_recent rule, hits 1-3 pass and the 4th on is dropped.
        #expect(try burst(lab, from: p1, port: 8080, count: 6) == 3)
        #expect(try lab.tcpOpen(from: p2, port: 8080), "another source has its own count")
        #expect(try lab.tcpOpen(from: p1, port: 22), "other ports are not limited")
        // Knocking keeps the block alive past `seconds` (each attempt restarts the quiet period)...
        for _ in 0..<4 {
            #expect(try !lab.tcpOpen(from: p1, port: 8080, timeout: 0.3))
            usleep(900_000)
        }
        // ...and 3 seconds of quiet lift it.
        sleep(4)
        #expect(try lab.tcpOpen(from: p1, port: 8080))
    }

    @Test func badConnLimitIsAnErrorWithItsLocation() throws {
        let lab = try NetLab(peers: 1)
        try lab.setConfig(["CONNLIMIT": "22;0,http;5", "PORTFLOOD": "22;icmp;5;300", "SYNFLOOD": "1", "SYNFLOOD_RATE": "fast"])
        let r = try lab.csf("--check")
        #expect(r.status == 1 && r.stdout.contains("CONNLIMIT item '22;0'") && r.stdout.contains("CONNLIMIT item 'http;5'"), "\(r)")
        #expect(r.stdout.contains("PORTFLOOD item '22;icmp;5;300'") && r.stdout.contains("SYNFLOOD needs SYNFLOOD_RATE"), "\(r)")
        let before = lab.ruleset
        #expect(try lab.csf("-s").status == 1, "a bad setting starts nothing")
        #expect(lab.ruleset == before)
    }
}
