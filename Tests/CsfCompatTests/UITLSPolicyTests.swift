import Testing
@testable import CsfCompat

/// UI_SSL_VERSION and UI_CIPHER keep csf's meaning but only narrow TLS 1.2+ with forward-secret AEAD suites.
struct UITLSPolicyTests {
    @Test func csfsDefaultsSelectTheWholeFloor() throws {
        let policy = try UITLSPolicy(sslVersion: "SSLv23:!SSLv3:!SSLv2", cipher: "ALL:!ADH:RC4+RSA:+HIGH:+MEDIUM:-LOW:-SSLv2:-EXP:!kEDH")
        #expect(policy == .standard)
        #expect(try UITLSPolicy(sslVersion: "", cipher: "") == .standard)
    }

    @Test func versionStringsAreReadAsIOSocketSSLDoes() throws {
        let cases: [(String, Set<UITLSPolicy.Version>)] = [
            ("TLSv1_2", [.tls12]), ("TLSv1_3", [.tls13]), ("tlsv1.3", [.tls13]), ("TLSv12:TLSv13", [.tls12, .tls13]),
            ("SSLv23:!TLSv1_2", [.tls13]), ("!SSLv2:!SSLv3:!TLSv1:!TLSv1_1", [.tls12, .tls13]), ("SSLv23:!TLSv1_3", [.tls12]),
            ("TLSv1:TLSv1_1:TLSv1_2", [.tls12]),
        ]
        for (text, expected) in cases {
            #expect(try UITLSPolicy.versions(text) == expected, "\(text)")
        }
        let only13 = try UITLSPolicy(sslVersion: "TLSv1_3", cipher: "")
        #expect(only13.minimum == .tls13 && only13.maximum == .tls13)
    }

    @Test func versionStringsThatLeaveNothingOrNameNothingAreRefused() {
        for text in ["TLSv1", "SSLv3:TLSv1_1", "SSLv23:!TLSv1_2:!TLSv1_3"] {
            #expect(throws: UITLSPolicy.Problem.self, "\(text)") { try UITLSPolicy.versions(text) }
        }
        do { _ = try UITLSPolicy.versions("TLSv1_2:QUIC") } catch {
            #expect(error.description == "UI_SSL_VERSION: unknown protocol 'QUIC' (expected SSLv23, TLSv1_2 or TLSv1_3, '!' to leave one out)")
        }
    }

    @Test func cipherRulesNarrowAndOrderTheFloor() throws {
        #expect(try UITLSPolicy.suites("ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305")
                == ["ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305"])
        #expect(try UITLSPolicy.suites("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256") == ["ECDHE-RSA-AES128-GCM-SHA256"])
        #expect(try UITLSPolicy.suites("HIGH:!aRSA:!CHACHA20")
                == ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384"])
        // + moves to the end, - removes until added again, ! removes for good.
        #expect(try UITLSPolicy.suites("ECDHE+aECDSA:+AES128").first == "ECDHE-ECDSA-AES256-GCM-SHA384")
        #expect(try UITLSPolicy.suites("ALL:-AES:AES256") == ["ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
                                                             "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"])
        #expect(try UITLSPolicy.suites("!AES256:ALL:AES256").allSatisfy { !$0.contains("AES256") })
        // Mozilla's "intermediate" string: its DHE suites are not offered, the rest kept in its order.
        let mozilla = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384"
        #expect(try UITLSPolicy.suites(mozilla) == UITLSPolicy.standard.cipherSuites)
    }

    @Test func cipherRulesThatSelectOnlyWeakSuitesAreRefused() {
        for text in ["RC4+RSA", "AES128-SHA:DES-CBC3-SHA", "kRSA:SHA1", "ALL:!ECDHE", "NOSUCHTHING"] {
            #expect(throws: UITLSPolicy.Problem.self, "\(text)") { try UITLSPolicy.suites(text) }
        }
    }

    @Test func csfCheckReportsBadValuesWithTheirLine() {
        let (_, diagnostics) = ConfigParser.parse(text: "UI = \"1\"\nUI_SSL_VERSION = \"TLSv1\"\nUI_CIPHER = \"RC4-SHA\"\n", path: "/etc/csf/csf.conf")
        let errors = diagnostics.filter { $0.severity == .error }.map(\.description)
        #expect(errors.contains { $0.hasPrefix("/etc/csf/csf.conf:2:") && $0.contains("enables neither TLSv1_2 nor TLSv1_3") }, "\(errors)")
        #expect(errors.contains { $0.hasPrefix("/etc/csf/csf.conf:3:") && $0.contains("selects no TLS 1.2 cipher suite") }, "\(errors)")
    }
}
