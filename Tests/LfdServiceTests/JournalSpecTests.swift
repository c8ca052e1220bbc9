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
