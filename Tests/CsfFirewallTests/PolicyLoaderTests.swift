import Testing
@testable import CsfCompat
@testable import CsfFirewall
import CsfTestSupport

@Suite struct SipsAndRedirectFileTests {
    @Test func garbageInSipsAndRedirectIsReportedWithFileAndLine() throws {
        let dir = try TempDir()
        try FileSystem.makeDirectories("\(dir.path)/etc/csf")
        try dir.write("etc/csf/csf.conf", "IPV6 = \"1\"\n")
        try dir.write("etc/csf/csf.sips", "192.0.2.250\nnot-an-ip\n0.0.0.0/0\n")
        try dir.write("etc/csf/csf.redirect", "*|8080|*|80|tcp\n*|8080|*|80|sctp\n*|8080|*|80|tcp # a \"quoted\" comment\n")
        let outcome = PolicyLoader.load(paths: CsfPaths(root: dir.path), host: .init(), now: 0)
        let errors = outcome.diagnostics.filter { $0.severity == .error }.map { "\(FileSystem.dirname($0.file) == "\(dir.path)/etc/csf" ? String($0.file.split(separator: "/").last ?? "") : $0.file):\($0.line)" }
        #expect(errors == ["csf.sips:2", "csf.sips:3", "csf.redirect:2", "csf.redirect:3"], "\(outcome.diagnostics)")
        #expect(outcome.policy.sips.map(\.description) == ["192.0.2.250"])
        #expect(outcome.policy.redirects.count == 1)
    }
}
