import Foundation
import Testing
import CsfCompat
import CsfTestSupport

/// Issue 15 (item 4): DYNDNS against a real BIND in a private host (its resolv.conf names 127.0.0.1, where named
/// answers for dyn.test): the name's address is allowed, follows a changed record, keeps its last answer when the
/// server is gone, and survives `csf -r` from csf.tempdyn. Packets from the peers prove each step.
@Suite(.serialized, .enabled(if: NetLab.available, "needs root"))
struct DynDnsKernelTests {
    static func zone(_ address: String, office: String, serial: Int) -> String {
        """
        $TTL 1
        @ IN SOA ns.dyn.test. admin.dyn.test. \(serial) 300 300 3000 1
        @ IN NS ns.dyn.test.
        ns IN A 127.0.0.1
        home IN A \(address)
        office IN A \(office)

        """
    }

    @Test func aDyndnsNameIsAllowedAndFollowsItsRecord() throws {
        let lab = try NetLab(peers: 3)
        let host = try PrivateHost(lab: lab, way: .traditional)
        defer { host.stop() }
        let (p1, p2) = (lab.peers[0], lab.peers[1])
        let d = host.dir + "/bind"
        try DaemonMatrix.mkdir(d, mode: 0o777)
        let p3 = lab.peers[2]
        try DaemonMatrix.write(Self.zone(p1.v4, office: p3.v4, serial: 1), d + "/dyn.zone")
        try DaemonMatrix.writeNamedConf(d, zone: "dyn.test", file: d + "/dyn.zone")
        try lab.setConfig(["TCP_IN": "80", "DYNDNS": "300", "DYNDNS_IGNORE": "1", "LF_PARSE": "1"])
        // A filter: office.dyn.test may reach 2222 only, through a set of the filter's own.
        try lab.write("csf.dyndns", "# home office\nHome.dyn.test\ntcp|in|d=2222|s=office.dyn.test\ntcp|in|d=22\nbad$name\n")
        try lab.serve(in: lab.fw, tcp: [22, 2222, 2223], udp: [])
        #expect(try lab.csf("-s").status == 0)
        #expect(try !lab.tcpOpen(from: p1, port: 22), "22 is not in TCP_IN")
        let started = try host.start(daemons: "run named /usr/sbin/named -f -u bind -c \(d)/named.conf")
        #expect(started.status == 0, "\(started.stdout)\(started.stderr)\n\(host.logs)")
        #expect(try eventually(within: 10) { lab.lfdLog.contains("DYNDNS: allowing 1 address(es) of 1 host name(s) (1 added, 0 removed)") },
                "\(lab.lfdLog)\n\(host.logs)")
        #expect(lab.lfdLog.contains("tcp|in|d=22: not an advanced filter with one host name") && lab.lfdLog.contains("bad$name is not a host name"),
                "\(lab.lfdLog)")
        #expect(try eventually(within: 5) { lab.lfdLog.contains("DYNDNS: allowing \(p3.v4) for [tcp|in|d=2222|s=office.dyn.test]") }, "\(lab.lfdLog)")
        #expect(try lab.tcpOpen(from: p3, port: 2222) && !lab.tcpOpen(from: p3, port: 22), "the filter opens its port only")

        // A new filter in csf.dyndns: lfd caches its answer and starts the firewall again with its rule.
        try lab.write("csf.dyndns", "# home office\nHome.dyn.test\ntcp|in|d=2222|s=office.dyn.test\ntcp|in|d=2223|s=office.dyn.test\n")
        try lab.reloadLfd()
        #expect(try eventually(within: 10) { lab.lfdLog.contains("csf restarted with csf.dyndns's advanced filters") }, "\(lab.lfdLog)")
        #expect(try lab.tcpOpen(from: p3, port: 2223) && lab.tcpOpen(from: p3, port: 2222))
        #expect(try lab.tcpOpen(from: p1, port: 22), "home.dyn.test's address is allowed")
        #expect(try !lab.tcpOpen(from: p2, port: 22))
        #expect(try String(contentsOfFile: lab.root + "/var/lib/csf/csf.tempdyn", encoding: .utf8) == "\(p1.v4)\n")

        // The record moves to peer 2; a reload of lfd looks the names up again at once.
        try DaemonMatrix.write(Self.zone(p2.v4, office: p3.v4, serial: 2), d + "/dyn.zone")
        let namedPid = try String(contentsOfFile: d + "/named.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try host.run(["kill", "-HUP", namedPid]).status == 0)
        #expect(try eventually(within: 10) {
            try Shell.run(["ip", "netns", "exec", lab.fw, "dig", "+short", "+time=1", "+tries=1", "@127.0.0.1", "home.dyn.test"]).stdout.contains(p2.v4)
        })
        try lab.reloadLfd()
        #expect(try eventually(within: 10) { lab.lfdLog.contains("(1 added, 1 removed)") }, "\(lab.lfdLog)")
        #expect(try lab.tcpOpen(from: p2, port: 22) && !lab.tcpOpen(from: p1, port: 22), "the allow followed the record")
        let set = try lab.nft("list", "set", "inet", "csf", "dyn4").stdout
        #expect(set.contains(p2.v4) && !set.contains(p1.v4), "\(set)")
        #expect(try lab.csf("-g", p2.v4).stdout.contains("(Setting:DYNDNS file:"), "csf -g names the setting")

        // No DNS server: the last answer stays, and csf -r loads it from csf.tempdyn.
        #expect(try host.run(["kill", namedPid]).status == 0)
        try lab.reloadLfd()
        #expect(try eventually(within: 15) { lab.lfdLog.contains("DynDNS: Lookup for [home.dyn.test] failed") }, "\(lab.lfdLog)")
        #expect(try lab.tcpOpen(from: p2, port: 22), "a failed lookup keeps the last answer")
        #expect(try lab.csf("-r").status == 0)
        #expect(try lab.tcpOpen(from: p2, port: 22) && !lab.tcpOpen(from: p1, port: 22), "csf -r loads csf.tempdyn")
        #expect(try lab.tcpOpen(from: p3, port: 2222) && !lab.tcpOpen(from: p3, port: 22), "and the filter's answer from csf.tempdynf")
    }
}
