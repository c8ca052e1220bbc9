import Foundation
import Testing
import CsfTestSupport

/// Issue 15 (item 2): CC_* with packets, on tor-geoipdb's format. The fixture gives each peer's documentation
/// network a user-assigned country code (XA, XB, XC); one test loads the real data.
@Suite(.serialized, .enabled(if: NetLab.available, "needs root"))
struct CountryKernelTests {
    /// 192.0.2.0/24 → XA (peer 1), 198.51.100.0/24 → XB (peer 2), 203.0.113.0/24 → XC (peer 3).
    static let fixture = "# test fixture in tor-geoipdb's format\n3221225984,3221226239,XA\n3325256704,3325256959,XB\n3405803776,3405804031,XC\n"

    static func lab(_ settings: [String: String]) throws -> NetLab {
        let lab = try NetLab(peers: 3)
        let dir = lab.root + "/usr/share/tor"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try fixture.write(toFile: dir + "/geoip", atomically: true, encoding: .utf8)
        var values = ["TCP_IN": "22,80", "TCP_OUT": "9090"]
        values.merge(settings) { $1 }
        try lab.setConfig(values)
        try lab.serve(in: lab.fw, tcp: [22, 80, 8022], udp: [])
        return lab
    }

    @Test func ccDenyDropsTheCountryButNotRepliesToTheServersOwnConnections() throws {
        let lab = try Self.lab(["CC_DENY": "XA"])
        try lab.serve(in: lab.peers[0].ns, tcp: [9090], udp: [])
        let r = try lab.csf("-s")
        #expect(r.status == 0, "\(r)")
        #expect(try !lab.tcpOpen(from: lab.peers[0], port: 22), "XA is denied")
        #expect(try lab.tcpOpen(from: lab.peers[1], port: 22))
        let out = try lab.tcpOut(to: lab.peers[0], port: 9090)
        #expect(out, "the server's own connection to XA gets its replies")
        let set = try lab.nft("list", "set", "inet", "csf", "cc_deny4").stdout
        #expect(set.contains("192.0.2.0/24"), "\(set)")
        // Without SPI every packet goes through LOCALINPUT: the country rules still let replies pass.
        try lab.setConfig(["LF_SPI": "0"])
        #expect(try lab.csf("-r").status == 0)
        let outWithoutSpi = try lab.tcpOut(to: lab.peers[0], port: 9090)
        #expect(outWithoutSpi, "replies pass CC_DENY with LF_SPI = 0 too")
        #expect(try !lab.tcpOpen(from: lab.peers[0], port: 22))
    }

    @Test func ccAllowFilterLetsOnlyTheListedCountriesReachThePorts() throws {
        let lab = try Self.lab(["CC_ALLOW_FILTER": "XB"])
        #expect(try lab.csf("-s").status == 0)
        #expect(try lab.tcpOpen(from: lab.peers[1], port: 22), "XB passes on to TCP_IN")
        #expect(try !lab.tcpOpen(from: lab.peers[0], port: 22) && !lab.tcpOpen(from: lab.peers[2], port: 22), "everyone else is dropped")
        // csf.allow still comes first.
        #expect(try lab.csf("-a", lab.peers[0].v4).status == 0)
        #expect(try lab.tcpOpen(from: lab.peers[0], port: 22))
    }

    @Test func ccAllowPortsOpensPortsToACountryAndCcDenyPortsClosesThem() throws {
        let lab = try Self.lab(["CC_ALLOW_PORTS": "XC", "CC_ALLOW_PORTS_TCP": "8022", "CC_DENY_PORTS": "XB", "CC_DENY_PORTS_TCP": "22",
                                "CC_ALLOW": "XA"])
        #expect(try lab.csf("-s").status == 0)
        #expect(try lab.tcpOpen(from: lab.peers[2], port: 8022), "XC reaches CC_ALLOW_PORTS_TCP")
        #expect(try !lab.tcpOpen(from: lab.peers[1], port: 8022), "8022 is not in TCP_IN for others")
        #expect(try !lab.tcpOpen(from: lab.peers[1], port: 22) && lab.tcpOpen(from: lab.peers[1], port: 80), "XB loses only port 22")
        #expect(try lab.tcpOpen(from: lab.peers[0], port: 8022), "CC_ALLOW accepts the whole host")
    }

    @Test func missingDataIsAWarningAndAnAsnIsNamed() throws {
        let lab = try Self.lab(["CC_DENY": "XA,AS64500"])
        try FileManager.default.removeItem(atPath: lab.root + "/usr/share/tor/geoip")
        var r = try lab.csf("-s")
        #expect(r.status == 0 && r.stderr.contains("no country data") && r.stderr.contains("install tor-geoipdb"), "\(r)")
        #expect(try lab.tcpOpen(from: lab.peers[0], port: 22))
        try Self.fixture.write(toFile: lab.root + "/usr/share/tor/geoip", atomically: true, encoding: .utf8)
        r = try lab.csf("-r")
        #expect(r.status == 0 && r.stderr.contains("AS64500: no ASN data yet"), "\(r)")
        #expect(try !lab.tcpOpen(from: lab.peers[0], port: 22))
    }

    /// AS entries: lfd fetches the ASN data (gzip, as iptoasn serves it), keeps it decompressed and restarts the
    /// firewall with it; CC_LOOKUPS 3 names the network; csf -r reads the kept copy without lfd; a damaged download
    /// keeps it.
    @Test func anAsnIsFetchedByLfdAndItsNetworksDropped() throws {
        let (lab, web, server) = try RemoteListKernelTests.labWithServer(peers: 3)
        let (listed, clean) = (lab.peers[0], lab.peers[1])
        try FileManager.default.createDirectory(atPath: lab.root + "/usr/share/tor", withIntermediateDirectories: true)
        try Self.fixture.write(toFile: lab.root + "/usr/share/tor/geoip", atomically: true, encoding: .utf8)
        try "192.0.2.0\t192.0.2.255\t64500\tZZ\tEXAMPLE-NET documentation\n198.51.100.0\t198.51.100.255\t64501\tZZ\tOTHER-NET\n"
            .write(toFile: web + "/ip2asn.tsv", atomically: true, encoding: .utf8)
        try Shell.check(["gzip", "-kf", web + "/ip2asn.tsv"])
        try lab.setConfig(["TCP_IN": "22", "TCP_OUT": "8080", "LF_PARSE": "1", "CC_DENY": "AS64500", "CC_LOOKUPS": "3",
                           "CC_ASN_URL": "http://\(server.v4):8080/ip2asn.tsv.gz"])
        try lab.serve(in: lab.fw, tcp: [22], udp: [])
        var r = try lab.csf("-s")
        #expect(r.status == 0 && r.stderr.contains("AS64500: no ASN data yet"), "\(r)")
        #expect(try lab.tcpOpen(from: listed, port: 22))
        #expect(try lab.lfd().status == 0)
        #expect(try eventually(within: 10) { lab.lfdLog.contains("csf restarted with new ASN data") }, "\(lab.lfdLog)")
        #expect(lab.lfdLog.contains("CC: Retrieving ASN database [http://\(server.v4):8080/ip2asn.tsv.gz]"))
        #expect(try !lab.tcpOpen(from: listed, port: 22), "AS64500's network is dropped")
        #expect(try lab.tcpOpen(from: clean, port: 22), "AS64501 is not named")
        #expect(try lab.nft("list", "set", "inet", "csf", "cc_deny4").stdout.contains("192.0.2.0/24"))
        r = try lab.csf("-i", listed.v4)
        #expect(r.stdout.contains("[AS64500 EXAMPLE-NET documentation]"), "\(r)")
        let kept = lab.root + "/var/lib/csf/Geo/ip2asn-combined.tsv"
        #expect((try? String(contentsOfFile: kept, encoding: .utf8))?.hasPrefix("192.0.2.0\t") == true)

        // A download that is not the data keeps the last copy.
        lab.stopLfd()
        try "<html>moved</html>\n".write(toFile: web + "/ip2asn.tsv.gz", atomically: true, encoding: .utf8)
        try Shell.check(["touch", "-d", "30 days ago", kept])
        #expect(try lab.lfd().status == 0)
        #expect(try eventually(within: 10) { lab.lfdLog.contains("CC Error: Unable to retrieve ASN database") }, "\(lab.lfdLog)")
        #expect(lab.lfdLog.contains("not ip2asn data"), "\(lab.lfdLog)")
        lab.stopLfd()
        lab.stopServers()
        #expect(try lab.csf("-r").status == 0)
        #expect(try !lab.tcpOpen(from: listed, port: 22, timeout: 0.5), "csf -r reads the kept copy")
    }

    /// CC_SRC 3: lfd downloads DB-IP's Lite CSV (gzip, named by year and month as DB-IP publishes it), keeps it
    /// decompressed and restarts the firewall with it; csf -i and csf -r read the kept copy; tor-geoipdb is not read.
    @Test func ccSrc3FetchesDbipsCountryDataAndItsCountryIsDropped() throws {
        let (lab, web, server) = try RemoteListKernelTests.labWithServer(peers: 3)
        let (listed, clean) = (lab.peers[0], lab.peers[1])
        let now = Date()
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let month = String(format: "%04d-%02d", utc.component(.year, from: now), utc.component(.month, from: now))
        try "1.0.0.0,1.0.0.255,AU\n192.0.2.0,192.0.2.255,XA\n198.51.100.0,198.51.100.255,XB\n2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,XA\n"
            .write(toFile: web + "/dbip-country-lite-\(month).csv", atomically: true, encoding: .utf8)
        try Shell.check(["gzip", "-kf", web + "/dbip-country-lite-\(month).csv"])
        try lab.setConfig(["TCP_IN": "22", "TCP_OUT": "8080", "LF_PARSE": "1", "CC_SRC": "3", "CC_DENY": "XA", "CC_LOOKUPS": "1",
                           "CC_DBIP_URL": "http://\(server.v4):8080/dbip-country-lite-[YYYY]-[MM].csv.gz"])
        try lab.serve(in: lab.fw, tcp: [22], udp: [])
        var r = try lab.csf("-s")
        #expect(r.status == 0 && r.stderr.contains("no country data") && r.stderr.contains("lfd downloads CC_DBIP_URL"), "\(r)")
        #expect(try lab.tcpOpen(from: listed, port: 22))
        #expect(try lab.lfd().status == 0)
        #expect(try eventually(within: 10) { lab.lfdLog.contains("csf restarted with new country data") }, "\(lab.lfdLog)")
        #expect(lab.lfdLog.contains("CC: Retrieving country database [http://\(server.v4):8080/dbip-country-lite-\(month).csv.gz]"), "\(lab.lfdLog)")
        #expect(try !lab.tcpOpen(from: listed, port: 22), "XA is dropped")
        #expect(try lab.tcpOpen(from: clean, port: 22), "XB is not named")
        r = try lab.csf("-i", clean.v4)
        #expect(r.stdout.contains("XB"), "\(r)")
        lab.stopLfd()
        lab.stopServers()
        #expect(try lab.csf("-r").status == 0)
        #expect(try !lab.tcpOpen(from: listed, port: 22, timeout: 0.5), "csf -r reads the kept copy")
        #expect(!FileManager.default.fileExists(atPath: lab.root + "/usr/share/tor/geoip"), "tor-geoipdb is not what is read")
    }

    /// CC_SRC 1 with MM_LICENSE_KEY: lfd downloads MaxMind's GeoLite2 Country CSV zip (made here by Python's
    /// zipfile, deflated, in a dated directory as MaxMind ships it), converts it and restarts the firewall with it;
    /// the licence key never reaches lfd.log; a zip without the Blocks file keeps the last copy.
    @Test func ccSrc1FetchesMaxMindsCountryCsvWithTheLicenceKey() throws {
        let (lab, web, server) = try RemoteListKernelTests.labWithServer(peers: 3)
        let (listed, clean) = (lab.peers[0], lab.peers[1])
        let zip = #"""
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
                d = "GeoLite2-Country-CSV_20261201/"
                z.writestr(d + "GeoLite2-Country-Locations-en.csv", "geoname_id,locale_code,continent_code,continent_name,country_iso_code,country_name,is_in_european_union\n1,en,XX,T,XA,A,0\n2,en,XX,T,XB,B,0\n")
                z.writestr(d + "GeoLite2-Country-Blocks-IPv4.csv", "network,geoname_id,registered_country_geoname_id,represented_country_geoname_id,is_anonymous_proxy,is_satellite_provider\n192.0.2.0/24,1,1,,0,0\n198.51.100.0/24,2,2,,0,0\n")
                if len(sys.argv) < 3:
                    z.writestr(d + "GeoLite2-Country-Blocks-IPv6.csv", "network,geoname_id,registered_country_geoname_id\n2001:db8::/32,1,1\n")
                z.writestr(d + "COPYRIGHT.txt", "fixture")
            """#
        try Shell.check(["python3", "-c", zip, web + "/geoip_download"])
        let key = "Secret/Key+42"
        try lab.setConfig(["TCP_IN": "22", "TCP_OUT": "8080", "LF_PARSE": "1", "CC_SRC": "1", "MM_LICENSE_KEY": key, "CC_DENY": "XA",
                           "CC_MAXMIND_URL": "http://\(server.v4):8080/geoip_download?edition_id=GeoLite2-Country-CSV&license_key=[KEY]&suffix=zip"])
        try lab.serve(in: lab.fw, tcp: [22], udp: [])
        #expect(try lab.csf("-s").stderr.contains("lfd downloads CC_MAXMIND_URL"))
        #expect(try lab.tcpOpen(from: listed, port: 22))
        #expect(try lab.lfd().status == 0)
        #expect(try eventually(within: 10) { lab.lfdLog.contains("csf restarted with new country data") }, "\(lab.lfdLog)")
        #expect(try !lab.tcpOpen(from: listed, port: 22), "XA is dropped")
        #expect(try lab.tcpOpen(from: clean, port: 22), "XB is not named")
        #expect(lab.lfdLog.contains("license_key=[KEY]&suffix=zip]") && !lab.lfdLog.contains("Secret") && !lab.lfdLog.contains("Key%2B42"), "\(lab.lfdLog)")
        let kept = lab.root + "/var/lib/csf/Geo/maxmind-country.csv"
        #expect((try? String(contentsOfFile: kept, encoding: .utf8)) == "192.0.2.0,192.0.2.255,XA\n198.51.100.0,198.51.100.255,XB\n2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,XA\n")

        // A zip without the IPv6 blocks is refused and the last copy kept.
        lab.stopLfd()
        try Shell.check(["python3", "-c", zip, web + "/geoip_download", "no-ipv6"])
        try Shell.check(["touch", "-d", "30 days ago", kept])
        #expect(try lab.lfd().status == 0)
        #expect(try eventually(within: 10) { lab.lfdLog.contains("zip: no member GeoLite2-Country-Blocks-IPv6.csv") }, "\(lab.lfdLog)")
        lab.stopLfd()
        #expect(try lab.csf("-r").status == 0)
        #expect(try !lab.tcpOpen(from: listed, port: 22, timeout: 0.5), "csf -r reads the kept copy")
    }

    /// ASNs without a download: lfd converts the IPFire Location database (`location dump`, here a stand-in
    /// printing a fixture in its layout) once, restarts the firewall with it, and converts again only when the
    /// database changes; a failed conversion keeps the last one.
    @Test func anAsnFromTheIPFireLocationDatabaseIsDropped() throws {
        let lab = try Self.lab(["CC_DENY": "AS64500", "CC_LOOKUPS": "3", "CC_ASN_URL": "", "LF_PARSE": "1"])
        let (listed, clean) = (lab.peers[0], lab.peers[1])
        let database = lab.root + "/var/lib/location/database.db"
        try FileManager.default.createDirectory(atPath: lab.root + "/var/lib/location", withIntermediateDirectories: true)
        try "stand-in\n".write(toFile: database, atomically: true, encoding: .utf8)
        let dump = lab.root + "/location.dump", standIn = lab.root + "/location"
        try """
            aut-num:                 AS64500
            name:                    EXAMPLE-NET

            net:                     192.0.2.0/23
            country:                 XA
            aut-num:                 64500

            net:                     198.51.100.0/24
            country:                 XB
            aut-num:                 64501

            """.write(toFile: dump, atomically: true, encoding: .utf8)
        // The stand-in answers only `--database <the lab's database> dump`, as lfd asks.
        try "#!/bin/sh\n[ \"$1 $2 $3\" = \"--database \(database) dump\" ] || exit 2\necho run >> \(lab.root)/location.runs\nexec cat \(dump)\n"
            .write(toFile: standIn, atomically: true, encoding: .utf8)
        try Shell.check(["chmod", "0755", standIn])
        var r = try lab.csf("-s")
        #expect(r.status == 0 && r.stderr.contains("AS64500: no ASN data yet") && r.stderr.contains("IPFire Location"), "\(r)")
        #expect(try lab.tcpOpen(from: listed, port: 22))
        #expect(try lab.lfd(env: ["NFTCSF_LOCATION": standIn]).status == 0)
        #expect(try eventually(within: 15) { lab.lfdLog.contains("csf restarted with new ASN data") }, "\(lab.lfdLog)")
        #expect(lab.lfdLog.contains("CC: IPFire Location database converted"), "\(lab.lfdLog)")
        #expect(try !lab.tcpOpen(from: listed, port: 22), "AS64500's network is dropped")
        #expect(try lab.tcpOpen(from: clean, port: 22), "AS64501 is not named")
        #expect(try lab.nft("list", "set", "inet", "csf", "cc_deny4").stdout.contains("192.0.2.0/23"))
        r = try lab.csf("-i", listed.v4)
        #expect(r.stdout.contains("[AS64500 EXAMPLE-NET]"), "\(r)")

        // A restart does not convert an unchanged database again; a changed one that fails keeps the last copy.
        lab.stopLfd()
        #expect(try lab.lfd(env: ["NFTCSF_LOCATION": standIn]).status == 0)
        usleep(1_500_000)
        #expect((try? String(contentsOfFile: lab.root + "/location.runs", encoding: .utf8))?.count == 4, "one conversion")
        lab.stopLfd()
        try "#!/bin/sh\nexit 1\n".write(toFile: standIn, atomically: true, encoding: .utf8)
        try Shell.check(["touch", "-d", "+1 minute", database])
        #expect(try lab.lfd(env: ["NFTCSF_LOCATION": standIn]).status == 0)
        #expect(try eventually(within: 10) { lab.lfdLog.contains("CC Error: Unable to convert the IPFire Location database") }, "\(lab.lfdLog)")
        lab.stopLfd()
        #expect(try lab.csf("-r").status == 0)
        #expect(try !lab.tcpOpen(from: listed, port: 22, timeout: 0.5), "csf -r reads the kept conversion")
    }

    /// The real IPFire Location database (libloc-database, installed by Tests/run.sh) through the real `location`:
    /// Cloudflare's AS13335 holds 1.1.1.0/24.
    @Test func theRealIPFireLocationDatabaseGivesAnAsnsNetworks() throws {
        let real = "/var/lib/location/database.db"
        #expect(FileManager.default.fileExists(atPath: real), "libloc-database is installed by Tests/run.sh")
        let lab = try Self.lab(["CC_DENY": "AS13335", "CC_LOOKUPS": "3", "CC_ASN_URL": "", "LF_PARSE": "1"])
        try FileManager.default.createDirectory(atPath: lab.root + "/var/lib/location", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: lab.root + "/var/lib/location/database.db", withDestinationPath: real)
        // The country of the address too (csf -i shows an ASN only with a country), from the real tor-geoipdb.
        try FileManager.default.removeItem(atPath: lab.root + "/usr/share/tor/geoip")
        try FileManager.default.copyItem(atPath: "/usr/share/tor/geoip", toPath: lab.root + "/usr/share/tor/geoip")
        #expect(try lab.csf("-s").status == 0)
        #expect(try lab.lfd().status == 0)
        #expect(try eventually(within: 120) { lab.lfdLog.contains("csf restarted with new ASN data") }, "\(lab.lfdLog)")
        let set = try lab.nft("list", "set", "inet", "csf", "cc_deny4").stdout
        #expect(set.contains("1.1.1.0/24"), "\(set.prefix(2000))")
        let r = try lab.csf("-i", "1.1.1.1")
        #expect(r.stdout.contains("AS13335"), "\(r)\n\(lab.lfdLog)")
        #expect(try lab.tcpOpen(from: lab.peers[0], port: 22), "documentation addresses are in no AS")
    }

    /// The real data (tor-geoipdb, installed by Tests/run.sh): CN and RU load as ranges.
    @Test func theRealCountryDataLoads() throws {
        let real = "/usr/share/tor/geoip"
        #expect(FileManager.default.fileExists(atPath: real), "tor-geoipdb is installed by Tests/run.sh")
        let lab = try Self.lab(["CC_DENY": "CN,RU"])
        try FileManager.default.removeItem(atPath: lab.root + "/usr/share/tor/geoip")
        try FileManager.default.copyItem(atPath: real, toPath: lab.root + "/usr/share/tor/geoip")
        let r = try lab.csf("-s")
        #expect(r.status == 0, "\(r)")
        let set = try lab.nft("list", "set", "inet", "csf", "cc_deny4").stdout
        let elements = set.split(separator: ",").count
        #expect(elements > 1000, "CN and RU hold thousands of ranges: \(elements)")
        #expect(try lab.tcpOpen(from: lab.peers[0], port: 22), "documentation addresses are in neither")
    }
}
