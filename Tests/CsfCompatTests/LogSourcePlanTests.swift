import Testing
@testable import CsfCompat

/// Issue 13: a *_LOG file that is not on this host falls back to the other distribution's path, then to the
/// journal; what reads nothing is said.
@Suite struct LogSourcePlanTests {
    func host(_ files: Set<String>, journal: Bool) -> LogSourcePlan.Host {
        LogSourcePlan.Host(exists: { files.contains($0) }, glob: { [$0] }, journal: journal)
    }

    func entry(_ key: String, _ value: String, _ host: LogSourcePlan.Host) -> LogSourcePlan.Entry? {
        LogSourcePlan.resolve(keys: [key], config: CsfConfig(values: [key: value]), host: host).entries[key]
    }

    @Test func theConfiguredFileWins() {
        let e = entry("SSHD_LOG", "/var/log/secure", host(["/var/log/secure", "/var/log/auth.log"], journal: true))
        #expect(e?.source == .files(["/var/log/secure"]) && e?.note == nil && e?.readsNothing == false)
    }

    @Test func theOtherFamilysPathComesNext() {
        let e = entry("SSHD_LOG", "/var/log/secure", host(["/var/log/auth.log"], journal: true))
        #expect(e?.source == .files(["/var/log/auth.log"]))
        #expect(e?.note == "SSHD_LOG: /var/log/secure does not exist; reading /var/log/auth.log")
        let mail = entry("IMAPD_LOG", "/var/log/maillog", host(["/var/log/mail.log"], journal: false))
        #expect(mail?.source == .files(["/var/log/mail.log"]))
        // A path of the admin's own that is not there yet (the daemon has not logged) is watched for too.
        let own = entry("FTPD_LOG", "/var/log/vsftpd.log", host(["/var/log/syslog"], journal: true))
        #expect(own?.source == .files(["/var/log/vsftpd.log", "/var/log/syslog"]))
        #expect(own?.note == "FTPD_LOG: /var/log/vsftpd.log does not exist yet; reading /var/log/syslog too")
    }

    @Test func thenTheJournalOfTheProgramsThatWriteIt() {
        let e = entry("SSHD_LOG", "/var/log/secure", host([], journal: true))
        #expect(e?.source == .journal("journal:SYSLOG_IDENTIFIER=sshd,SYSLOG_IDENTIFIER=sshd-session,SYSLOG_IDENTIFIER=login"))
        #expect(e?.readsNothing == false && e?.note?.contains("reading the journal") == true)
    }

    @Test func withNeitherTheFileIsWatchedAndTheGapSaid() {
        let e = entry("SSHD_LOG", "/var/log/secure", host([], journal: false))
        #expect(e?.source == .files(["/var/log/secure"]) && e?.readsNothing == true)
        #expect(e?.note == "SSHD_LOG: /var/log/secure does not exist and there is no journal; nothing to read until it appears")
        let custom = entry("CUSTOM1_LOG", "/var/log/app.log", host([], journal: true))
        #expect(custom?.readsNothing == true, "no fallback is guessed for a log nftcsf does not know")
    }

    @Test func aJournalSourceIsTakenAsWritten() {
        let e = entry("SSHD_LOG", "journal:ssh.service", host([], journal: true))
        #expect(e?.source == .journal("journal:ssh.service") && e?.note == nil)
        #expect(entry("SSHD_LOG", "journal:ssh.service", host([], journal: false))?.readsNothing == true)
        #expect(entry("SSHD_LOG", "journal:sshd@/tmp/x.journal", host([], journal: false))?.readsNothing == false)
    }

    @Test func checkWarnsForEnabledChecksThatReadNothing() {
        let config = CsfConfig(values: ["LF_SSHD": "5", "SSHD_LOG": "/nowhere/secure", "LF_FTPD": "0", "FTPD_LOG": "/nowhere/ftp",
                                        "LF_CPANEL": "5"])
        let none = LoginChecks.silent(config, host: host([], journal: false))
        #expect(none.map(\.message) == [
            "LF_CPANEL is on but CPANEL_LOG is not set: lfd detects nothing for it",
            "LF_SSHD is on but SSHD_LOG (/nowhere/secure) does not exist and there is no journal: lfd detects nothing for it",
        ])
        #expect(LoginChecks.silent(config, host: host([], journal: true)).map(\.message).allSatisfy { $0.hasPrefix("LF_CPANEL") },
                "sshd falls back to the journal")
    }
}

@Suite struct RestrictSyslogTests {
    @Test func oneTurnsOffTheChecksReadingFilesAndKeepsThoseReadingTheJournal() {
        var config = CsfConfig()
        for (key, value) in ["RESTRICT_SYSLOG": "1", "LF_SSHD": "5", "LF_FTPD": "10", "LF_POP3D": "0", "SSHD_LOG": "/var/log/secure",
                             "FTPD_LOG": "journal:SYSLOG_IDENTIFIER=vsftpd"] { config.set(key, value) }
        let host = LogSourcePlan.Host(exists: { $0 == "/var/log/secure" }, glob: { [$0] }, journal: true)
        #expect(RestrictSyslog.apply(to: &config, host: host) == ["LF_SSHD"])
        #expect(config["LF_SSHD"] == "0" && config["LF_FTPD"] == "10" && config["LF_POP3D"] == "0")
        config.set("RESTRICT_SYSLOG", "3")
        config.set("LF_SSHD", "5")
        #expect(RestrictSyslog.apply(to: &config, host: host).isEmpty && RestrictSyslog.filtersJournal(config))
    }
}
