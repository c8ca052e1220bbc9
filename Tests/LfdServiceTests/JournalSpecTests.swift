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
}
