import Foundation
import Testing
import CsfTestSupport

/// Issue 15 (item 3): csf's iplookup with countries (CC_LOOKUPS) in `csf -i`, `csf -g`, csf.deny comments and
/// lfd's lines, and CC_IGNORE sparing a country from lfd's blocks — on the country fixture of CountryKernelTests
/// (peer 1 in XA, peer 2 in XB, peer 3 in XC) with names from an iso3166.tab fixture.
@Suite(.serialized, .enabled(if: NetLab.available, "needs root"))
struct IPLookupKernelTests {
    static let names = "# ISO 3166 alpha-2 country codes (test fixture)\nXA\tTestland A\nXB\tTestland 'B'\n"

    static func lab(_ settings: [String: String]) throws -> NetLab {
        let lab = try CountryKernelTests.lab(settings.merging(["CC_LOOKUPS": "1"]) { a, _ in a })
        let dir = lab.root + "/usr/share/zoneinfo"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try names.write(toFile: dir + "/iso3166.tab", atomically: true, encoding: .utf8)
        return lab
    }

    @Test func csfNamesTheCountryAndEverySetThatHoldsTheAddress() throws {
        let lab = try Self.lab(["CC_DENY": "XA"])
        #expect(try lab.csf("-s").status == 0)
        let (a, b, c) = (lab.peers[0].v4, lab.peers[1].v4, lab.peers[2].v4)
        var r = try lab.csf("-i", a)
        #expect(r.status == 0 && r.stdout.hasPrefix("\(a) (XA/Testland A/-)\n"), "\(r)")
        #expect(r.stdout.contains("Listed in CC_DENY Country:XA (set cc_deny4)"), "\(r)")
        r = try lab.csf("-g", a)
        #expect(r.stdout.contains("set cc_deny4 holds \(a) (Setting:CC_DENY Country:XA)"), "\(r)")
        // csf strips quotes from names; an address the data does not place is `(-)`.
        #expect(try lab.csf("-d", b).status == 0)
        let deny = try String(contentsOfFile: lab.root + "/etc/csf/csf.deny", encoding: .utf8)
        #expect(deny.contains("\(b) # Manually denied: \(b) (XB/Testland B/-) - "), "\(deny)")
        r = try lab.csf("-i", b)
        #expect(r.stdout.contains("Listed in csf.deny (\(lab.root)/etc/csf/csf.deny:"), "\(r)")
        #expect(try lab.csf("-i", c).stdout == "\(c) (XC/-/-)\n", "a code without a name")
        #expect(try lab.csf("-i", "198.18.0.1").stdout == "198.18.0.1 (-)\n")
        let json = try lab.csf("-i", a, "--json").stdout
        #expect(json.contains("\"country\": \"XA\"") && json.contains("\"listed\": [\"CC_DENY Country:XA (set cc_deny4)\"]"), "\(json)")
        r = try lab.csf("-i", "bogus")
        #expect(r.status != 0 && r.stderr.contains("lookup failed: [bogus] is not a valid PUBLIC IP"), "\(r)")
        // CC_LOOKUPS = 0: csf's plain form.
        try lab.setConfig(["CC_LOOKUPS": "0"])
        #expect(try lab.csf("-i", a).stdout.hasPrefix("\(a) (-)\n"))
    }

    @Test func lfdWordsBlocksWithTheCountryAndNeverBlocksCcIgnore() throws {
        let lab = try Self.lab(["CC_IGNORE": "xb", "LF_SSHD": "2", "LF_SSHD_PERM": "60", "LF_PARSE": "5", "LF_PERMBLOCK": "0",
                                "LF_HTACCESS": "0", "LF_MODSEC": "0", "LF_POP3D": "0", "LF_IMAPD": "0", "LF_FTPD": "0", "LF_SMTPAUTH": "0",
                                "LF_EXIMSYNTAX": "0", "LF_BIND": "0", "LF_SUHOSIN": "0", "LF_WEBMIN": "0"])
        let auth = lab.root + "/auth.log"
        try "".write(toFile: auth, atomically: true, encoding: .utf8)
        try lab.setConfig(["SSHD_LOG": auth])
        #expect(try lab.csf("-s").status == 0)
        let r = try lab.lfd()
        #expect(r.status == 0, "\(r)")
        let (a, b) = (lab.peers[0].v4, lab.peers[1].v4)
        func failures(_ ip: String) -> [String] {
            (1...2).map { "Jan  5 09:05:0\($0) web1 sshd[22\($0)]: Failed password for root from \(ip) port 5\($0)022 ssh2" }
        }
        try lab.appendLog(auth, failures(b) + failures(a))
        #expect(try eventually(within: 3) { lab.lfdLog.contains("*Blocked in csf*") }, "\(lab.lfdLog)")
        #expect(lab.lfdLog.contains("(sshd) Failed SSH login from \(a) (XA/Testland A/-): 2 in the last 3600 secs - *Blocked in csf* for 60 secs"),
                "\(lab.lfdLog)")
        let tempban = (try? String(contentsOfFile: lab.root + "/var/lib/csf/csf.tempban", encoding: .utf8)) ?? ""
        #expect(tempban.contains("from \(a) (XA/Testland A/-)") && !tempban.contains(b), "\(tempban)")
        #expect(try !lab.tcpOpen(from: lab.peers[0], port: 22, timeout: 0.5))
        #expect(try lab.tcpOpen(from: lab.peers[1], port: 22), "XB is in CC_IGNORE: lfd never blocks it")
        #expect(!lab.lfdLog.contains("from \(b) (XB"), "\(lab.lfdLog)")
    }
}
