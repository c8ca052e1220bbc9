import Testing
@testable import CsfCompat
@testable import CsfPolicy
@testable import NftRuleset

/// Issue 15 (item 5): large sets leave nft's parser for netlink; the script keeps everything else.
@Suite struct RenderedTableTests {
    static func table(deny: Int) throws -> RenderedTable {
        var p = FirewallPolicy()
        let lines = (0..<deny).map { "10.0.\($0 >> 8).\($0 & 255)" } + ["198.18.0.0/16"]
        p.deny = AccessList.parse(text: lines.joined(separator: "\n") + "\n", path: "csf.deny")
        return try RenderedTable(RulesetCompiler.compile(p), bulkThreshold: 100)
    }

    @Test func largeSetsAreDeclaredEmptySizedAndFilledInOneBatch() throws {
        let rendered = try Self.table(deny: 150)
        #expect(rendered.bulkSets == ["deny4"], "the /16 alone stays in the script")
        #expect(rendered.declaredBody.contains("set deny4 {") && !rendered.declaredBody.contains("10.0.0.7"))
        #expect(rendered.declaredBody.contains("size 65536"), "a hash set gets its size hint")
        #expect(rendered.declaredBody.contains("198.18.0.0/16"), "small sets keep their elements in the script")
        let full = try rendered.script()
        #expect(full.contains("10.0.0.7") && full.hasPrefix("table inet csf\ndelete table inet csf\n"), "--dry-run shows everything")
        let fill = rendered.fill(rendered.bulkSets)
        #expect(fill.map(\.operation) == [.flush, .add] && fill[1].elements.count == 150 && fill[1].elements[7].key == .address(IPAddress("10.0.0.7")!))
        let reload = rendered.reloadScript(runningChains: ["INPUT", "OLDCHAIN"], runningSets: ["deny4", "allow4", "gone4"])
        #expect(reload.hasPrefix("flush table inet csf\ndelete chain inet csf INPUT\ndelete chain inet csf OLDCHAIN\ndelete set inet csf allow4\ndelete set inet csf gone4\ntable inet csf {"), "\(reload.prefix(300))")
        #expect(!reload.contains("delete set inet csf deny4"), "the bulk set keeps its elements until the fill")
        #expect(try rendered.declarations(["deny4"]).contains("set deny4 {") && !rendered.declarations(["deny4"]).contains("chain"))
        #expect(RenderedTable.sizeHint(10) == 65_536 && RenderedTable.sizeHint(1_000_000) == 2_000_000)
    }

    /// csf.deny's other slot: the set renamed, and every rule that named it (the deny chains, the established
    /// path's check, the messenger's redirect) follows; nothing names the old set any more.
    @Test func aListSetMovesToItsOtherSlotWithEveryRuleNamingIt() throws {
        var p = try CompilerTests().policy("MESSENGER = \"1\"\nMESSENGER_USER = \"nobody\"\nMESSENGER_HTTPS_IN = \"\"\nMESSENGER_HTML_IN = \"80\"")
        p.deny = AccessList.parse(text: (0..<150).map { "10.0.\($0 >> 8).\($0 & 255)\n" }.joined(), path: "csf.deny")
        let rendered = try RenderedTable(RulesetCompiler.compile(p), bulkThreshold: 100)
        let before = try rendered.script()
        #expect(CsfTableLayout.SetName.listSlots("deny4") == ["deny4", "deny4b"])
        #expect(CsfTableLayout.SetName.listSlots("deny6b_net") == ["deny6_net", "deny6b_net"])
        #expect(CsfTableLayout.SetName.listSlots("bl_X") == nil && CsfTableLayout.SetName.listSlots("tempdeny_in4") == nil)
        let moved = try rendered.renamingSets(["deny4": "deny4b"])
        #expect(moved.bulkSets == ["deny4b"] && moved.snapshotSets == ["deny4b"])
        let after = try moved.script()
        let named = { (text: String, set: String) in text.components(separatedBy: "@\(set) ").count - 1 }
        #expect(named(before, "deny4") >= 3 && named(after, "deny4b") == named(before, "deny4"), "\(named(before, "deny4"))")
        #expect(named(after, "deny4") == 0 && after.contains("set deny4b {") && !after.contains("set deny4 {"))
        #expect(after.replacingOccurrences(of: "deny4b", with: "deny4") == before, "nothing else changes")
        #expect(moved.declaredBody.contains("size 65536"))
    }

    @Test func smallTablesAndTemporarySetsStayInTheScript() throws {
        #expect(try Self.table(deny: 20).bulkSets.isEmpty)
        #expect(try Self.table(deny: 150).snapshotSets == ["deny4"])
        // A downloaded list's hash set is recorded however small (lfd's next refresh sends differences); its
        // interval set is not.
        var p = FirewallPolicy()
        p.blocklists = [.init(list: .blocklist("X"), ranges: [AddressRange(first: IPAddress("192.0.2.1")!, last: IPAddress("192.0.2.1")!)], skipDevices: [])]
        let lists = try RenderedTable(RulesetCompiler.compile(p), bulkThreshold: 100)
        #expect(lists.bulkSets.isEmpty && lists.snapshotSets.contains("bl_X") && !lists.snapshotSets.contains("bl_X_net"), "\(lists.snapshotSets)")
        var set = NftSet(name: "tempdeny_in4", keyType: .ipv4, flags: [.timeout], comment: "t")
        set.elements = (0..<200).map { NftSetElement(IPNetwork(host: .v4(UInt32($0))), timeout: 60) }
        #expect(!RenderedTable.isBulk(set, threshold: 100))
    }

    /// A big blocklist's address shards go over netlink as the list would, each sized for its share.
    @Test func aBlocklistsShardsLoadAsTheListWould() throws {
        var p = FirewallPolicy()
        let hosts = (0..<UInt32(40_000)).map { AddressRange(first: .v4(0x0A00_0000 + 3 * $0), last: .v4(0x0A00_0000 + 3 * $0)) }
        p.blocklists = [.init(list: .blocklist("X"), ranges: hosts, skipDevices: [])]
        p.globalDeny = .init(list: .globalDeny, ranges: Array(hosts.prefix(9_000)))
        let table = try RenderedTable(RulesetCompiler.compile(p), bulkThreshold: 30_000)
        let shards = CsfTableLayout.SetName.remoteHostSets(.blocklist("X"), .v4, shards: 2)
        #expect(Set(table.bulkSets) == Set(shards), "40,000 addresses in two shards of ~20,000: bulk at 30,000 (\(table.bulkSets))")
        let sets = shards.compactMap { table.table.set($0) }
        #expect(sets.map(\.elements.count).reduce(0, +) == 40_000 && sets.allSatisfy { $0.size == 2 * $0.elements.count }, "\(sets.map(\.size))")
        #expect(table.table.set("bl2_X") == nil)
        #expect(!table.bulkSets.contains("gdeny4") && table.snapshotSets.contains("gdeny4"), "9,000 addresses in one set: not bulk")
        #expect(RenderedTable.sizeHint(100_000, shards: 8) == 200_000 && RenderedTable.sizeHint(10, shards: 8) == 8_192
                && RenderedTable.sizeHint(10) == 65_536)
    }
}
