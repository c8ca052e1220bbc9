import Foundation
import Testing
@testable import CsfCompat
import CsfTestSupport

/// The oracle for the compiler's goldens: each golden loaded with nft's own `nft -f` into one namespace, and
/// `csf -s` on the same config into another, must list as the same ruleset.
@Suite(.serialized, .enabled(if: NetLab.available, "needs root and iproute2"))
struct GoldenOracleTests {
    @Test(arguments: GoldenVariant.all.map(\.name))
    func csfBuildsWhatNftLoadsFromTheGolden(name: String) throws {
        let variant = try #require(GoldenVariant.all.first { $0.name == name })
        let byCsf = try NetLab(peers: 0), byNft = try NetLab(peers: 0)
        try byCsf.write("csf.conf", try variant.configText())
        for (file, text) in GoldenVariant.lists { try byCsf.write(file, text) }
        let started = try byCsf.csf("-s")
        #expect(started.status == 0, "\(started)")
        let loaded = try byNft.nft("-f", variant.goldenPath)
        #expect(loaded.status == 0, "nft refuses the golden: \(loaded.stderr)")
        let a = byCsf.ruleset, b = byNft.ruleset
        #expect(!a.isEmpty && a == b, "csf -s and nft -f \(variant.goldenPath) differ:\n\(firstDifference(a, b))")
    }

    func firstDifference(_ a: String, _ b: String) -> String {
        let x = a.split(separator: "\n"), y = b.split(separator: "\n")
        for (i, pair) in zip(x, y).enumerated() where pair.0 != pair.1 {
            return "line \(i + 1):\n  csf: \(pair.0)\n  nft: \(pair.1)"
        }
        return "\(x.count) against \(y.count) lines"
    }
}
