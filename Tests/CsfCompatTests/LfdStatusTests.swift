import Testing
@testable import CsfCompat

@Suite struct LfdStatusTests {
    @Test func theStatusFileRoundTripsAndKeepsItsFieldsApart() {
        let status = LfdStatus(pid: 42, started: 1_000, updated: 1_060,
                               sources: [.init(key: "SSHD_LOG", reads: "journal:SYSLOG_IDENTIFIER=sshd", note: "SSHD_LOG: /var/log/secure does not exist"),
                                         .init(key: "CUSTOM1_LOG", reads: "/var/log/my app.log", note: nil)],
                               tracked: 7, bansLastHour: 2,
                               bans: [.init(time: 1_050, target: "192.0.2.9", trigger: "LF_SSHD", seconds: nil),
                                      .init(time: 1_040, target: "198.51.100.0/24", trigger: "LF_NETBLOCK", seconds: 3600)])
        #expect(LfdStatus.parse(status.text) == status)
        var tabbed = status
        tabbed.sources[1].reads = "/var/log/a\tb\nc"
        #expect(LfdStatus.parse(tabbed.text)?.sources[1].reads == "/var/log/a b c", "a tab or newline cannot split a record")
        #expect(LfdStatus.parse("garbage\n") == nil)
    }
}
