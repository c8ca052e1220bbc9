import Testing
@testable import CsfCompat
@testable import LfdCore
import CsfTestSupport

/// lfd's ignore decision from the files of a throwaway root: DYNDNS_IGNORE and GLOBAL_DYNDNS_IGNORE read the last
/// resolved addresses, CC_IGNORE the country data.
@Suite struct IgnoreListTests {
    @Test func resolvedDyndnsAddressesAreIgnoredOnlyWithTheirSwitch() throws {
        let dir = try TempDir.csfRoot()
        try dir.write("var/lib/csf/csf.tempdyn", "192.0.2.7\n2001:db8::7\n")
        try dir.write("var/lib/csf/csf.tempgdyn", "198.51.100.9\n")
        let paths = dir.paths
        let ip = { (text: String) in IPAddress(text)! }
        var config = CsfConfig(values: ["DYNDNS": "300", "GLOBAL_DYNDNS": "https://example.net/names", "DYNDNS_IGNORE": "1"])
        var list = IgnoreList(paths: paths, config: config, host: HostAddresses())
        #expect(list.ignores(ip("192.0.2.7")) && list.ignores(ip("2001:db8::7")))
        #expect(!list.ignores(ip("198.51.100.9")), "GLOBAL_DYNDNS_IGNORE is off")
        config.set("GLOBAL_DYNDNS_IGNORE", "1")
        config.set("DYNDNS", "0")
        list = IgnoreList(paths: paths, config: config, host: HostAddresses())
        #expect(list.ignores(ip("198.51.100.9")) && !list.ignores(ip("192.0.2.7")), "DYNDNS off: its addresses are not read")
    }

    @Test func ccIgnoreSparesTheCountryOfTheData() throws {
        let dir = try TempDir()
        _ = Subprocess.run(["/bin/mkdir", "-p", dir.path + "/usr/share/tor"], timeout: 30)
        try dir.write("usr/share/tor/geoip", "3221225984,3221226239,XA\n3325256704,3325256959,XB\n")
        let config = CsfConfig(values: ["CC_IGNORE": "xa,AS64500"])
        let list = IgnoreList(paths: dir.paths, config: config, host: HostAddresses())
        #expect(IgnoreList.countryCodes(config) == ["XA"])
        #expect(list.ignores(IPAddress("192.0.2.1")!) && !list.ignores(IPAddress("198.51.100.1")!))
    }
}
