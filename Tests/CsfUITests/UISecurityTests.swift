import Testing
import CsfCompat
import CsfTestSupport
@testable import csf_ui
import NftRuleset

/// The pieces the web UI's security rests on, each alone: hashes, the helper's wire format, escaping,
/// sessions, the retry guard, access rules.
struct PasswordHashTests {
    @Test func aHashVerifiesItsPasswordAndNothingElse() throws {
        let hash = try #require(PasswordHash.make("correct horse battery"))
        #expect(hash.hasPrefix("$scrypt$ln=15,r=8,p=1$"))
        #expect(PasswordHash.verify("correct horse battery", against: hash))
        #expect(!PasswordHash.verify("correct horse batterY", against: hash))
        #expect(!PasswordHash.verify("", against: hash))
        #expect(PasswordHash.make("correct horse battery") != hash, "a fresh salt each time")
    }

    @Test func tamperedOrAbsurdHashesAreNotHashes() throws {
        let hash = try #require(PasswordHash.make("pw-pw-pw-pw"))
        #expect(PasswordHash.isHash(hash))
        for bad in ["password", "", "$scrypt$", hash.replacing("ln=15", with: "ln=30"), hash.replacing("ln=15", with: "ln=4"),
                    hash.replacing("r=8", with: "r=999"), String(hash.dropLast(4)), hash + "$extra"] {
            #expect(!PasswordHash.isHash(bad), "\(bad)")
            #expect(!PasswordHash.verify("pw-pw-pw-pw", against: bad))
        }
    }
}

struct HelperProtocolTests {
    static let all: [HelperRequest] = [
        .summary, .login, .loginFailed, .accessRefused("not in ui.allow"), .logout, .allow("192.0.2.1", comment: "a b"), .deny("2001:db8::/64", comment: ""),
        .tempDeny("192.0.2.9", ttl: 3600, comment: "x"), .ignore("192.0.2.3", comment: "c"), .unblock("192.0.2.4"),
        .search("192.0.2.5"), .temporary, .tempRemove("192.0.2.6"), .listPage(.deny, query: "198.51", page: 3),
        .logTail(lines: 200), .blockClient("192.0.2.7"), .settings(query: "DENY"), .configPreview(key: "DENY_IP_LIMIT", value: "300"),
        .configApply(key: "DENY_IP_LIMIT", value: "300", confirmWithin: 60), .configConfirm,
    ]

    @Test func everyRequestSurvivesTheWire() throws {
        for request in Self.all {
            let e = HelperEnvelope(user: "admin", readOnly: request == .search("192.0.2.5"), client: "192.0.2.2", request: request)
            let bytes = try #require(e.encoded())
            #expect(HelperEnvelope(decoding: bytes) == e)
        }
    }

    @Test func aValueCannotAddAFieldOrALine() {
        for evil in ["192.0.2.1\u{1F}deny", "x\ny", "x\u{0}", "x\u{7F}", "x\u{1B}[31m"] {
            #expect(HelperEnvelope(user: "admin", readOnly: false, client: "192.0.2.2", request: .deny(evil, comment: "")).encoded() == nil)
            #expect(HelperEnvelope(user: "admin", readOnly: false, client: "192.0.2.2", request: .deny("192.0.2.1", comment: evil)).encoded() == nil)
        }
        #expect(HelperEnvelope(user: "admin", readOnly: false, client: "c", request: .deny(String(repeating: "1", count: 20_000), comment: "")).encoded() == nil)
    }

    @Test func malformedMessagesAreRefused() {
        func decode(_ s: String) -> HelperEnvelope? { HelperEnvelope(decoding: Array(s.utf8)) }
        #expect(decode("admin\u{1F}rw\u{1F}c\u{1F}deny\u{1F}192.0.2.1\u{1F}") != nil)
        #expect(decode("admin\u{1F}rw\u{1F}c\u{1F}deny\u{1F}192.0.2.1") == nil, "missing comment field")
        #expect(decode("admin\u{1F}root\u{1F}c\u{1F}summary") == nil, "role is ro or rw")
        #expect(decode("admin\u{1F}rw\u{1F}c\u{1F}shell\u{1F}id") == nil, "no such verb")
        #expect(decode("admin\u{1F}rw\u{1F}c\u{1F}tempdeny\u{1F}192.0.2.1\u{1F}99999999999\u{1F}") == nil, "TTL too long a number")
        #expect(decode("admin\u{1F}rw\u{1F}c\u{1F}log\u{1F}100000") == nil)
        #expect(decode("admin\u{1F}rw\u{1F}c\u{1F}list\u{1F}passwd\u{1F}\u{1F}0") == nil, "only csf's three lists")
        #expect(decode("admin\u{1F}rw\u{1F}c\u{1F}summary\n") == nil)
    }

    @Test func changesAreTheRequestsThatWriteAndReadOnlyAccountsLoseThem() {
        let writes = Self.all.filter(\.changes)
        #expect(writes.count == 9)
        #expect(!writes.contains(.search("192.0.2.5")) && !writes.contains(.summary) && !writes.contains(.configPreview(key: "DENY_IP_LIMIT", value: "300")))
    }
}

struct HtmlTests {
    @Test func markupAndControlCharactersNeverPassThrough() {
        #expect(Html.escape("<script>alert('x')</script> & \"q\"") == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;")
        #expect(Html.escape("a\u{1B}[31mb\u{0}") == "a\u{FFFD}[31mb\u{FFFD}")
        let page = Html.page(title: "<t>", user: "<u>", csrf: "tok", body: "")
        #expect(!page.contains("<t>") && !page.contains("<u>") && !page.contains("<script"))
    }

    @Test func aListPageLinkKeepsTheQueryInert() {
        #expect(WebPages.percentEncoded("1.2.3.4/24 \"><x>") == "1.2.3.4%2F24%20%22%3E%3Cx%3E")
    }
}

struct SessionTests {
    final class Clock: @unchecked Sendable { var now = 1000 }

    @Test func aSessionEndsWhenIdleAndIsWorthNothingFromAnotherAddress() {
        let clock = Clock()
        let store = SessionStore(timeout: 300, clock: { clock.now })
        let (id, s) = store.create(user: "admin", readOnly: false, client: "192.0.2.2")
        #expect(id.count == 64 && s.csrf.count == 64 && id != s.csrf)
        #expect(store.find(id, client: "192.0.2.3") == nil)
        clock.now += 299
        #expect(store.find(id, client: "192.0.2.2")?.user == "admin", "use renews it")
        clock.now += 299
        #expect(store.find(id, client: "192.0.2.2") != nil)
        clock.now += 301
        #expect(store.find(id, client: "192.0.2.2") == nil)
        #expect(store.find("0" + id.dropFirst(), client: "192.0.2.2") == nil)
        let cookie = SessionStore.setCookie(id, maxAge: 60)
        #expect(cookie.contains("; Secure; HttpOnly; SameSite=Strict"))
    }

    @Test func theRetryGuardBansOnTheNthFailureAndForgetsOnSuccess() throws {
        let g = LoginGuard(retry: 3, banned: [try #require(IPNetwork("198.51.100.0/24"))])
        let a = try #require(IPAddress("192.0.2.9")), b = try #require(IPAddress("198.51.100.4"))
        #expect(g.isBanned(b) && !g.isBanned(a))
        #expect(g.failed(a) == (false, 2))
        g.succeeded(a)
        #expect(g.failed(a) == (false, 2))
        #expect(g.failed(a) == (false, 1))
        #expect(g.failed(a) == (true, 0))
        #expect(g.isBanned(a))
    }

    @Test func accessNeedsUiAllowAndNotOurOwnAddress() throws {
        let g = LoginGuard(retry: 5, banned: [])
        let access = ClientAccess(allowed: [try #require(IPNetwork("192.0.2.0/24"))], ownAddresses: [try #require(IPAddress("192.0.2.1"))])
        #expect(access.refusal(try #require(IPAddress("192.0.2.2")), guard: g) == nil)
        #expect(access.refusal(try #require(IPAddress("203.0.113.2")), guard: g)?.contains("ui.allow") == true)
        #expect(access.refusal(try #require(IPAddress("192.0.2.1")), guard: g)?.contains("UI_BLOCK_PRIVATE_NET") == true)
    }
}

struct HelperReadTests {
    @Test func aListPageScansTheFileAndReturnsOnlyItsPage() throws {
        let dir = try TempDir()
        let path = dir.path + "/csf.deny"
        let lines = (0..<1000).map { "10.0.\($0 / 250).\($0 % 250) # n\($0)" }
        try FileSystem.writeAtomically(path, "# header\n\n" + lines.joined(separator: "\n") + "\n")
        let p0 = ListPage.read(path, query: "", page: 0)
        #expect(p0.total == 1001 && p0.lines.count == 50 && p0.lines.first == "# header")
        let p2 = ListPage.read(path, query: "10.0.3.", page: 2)
        #expect(p2.total == 250 && p2.lines.count == 50 && p2.lines.first == "10.0.3.100 # n850")
        #expect(ListPage(decoding: p2.encoded) == p2)
        #expect(ListPage.read(path, query: "nothing", page: 0).total == 0)
        #expect(ListPage.read(dir.path + "/missing", query: "", page: 0).total == 0)
    }

    @Test func dashboardFactsSurviveTheWireWithTabsInLogLines() {
        var f = DashboardFacts()
        f.firewall = "running"
        f.lfdRunning = true
        f.lists = [("csf.deny", 1_000_000)]
        f.temporary = 3
        f.recentBlocks = ["Dec  2 10:00:00 h lfd[1]: (sshd) Failed\tlogin from 192.0.2.1 - *Blocked in csf*"]
        f.blocksPerHour = [("Dec  2 10", 4)]
        f.rules = [RuleCounter(chain: "DENYIN", setting: "csf.deny", packets: 12, bytes: 720), RuleCounter(chain: "INPUT", setting: "TCP_IN 22", packets: 3, bytes: 180)]
        f.lfdStatus = ["lfd: running (pid 7) since Wed Dec  2 10:00:00 2026", "reads:\t/var/log/auth.log"]
        let back = DashboardFacts(decoding: f.encoded)
        #expect(back == f && back.rules == f.rules && back.lfdStatus == f.lfdStatus)
    }
}

struct UIAccountsTests {
    func config(_ values: [String: String]) -> CsfConfig { CsfConfig(values: values) }

    @Test func defaultOrPlainTextCredentialsAreRefused() throws {
        let dir = try TempDir()
        let paths = CsfPaths(root: dir.path)
        let hash = try #require(PasswordHash.make("long enough pw"))
        func problem(_ user: String, _ pass: String) -> String? {
            if case .failure(let p) = UIAccounts.load(config: config(["UI_USER": user, "UI_PASS": pass]), paths: paths) { return p.description }
            return nil
        }
        #expect(problem("username", hash)?.contains("UI_USER") == true)
        #expect(problem("admin", "password")?.contains("csf --ui-passwd") == true)
        #expect(problem("admin", "s3cret")?.contains("plain-text") == true)
        #expect(problem("ad min", hash) != nil)
        #expect(problem("admin", hash) == nil)
        let accounts = try UIAccounts.load(config: config(["UI_USER": "admin", "UI_PASS": hash]), paths: paths).get()
        #expect(accounts.verify(user: "admin", password: "long enough pw")?.readOnly == false)
        #expect(accounts.verify(user: "admin", password: "wrong") == nil)
        #expect(accounts.verify(user: "nobody", password: "long enough pw") == nil)
    }
}

struct MessengerCertificateTests {
    @Test func apacheVirtualHostsGiveNamesAndFiles() {
        let conf = """
        # <VirtualHost *:443> in a comment is not a host
        <VirtualHost 192.0.2.1:443>
            ServerName Shop.Example
            ServerAlias www.shop.example "*.cdn.example"
            SSLCertificateFile "/etc/ssl/shop.crt"
            SSLCertificateKeyFile /etc/ssl/shop.key
        </VirtualHost>
        <VirtualHost *:443>
            ServerName bundle.example
            SSLCertificateFile /etc/ssl/bundle.pem
        </VirtualHost>
        ServerName outside.example
        """
        let hosts = MessengerCertificates.VirtualHost.parse(conf)
        #expect(hosts == [
            .init(names: ["shop.example", "www.shop.example", "*.cdn.example"], certificate: "/etc/ssl/shop.crt", key: "/etc/ssl/shop.key"),
            .init(names: ["bundle.example"], certificate: "/etc/ssl/bundle.pem", key: nil),
        ])
    }

    @Test func aNameFindsItsEntryAWildcardOrTheFallback() {
        let table = ["shop.example": 1, "*.cdn.example": 2]
        #expect(MessengerCertificates.lookup("SHOP.example", in: table, fallback: 0) == 1)
        #expect(MessengerCertificates.lookup("img.cdn.example", in: table, fallback: 0) == 2)
        #expect(MessengerCertificates.lookup("a.img.cdn.example", in: table, fallback: 0) == 0, "a wildcard covers one label")
        #expect(MessengerCertificates.lookup(nil, in: table, fallback: 0) == 0)
        #expect(MessengerCertificates.lookup("other.example", in: table, fallback: nil) == nil)
    }
}

struct RecaptchaTests {
    @Test func onlyAnUnblkRequestWithATokenShapedValueIsATry() {
        let token = String(repeating: "aZ09-_", count: 10)
        #expect(Recaptcha.token(fromURI: "/unblk?g-recaptcha-response=\(token)") == token)
        #expect(Recaptcha.token(fromURI: "/unblk?x=1&g-recaptcha-response=\(token)") == token)
        #expect(Recaptcha.token(fromURI: "/other?g-recaptcha-response=\(token)") == nil)
        #expect(Recaptcha.token(fromURI: "/unblk?g-recaptcha-response=%3Cscript%3E\(token)") == nil)
        #expect(Recaptcha.token(fromURI: "/unblk?g-recaptcha-response=short") == nil)
        #expect(Recaptcha.token(fromURI: "/unblk?g-recaptcha-response=" + String(repeating: "a", count: 5000)) == nil)
    }

    @Test func googlesAnswerIsReadForItsThreeKeysOnly() {
        func parse(_ s: String) -> Recaptcha.Verdict { Recaptcha.Verdict.parse(Array(s.utf8)) }
        #expect(parse(#"{"success": true, "challenge_ts": "2026-12-02T10:00:00Z", "hostname": "shop.example"}"#)
                == .init(success: true, hostname: "shop.example", codes: []))
        #expect(parse(#"{"success":false,"error-codes":["invalid-input-response", "timeout-or-duplicate"]}"#)
                == .init(success: false, hostname: nil, codes: ["invalid-input-response", "timeout-or-duplicate"]))
        #expect(parse(#"{"success": "true"}"#).success == false)
        #expect(parse(#"{"success": true, "hostname": "a\"b"}"#).hostname == nil, "an escaped string is not a host name")
        #expect(parse("not json").success == false)
    }

    @Test func thePageShowsOnlyTheStateItIsIn() {
        let page = #"<p>[RECAPTCHA_SUCCESS="ok!"]</p><p>[RECAPTCHA_FAILURE="no."]</p><p>[RECAPTCHA_ERROR="err:"]</p><div data-sitekey="[RECAPTCHA_SITEKEY]">"#
        #expect(Recaptcha.fill(page, siteKey: "k\"1", outcome: .none) == #"<p></p><p></p><p></p><div data-sitekey="k&quot;1">"#)
        #expect(Recaptcha.fill(page, siteKey: "k", outcome: .success(hostname: "h", ip: "192.0.2.1")).hasPrefix("<p>ok!</p><p></p><p></p>"))
        #expect(Recaptcha.fill(page, siteKey: "k", outcome: .failure("x")).hasPrefix("<p></p><p>no.</p><p></p>"))
        #expect(Recaptcha.fill(page, siteKey: "k", outcome: .error("<b>down</b>")).hasPrefix("<p></p><p></p><p>err: &lt;b&gt;down&lt;/b&gt;</p>"))
    }
}
