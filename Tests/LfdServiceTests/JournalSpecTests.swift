import Testing
@testable import LfdService

/// The `journal:` syntax of a *_LOG key: alternatives, a unit shorthand, journal files, and exclusions.
@Suite struct JournalSpecTests {
    @Test func matchesUnitsFilesAndExclusions() {
        let spec = JournalSource.parse("journal:SYSLOG_IDENTIFIER=vsftpd, sshd.service, !SYSLOG_IDENTIFIER=vsftpd+SYSLOG_FACILITY=10 @/tmp/x.journal")
        #expect(spec?.matches == ["SYSLOG_IDENTIFIER=vsftpd", "_SYSTEMD_UNIT=sshd.service"])
        #expect(spec?.excluded == ["SYSLOG_IDENTIFIER=vsftpd+SYSLOG_FACILITY=10"])
        #expect(spec?.file == "/tmp/x.journal")
        #expect(JournalSource.parse("/var/log/secure") == nil)
    }

    /// Garbage between the commas is dropped, never turned into a match or an exclusion of everything.
    @Test func garbageIsDropped() {
        let spec = JournalSource.parse("journal: , ,!noequals, !,SYSLOG_IDENTIFIER=named,, ")
        #expect(spec?.matches == ["SYSLOG_IDENTIFIER=named"])
        #expect(spec?.excluded == [])
        #expect(spec?.file == nil)
    }
}

@Suite struct SyslogCheckTests {
    @Test func aCodeSeenBeforeTheNextRoundIsQuietAndOneMissedIsTold() {
        var check = SyslogCheck()
        check.socketPath = "/nonexistent/nftcsf-test-log"
        #expect(check.tick(every: 10, now: 100) == nil, "the first round starts SYSLOG_CHECK after start-up")
        guard case .sent(let first)? = check.tick(every: 10, now: 110) else { Issue.record("no code sent"); return }
        #expect((15...29).contains(first.count) && first.allSatisfy { $0.isLetter || $0.isNumber })
        check.saw("Dec  1 10:00:00 host lfd[1]: SYSLOG check [other]")
        #expect(check.code == first)
        check.saw("Dec  1 10:00:00 host lfd[1]: SYSLOG check [\(first)]")
        #expect(check.code == nil)
        guard case .sent(let second)? = check.tick(every: 10, now: 120) else { Issue.record("no code sent"); return }
        #expect(check.tick(every: 10, now: 130) == .missed(second))
        #expect(check.tick(every: 0, now: 140) == nil && check.code == nil, "off")
    }
}
