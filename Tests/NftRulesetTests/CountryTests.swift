import Testing
@testable import CsfCompat
@testable import CsfPolicy
@testable import NftRuleset
import CsfTestSupport

/// Issue 15 (item 2): CC_* from tor-geoipdb's ranges, in csf's chain order, replies never dropped.
@Suite struct CountryTests {
    static let v4 = """
        # converted from IPFire Location
        3221225984,3221226239,XA
        3221226240,3221226495,XA
        3325256704,3325256959,XB
        3405803776,3405804031,XC
        16777216,16777471,AU
        bad,line,XA
        1,2,lowercase-ok?
        """
    static let v6 = "2001:db8:1::,2001:db8:1:ffff:ffff:ffff:ffff:ffff,XA\n2001:db8:2::,2001:db8:2::ff,XB\n"

    static func withData<T>(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> T) -> T {
        let a = Array(v4.utf8), b = Array(v6.utf8)
        return a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in body(x, y) } }
    }

    @Test func onlyTheWantedCountriesAreReadAndAdjacentRangesJoin() {
        let byCountry = Self.withData { CountryData.ranges(v4: $0, v6: $1, countries: ["XA", "xb"]) }
        #expect(byCountry["XA"]?.map(\.description) == ["192.0.2.0-192.0.3.255", "2001:db8:1::-2001:db8:1:ffff:ffff:ffff:ffff:ffff"])
        #expect(byCountry["XB"]?.count == 2 && byCountry["XC"] == nil && byCountry["AU"] == nil)
    }

    /// Tor's files are sorted: a lookup bisects the bytes and parses only the lines it lands on.
    @Test func aLookupBisectsTheSortedFile() {
        var v4 = "# IPFire Location, converted\n# second comment line\n15726992,15726999,??\n16777216,16777471,AU\n"
        for n in 0..<2_000 { v4 += "\(16_777_472 + n * 512),\(16_777_472 + n * 512 + 255),\(n % 2 == 0 ? "XA" : "XB")\r\n" }
        v4 += "3221225984,3221226239,XC"  // the last line has no new line
        let v6 = "# comment\n2001:db8:1::,2001:db8:1:ffff:ffff:ffff:ffff:ffff,XA\n2001:db8:2::,2001:db8:2::ff,XB\n"
        func country(_ text: String) -> String? {
            Array(v4.utf8).withUnsafeBufferPointer { a in
                Array(v6.utf8).withUnsafeBufferPointer { b in CountryData.country(of: IPAddress(text)!, v4: a, v6: b) }
            }
        }
        #expect(country("1.0.0.9") == "AU")
        #expect(country("0.239.249.144") == nil, "?? is no country")
        #expect(country("1.0.1.7") == "XA" && country("1.0.3.7") == "XB", "the first two ranges after AU")
        #expect(country("1.0.2.7") == nil, "between ranges")
        let last = 16_777_472 + 1_999 * 512 + 100
        #expect(country(IPAddress.v4(UInt32(last)).description) == "XB")
        #expect(country("192.0.2.200") == "XC" && country("192.0.3.0") == nil && country("0.0.0.1") == nil)
        #expect(country("2001:db8:2::80") == "XB" && country("2001:db8:2::100") == nil && country("2001:db8:1:5::1") == "XA")
        #expect(Array("".utf8).withUnsafeBufferPointer { CountryData.country(of: IPAddress("1.0.0.9")!, v4: $0, v6: nil) } == nil)
    }

    /// CC_SRC 3: DB-IP's Lite CSV, addresses of both families in one file, IPv4 lines first.
    static let dbip = """
        1.0.0.0,1.0.0.255,AU
        192.0.2.0,192.0.2.127,XA
        192.0.2.128,192.0.2.255,XA
        198.51.100.0,198.51.100.255,XB
        203.0.113.0,203.0.113.255,ZZ
        2001:db8:1::,2001:db8:1:ffff:ffff:ffff:ffff:ffff,XA
        2001:db8:2::,2001:db8:2::ff,XB

        """

    @Test func dbipsCsvGivesRangesOfBothFamiliesAndLookups() {
        let data = Array(Self.dbip.utf8)
        data.withUnsafeBufferPointer { d in
            let both = CountryData.ranges(addresses: d, countries: ["XA", "XB"], ipv6: true)
            #expect(both["XA"]?.map(\.description) == ["192.0.2.0-192.0.2.255", "2001:db8:1::-2001:db8:1:ffff:ffff:ffff:ffff:ffff"])
            #expect(both["XB"]?.count == 2)
            #expect(CountryData.ranges(addresses: d, countries: ["XA"], ipv6: false)["XA"]?.count == 1, "IPv6 only with CC6_LOOKUPS")
            let country = { (text: String) in CountryData.country(of: IPAddress(text)!, addresses: d) }
            #expect(country("1.0.0.7") == "AU" && country("192.0.2.200") == "XA" && country("198.51.100.1") == "XB")
            #expect(country("203.0.113.9") == nil, "ZZ is no country")
            #expect(country("10.0.0.1") == nil && country("2001:db8:2::80") == "XB" && country("2001:db8:1:7::1") == "XA")
            #expect(country("2001:db8:3::1") == nil && country("::ffff:0.0.0.1") == nil)
            #expect(CountryData.looksValid(addresses: d))
        }
        for junk in ["<html><body>Moved</body></html>\n", "3221225984,3221226239,XA\n", ""] {
            #expect(!Array(junk.utf8).withUnsafeBufferPointer(CountryData.looksValid(addresses:)), "\(junk)")
        }
    }

    @Test func ccSrcChoosesTheSource() throws {
        let dir = try TempDir.csfRoot(config: ["CC_SRC": "3", "CC_DENY": "XA", "IPV6": "1", "CC6_LOOKUPS": "1"])
        let (config, _) = ConfigParser.load(dir.paths.config)
        #expect(CountryFiles.Source.chosen(by: config) == .dbip)
        #expect(throws: CsfError.self) { try CountryFiles(config: config, paths: dir.paths, ipv6: true) }
        try FileSystem.makeDirectories(dir.path + "/var/lib/csf/Geo")
        try dir.write("var/lib/csf/" + CountryData.dbipFile, Self.dbip)
        let files = try CountryFiles(config: config, paths: dir.paths, ipv6: true)
        #expect(files.ranges(countries: ["XA"], ipv6: true)["XA"]?.count == 2)
        #expect(files.country(of: IPAddress("2001:db8:2::1")!) == "XB")
        #expect(CountryFiles.Source.chosen(by: ConfigParser.parse(text: "CC_SRC = \"2\"\n", path: "csf.conf").0) == .torGeoip)
        #expect(CountryFiles.Source.chosen(by: ConfigParser.parse(text: "CC_SRC = \"1\"\n", path: "csf.conf").0) == .torGeoip)
    }

    /// CC_SRC 1 with MM_LICENSE_KEY: MaxMind's GeoLite2 Country CSV files become sorted FIRST,LAST,CC lines.
    @Test func maxMindsCsvBecomesSortedRanges() throws {
        let locations = Array("""
            geoname_id,locale_code,continent_code,continent_name,country_iso_code,country_name,is_in_european_union
            1,en,XX,Test,XA,"Country A, the first",0
            2,en,XX,Test,XB,Country B,0
            6255148,en,EU,Europe,,,0

            """.utf8)
        let v4 = Array("""
            network,geoname_id,registered_country_geoname_id,represented_country_geoname_id,is_anonymous_proxy,is_satellite_provider,is_anycast
            198.51.100.0/24,2,2,,0,0,
            192.0.2.0/24,1,1,,0,0,
            203.0.113.0/24,,1,,0,0,
            100.64.0.0/10,,,,1,0,
            192.0.2.0/33,1,1,,0,0,
            10.0.0.0/8,6255148,6255148,,0,0,

            """.utf8)
        let v6 = Array("network,geoname_id,registered_country_geoname_id\n2001:db8::/32,1,1\n".utf8)
        let out = try MaxMindCountries.ranges(locations: locations, blocksV4: v4, blocksV6: v6)
        #expect(String(decoding: out, as: UTF8.self) == """
            192.0.2.0,192.0.2.255,XA
            198.51.100.0,198.51.100.255,XB
            203.0.113.0,203.0.113.255,XA
            2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,XA

            """, "the registered country when none is located; no country, no line")
        #expect(out.withUnsafeBufferPointer(CountryData.looksValid(addresses:)))
        #expect(throws: MaxMindCountries.Unreadable.self) {
            try MaxMindCountries.ranges(locations: locations, blocksV4: Array("cidr,geoname_id\n192.0.2.0/24,1\n".utf8), blocksV6: v6)
        }
        #expect(throws: MaxMindCountries.Unreadable.self) { try MaxMindCountries.ranges(locations: [], blocksV4: v4, blocksV6: v6) }
        let withKey = ConfigParser.parse(text: "CC_SRC = \"1\"\nMM_LICENSE_KEY = \"abc\"\n", path: "csf.conf").0
        #expect(CountryFiles.Source.chosen(by: withKey) == .maxmind)
    }

    @Test func countryNamesAreReadFromIso3166TabWithoutQuotes() {
        let names = IPLookup.countryNames("# comment\nCI\tCôte d'Ivoire\nUS\tUnited States\nbad line\n")
        #expect(names == ["CI": "Côte dIvoire", "US": "United States"])
    }

    @Test func ccDropCidrLeavesOutSmallRanges() {
        let r = [AddressRange(first: IPAddress("192.0.2.0")!, last: IPAddress("192.0.2.255")!),
                 AddressRange(first: IPAddress("198.51.100.0")!, last: IPAddress("198.51.100.15")!)]
        #expect(CountryData.dropSmallerThan(24, r).count == 1)
        #expect(CountryData.dropSmallerThan(0, r).count == 2, "empty or 0: everything")
    }

    static func policy(_ settings: [String: String], ipv6: Bool = false) -> PolicyBuilder.Outcome {
        var values = ["IPV6": ipv6 ? "1" : "0"]
        values.merge(settings) { $1 }
        var inputs = PolicyInputs(config: CsfConfig(values: values))
        inputs.countryRanges = Self.withData { CountryData.ranges(v4: $0, v6: $1, countries: PolicyBuilder.countryCodes(inputs.config)) }
        return PolicyBuilder.build(inputs)
    }

    @Test func settingsBecomeRangesWithClearWarnings() {
        let o = Self.policy(["CC_DENY": "XA,AS64500,QQ", "CC_ALLOW_PORTS": "xc", "CC_ALLOW_PORTS_TCP": "8022"])
        #expect(o.policy.countries.deny?.map(\.description) == ["192.0.2.0-192.0.3.255"], "IPv6 only with IPV6 and CC6_LOOKUPS")
        #expect(o.policy.countries.allowPorts?.count == 1 && o.policy.countries.allowPortsTcp == [PortRange(8022)])
        #expect(o.policy.countries.allow == nil && o.policy.countries.allowFilter == nil)
        let text = o.diagnostics.map(\.message)
        #expect(text.contains { $0.contains("AS64500 has no ranges in the ASN data") }, "\(text)")
        #expect(text.contains { $0.contains("QQ is not a country of the data") }, "\(text)")
        let v6 = Self.policy(["CC_DENY": "XA", "CC6_LOOKUPS": "1"], ipv6: true)
        #expect(v6.policy.countries.deny?.count == 2)
        var missing = PolicyInputs(config: CsfConfig(values: ["CC_DENY": "CN"]))
        missing.countryDataMissing = "/usr/share/tor/geoip: no such file"
        #expect(PolicyBuilder.build(missing).diagnostics.contains { $0.message.contains("install tor-geoipdb: CC_DENY match nothing") })
    }

    static let asn = """
        1.0.0.0	1.0.0.255	13335	US	CLOUDFLARENET
        192.0.2.0	192.0.2.127	64500	ZZ	"EXAMPLE-NET, documentation"
        192.0.2.128	192.0.2.255	64500	ZZ	EXAMPLE-NET
        198.51.100.0	198.51.100.255	0	None	Not routed
        203.0.113.0	203.0.113.63	64501	ZZ	OTHER
        bad line
        2001:db8::	2001:db8:ffff:ffff:ffff:ffff:ffff:ffff	64500	ZZ	EXAMPLE-NET
        """

    /// AS entries from iptoasn's file: only the named ASNs' ranges, merged; a lookup bisects it (IPv4 lines
    /// sort before IPv6 ones); ASN 0 is not routed.
    @Test func asnRangesAndLookups() {
        let bytes = Array(Self.asn.utf8)
        bytes.withUnsafeBufferPointer { data in
            let found = AsnData.ranges(data, asns: [64500, 99], v6: false)
            #expect(found[64500]?.map(\.description) == ["192.0.2.0-192.0.2.255"] && found[99] == nil && found[64501] == nil)
            #expect(AsnData.ranges(data, asns: [64500], v6: true)[64500]?.count == 2)
            #expect(AsnData.entry(of: IPAddress("192.0.2.5")!, in: data) == .init(range: AddressRange(first: IPAddress("192.0.2.0")!, last: IPAddress("192.0.2.127")!), asn: 64500, name: "EXAMPLE-NET, documentation"))
            #expect(AsnData.entry(of: IPAddress("203.0.113.9")!, in: data)?.asn == 64501)
            #expect(AsnData.entry(of: IPAddress("198.51.100.9")!, in: data) == nil, "ASN 0: not routed")
            #expect(AsnData.entry(of: IPAddress("10.0.0.1")!, in: data) == nil)
            #expect(AsnData.entry(of: IPAddress("2001:db8::9")!, in: data)?.asn == 64500)
            #expect(AsnData.looksValid(data))
        }
        #expect(!Array("<html>Not found</html>\n".utf8).withUnsafeBufferPointer(AsnData.looksValid))
        #expect(AsnData.number("as64500") == 64500 && AsnData.number("AS") == nil && AsnData.number("CN") == nil && AsnData.number("AS1x") == nil)

        var inputs = PolicyInputs(config: CsfConfig(values: ["CC_DENY": "XA,AS64500", "IPV6": "0"]))
        inputs.countryRanges = Self.withData { CountryData.ranges(v4: $0, v6: $1, countries: ["XA"]) }
        inputs.asnRanges = bytes.withUnsafeBufferPointer { AsnData.ranges($0, asns: [64500], v6: false) }
        let o = PolicyBuilder.build(inputs)
        #expect(o.policy.countries.deny?.map(\.description) == ["192.0.2.0-192.0.3.255"], "AS64500's /24 joins XA's ranges")
        #expect(!o.diagnostics.contains { $0.message.contains("CC_") || $0.message.contains("AS") }, "\(o.diagnostics)")
        var missing = PolicyInputs(config: CsfConfig(values: ["CC_DENY": "AS64500"]))
        missing.asnDataMissing = "/var/lib/csf/Geo/ip2asn-combined.tsv: no such file"
        let m = PolicyBuilder.build(missing).diagnostics.map(\.message)
        #expect(m.contains { $0.contains("AS64500: no ASN data yet") } && !m.contains { $0.contains("tor-geoipdb") }, "\(m)")
    }

    @Test func chainsFollowCsfsOrderAndRepliesPass() throws {
        let o = Self.policy(["CC_ALLOW": "XB", "CC_DENY": "XA", "CC_ALLOW_FILTER": "XC", "CC_ALLOW_PORTS": "XC", "CC_ALLOW_PORTS_TCP": "8022",
                             "CC_DENY_PORTS": "XB", "CC_DENY_PORTS_UDP": "53", "LF_SPI": "1"])
        let table = RulesetCompiler.compile(o.policy)
        let local = try #require(table.chain("LOCALINPUT")).rules.map { try NftRenderer.render($0) }
        let order = ["jump CC_ALLOW", "jump ALLOWIN", "jump DENYIN", "ct state established,related", "jump CC_DENY",
                     "jump CC_ALLOWF", "jump CC_ALLOWP", "jump CC_DENYP"]
        let positions = order.map { step in local.firstIndex { $0.contains(step) } ?? -1 }
        #expect(positions.allSatisfy { $0 >= 0 } && positions == positions.sorted(), "\(local)")
        let filter = try #require(table.chain("CC_ALLOWF")).rules.map { try NftRenderer.render($0) }
        #expect(filter.first.map { $0.contains("ip saddr @cc_allowf4") && $0.contains("return") } == true && filter.last?.contains("meta nfproto ipv4") == true, "\(filter)")
        let ports = try #require(table.chain("CC_ALLOWPORTS")).rules.map { try NftRenderer.render($0) }
        #expect(ports.count == 1 && ports[0].contains("tcp dport 8022") && ports[0].contains("accept"), "\(ports)")
        #expect(try #require(table.chain("CC_DENYPORTS")).rules.count == 1)
        #expect(table.set("cc_deny4")?.elements.count == 1 && table.set("cc_deny4")?.flags == [.interval])
        // Established connections take their short path without a country lookup.
        let establishedChain = table.chain("ESTABLISHEDIN")
        #expect(establishedChain != nil)
        let established = try (establishedChain?.rules ?? []).map { try NftRenderer.render($0) }
        #expect(!established.contains { $0.contains("@cc_") })
    }
}
