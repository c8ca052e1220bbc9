import Foundation
import Testing
@testable import CsfCompat
@testable import NftKernel
import CsfTestSupport

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
        #expect(try lab.nft("list", "chain", "inet", "csf", "SYNFLOOD").stdout.contains("limit rate 1/second burst 3 packets counter packets"))
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
        // `csf -l --json` lists the meters with the blocked source and its remaining time.
        let listing = try lab.csf("-l", "--json").stdout
        let json = try JSONSerialization.jsonObject(with: Data(listing.utf8)) as? [String: Any]
        let meters = json?["meters"] as? [[String: Any]] ?? []
        let block = meters.first { ($0["set"] as? String) == "portflood4_8080_tcp_block" }
        let entry = (block?["entries"] as? [[String: Any]])?.first
        #expect(entry?["address"] as? String == p1.v4 && ((entry?["expires_ms"] as? Int) ?? 0) > 0, "\(listing.prefix(2000))")
        #expect((block?["comment"] as? String)?.hasPrefix("PORTFLOOD 8080;tcp;4;3") == true)
        // Knocking keeps the block alive past `seconds` (each attempt restarts the quiet period)...
        for _ in 0..<4 {
            #expect(try !lab.tcpOpen(from: p1, port: 8080, timeout: 0.3))
            usleep(900_000)
        }
        // ...and 3 seconds of quiet lift it.
        sleep(4)
        #expect(try lab.tcpOpen(from: p1, port: 8080))
    }

    @Test func perSourceSynFloodLimitsTheFlooderButNotTheOthers() throws {
        let lab = try NetLab(peers: 2)
        let (p1, p2) = (lab.peers[0], lab.peers[1])
        try lab.setConfig(["TCP_IN": "22", "SYNFLOOD": "1", "SYNFLOOD_RATE": "1/s", "SYNFLOOD_BURST": "3", "SYNFLOOD_PER_SOURCE": "1"])
        try lab.serve(in: lab.fw, tcp: [22], udp: [])
        #expect(try lab.csf("-s").status == 0)
        let flooder = try burst(lab, from: p1, port: 22, count: 20)
        #expect(flooder >= 1 && flooder <= 6, "the flooder gets its own burst of 3, not 20: \(flooder)")
        #expect(try burst(lab, from: p2, port: 22, count: 3) == 3, "another source still has its whole burst")
        #expect(try lab.nft("list", "set", "inet", "csf", "synflood4").stdout.contains(p1.v4), "buckets are per source")
    }

    /// Sends UDP from the firewall host to a peer for a second as `user` (nil = root); returns what arrived.
    func udpOut(_ lab: NetLab, to peer: NetLab.Peer, port: Int, as user: String?, countFile: String) throws -> Int {
        let owner = user.map { ["setpriv", "--reuid=\($0)", "--regid=\($0)", "--clear-groups"] } ?? []
        // The script comes on stdin: an unprivileged user may not be able to read the checkout.
        _ = try Shell.run(["ip", "netns", "exec", lab.fw] + owner + ["/usr/bin/python3", "-", "blast-udp", peer.v4, String(port), "1"],
                          stdin: try String(contentsOfFile: NetLab.peerScript, encoding: .utf8))
        usleep(400_000)
        let text = (try? String(contentsOfFile: countFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line -> Int? in
            let f = line.split(separator: " ")
            return f.count == 3 && f[0] == Substring(String(port)) ? Int(f[2]) : nil
        }.reduce(0, +)
    }

    @Test func udpFloodLimitsOutboundUdpOfUsersButNotRootOrAllowedUsers() throws {
        let lab = try NetLab(peers: 1)
        let p1 = lab.peers[0]
        try lab.setConfig(["UDP_OUT": "53,9001,9002", "UDPFLOOD": "1", "UDPFLOOD_LIMIT": "10/s", "UDPFLOOD_BURST": "20",
                           "UDPFLOOD_ALLOWUSER": "daemon"])
        let counts = lab.root + "/udp.counts"
        try lab.serve(in: p1.ns, tcp: [], udp: [9001, 9002], countFile: counts)
        #expect(try lab.csf("-s").status == 0)
        let limited = try udpOut(lab, to: p1, port: 9001, as: "65534", countFile: counts)
        #expect(limited >= 20 && limited <= 40, "nobody gets the burst of 20 plus about 10/s: \(limited)")
        let root = try udpOut(lab, to: p1, port: 9002, as: nil, countFile: counts)
        #expect(root > 1000, "root is exempt: \(root)")
        let daemonUid = String(getpwnam("daemon").pointee.pw_uid)
        let before = try udpOut(lab, to: p1, port: 9002, as: nil, countFile: counts)
        let allowed = try udpOut(lab, to: p1, port: 9002, as: daemonUid, countFile: counts) - before
        #expect(allowed > 1000, "UDPFLOOD_ALLOWUSER is exempt: \(allowed)")
        #expect(try lab.nft("list", "chain", "inet", "csf", "UDPFLOOD").stdout.contains("meta skuid \(daemonUid) counter packets"))
    }

    @Test func portKnockingOpensOnlyForTheRightSequenceWithinTheTimeout() throws {
        let lab = try NetLab(peers: 2)
        let (p1, p2) = (lab.peers[0], lab.peers[1])
        try lab.setConfig(["TCP_IN": "22", "PORTKNOCKING": "2222;tcp;4;1001;1002;1003"])
        try lab.serve(in: lab.fw, tcp: [22, 2222], udp: [])
        #expect(try lab.csf("-s").status == 0)
        func knock(_ peer: NetLab.Peer, _ ports: [Int]) throws {
            for port in ports { _ = try lab.tcpOpen(from: peer, port: port, timeout: 0.2) }
        }
        #expect(try !lab.tcpOpen(from: p1, port: 2222, timeout: 0.5), "closed before knocking")
        try knock(p2, [1002, 1001, 1003])
        #expect(try !lab.tcpOpen(from: p2, port: 2222, timeout: 0.5), "the wrong order does not open")
        try knock(p2, [1001, 1003])
        #expect(try !lab.tcpOpen(from: p2, port: 2222, timeout: 0.5), "a skipped knock does not open")
        try knock(p1, [1001, 1002, 1003])
        #expect(try lab.tcpOpen(from: p1, port: 2222), "the right sequence opens the port")
        #expect(try !lab.tcpOpen(from: p2, port: 2222, timeout: 0.5), "only for the source that knocked")
        sleep(5)
        #expect(try !lab.tcpOpen(from: p1, port: 2222, timeout: 0.5), "the port closes after the timeout")
        try knock(p1, [1001, 1002])
        sleep(5)
        try knock(p1, [1003])
        #expect(try !lab.tcpOpen(from: p1, port: 2222, timeout: 0.5), "each knock must come within the timeout")
    }

    @Test func badPortKnockingAndUdpFloodAreErrorsWithTheirLocation() throws {
        let lab = try NetLab(peers: 1)
        try lab.setConfig(["PORTKNOCKING": "2222;tcp;20;1001;1002,23;sctp;5;1;2;3", "UDPFLOOD": "1", "UDPFLOOD_LIMIT": "lots"])
        let r = try lab.csf("--check")
        #expect(r.status == 1 && r.stdout.contains("not enough Port Knocks for port 2222") && r.stdout.contains("'23;sctp;5;1;2;3'"), "\(r)")
        #expect(r.stdout.contains("UDPFLOOD needs UDPFLOOD_LIMIT") && r.stdout.contains("csf.conf:"), "\(r)")
        let before = lab.ruleset
        #expect(try lab.csf("-s").status == 1, "bad settings start nothing")
        #expect(lab.ruleset == before)
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
