import Testing
@testable import CsfCompat
@testable import CsfFirewall
@testable import NftRuleset
import CsfTestSupport

/// The web UI's settings editor: checked like `csf --check` before anything is written, restricted keys
/// refused, and an unconfirmed change undone in csf.conf as well as in the kernel.
@Suite struct ConfigEditTests {
    @Test func aBadValueIsRefusedWithTheCheckMessageAndNothingIsWritten() throws {
        let f = try FirewallFixture(config: ["DENY_IP_LIMIT": "200"])
        let before = f.file("etc/csf/csf.conf")
        let edit = ConfigEdit(paths: f.paths)
        let p = try edit.preview(key: "DENY_IP_LIMIT", value: "lots")
        #expect(p.before == "DENY_IP_LIMIT = \"200\"" && p.after == "DENY_IP_LIMIT = \"lots\"")
        #expect(p.errors.count == 1 && p.errors[0].contains("csf.conf:") && p.errors[0].contains("expected a whole number"), "\(p.errors)")
        #expect(throws: CsfError.self) { try edit.apply(key: "DENY_IP_LIMIT", value: "lots", confirmWithin: 60, firewall: f.firewall()) }
        #expect(f.file("etc/csf/csf.conf") == before)
        #expect(f.kernel.calls == [.replace], "only the fixture's own start")
    }

    @Test func restrictedKeysAndUnquotableValuesAreRefused() throws {
        let f = try FirewallFixture(config: ["RESTRICT_UI": "1"])
        let edit = ConfigEdit(paths: f.paths)
        for key in ["SENDMAIL", "UI_PASS", "UI_ALLOW", "RESTRICT_UI", "CLUSTER_KEY", "LF_ALERT_TO", "NO_SUCH_KEY"] {
            #expect(throws: CsfError.self, "\(key)") { try edit.preview(key: key, value: "1") }
        }
        #expect(throws: CsfError.self) { try edit.preview(key: "TCP_IN", value: "22\"\nSENDMAIL = \"/bin/sh") }
        #expect(throws: CsfError.self) { try edit.preview(key: "TCP_IN", value: "22\u{1B}") }
        #expect(try edit.preview(key: "TCP_IN", value: "22,443").errors.isEmpty)
        try f.dir.setConfig(["RESTRICT_UI": "0"])
        #expect(try edit.preview(key: "SENDMAIL", value: "/usr/sbin/sendmail").errors.isEmpty, "RESTRICT_UI = 0 opens free text")
        #expect(throws: CsfError.self) { try edit.preview(key: "UI_PASS", value: "x") }
        let shown = edit.settings(matching: "CLUSTER_KEY").shown
        #expect(shown.count == 1 && shown[0].value == "(hidden)" && !shown[0].editable)
    }

    @Test func anUnconfirmedChangePutsCsfConfBackAndAConfirmedOneStays() throws {
        let f = try FirewallFixture(config: ["TCP_IN": "22"])
        let edit = ConfigEdit(paths: f.paths)
        _ = try edit.apply(key: "TCP_IN", value: "22,8080", confirmWithin: 30, firewall: f.firewall())
        #expect(f.file("etc/csf/csf.conf").contains("TCP_IN = \"22,8080\""))
        #expect(f.launched.last?.contains("--watchdog") == true)
        let token = try #require(f.firewall().watchdog.state(.confirm)?.token)
        f.now += 31
        let line = try f.firewall().runWatchdog(.confirm, token: token)
        #expect(line?.contains("previous settings restored") == true)
        #expect(f.file("etc/csf/csf.conf").contains("TCP_IN = \"22\"") && !f.file("etc/csf/csf.conf").contains("8080"))
        let input = try #require(f.kernel.table?.chain("INPUT")).rules.map { try NftRenderer.render($0) }
        #expect(!input.contains { $0.contains("8080") }, "\(input)")

        _ = try edit.apply(key: "TCP_IN", value: "22,8443", confirmWithin: 30, firewall: f.firewall())
        #expect(f.firewall().confirm())
        #expect(f.file("etc/csf/csf.conf").contains("TCP_IN = \"22,8443\""))
        #expect(f.dir.read("var/lib/csf/csf.rollback.csf.conf") == nil)
    }
}
