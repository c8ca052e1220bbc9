import Foundation
import Testing
import CsfTestSupport

/// csf's list commands borrow a netfilter socket from lfd (`NetfilterSocketLoan`): no socket of the command's
/// own is closed after it (a close waits for the kernel's frees under the lock every change needs), one
/// borrower per socket at a time, root's only, and a ban made on a borrowed socket still drops the peer.
@Suite(.enabled(if: NetLab.available, "needs root and iproute2"))
struct SocketLoanKernelTests {
    /// Processes' NETLINK_NETFILTER sockets in the lab's namespace (/proc/net/netlink: protocol 12, a port id
    /// other than the kernel's 0).
    static func netfilterSockets(_ lab: NetLab) throws -> Int {
        let table = try Shell.run(["ip", "netns", "exec", lab.fw, "cat", "/proc/net/netlink"]).stdout
        return table.split(separator: "\n").dropFirst().filter {
            let fields = $0.split(separator: " ")
            return fields.count > 2 && fields[1] == "12" && fields[2] != "0"
        }.count
    }

    @Test func csfCommandsBorrowLfdsSocketsOneBorrowerAtATime() throws {
        let lab = try NetLab(peers: 1)
        let peer = lab.peers[0]
        try lab.setConfig(["TCP_IN": "22", "LF_SSHD": "0"])
        try lab.serve(in: lab.fw, tcp: [22], udp: [])
        #expect(try lab.csf("-s").status == 0)
        let lender = lab.root + "/var/run/lfd.netlink"

        // The control, without lfd: csf -d's own socket outlives the command in the helper that closes it.
        #expect(try eventually(within: 5) { try Self.netfilterSockets(lab) == 0 })
        #expect(try lab.csf("-d", "198.18.70.1").status == 0)
        #expect(try Self.netfilterSockets(lab) == 1, "a socket of csf's own is still being closed")
        #expect(try eventually(within: 5) { try Self.netfilterSockets(lab) == 0 })

        #expect(try lab.lfd().status == 0)
        #expect(FileManager.default.fileExists(atPath: lender))
        let mode = (try FileManager.default.attributesOfItem(atPath: lender)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600, "root's only")
        #expect(try lab.csf("-d", "198.18.70.2").status == 0)
        let settled = try Self.netfilterSockets(lab)
        for i in 3...8 {
            #expect(try lab.csf("-d", "198.18.70.\(i)").status == 0)
            #expect(try lab.csf("-dr", "198.18.70.\(i)").status == 0)
        }
        #expect(try Self.netfilterSockets(lab) == settled, "every command used one of lfd's sockets, none of its own")

        // A ban made on a borrowed socket drops the peer; its removal lets it in again.
        #expect(try lab.tcpOpen(from: peer, port: 22))
        #expect(try lab.csf("-d", peer.v4).status == 0)
        #expect(try !lab.tcpOpen(from: peer, port: 22))
        #expect(try lab.csf("-dr", peer.v4).status == 0)
        #expect(try lab.tcpOpen(from: peer, port: 22))

        // Two loans at once are two sockets; a returned one is lent again.
        let probe = try NetlinkKernelTests().probe(lab, "borrow", lender)
        let inodes = Dictionary(uniqueKeysWithValues: probe.stdout.split(separator: " ").compactMap { pair -> (String, String)? in
            let kv = pair.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "=")
            return kv.count == 2 ? (String(kv[0]), String(kv[1])) : nil
        })
        #expect(inodes["first"] != "none" && inodes["second"] != "none" && inodes["first"] != inodes["second"], "\(probe)")
        #expect(inodes["third"] == inodes["first"], "\(probe)")

        // Anyone but root gets nothing (the file's mode, and lfd checks the peer's credentials too).
        let stranger = try Shell.run(["ip", "netns", "exec", lab.fw, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                      "env", "NFTCSF_FORBID_NETNS=\(NetLab.rootNetns)", NetlinkKernelTests.probe, "borrow", lender])
        #expect(stranger.stdout.contains("first=none second=none third=none"), "\(stranger)")

        // A borrower in another network namespace gets none: lfd's sockets would change the wrong firewall.
        let elsewhere = try Shell.run(["ip", "netns", "exec", peer.ns, "env", "NFTCSF_FORBID_NETNS=\(NetLab.rootNetns)",
                                       NetlinkKernelTests.probe, "borrow", lender])
        #expect(elsewhere.stdout.contains("first=none second=none third=none"), "\(elsewhere)")

        // lfd gone: its socket file goes with it, and csf opens its own again.
        lab.stopLfd()
        #expect(!FileManager.default.fileExists(atPath: lender))
        #expect(try lab.csf("-d", peer.v4).status == 0)
        #expect(try !lab.tcpOpen(from: peer, port: 22))
    }
}
