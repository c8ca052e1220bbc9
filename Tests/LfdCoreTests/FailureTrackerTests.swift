import Testing
@testable import CsfCompat
@testable import LfdCore
import CsfTestSupport

@Suite struct FailureTrackerTests {
    let ssh = ShippedDetectors.rules.first { $0.name == "sshd-failed" }!
    let ftp = ShippedDetectors.rules.first { $0.name == "pure-ftpd" }!

    func settings(trigger: Int = 0, perm: Int = 1) -> FailureTracker.Settings {
        .init(interval: 3600, trigger: trigger, triggerPerm: perm, threshold: { $0.app == "sshd" ? 3 : 2 }, perm: { _ in perm })
    }

    func hit(_ rule: FailureRule, _ ip: String, account: String? = "root", count: Int = 1) -> Detection {
        Detection(rule: rule, ip: IPAddress(ip)!, account: account, count: count)
    }

    @Test func slidingWindowAndThreshold() {
        var t = FailureTracker(settings: settings(perm: 600))
        #expect(t.record(hit(ssh, "198.51.100.1"), now: 0) == nil)
        #expect(t.record(hit(ssh, "198.51.100.1"), now: 10) == nil)
        // The first hit has left the window when the third arrives.
        #expect(t.record(hit(ssh, "198.51.100.1"), now: 3600) == nil)
        let b = t.record(hit(ssh, "198.51.100.1"), now: 3601)
        #expect(b?.hits == 3 && b?.seconds == 600 && b?.trigger == "LF_SSHD")
        #expect(b?.message == "(sshd) Failed SSH login from 198.51.100.1 (-): 3 in the last 3600 secs")
        #expect(b?.message { _ in "(XA/Testland/-)" } == "(sshd) Failed SSH login from 198.51.100.1 (XA/Testland/-): 3 in the last 3600 secs",
                "CC_LOOKUPS: the service passes csf's iplookup note")
        // The record stays until the block is in place: no second block meanwhile, nothing forgotten if it fails.
        #expect(t.isBlocking(IPAddress("198.51.100.1")!) && t.trackedAddresses == 1)
        #expect(t.record(hit(ssh, "198.51.100.1"), now: 3602) == nil, "one block at a time")
        t.prune(now: 100_000)
        #expect(t.isBlocking(IPAddress("198.51.100.1")!), "a block in flight survives pruning")
        t.committed(IPAddress("198.51.100.1")!)
        #expect(t.trackedAddresses == 0, "a blocked address starts again from nothing")
        #expect(t.record(hit(ssh, "198.51.100.1"), now: 100_001) == nil)
    }

    /// csf's Apache counters (LF_APACHE_404/403/401) block on more than their threshold, in their own words,
    /// and never count toward LF_TRIGGER.
    @Test func apacheHitsBlockOnMoreThanTheThreshold() {
        let forbidden = ShippedDetectors.rules.first { $0.name == "apache-403" }!
        var t = FailureTracker(settings: settings(trigger: 1))
        #expect(t.record(hit(forbidden, "198.51.100.1"), now: 0) == nil, "LF_TRIGGER = 1 does not count Apache hits")
        #expect(t.record(hit(forbidden, "198.51.100.1"), now: 1) == nil, "2 is not more than 2")
        let b = t.record(hit(forbidden, "198.51.100.1"), now: 2)
        #expect(b?.trigger == "LF_APACHE_403" && b?.hits == 3)
        #expect(b?.message == "198.51.100.1 (-), more than 2 Apache 403 hits in the last 3600 secs")
    }

    /// LF_DISTFTP: successful logins to one account from several addresses block them all; one address logging
    /// in often does not (LF_DISTFTP_UNIQ), and old logins leave the window.
    @Test func distributedLoginsBlockEveryAddressOfTheAccount() {
        let login = ShippedDetectors.rules.first { $0.name == "pure-ftpd-login" }!
        let limits = FailureTracker.LoginLimits(logins: 3, uniqueAddresses: 2, interval: 300, perm: 3600, service: "FTP")
        var t = FailureTracker(settings: settings())
        for now in [0, 10, 20] { #expect(t.recordLogin(hit(login, "198.51.100.7", account: "shared"), now: now, limits: limits).isEmpty) }
        #expect(t.recordLogin(hit(login, "198.51.100.8", account: "shared"), now: 400, limits: limits).isEmpty, "the three old ones left the window")
        #expect(t.recordLogin(hit(login, "198.51.100.9", account: "other"), now: 401, limits: limits).isEmpty, "another account")
        #expect(t.recordLogin(hit(login, "198.51.100.7", account: "shared"), now: 402, limits: limits).isEmpty)
        let blocks = t.recordLogin(hit(login, "198.51.100.8", account: "shared"), now: 403, limits: limits)
        #expect(blocks.map(\.ip.description) == ["198.51.100.7", "198.51.100.8"])
        #expect(blocks.first?.message == "198.51.100.7 (-), 3 distributed FTP Logins on account [shared] in the last 300 secs")
        #expect(blocks.allSatisfy { $0.trigger == "LF_DISTFTP" && $0.seconds == 3600 })
        #expect(t.trackedAddresses == 2 && t.isBlocking(IPAddress("198.51.100.7")!), "a login is not a failure: no failure hits kept")
    }

    @Test func dovecotAttemptsCountManyAndPermIsPermanent() {
        var t = FailureTracker(settings: settings(perm: 1))
        let b = t.record(hit(ssh, "198.51.100.2", count: 3), now: 0)
        #expect(b?.hits == 3 && b?.seconds == nil)
    }

    @Test func cumulativeTriggerAcrossServices() {
        var t = FailureTracker(settings: settings(trigger: 3, perm: 3600))
        #expect(t.record(hit(ssh, "198.51.100.3"), now: 0) == nil)
        #expect(t.record(hit(ftp, "198.51.100.3"), now: 1) == nil)
        let b = t.record(hit(ssh, "198.51.100.3"), now: 2)
        #expect(b?.trigger == "LF_TRIGGER" && b?.apps == ["sshd", "ftpd"] && b?.text == "Login failure/trigger from")
    }

    @Test func blocksCarryTheirOwnRecentLines() {
        var t = FailureTracker(settings: settings())
        _ = t.record(hit(ssh, "198.51.100.4"), now: 0, line: "a1")
        _ = t.record(hit(ssh, "198.51.100.5"), now: 0, line: "b1")
        _ = t.record(hit(ssh, "198.51.100.4"), now: 1, line: "a2")
        let b = t.record(hit(ssh, "198.51.100.4"), now: 2, line: "a3")
        #expect(b?.lines == ["a1", "a2", "a3"])
    }

    @Test func memoryStaysBounded() {
        var t = FailureTracker(settings: settings(), capacity: 1000)
        for i in 0..<5000 { _ = t.record(hit(ssh, "10.0.\(i / 256).\(i % 256)"), now: i) }
        #expect(t.trackedAddresses <= 1000)
    }

    @Test func distributedAttacksOnOneAccountBlockEverySource() {
        var t = FailureTracker(settings: settings(perm: 3600))
        #expect(t.recordDistributed(hit(ssh, "198.51.100.10", account: "admin"), now: 0, uniqueAddresses: 2).isEmpty)
        #expect(t.recordDistributed(hit(ssh, "198.51.100.11", account: "admin"), now: 1, uniqueAddresses: 2).isEmpty)
        let blocks = t.recordDistributed(hit(ssh, "198.51.100.12", account: "admin"), now: 2, uniqueAddresses: 2)
        #expect(blocks.map(\.ip.description) == ["198.51.100.10", "198.51.100.11", "198.51.100.12"])
        #expect(blocks.first?.message == "198.51.100.10 (-), 3 distributed sshd attacks on account [admin] in the last 3600 secs")
        #expect(blocks.allSatisfy { $0.trigger == "LF_DISTATTACK" })
        // One address alone is not a distributed attack, and no account means nothing to correlate.
        #expect(t.recordDistributed(hit(ssh, "198.51.100.20", account: "bob"), now: 3, uniqueAddresses: 2).isEmpty)
        #expect(t.recordDistributed(hit(ssh, "198.51.100.20", account: "bob"), now: 4, uniqueAddresses: 2).isEmpty)
        #expect(t.recordDistributed(hit(ssh, "198.51.100.20", account: "bob"), now: 5, uniqueAddresses: 2).isEmpty)
        #expect(t.recordDistributed(hit(ssh, "198.51.100.21", account: nil), now: 6, uniqueAddresses: 2).isEmpty)
    }
}
