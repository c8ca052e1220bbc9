import Testing
@testable import CsfCompat
@testable import CsfFirewall
@testable import NftKernel
import CsfTestSupport

@Suite struct DenyBatchTests {
    @Test func manyDeniesAreCheckedOneByOneAndLandInOneBatch() throws {
        let f = try FirewallFixture(config: ["DENY_IP_LIMIT": "0"])
        try f.dir.write("etc/csf/csf.allow", "203.0.113.9 # partner\n")
        try f.dir.write("etc/csf/csf.ignore", "198.18.0.0/16\n")
        let c = try f.commands()
        _ = try c.deny("198.51.100.1", comment: "already here")
        let batches = f.kernel.batches.count
        let items = ["198.51.100.1", "198.51.100.2", "198.51.100.2", "203.0.113.9", "198.18.3.4", "192.0.2.1", "not-an-ip",
                     "tcp|in|d=22|s=198.51.100.5", "2001:db8::/64"].map { ListCommands.BatchItem(target: $0, comment: "fleet") }
        let results = try c.denyMany(items)
        #expect(results[0] == .alreadyListed && results[1] == .added && results[2] == .alreadyListed)
        for i in [3, 4, 5, 6, 7] {
            guard case .refused = results[i] else { Issue.record("item \(i): \(results[i])"); continue }
        }
        if case .refused(let why) = results[3] { #expect(why.contains("is in the allow file")) }
        if case .refused(let why) = results[4] { #expect(why.contains("is in the ignore file")) }
        #expect(f.kernel.batches.count == batches + 1, "one netlink batch for the run")
        #expect(f.kernel.holds("deny4", .address(IPAddress("198.51.100.2")!)))
        let deny = f.file("etc/csf/csf.deny")
        #expect(deny.split(separator: "\n").filter { $0.hasPrefix("198.51.100.2 # fleet - ") }.count == 1, "listed once")
        #expect(!deny.contains("203.0.113.9") && !deny.contains("198.18.3.4") && !deny.contains("192.0.2.1 #"))
    }

    @Test func theLimitRotatesTheOldestOut() throws {
        let f = try FirewallFixture(config: ["DENY_IP_LIMIT": "3"])
        let c = try f.commands()
        _ = try c.deny("198.51.100.1", comment: "old")
        _ = try c.deny("198.51.100.2", comment: "old")
        let results = try c.denyMany(["198.51.100.3", "198.51.100.4"].map { .init(target: $0, comment: "new") })
        #expect(results == [.added, .added])
        let deny = f.file("etc/csf/csf.deny")
        #expect(!deny.contains("198.51.100.1 #") && deny.contains("198.51.100.2 #") && deny.contains("198.51.100.4 #"))
        #expect(!f.kernel.holds("deny4", .address(IPAddress("198.51.100.1")!)))
    }
}
