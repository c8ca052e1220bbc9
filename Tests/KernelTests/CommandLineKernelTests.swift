import Foundation
import Testing
import CsfTestSupport

/// The rest of csf's command line against a real kernel (issue 13): each change proven by a peer's packets.
@Suite(.serialized, .enabled(if: NetLab.available, "needs root and iproute2"))
struct CommandLineKernelTests {
    func started() throws -> NetLab {
        let lab = try NetLab(peers: 1)
        try lab.setConfig(["TCP_IN": "22", "TCP6_IN": "22", "IPV6": "1"])
        try lab.serve(in: lab.fw, tcp: [22, 8080], udp: [])
        #expect(try lab.csf("-s").status == 0)
        return lab
    }

    @Test func addPortOpensItAfterARestartAndRemovePortClosesIt() throws {
        let lab = try started()
        let peer = lab.peers[0]
        #expect(try !lab.tcpOpen(from: peer, port: 8080, timeout: 0.5))
        var r = try lab.csf("-ap", "TCP_IN:8080")
        #expect(r.status == 0 && r.stdout.contains("port 8080 added to TCP_IN"), "\(r)")
        #expect(try !lab.tcpOpen(from: peer, port: 8080, timeout: 0.5), "nothing changes before csf -r, as with csf")
        #expect(try lab.csf("-r").status == 0)
        #expect(try lab.tcpOpen(from: peer, port: 8080))
        r = try lab.csf("-lp")
        #expect(r.stdout.contains("TCP_IN = \"22,8080\""), "\(r)")
        r = try lab.csf("-rp", "TCP_IN:8080", "--json")
        #expect(r.status == 0 && r.stdout.contains("\"changed\": true"), "\(r)")
        #expect(try lab.csf("-r").status == 0)
        #expect(try !lab.tcpOpen(from: peer, port: 8080, timeout: 0.5))
        r = try lab.csf("-ap", "LF_SSHD:5")
        #expect(r.status == 1 && lab.file("csf.conf").contains("TCP_IN = \"22\""), "\(r)")
        r = try lab.csf("-ap")
        #expect(r.status == 2, "\(r)")
    }

    @Test func profileApplyOpensAPortAndRestoringTheBackupClosesIt() throws {
        let lab = try started()
        let peer = lab.peers[0]
        try FileManager.default.createDirectory(atPath: lab.root + "/usr/local/csf/profiles", withIntermediateDirectories: true)
        try "# a site profile\nTCP_IN = \"22,8080\"\n".write(toFile: lab.root + "/usr/local/csf/profiles/web.conf", atomically: true, encoding: .utf8)
        var r = try lab.csf("--profile", "list")
        #expect(r.status == 0 && r.stdout.contains("Configuration Profiles\n======================\nweb\n"), "\(r)")
        r = try lab.csf("--profile", "apply", "web")
        #expect(r.status == 0 && r.stdout.contains("[web] has been applied. You should now restart csf and then lfd"), "\(r)")
        #expect(try lab.csf("-r").status == 0)
        #expect(try lab.tcpOpen(from: peer, port: 8080))
        r = try lab.csf("--profile", "list", "--json")
        let listing = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let backup = ((listing?["backups"] as? [[String: Any]])?.first?["name"] as? String) ?? ""
        #expect(backup.hasSuffix("_pre_web"), "\(r)")
        r = try lab.csf("--profile", "diff", backup)
        #expect(r.stdout.contains("[TCP_IN]\t[22]\t[22,8080]"), "\(r)")
        r = try lab.csf("--profile", "restore", backup)
        #expect(r.status == 0 && r.stdout.contains("You should now restart csf and then lfd"), "\(r)")
        #expect(try lab.csf("-r").status == 0)
        #expect(try !lab.tcpOpen(from: peer, port: 8080, timeout: 0.5))
        // Bad input: a clear error, csf.conf untouched.
        let before = lab.file("csf.conf")
        r = try lab.csf("--profile", "apply", "nosuch")
        #expect(r.status == 1 && r.stderr.contains("[nosuch] is not a valid profile"), "\(r)")
        r = try lab.csf("--profile", "frobnicate")
        #expect(r.status == 2 && r.stderr.contains("Incorrect syntax for command"), "\(r)")
        r = try lab.csf("--profile", "keep", "many")
        #expect(r.status == 1 && r.stderr.contains("You must specify the number of backups to keep"), "\(r)")
        #expect(lab.file("csf.conf") == before)
    }

    @Test func portsListsTheListenersWithTheirOpenColumn() throws {
        let lab = try started()
        let r = try lab.csf("-p")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(r.status == 0 && lines.first?.hasPrefix("Port/Proto Open") == true, "\(r)")
        #expect(lines.contains { $0.hasPrefix("22/tcp") && $0.contains("4/6") && $0.contains("python3") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("8080/tcp") && $0.contains("-/-") }, "8080 is not in TCP_IN: \(lines)")
    }

    @Test func familyViewsOfTheRuleset() throws {
        let lab = try started()
        let v4 = try lab.csf("-l4").stdout, v6 = try lab.csf("-l6").stdout
        #expect(v4.contains("set deny4 ") && !v4.contains("set deny6 ") && v4.contains("\"TCP_IN\"") && !v4.contains("TCP6_IN"))
        #expect(v6.contains("set deny6 ") && !v6.contains("set deny4 ") && v6.contains("TCP6_IN"))
        try lab.setConfig(["IPV6": "0"])
        #expect(try lab.csf("-l6").stdout.contains("csf: IPV6 firewall not enabled"))
    }

    @Test func startqHasLfdRestartTheFirewallAndRestartallRestartsLfd() throws {
        let lab = try started()
        let auth = lab.root + "/auth.log"
        try "".write(toFile: auth, atomically: true, encoding: .utf8)
        try lab.setConfig(["SSHD_LOG": auth, "LF_PARSE": "5", "LF_HTACCESS": "0", "LF_MODSEC": "0", "LF_POP3D": "0", "LF_IMAPD": "0",
                           "LF_FTPD": "0", "LF_SMTPAUTH": "0", "LF_EXIMSYNTAX": "0", "LF_BIND": "0", "LF_SUHOSIN": "0", "LF_WEBMIN": "0"])
        #expect(try lab.lfd().status == 0)
        // An element no file holds: a rebuilt table from the files no longer has it.
        #expect(try lab.nft("add", "element", "inet", "csf", "deny4", "{ 198.18.77.77 }").status == 0)
        var r = try lab.csf("-q")
        #expect(r.status == 0 && r.stdout == "lfd will restart csf within the next 5 seconds\n", "\(r)")
        #expect(try eventually(within: 8) { lab.lfdLog.contains("csf restarted on request (csf -q)") }, "\(lab.lfdLog)")
        #expect(try !lab.nft("list", "set", "inet", "csf", "deny4").stdout.contains("198.18.77.77"), "the table was rebuilt")
        let pid = try String(contentsOfFile: lab.lfdPidFile, encoding: .utf8)
        r = try lab.csf("-ra")
        #expect(r.status == 0 && r.stdout.contains("lfd: stopped") && r.stdout.contains("lfd: started"), "\(r)")
        #expect(try String(contentsOfFile: lab.lfdPidFile, encoding: .utf8) != pid)
        lab.stopLfd()
    }

    @Test func obsoleteAndUpdateOptionsSayWhatToDo() throws {
        let lab = try started()
        for option in ["-c", "-u", "-uf", "--update"] {
            let r = try lab.csf(option)
            #expect(r.status == 0 && r.stdout.contains("updates come from the package manager"), "\(option): \(r)")
        }
        let w = try lab.csf("-w")
        #expect(w.status == 0 && w.stdout.contains("--watch, -w is no longer supported"), "\(w)")
    }

    /// `--trace add|remove IP`: the peer's packets show up in `nft monitor trace`, and no longer once removed.
    @Test func traceMarksAPeersPacketsForNftMonitor() throws {
        let lab = try started()
        let peer = lab.peers[0]
        var r = try lab.csf("--trace", "add", peer.v4)
        #expect(r.status == 0 && r.stdout.contains("csf: Added trace for \(peer.v4)"), "\(r)")
        #expect(try lab.csf("--trace", "add", peer.v4).stdout.contains("traced already"))
        let out = lab.root + "/trace.out"
        try lab.background(in: lab.fw, ["sh", "-c", "timeout 4 nft monitor trace > \(out)"])
        usleep(500_000)
        _ = try lab.tcpOpen(from: peer, port: 22)
        #expect(try eventually(within: 4) {
            ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains("ip saddr \(peer.v4)")
        }, "\((try? String(contentsOfFile: out, encoding: .utf8)) ?? "")")
        r = try lab.csf("--trace", "remove", peer.v4)
        #expect(r.status == 0 && r.stdout.contains("Removed trace"), "\(r)")
        #expect(try !lab.nft("list", "chain", "inet", "csf", "TRACE").stdout.contains(peer.v4))
        r = try lab.csf("--trace", "bogus", peer.v4)
        #expect(r.status == 1 && r.stderr.contains("use [add|remove] [ip]"), "\(r)")
        r = try lab.csf("--trace", "add", "not-an-ip")
        #expect(r.status == 1, "\(r)")
    }
}
