import Testing
@testable import CsfCompat
@testable import LfdCore

/// LT_POP3D / LT_IMAPD (issue 16, item 5): logins per service, account and address in csf's hour bucket.
@Suite struct LoginTrackerTests {
    let ip = IPAddress("203.0.113.70")!

    @Test func theLoginPastTheLimitBlocksTheServicePortsUntilTheHourEnds() {
        var t = LoginTracker()
        for now in [100, 200] { #expect(t.record(trigger: "LT_POP3D", account: "bob", ip: ip, limit: 2, now: now) == nil) }
        #expect(t.record(trigger: "LT_POP3D", account: "carol", ip: ip, limit: 2, now: 250) == nil, "another account counts apart")
        #expect(t.record(trigger: "LT_IMAPD", account: "bob", ip: ip, limit: 2, now: 260) == nil, "another service counts apart")
        let b = t.record(trigger: "LT_POP3D", account: "bob", ip: ip, limit: 2, now: 1300)
        #expect(b?.message == "pop3d - 3 logins in 1200 secs from 203.0.113.70 (-) for bob exceeds 2/hour")
        #expect(b?.seconds == 2400 && b?.ports == "110,995" && b?.trigger == "LT_POP3D" && b?.account == "bob")
        #expect(t.record(trigger: "LT_POP3D", account: "bob", ip: ip, limit: 2, now: 1301) == nil, "counting starts again after a block")
    }

    @Test func everyCounterOfAServiceStartsAgainAnHourAfterItsBucketBegan() {
        var t = LoginTracker()
        #expect(t.record(trigger: "LT_IMAPD", account: "bob", ip: ip, limit: 1, now: 0) == nil)
        #expect(t.record(trigger: "LT_IMAPD", account: "bob", ip: ip, limit: 1, now: 3600) == nil, "a new bucket")
        #expect(t.record(trigger: "LT_IMAPD", account: "bob", ip: ip, limit: 1, now: 3601)?.ports == "143,993")
        #expect(t.record(trigger: "LT_IMAPD", account: "bob", ip: ip, limit: 0, now: 3602) == nil, "0 is off")
    }
}
