import Foundation
import Testing
@testable import CsfCompat
@testable import NftKernel
import CsfTestSupport

/// CT_MARK_FASTPATH on a real kernel: a live connection's packets take the one-lookup path once checked, and
/// every change of the lists (over netlink, by a restart, by a bulk difference) sends it through the checks
/// again, so a ban still cuts it at once.
@Suite(.serialized, .enabled(if: NetLab.available, "needs root and iproute2"))
struct ConnectionMarkKernelTests {
    /// A connection that echoes every `interval` for `seconds`; it exits non-zero on the first lost echo.
    func hold(_ lab: NetLab, _ peer: NetLab.Peer, seconds: Double = 5, interval: Double = 0.05, outbound: Bool = false) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        // Outbound: the firewall host holds a connection to the peer's server.
        let (ns, target, port) = outbound ? (lab.fw, peer.v4, "9090") : (peer.ns, peer.fwV4, "9000")
        p.arguments = ["netns", "exec", ns, "python3", NetLab.peerScript, "hold-tcp", target, port, "\(seconds)", "\(interval)"]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Packets counted by the rule whose comment is given.
    func packets(_ lab: NetLab, chain: String, comment: String) throws -> Int {
        let listing = try lab.nft("list", "chain", "inet", "csf", chain).stdout
        guard let line = listing.split(separator: "\n").first(where: { $0.contains("comment \"\(comment)\"") }),
              let at = line.firstRange(of: "counter packets ") else { return -1 }
        return Int(line[at.upperBound...].prefix { $0.isNumber }) ?? -1
    }

    func generation(_ lab: NetLab) throws -> String {
        let out = try lab.nft("list", "set", "inet", "csf", "conn_checked").stdout
        guard let at = out.firstRange(of: "elements = { ") else { return "" }
        return String(out[at.upperBound...].prefix { $0 != " " })
    }

    func started(_ config: [String: String] = [:], deny: String = "") throws -> NetLab {
        let lab = try NetLab(peers: 2)
        try lab.setConfig(["TCP_IN": "22,9000", "TCP_OUT": "9090", "DENY_IP_LIMIT": "0"].merging(config) { $1 })
        if !deny.isEmpty { try lab.write("csf.deny", deny) }
        try lab.serve(in: lab.fw, tcp: [9000], udp: [])
        let r = try lab.csf("-s")
        #expect(r.status == 0, "\(r)")
        return lab
    }

    static let fastRule = "CT_MARK_FASTPATH: checked since the lists last changed"
    static let markRule = "CT_MARK_FASTPATH: inbound checked"

    @Test func checkedConnectionsTakeTheMarkUntilTheListsChangeAndABanStillCutsThem() throws {
        let lab = try started()
        let (p1, p2) = (lab.peers[0], lab.peers[1])
        let banned = try hold(lab, p1), kept = try hold(lab, p2)
        usleep(1_000_000)
        let fast = try packets(lab, chain: "INPUT", comment: Self.fastRule)
        let marked = try packets(lab, chain: "ESTABLISHEDIN", comment: Self.markRule)
        #expect(fast > 20, "after its first checked packet each connection takes the mark: \(fast)")
        #expect(marked >= 2 && marked <= 4, "one checked packet per connection and generation: \(marked)")
        let first = try generation(lab)
        #expect(first.hasPrefix("0x") && first != "0x00000000")

        // An unrelated change is a new generation: each connection is checked once more and lives on.
        #expect(try lab.csf("-a", "192.0.2.200", "unrelated").status == 0)
        #expect(try generation(lab) != first)
        #expect(try eventually(within: 2) { try packets(lab, chain: "ESTABLISHEDIN", comment: Self.markRule) >= marked + 2 })

        // A ban over netlink cuts the banned peer's marked connection at once; the other keeps going.
        #expect(try lab.csf("-d", p1.v4, "cut").status == 0)
        banned.waitUntilExit()
        kept.waitUntilExit()
        #expect(banned.terminationStatus != 0, "the ban cut the marked connection")
        #expect(kept.terminationStatus == 0, "the other connection survived every new generation")
    }

    /// A blocklist refresh that changes the whole list fills the other slot's sets and swaps the lookups over:
    /// a connection checked before it, from a source only the new list holds, is cut at once (the swap renews the
    /// generation), and the other peer's connection lives on.
    @Test func aBlocklistSwapCutsAConnectionFromANewlyListedSource() throws {
        let (lab, web, server) = try RemoteListKernelTests.labWithServer(peers: 3)
        let (p1, p2) = (lab.peers[0], lab.peers[1])
        func feed(_ base: UInt32, with extra: String) throws {
            var text = extra
            for i in 0..<UInt32(20_000) {
                let a = base + 4 * i
                text += "\(a >> 24).\(a >> 16 & 255).\(a >> 8 & 255).\(a & 255)\n"
            }
            try text.write(toFile: web + "/bl.txt", atomically: true, encoding: .utf8)
        }
        try feed(0x0B00_0000, with: "")
        try lab.write("csf.blocklists", "SWAP|86400|0|http://\(server.v4):8080/bl.txt\n")
        try lab.setConfig(["TCP_IN": "22,9000", "TCP_OUT": "8080", "LF_PARSE": "1"])
        try lab.serve(in: lab.fw, tcp: [9000], udp: [])
        #expect(try lab.csf("-s").status == 0)
        #expect(try lab.lfd().status == 0)
        defer { lab.stopLfd() }
        let done = "Retrieved and blocking blocklist SWAP: "
        #expect(try eventually(within: 15) { lab.lfdLog.contains(done + "20000 entries") }, "\(lab.lfdLog.suffix(1500))")
        let banned = try hold(lab, p1, seconds: 8), kept = try hold(lab, p2, seconds: 8)
        usleep(800_000)
        #expect(try packets(lab, chain: "INPUT", comment: Self.fastRule) > 10, "the connections take the mark")
        try feed(0x0B00_0001, with: "\(p1.v4)\n")
        try RemoteListKernelTests.aged(lab.root + "/var/lib/csf/csf.block.SWAP")
        try lab.reloadLfd()
        #expect(try eventually(within: 15) { lab.lfdLog.contains(done + "20001 entries") }, "\(lab.lfdLog.suffix(1500))")
        #expect(lab.lfdLog.contains("replaced whole: blb_SWAP "), "a whole change is a swap: \(lab.lfdLog.suffix(1500))")
        banned.waitUntilExit()
        kept.waitUntilExit()
        #expect(banned.terminationStatus != 0, "the swap cut the newly listed source's marked connection")
        #expect(kept.terminationStatus == 0, "the other connection survived the swap")
    }

    /// The server's own connections: their outbound packets skip LOCALOUTPUT once checked, and a ban cuts them.
    @Test func outboundConnectionsTakeTheMarkAndABanCutsThem() throws {
        let lab = try started()
        let (p1, p2) = (lab.peers[0], lab.peers[1])
        try lab.serve(in: p1.ns, tcp: [9090], udp: [])
        try lab.serve(in: p2.ns, tcp: [9090], udp: [])
        let banned = try hold(lab, p1, outbound: true), kept = try hold(lab, p2, outbound: true)
        usleep(1_000_000)
        let fast = try packets(lab, chain: "OUTPUT", comment: Self.fastRule)
        let marked = try packets(lab, chain: "OUTPUT", comment: "CT_MARK_FASTPATH: outbound checked")
        #expect(fast > 20 && marked >= 2 && marked <= 6, "outbound: \(fast) on the mark, \(marked) checked")
        #expect(try packets(lab, chain: "INPUT", comment: Self.fastRule) > 20, "the replies take the inbound mark")
        #expect(try lab.csf("-d", p1.v4, "cut").status == 0)
        banned.waitUntilExit()
        kept.waitUntilExit()
        #expect(banned.terminationStatus != 0, "the ban cut the server's own connection")
        #expect(kept.terminationStatus == 0)
    }

    /// The kernel times a temporary allow out on its own, with no new generation. A connection that passed only on
    /// the allow (its address is also in csf.deny) was accepted inside LOCALINPUT and so never marked: it is cut as
    /// soon as the allow is gone. Only connections no list spoke for carry the mark.
    @Test func anExpiredTemporaryAllowNoLongerCarriesAMarkedConnection() throws {
        let lab = try started(["LF_PARSE": "1"])
        let (p1, p2) = (lab.peers[0], lab.peers[1])
        #expect(try lab.csf("-ta", p1.v4, "6").status == 0)
        try lab.write("csf.deny", "\(p1.v4) # also denied\n")
        #expect(try lab.csf("-r").status == 0)
        let allowed = try hold(lab, p1, seconds: 12), other = try hold(lab, p2, seconds: 12)
        #expect(try lab.lfd().status == 0)
        defer { lab.stopLfd() }
        usleep(1_500_000)
        #expect(try packets(lab, chain: "INPUT", comment: Self.fastRule) > 20, "the other connection takes the mark")
        allowed.waitUntilExit()
        other.waitUntilExit()
        #expect(allowed.terminationStatus != 0, "cut once the allow timed out")
        #expect(lab.lfdLog.contains("Incoming IP \(p1.v4) temporary allow removed"), "\(lab.lfdLog)")
        #expect(other.terminationStatus == 0)
    }

    /// Turned off, the table has neither the set nor the rules, and list changes still reach the kernel. Turned
    /// off in csf.conf without a restart, the running table still has them, and a ban still moves the generation.
    @Test func switchedOffOrChangedWithoutARestartBansStillCut() throws {
        let lab = try started(["CT_MARK_FASTPATH": "0"])
        let (p1, p2) = (lab.peers[0], lab.peers[1])
        #expect(try lab.nft("list", "set", "inet", "csf", "conn_checked").status != 0)
        #expect(try !lab.nft("list", "table", "inet", "csf").stdout.contains("ct mark"))
        var banned = try hold(lab, p1, seconds: 3)
        usleep(500_000)
        #expect(try lab.csf("-d", p1.v4).status == 0)
        banned.waitUntilExit()
        #expect(banned.terminationStatus != 0)

        try lab.setConfig(["CT_MARK_FASTPATH": "1"])
        #expect(try lab.csf("-r").status == 0)
        try lab.setConfig(["CT_MARK_FASTPATH": "0"])
        // Long enough to outlast a slow start of the peer's client on a loaded machine; the ban ends it.
        banned = try hold(lab, p2, seconds: 8)
        #expect(try eventually(within: 4, every: 0.1) { try packets(lab, chain: "INPUT", comment: Self.fastRule) > 3 })
        #expect(try lab.csf("-td", p2.v4, "60").status == 0)
        banned.waitUntilExit()
        #expect(banned.terminationStatus != 0, "the running table's generation moved though csf.conf says 0")
    }

    /// A restart with a large csf.deny adds the new entry by a netlink difference after the rules' transaction;
    /// that batch moves the generation too, and the marked connection from the added address is cut.
    @Test func aBulkDifferenceCutsAConnectionCheckedBeforeIt() throws {
        var deny = ""
        for i in 0..<12_000 { deny += "10.\(i >> 8).\(i & 255).9\n" }
        let lab = try started(deny: deny)
        let p1 = lab.peers[0]
        #expect(FileManager.default.fileExists(atPath: lab.root + "/var/lib/csf/nftcsf.bulk.deny4"), "loaded in bulk")
        let banned = try hold(lab, p1)
        usleep(800_000)
        #expect(try packets(lab, chain: "INPUT", comment: Self.fastRule) > 10)
        try lab.write("csf.deny", deny + "\(p1.v4) # added\n")
        let r = try lab.csf("-r")
        #expect(r.status == 0 && !r.stderr.contains("WARNING"), "\(r)")
        banned.waitUntilExit()
        #expect(banned.terminationStatus != 0, "the entry the difference added cut the live connection")
    }

    /// The same when the reload sends the list whole into csf.deny's other slot (its snapshot lost): the
    /// table's transaction that switches the rules to the new set also starts a new generation.
    @Test func aWholeReloadIntoTheOtherSlotCutsAConnectionCheckedBeforeIt() throws {
        var deny = ""
        for i in 0..<12_000 { deny += "10.\(i >> 8).\(i & 255).9\n" }
        let lab = try started(deny: deny)
        let p1 = lab.peers[0]
        let banned = try hold(lab, p1)
        usleep(800_000)
        #expect(try packets(lab, chain: "INPUT", comment: Self.fastRule) > 10)
        try lab.write("csf.deny", deny + "\(p1.v4) # added\n")
        try FileManager.default.removeItem(atPath: lab.root + "/var/lib/csf/nftcsf.bulk.deny4")
        let r = try lab.csf("-r")
        #expect(r.status == 0 && !r.stderr.contains("WARNING"), "\(r)")
        #expect(try lab.nft("-t", "list", "set", "inet", "csf", "deny4b").status == 0, "loaded into the other slot")
        banned.waitUntilExit()
        #expect(banned.terminationStatus != 0, "the new set's entry cut the live connection")
    }
}
