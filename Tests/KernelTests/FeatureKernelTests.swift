import Foundation
import Testing
@testable import CsfCompat
@testable import NftKernel
import CsfTestSupport

/// Settings whose rules only matter with real sockets: owner matches, nat, and everything at once.
@Suite(.serialized, .enabled(if: NetLab.available, "needs root and iproute2"))
struct FeatureKernelTests {
    /// Connects out from the firewall host as a given user (system python, readable by every user).
    func connectOut(_ lab: NetLab, to peer: NetLab.Peer, port: Int, asUID uid: Int) throws -> Bool {
        let r = try Shell.run(["ip", "netns", "exec", lab.fw, "setpriv", "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups",
                               "/usr/bin/python3", NetLab.peerScript, "probe-tcp", peer.v4, String(port), "1"])
        return r.status == 0
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
                    && FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func smtpBlockLetsOnlyRootAndAllowedUsersOut() throws {
        let lab = try NetLab(peers: 1)
        let peer = lab.peers[0]
        try lab.serve(in: peer.ns, tcp: [25, 80], udp: [])
        try lab.setConfig(["SMTP_BLOCK": "1", "SMTP_ALLOWUSER": "", "SMTP_ALLOWGROUP": "", "TCP_OUT": "25,80"])
        let r = try lab.csf("-s")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try connectOut(lab, to: peer, port: 25, asUID: 0))
        #expect(try !connectOut(lab, to: peer, port: 25, asUID: 65534))
        #expect(try connectOut(lab, to: peer, port: 80, asUID: 65534), "other ports are not affected")
        try lab.setConfig(["SMTP_ALLOWUSER": "65534"])
        try lab.csf("-r")
        #expect(try connectOut(lab, to: peer, port: 25, asUID: 65534))
    }

    @Test func redirectSendsAPortToAnotherLocalPort() throws {
        let lab = try NetLab(peers: 1)
        let peer = lab.peers[0]
        try lab.serve(in: lab.fw, tcp: [80], udp: [])
        try lab.setConfig(["TCP_IN": "80"])
        try lab.write("csf.redirect", "*|8080|*|80|tcp # alternate port\n")
        let r = try lab.csf("-s")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try lab.tcpOpen(from: peer, port: 8080))
        try lab.write("csf.redirect", "")
        try lab.csf("-r")
        #expect(try !lab.tcpOpen(from: peer, port: 8080))
    }

    @Test(arguments: [
        ["IPV6": "1", "SMTP_BLOCK": "1", "DOCKER": "1", "DROP_PF_LOGGING": "1", "ICMP_OUT_RATE": "5/s", "ICMP_TIMESTAMPDROP": "1",
         "IPV6_ICMP_STRICT": "1", "DROP": "REJECT", "DROP_IP_LOGGING": "1", "ETH_DEVICE_SKIP": "veth9,dummy+", "DROP_ONLYRES": "1"],
        ["IPV6": "1", "LF_SPI": "0", "IPV6_SPI": "0", "SMTP_BLOCK": "1", "SMTP_REDIRECT": "1", "ETH_DEVICE": "veth+",
         "ETH6_DEVICE": "veth1", "DNS_STRICT": "1", "DROP_LOGGING": "0", "LF_BLOCKINONLY": "1", "ICMP_IN": "0"],
        ["IPV6": "1", "LF_SPI": "1", "IPV6_SPI": "0", "DROP_OUT": "DROP", "DROP_OUT_LOGGING": "0", "PACKET_FILTER": "1"],
    ])
    func everySettingCombinationIsAcceptedByTheKernel(settings: [String: String]) throws {
        let lab = try NetLab(peers: 1)
        try lab.setConfig(settings)
        try lab.write("csf.allow", """
        192.0.2.10 # host
        198.51.100.0/24
        2001:db8:99::/48
        tcp|in|d=22|s=203.0.113.7
        udp|out|d=53_60|d=192.0.2.53
        icmp|in|d=ping|s=192.0.2.0/24
        tcp|out|d=80||u=0
        tcp|out|d=25|g=0
        tcp|in|d=22|s=2001:db8::5
        """)
        try lab.write("csf.deny", "203.0.113.0/24\n203.0.113.9\n2001:db8:bad::1\ntcp|in|s=1024_2048|s=192.0.2.99\n")
        try lab.write("csf.sips", "192.0.2.250\n2001:db8:1::250\n")
        try lab.write("csf.redirect", "*|8080|*|80|tcp\n192.0.2.1|80|198.51.100.5|8080|tcp\n192.0.2.1|*|198.51.100.6|*|udp\n")
        try "nameserver 198.51.100.53\nnameserver 2001:db8::53\nnameserver 127.0.0.53\n"
            .write(toFile: lab.root + "/etc/resolv.conf", atomically: true, encoding: .utf8)
        let r = try lab.csf("-s")
        #expect(r.status == 0, "\(r.stderr)")
        let ruleset = lab.ruleset
        #expect(ruleset.contains("table inet csf"))
        #expect(ruleset.contains("198.51.100.53") && !ruleset.contains("127.0.0.53"), "resolvers, but not a local one")
        #expect(try lab.csf("-l", "--json").status == 0)
    }
}
