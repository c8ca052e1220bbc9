import Testing
@testable import CsfCompat
@testable import LfdCore

/// One sshd failure and one Postfix SASL failure under every header shape lfd reads: the detector sees the same
/// message, the same address and the same account.
@Suite struct SyslogHeaderTests {
    static let sshd = "Failed password for invalid user admin from 203.0.113.50 port 50022 ssh2"
    static let postfix = "warning: unknown[203.0.113.51]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"

    static let shapes: [(String, String)] = [
        ("RFC 3164", "Jan  5 09:05:04 web1 %@: %m"),
        ("RFC 3164 with <PRI>", "<38>Jan  5 09:05:04 web1 %@: %m"),
        ("rsyslog high precision", "2025-01-05T09:05:04.123456+00:00 web1 %@: %m"),
        ("RFC 5424", "<38>1 2025-01-05T09:05:04.123456+00:00 web1 %a %p - - %m"),
        ("RFC 5424 with structured data", "<38>1 2025-01-05T09:05:04Z web1 %a %p ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Ap\\]p\"][x@1 a=\"b\"] %m"),
        ("RFC 5424 with BOM, nil timestamp", "<38>1 - web1 %a %p - - \u{FEFF}%m"),
        ("RFC 5424 from rsyslog (a legacy sender's space kept in MSG)", "<38>1 2025-01-05T09:05:04.123456+00:00 web1 %a %p - -  %m"),
        ("BusyBox syslogd", "Jan  5 09:05:04 web1 authpriv.info %@: %m"),
        ("FreeBSD syslogd -v", "Jan  5 09:05:04 <auth.info> web1 %@: %m"),
        ("FreeBSD syslogd -vv", "Jan  5 09:05:04 <4.6> web1 %@: %m"),
        ("socklog/svlogd tai64n", "@400000006778f0a01d2b1c54 auth.info: Jan  5 09:05:04 %@: %m"),
        ("socklog/svlogd ISO", "2025-01-05_09:05:04.12345 auth.info: Jan  5 09:05:04 %@: %m"),
        ("multilog tai64n", "@400000006778f0a01d2b1c54 %@: %m"),
        ("journalctl short-iso", "2025-01-05T09:05:04+0000 web1 %@: %m"),
        ("journalctl short-precise", "Jan 05 09:05:04.123456 web1 %@: %m"),
        ("journalctl short-monotonic", "[ 1234.567890] web1 %@: %m"),
    ]

    func line(_ shape: String, app: String, pid: String, message: String) -> String {
        shape.replacingAll("%@", with: "\(app)[\(pid)]").replacingAll("%a", with: app).replacingAll("%p", with: pid)
            .replacingAll("%m", with: message)
    }

    @Test(arguments: shapes)
    func sshdFailureUnderEveryHeader(_ name: String, _ shape: String) {
        let text = line(shape, app: "sshd", pid: "2212", message: Self.sshd)
        let d = ShippedDetectors.classifier.classify(text, logKey: "SSHD_LOG")
        #expect(d?.ip.description == "203.0.113.50" && d?.account == "admin" && d?.rule.trigger == "LF_SSHD", "\(name): \(text)")
    }

    @Test(arguments: shapes)
    func postfixFailureUnderEveryHeader(_ name: String, _ shape: String) {
        let text = line(shape, app: "postfix/smtpd", pid: "991", message: Self.postfix)
        let d = ShippedDetectors.classifier.classify(text, logKey: "SMTPAUTH_LOG")
        #expect(d?.ip.description == "203.0.113.51" && d?.rule.trigger == "LF_SMTPAUTH", "\(name): \(text)")
    }

    /// The rewrite never invents a match: a header-shaped prefix in front of a message no detector knows stays
    /// unmatched, and a success line under the same headers is never counted.
    @Test(arguments: shapes)
    func successesAndUnknownMessagesStayUnmatched(_ name: String, _ shape: String) {
        for message in ["Accepted password for admin from 203.0.113.50 port 50022 ssh2", "Failed to start thing from 203.0.113.50"] {
            let text = line(shape, app: "sshd", pid: "2212", message: message)
            #expect(ShippedDetectors.classifier.classify(text, logKey: nil) == nil, "\(name): \(text)")
        }
    }

    @Test func classicLinesAreLeftAlone() {
        #expect(SyslogHeader.canonical("Jan  5 09:05:04 web1 sshd[1]: Failed password for root from 192.0.2.1 port 1 ssh2") == nil)
        #expect(SyslogHeader.canonical("2025-01-05T09:05:04Z web1 sshd[1]: x") == nil)
        #expect(SyslogHeader.canonical("<38>1 2025-01-05T09:05:04Z web1 sshd 1 - [unterminated x")?.contains("sshd[1]:") != true)
        #expect(SyslogHeader.canonical("<38>2025-01-05T09:05:04Z web1 sshd[1]: msg") == "2025-01-05T09:05:04Z web1 sshd[1]: msg")
        #expect(SyslogHeader.canonical("<38>1 2025-01-05T09:05:04Z web1 sshd 1 - - msg") == "2025-01-05T09:05:04Z web1 sshd[1]: msg")
    }
}

@Suite struct FailureLookaliteTests {
    @Test func aFailureWordAndAnAddressMakeALookalike() {
        #expect(FailureLookalike.address(in: "x: login failed for bob from 198.51.100.7")?.description == "198.51.100.7")
        #expect(FailureLookalike.address(in: "x: access DENIED to [2001:db8::5]:443")?.description == "2001:db8::5")
        #expect(FailureLookalike.address(in: "x: connection from 198.51.100.7 ok") == nil, "no failure word")
        #expect(FailureLookalike.address(in: "Jan  5 09:05:04 x: job failed at 09:05:04, code 1.5") == nil, "no address")
    }
}
