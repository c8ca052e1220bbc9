import Foundation
import Testing
import CsfCompat
@testable import LfdCore

/// Relay tracking and script-mail counting over Exim and Postfix lines, and the log scanner's report.
struct RelayTrackerTests {
    static let notLocal: @Sendable (String) -> Bool = { $0 == "198.51.100.1" }
    static let names: @Sendable (UInt32) -> String? = { $0 == 1000 ? "alice" : nil }

    func tracker(_ limits: [RelayTracker.Check: Int]) -> RelayTracker {
        var s = RelayTracker.Settings()
        s.limits = limits
        return RelayTracker(settings: s)
    }

    @Test func eximLinesAsCsfReadsThem() {
        let relay = "2026-12-01 10:00:00 1vQ2-000A-BC <= sender@client.example H=(client.example) [203.0.113.9]:41000 P=esmtp S=400 for a@example.test b@example.test"
        #expect(RelayTracker.parse(relay, userName: Self.names) == .message(source: .address("203.0.113.9", authenticated: false), recipients: 2))
        let auth = "2026-12-01 10:00:00 1vQ2-000A-BD <= alice@example.test H=(x) [203.0.113.9]:41000 P=esmtpa A=plain_server:alice S=400 for a@example.test"
        #expect(RelayTracker.parse(auth, userName: Self.names) == .message(source: .address("203.0.113.9", authenticated: true), recipients: 1))
        let local = "2026-12-01 10:00:00 [1234] 1vQ2-000A-BE <= alice@mail.example.test U=alice P=local S=300"
        #expect(RelayTracker.parse(local, userName: Self.names) == .message(source: .account("alice"), recipients: 1))
        // A quoted HELO or sender cannot smuggle an H= or a P= in.
        let quoted = "2026-12-01 10:00:00 1vQ2-000A-BF <= \"x H=[192.0.2.1] P=esmtpa A=a:b\"@x H=(y) [203.0.113.10] P=esmtp S=1"
        #expect(RelayTracker.parse(quoted, userName: Self.names) == .message(source: .address("203.0.113.10", authenticated: false), recipients: 1))
        #expect(RelayTracker.parse("2026-12-01 10:00:00 1vQ2-000A-BC => a@example.test R=blackhole", userName: Self.names) == nil)
        #expect(RelayTracker.parse("2026-12-01 10:00:00 1vQ2-000A-BC <= x H=(y) [not-an-ip] P=esmtp", userName: Self.names) == nil)
    }

    @Test func postfixLinesAreTiedByQueueID() {
        var t = tracker([.relay: 4, .authRelay: 100, .localRelay: 2])
        let smtpd = "Dec  1 10:00:00 mail postfix/smtpd[100]: 4F1A2B3C4D: client=unknown[203.0.113.9]"
        let qmgr = "Dec  1 10:00:00 mail postfix/qmgr[101]: 4F1A2B3C4D: from=<s@client.example>, size=300, nrcpt=3 (queue active)"
        #expect(t.see(smtpd, now: 10, isLocal: Self.notLocal, userName: Self.names) == nil)
        #expect(t.see(qmgr, now: 10, isLocal: Self.notLocal, userName: Self.names) == nil, "3 of 4")
        #expect(t.see(qmgr, now: 11, isLocal: Self.notLocal, userName: Self.names) == nil, "a requeue is not counted twice")
        _ = t.see(smtpd.replacingOccurrences(of: "4F1A2B3C4D", with: "5A"), now: 12, isLocal: Self.notLocal, userName: Self.names)
        let over = t.see(qmgr.replacingOccurrences(of: "4F1A2B3C4D", with: "5A"), now: 12, isLocal: Self.notLocal, userName: Self.names)
        #expect(over?.key == "203.0.113.9" && over?.check == .relay && over?.count == 6 && over?.mails == [smtpd, smtpd.replacingOccurrences(of: "4F1A2B3C4D", with: "5A")])
        let sasl = "Dec  1 10:00:00 mail postfix/submission/smtpd[100]: 77AA: client=h.example[203.0.113.20], sasl_method=PLAIN, sasl_username=alice"
        #expect(RelayTracker.parse(sasl, userName: Self.names) == .queued(id: "77AA", source: .address("203.0.113.20", authenticated: true)))
        let pickup = "Dec  1 10:00:00 mail postfix/pickup[102]: 88BB: uid=1000 from=<alice>"
        #expect(RelayTracker.parse(pickup, userName: Self.names) == .queued(id: "88BB", source: .account("alice")))
        #expect(RelayTracker.parse("Dec  1 10:00:00 mail postfix/pickup[102]: 88BB: uid=0 from=<root>", userName: { _ in "root" })
                == .queued(id: "88BB", source: .account("root")))
    }

    @Test func checksLimitsIgnoresAndTheHourlyReset() {
        var t = tracker([.relay: 2, .localhostRelay: 1])
        let line = { (ip: String) in "2026-12-01 10:00:00 1vQ2-000A-BC <= s@x H=(x) [\(ip)] P=smtp S=1" }
        #expect(t.see(line("203.0.113.9"), now: 0, isLocal: Self.notLocal, userName: Self.names) == nil)
        #expect(t.see(line("203.0.113.9"), now: 1, isLocal: Self.notLocal, userName: Self.names) == nil)
        #expect(t.see(line("203.0.113.9"), now: 2, isLocal: Self.notLocal, userName: Self.names)?.count == 3, "> limit, as csf")
        #expect(t.see(line("203.0.113.9"), now: 3, isLocal: Self.notLocal, userName: Self.names) == nil, "counted from zero again")
        #expect(t.see(line("198.51.100.1"), now: 4, isLocal: Self.notLocal, userName: Self.names) == nil)
        #expect(t.see(line("198.51.100.1"), now: 5, isLocal: Self.notLocal, userName: Self.names)?.check == .localhostRelay)
        _ = t.see(line("203.0.113.7"), now: 6, isLocal: Self.notLocal, userName: Self.names)
        _ = t.see(line("203.0.113.7"), now: 7, isLocal: Self.notLocal, userName: Self.names)
        #expect(t.see(line("203.0.113.7"), now: 3700, isLocal: Self.notLocal, userName: Self.names) == nil, "reset every hour")
        var ignoring = tracker([.relay: 0])
        ignoring.settings.ignore = ["203.0.113.9"]
        #expect(ignoring.see(line("203.0.113.9"), now: 0, isLocal: Self.notLocal, userName: Self.names) == nil)
        var pop = tracker([.popRelay: 0])
        pop.settings.relayHosts = ["203.0.113.9"]
        #expect(pop.see(line("203.0.113.9"), now: 0, isLocal: Self.notLocal, userName: Self.names)?.check == .popRelay)
        #expect(tracker([:]).settings.enabled == false)
    }

    @Test func blocksAreForAddressesOnly() {
        let e = RelayTracker.Exceeded(key: "203.0.113.9", check: .relay, count: 101, mails: ["l"])
        let b = RelayTracker.block(e, setting: 600, ports: "25,587")
        #expect(b?.seconds == 600 && b?.ports == "25,587" && b?.trigger == "RT_RELAY_LIMIT" && b?.message == "203.0.113.9 (-) RELAY limit exceeded")
        #expect(RelayTracker.block(e, setting: 1, ports: "25")?.seconds == nil)
        #expect(RelayTracker.block(e, setting: 0, ports: "25") == nil)
        #expect(RelayTracker.block(.init(key: "alice", check: .localRelay, count: 9, mails: []), setting: 1, ports: "25") == nil)
    }
}

struct ScriptMailTrackerTests {
    @Test func directoriesUnderHomeFromBothForms() {
        #expect(ScriptMailTracker.directory("2026-12-01 10:00:00 cwd=/home/alice/public_html 4 args: /usr/sbin/exim4 -C x -t") == "/home/alice/public_html")
        #expect(ScriptMailTracker.directory("2026-12-01 10:00:00 [99] cwd=/home/al ice/my site 3 args: sendmail -t -i") == "/home/al ice/my site")
        #expect(ScriptMailTracker.directory("2026-12-01 10:00:00 1vQ2-000A-BC H=localhost (x) [127.0.0.1] Warning: PWD=/home/bob/www  REMOTE_ADDR=203.0.113.9")
                == "/home/bob/www")
        #expect(ScriptMailTracker.directory("2026-12-01 10:00:00 cwd=/var/www 3 args: sendmail -t") == nil, "only /home, as csf")
        #expect(ScriptMailTracker.directory("2026-12-01 10:00:00 cwd=/home/../etc 3 args: sendmail -t") == nil)
        var t = ScriptMailTracker(limit: 2)
        let line = "2026-12-01 10:00:00 cwd=/home/alice/public_html 3 args: sendmail -t"
        #expect(t.see(line, now: 0) == nil && t.see(line, now: 1) == nil)
        #expect(t.see(line, now: 2) == .init(path: "/home/alice/public_html", count: 3, mails: [line, line, line]))
    }
}

struct LogScannerTests {
    @Test func reportStylesAndTruncation() {
        let stored: [Substring] = ["/var/log/a|one", "/var/log/b|two", "/var/log/a|three|with bar"]
        let grouped = LogScanner.report(stored, style: 1, truncatedAt: nil)
        #expect(grouped.lines == 3)
        #expect(grouped.text == "/var/log/a:\none\nthree|with bar\n\n/var/log/b:\ntwo\n\n")
        #expect(LogScanner.report(stored, style: 2, truncatedAt: 3).text == "one\ntwo\nthree|with bar\n\n...Report truncated as it exceeded 3 of log lines...\n")
        #expect(LogScanner.report([], style: 1, truncatedAt: nil).text == "...No log lines to report...")
        #expect(LogScanner.mark(.hourly, hour: 7, day: 3) == "7" && LogScanner.mark(.daily, hour: 7, day: 3) == "3" && LogScanner.mark(.manual, hour: 7, day: 3) == nil)
        let (patterns, diagnostics) = LogScanner.parseIgnore("# c\nfoo\\d+\n(bad\n", path: "/etc/csf/csf.logignore")
        #expect(patterns.count == 1 && diagnostics.map(\.location) == ["/etc/csf/csf.logignore:3"])
    }
}
