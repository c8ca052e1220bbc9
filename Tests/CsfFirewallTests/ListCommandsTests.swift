#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import CsfCompat
@testable import CsfFirewall
@testable import NftKernel
@testable import NftRuleset
import CsfTestSupport

/// A csf tree, a recording kernel with the table loaded, and a clock the test moves.
final class FirewallFixture {
    let dir: TempDir
    let kernel = RecordingKernel()
    let host = HostAddresses(addresses: [IPAddress("192.0.2.1")!], interfaces: ["lo", "eth0"])
    var now = 1_000_000
    var launched: [[String]] = []

    init(config: [String: String] = [:], start: Bool = true) throws {
        dir = try TempDir.csfRoot(config: config)
        if start { _ = try firewall().start() }
    }

    var paths: CsfPaths { dir.paths }

    /// What the recording launcher returns: a pid no process has.
    static let noSuchPid: Int32 = 0x7fff_fff0

    func firewall() -> Firewall {
        Firewall(paths: paths, kernel: kernel, host: { [host] in host }, clock: { [unowned self] in now },
                 launch: { [unowned self] argv in launched.append(argv); return Self.noSuchPid }, log: { _ in })
    }

    func commands() throws -> ListCommands {
        try ListCommands(paths: paths, kernel: kernel, host: host, clock: { [unowned self] in now })
    }

    func file(_ name: String) -> String { dir.read(name) ?? "" }
}

@Suite struct ListCommandsTests {
    let v4 = IPAddress("198.51.100.7")!

    @Test func denyGoesToTheFileAndTheKernelOnceAndRemoveUndoesIt() throws {
        let f = try FirewallFixture()
        let c = try f.commands()
        var change = try c.deny("198.51.100.7", comment: "brute force")
        #expect(change.changed && change.kernel == .applied)
        #expect(f.kernel.holds("deny4", .address(v4)))
        #expect(f.file("etc/csf/csf.deny").contains("198.51.100.7 # brute force - "))
        let batches = f.kernel.batches.count
        change = try c.deny("198.51.100.7", comment: nil)
        #expect(!change.changed && f.kernel.batches.count == batches, "a repeat changes nothing")
        change = try c.denyRemove("198.51.100.7")
        #expect(change.changed && !f.kernel.holds("deny4", .address(v4)))
        #expect(!f.file("etc/csf/csf.deny").contains("198.51.100.7"))
    }

    @Test func coveredNetworksComeBackWhenTheirCoverLeaves() throws {
        let f = try FirewallFixture()
        let c = try f.commands()
        _ = try c.deny("198.51.100.0/24", comment: nil)
        _ = try c.deny("198.51.100.128/25", comment: nil)
        #expect(f.kernel.holds("deny4_net", .network(IPNetwork("198.51.100.0/24")!)))
        #expect(!f.kernel.holds("deny4_net", .network(IPNetwork("198.51.100.128/25")!)), "covered by the /24")
        _ = try c.denyRemove("198.51.100.0/24")
        #expect(f.kernel.holds("deny4_net", .network(IPNetwork("198.51.100.128/25")!)))
        #expect(!f.kernel.holds("deny4_net", .network(IPNetwork("198.51.100.0/24")!)))
    }

    @Test func aKernelRefusalPutsTheFileBack() throws {
        let f = try FirewallFixture()
        let c = try f.commands()
        let before = f.file("etc/csf/csf.deny")
        f.kernel.failNextApply = .kernel(operation: "add elements to set deny4", message: "Operation not permitted", errno: EPERM)
        #expect(throws: CsfError.self) { try c.deny("198.51.100.7", comment: nil) }
        #expect(f.file("etc/csf/csf.deny") == before)
        #expect(!f.kernel.holds("deny4", .address(v4)))
    }

    @Test func withoutATableTheFilesStillChange() throws {
        let f = try FirewallFixture(start: false)
        let change = try f.commands().deny("198.51.100.7", comment: nil)
        #expect(change.changed && change.kernel == .notRunning)
        #expect(f.file("etc/csf/csf.deny").contains("198.51.100.7"))
    }

    @Test func refusalsChangeNothing() throws {
        let f = try FirewallFixture()
        try f.dir.write("etc/csf/csf.allow", "198.51.100.0/24 # office\n")
        let c = try f.commands()
        for target in ["198.51.100.7", "192.0.2.1", "127.0.0.1", "0.0.0.0/0", "198.51.100.7/24", "nonsense"] {
            #expect(throws: CsfError.self, "\(target)") { try c.deny(target, comment: nil) }
        }
        #expect(!f.file("etc/csf/csf.deny").contains("198.51.100"))
        #expect(f.kernel.batches.isEmpty)
    }

    @Test func advancedFiltersReplaceTheTableInOneTransaction() throws {
        let f = try FirewallFixture()
        let replaced = f.kernel.calls.filter { $0 == .replace }.count
        _ = try f.commands().deny("tcp|in|d=22|s=198.51.100.7", comment: nil)
        #expect(f.kernel.calls.filter { $0 == .replace }.count == replaced + 1)
        let rules = try #require(f.kernel.table?.chain("DENYIN")).rules.map { try NftRenderer.render($0) }
        #expect(rules.contains { $0.contains("ip saddr 198.51.100.7 tcp dport 22") }, "\(rules)")
    }

    @Test func temporaryBansCarryTheirTimeoutAndComment() throws {
        let f = try FirewallFixture()
        let c = try f.commands()
        let change = try c.tempAdd(.deny, TempRequest(target: "198.51.100.7", ttl: 60, comment: "lfd - test"))
        #expect(change.changed && f.kernel.holds("tempdeny_in4", .address(v4)))
        #expect(!f.kernel.holds("tempdeny_out4", .address(v4)), "-td defaults to inbound")
        let element = try #require(f.kernel.batches.last?.first?.elements.first)
        #expect(element.timeoutMs == 60_000 && element.comment == "lfd - test")
        #expect(f.file("var/lib/csf/csf.tempban") == "1000000|198.51.100.7||in|60|lfd - test\n")
        #expect(!(try c.tempAdd(.deny, TempRequest(target: "198.51.100.7", ttl: 60))).changed, "already temporarily blocked")
        let ports = try c.tempAdd(.deny, TempRequest(target: "198.51.100.8", ttl: 60, ports: [.init(22), .init(53, .udp)]))
        #expect(ports.changed)
        #expect(f.kernel.holds("tempdeny_in4_port", .port(IPNetwork("198.51.100.8")!, proto: .udp, port: 53)))
        _ = try c.tempRemove("198.51.100.7")
        #expect(!f.kernel.holds("tempdeny_in4", .address(v4)) && !f.file("var/lib/csf/csf.tempban").contains("198.51.100.7"))
    }

    @Test func expiryPrunesTheFilesAndResyncRestoresWhatTheKernelLost() throws {
        let f = try FirewallFixture(config: ["DENY_TEMP_IP_LIMIT": "0"])
        let c = try f.commands()
        _ = try c.tempAdd(.deny, TempRequest(target: "198.51.100.7", ttl: 60))
        _ = try c.tempAdd(.deny, TempRequest(target: "198.51.100.9", ttl: 3600))
        // Something outside csf empties the set: --resync puts back what the files still hold, timed to their end.
        try f.kernel.apply([SetChange(.flush, set: "tempdeny_in4")])
        f.now += 30
        #expect(try c.reassertTemporary() == 2)
        let timeouts = f.kernel.batches.last?.flatMap(\.elements).compactMap(\.timeoutMs).sorted()
        #expect(timeouts == [30_000, 3_570_000], "the remaining time, never a fresh TTL")
        f.now += 31
        let gone = try c.expireTemporary()
        #expect(gone.map(\.entry.target.description) == ["198.51.100.7"])
        #expect(f.file("var/lib/csf/csf.tempban").contains("198.51.100.9") && !f.file("var/lib/csf/csf.tempban").contains("198.51.100.7"))
    }

    @Test func grepFindsListLinesTemporaryEntriesAndKernelSets() throws {
        let f = try FirewallFixture()
        let c = try f.commands()
        _ = try c.deny("198.51.100.0/24", comment: "net")
        _ = try c.tempAdd(.allow, TempRequest(target: "198.51.100.7", ttl: 60))
        let r = try c.grep("198.51.100.7")
        #expect(r.lists.count == 1 && !r.lists[0].exact && r.lists[0].line > 0)
        #expect(r.temporary.count == 1 && r.temporary[0].remaining == 60)
        #expect(r.kernelSets == ["deny4_net", "tempallow_in4", "tempallow_out4"])
    }
}

/// Issue 12, item 3: a repeat makes the kernel agree with the file a crash left ahead of it.
@Suite struct RepairTests {
    @Test func aRepeatPutsBackWhatTheKernelLacks() throws {
        let f = try FirewallFixture()
        let c = try f.commands()
        let ip = IPAddress("198.51.100.7")!
        _ = try c.deny("198.51.100.7", comment: nil)
        try f.kernel.apply([SetChange(.delete, set: "deny4", elements: [.init(ip)])])   // what a crash leaves
        var change = try c.deny("198.51.100.7", comment: nil)
        #expect(change.changed && change.kernel == .applied && f.kernel.holds("deny4", .address(ip)))
        #expect(change.messages.contains { $0.contains("was missing from the kernel") })
        change = try c.deny("198.51.100.7", comment: nil)
        #expect(!change.changed, "nothing missing: nothing changed")

        _ = try c.tempAdd(.deny, TempRequest(target: "198.51.100.8", ttl: 600))
        try f.kernel.apply([SetChange(.flush, set: "tempdeny_in4")])
        change = try c.tempAdd(.deny, TempRequest(target: "198.51.100.8", ttl: 600))
        #expect(change.changed && f.kernel.holds("tempdeny_in4", .address(IPAddress("198.51.100.8")!)))

        // The other way round: the file lost the line, the kernel kept the element.
        try f.dir.write("etc/csf/csf.deny", "")
        change = try c.denyRemove("198.51.100.7")
        #expect(!change.changed && !f.kernel.holds("deny4", .address(ip)))
    }

    @Test func resyncPutsBackEveryListedEntry() throws {
        let f = try FirewallFixture(config: ["IPV6": "0"])
        try f.dir.write("etc/csf/csf.deny", "198.51.100.7\n198.51.100.0/28\n2001:db8::7\n")
        let c = try f.commands()
        #expect(try c.reassertPermanent() == 2, "IPv6 is off: its entries are not loaded")
        #expect(f.kernel.holds("deny4", .address(IPAddress("198.51.100.7")!)))
        #expect(f.kernel.holds("deny4_net", .network(IPNetwork("198.51.100.0/28")!)))
    }
}

/// Issue 12, item 4: an unconfirmed start goes back to the old settings and keeps the lists of now.
@Suite struct ConfirmRollbackTests {
    @Test func rollbackRestoresTheSettingsAndKeepsTheListChanges() throws {
        let f = try FirewallFixture(config: ["TCP_IN": "22,80"])
        try f.dir.setConfig(["TCP_IN": "22"])
        _ = try f.firewall().start(.init(confirmWithin: 30))
        let token = try #require(f.firewall().watchdog.state(.confirm)?.token)
        _ = try f.commands().deny("198.51.100.7", comment: "during the wait")
        _ = try f.commands().tempAdd(.allow, TempRequest(target: "198.51.100.9", ttl: 600))
        f.now += 31
        let line = try f.firewall().runWatchdog(.confirm, token: token)
        #expect(line?.contains("previous settings restored") == true, "\(line ?? "nil")")
        let input = try #require(f.kernel.table?.chain("INPUT")).rules.map { try NftRenderer.render($0) }
        #expect(input.contains { $0.contains("tcp dport { 22, 80 }") }, "\(input)")
        #expect(f.kernel.holds("deny4", .address(IPAddress("198.51.100.7")!)))
        #expect(f.kernel.holds("tempallow_in4", .address(IPAddress("198.51.100.9")!)))
        #expect(f.firewall().watchdog.state(.confirm) == nil)
    }
}

@Suite struct FirewallLifecycleTests {
    @Test func startReplacesTheTableOnceAndArmsTheTestingWatchdog() throws {
        let f = try FirewallFixture(config: ["TESTING": "1", "TESTING_INTERVAL": "5"], start: false)
        let report = try f.firewall().start()
        #expect(report.testing && f.kernel.calls == [.replace])
        #expect(f.launched.count == 1 && f.launched[0].suffix(3).first == "--watchdog" && f.launched[0].contains("testing"))
        let state = try #require(f.firewall().watchdog.state(.testing))
        #expect(state.deadline == f.now + 300 && state.process == nil, "no such process: nothing will ever be signalled")
    }

    @Test func aBadSettingStartsNothingButABadListLineIsSkipped() throws {
        let f = try FirewallFixture(start: false)
        try f.dir.write("etc/csf/csf.deny", "999.1.1.1\n192.0.2.9\n")
        let report = try f.firewall().start()
        #expect(report.warnings.contains { $0.line == 1 && $0.message.contains("(line skipped)") })
        #expect(f.kernel.holds("deny4", .address(IPAddress("192.0.2.9")!)))
        try f.dir.setConfig(["TCP_IN": "22,eighty"])
        #expect(throws: CsfError.self) { try f.firewall().start() }
        #expect(f.kernel.calls == [.replace], "the first start only")
    }

    @Test func stopRemovesOnlyOurTable() throws {
        let f = try FirewallFixture()
        try f.firewall().stop()
        #expect(f.kernel.calls.last == .remove && f.kernel.table == nil)
    }
}

/// Issue 12, item 11: the smaller findings.
@Suite struct SmallHardeningTests {
    /// Only "\n" ends a line: Unicode line and paragraph separators in a comment stay inside it.
    @Test func unicodeLineSeparatorsInACommentDoNotSplitTheTempFile() throws {
        let f = try FirewallFixture()
        let comment = "one\u{2028}two\u{2029}three\u{85}four\u{0B}"
        #expect(throws: CsfError.self, "a vertical tab is a control character") {
            try f.commands().tempAdd(.deny, TempRequest(target: "198.51.100.7", ttl: 60, comment: comment))
        }
        let kept = String(comment.dropLast())
        _ = try f.commands().tempAdd(.deny, TempRequest(target: "198.51.100.7", ttl: 60, comment: kept))
        let text = f.file("var/lib/csf/csf.tempban")
        #expect(text.utf8.filter { $0 == ASCII.lineFeed }.count == 1, "\(text.debugDescription)")
        let list = TempList.load(.deny, paths: f.paths)
        #expect(list.entries.map(\.comment) == [kept] && list.diagnostics.isEmpty, "\(list.diagnostics)")
    }

    /// `csf -dr` rewrites csf.deny in place of the old one with the old one's mode and owner.
    @Test func removingKeepsTheListFilesModeAndOwner() throws {
        let f = try FirewallFixture()
        let c = try f.commands()
        _ = try c.deny("198.51.100.7", comment: nil)
        _ = try c.deny("198.51.100.8", comment: nil)
        let deny = f.paths.deny
        #expect(chmod(deny, 0o640) == 0 && chown(deny, 4321, 4322) == 0)
        #expect(try c.denyRemove("198.51.100.7").changed)
        var st = stat()
        #expect(stat(deny, &st) == 0)
        #expect(st.st_mode & 0o7777 == 0o640 && st.st_uid == 4321 && st.st_gid == 4322)
        #expect(!f.file("etc/csf/csf.deny").contains("198.51.100.7") && f.file("etc/csf/csf.deny").contains("198.51.100.8"))
    }

    /// A restart loads temporary entries with their comments, as the single commands add them.
    @Test func aRestartKeepsTemporaryComments() throws {
        let f = try FirewallFixture()
        _ = try f.commands().tempAdd(.deny, TempRequest(target: "198.51.100.7", ttl: 600, comment: "lfd: 5 failed logins"))
        f.now += 100
        _ = try f.firewall().start()
        let element = try #require(f.kernel.table?.set("tempdeny_in4")?.elements.first)
        #expect(element.comment == "lfd: 5 failed logins" && element.timeout == 500)
    }

    /// `csf -g` finds per-port temporary bans too (issue 13: it printed "No matches found").
    @Test func grepFindsPerPortTemporaryBans() throws {
        let f = try FirewallFixture()
        let c = try f.commands()
        _ = try c.tempAdd(.deny, TempRequest(target: "198.51.100.7", ttl: 7200, ports: [.init(22), .init(53, .udp)]))
        let r = try c.grep("198.51.100.7")
        #expect(r.kernelSets == ["tempdeny_in4_port (tcp port 22)", "tempdeny_in4_port (udp port 53)"], "\(r.kernelSets ?? [])")
    }

    /// A temporary list that cannot be read is an error, never "no entries".
    @Test func anUnreadableTempListIsAnError() throws {
        let f = try FirewallFixture()
        try FileSystem.makeDirectories(f.paths.lib("csf.tempban"))
        #expect(throws: CsfError.self) { try f.commands().tempEntries() }
    }
}
