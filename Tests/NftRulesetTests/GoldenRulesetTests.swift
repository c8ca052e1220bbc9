import Testing
@testable import CsfCompat
@testable import CsfPolicy
@testable import NftRuleset
import CsfTestSupport

/// Accounts nothing is named in: the golden variants use no user or group names.
struct NoAccounts: AccountDirectory {
    func uid(named name: String) -> UInt32? { nil }
    func gid(named name: String) -> UInt32? { nil }
}

/// The compiler's output for the shipped config, pinned in compat/golden/*.nft. A change to the ruleset shows
/// up here as a diff to review; `NFTCSF_UPDATE_GOLDENS=1 swift test --filter GoldenRulesetTests` rewrites them.
@Suite struct GoldenRulesetTests {
    static func render(_ variant: GoldenVariant) throws -> String {
        let (config, diagnostics) = ConfigParser.parse(text: try variant.configText(), path: "csf.conf")
        #expect(!diagnostics.contains { $0.severity == .error }, "\(diagnostics)")
        let lists = GoldenVariant.lists
        let inputs = PolicyInputs(config: config,
                                  allow: AccessList.parse(text: lists["csf.allow"] ?? "", path: "csf.allow"),
                                  deny: AccessList.parse(text: lists["csf.deny"] ?? "", path: "csf.deny"),
                                  sips: ListReader.read(text: lists["csf.sips"] ?? "", path: "csf.sips"),
                                  accounts: NoAccounts())
        let outcome = PolicyBuilder.build(inputs)
        #expect(!outcome.hasErrors, "\(outcome.diagnostics)")
        // A fixed generation: every real load draws a new one.
        return try NftRenderer.render(RulesetCompiler.compile(outcome.policy, connectionMark: ConnectionMark(generation: 0x6e66_7460)))
    }

    @Test(arguments: GoldenVariant.all.map(\.name))
    func compilerMatchesTheGolden(name: String) throws {
        let variant = try #require(GoldenVariant.all.first { $0.name == name })
        let text = try Self.render(variant)
        if Environment.value("NFTCSF_UPDATE_GOLDENS") == "1" {
            try FileSystem.writeAtomically(variant.goldenPath, text, mode: 0o644)
        }
        let golden = try TextFile.read(variant.goldenPath)
        if text != golden {
            let a = LineScanner.lines(golden), b = LineScanner.lines(text)
            let first = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
            Issue.record("""
                \(variant.goldenPath) differs from the compiler's output at line \(first + 1):
                  golden:   \(first < a.count ? String(a[first]) : "(end)")
                  compiler: \(first < b.count ? String(b[first]) : "(end)")
                review the change, then NFTCSF_UPDATE_GOLDENS=1 swift test --filter GoldenRulesetTests
                """)
        }
    }

    @Test func everyVariantDiffers() throws {
        let texts = try GoldenVariant.all.map(Self.render)
        #expect(Set(texts).count == texts.count)
    }
}
