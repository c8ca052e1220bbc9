import Foundation
import Testing
@testable import CsfCompat
@testable import CsfPolicy
@testable import NftRuleset
@testable import NftKernel
import CsfTestSupport

/// Issue 15: downloaded lists as interval sets of ranges, placed where csf puts them (reference §5.2).
@Suite struct RemoteListTests {
    static func ranges(_ text: String) -> [AddressRange] {
        AddressRanges.merge(text.split(separator: " ").compactMap { IPNetwork(String($0)) })
    }

    @Test func aRangeIsANetworkOnlyWhenItIsExactlyOne() {
        #expect(AddressRange(first: IPAddress("192.0.2.0")!, last: IPAddress("192.0.2.255")!).network?.description == "192.0.2.0/24")
        #expect(AddressRange(first: IPAddress("192.0.2.7")!, last: IPAddress("192.0.2.7")!).network?.description == "192.0.2.7")
        #expect(AddressRange(first: IPAddress("198.18.0.0")!, last: IPAddress("198.20.255.255")!).network == nil)
        #expect(AddressRange(first: IPAddress("192.0.2.128")!, last: IPAddress("192.0.3.127")!).network == nil, "same size, not aligned")
        #expect(AddressRange(first: IPAddress("0.0.0.0")!, last: IPAddress("255.255.255.255")!).network?.prefix == 0)
        #expect(AddressRange(first: IPAddress("2001:db8::")!, last: IPAddress("2001:db8::ffff:ffff:ffff:ffff")!).network?.description == "2001:db8::/64")
        #expect(AddressRange(first: IPAddress("2001:db8::")!, last: IPAddress("2001:db8::2")!).network == nil)
    }

    @Test func singleAddressesGoToAHashSetAndRangesRenderAsNftListsThem() throws {
        let sets = SetContents.remote(.blocklist("SPAMDROP"), Self.ranges("192.0.2.0/25 192.0.2.128/25 198.18.0.0/16 198.19.0.0/16 198.20.0.0/16 203.0.113.9 2001:db8::/48"),
                                      families: [.v4, .v6])
        #expect(sets.map(\.name) == ["bl_SPAMDROP", "bl_SPAMDROP_net", "bl_6_SPAMDROP", "bl_6_SPAMDROP_net"], "a small list: one set each, csf's names")
        #expect(sets.map(\.flags) == [[], [.interval], [], [.interval]])
        #expect(sets[0].elements.map(\.network.description) == ["203.0.113.9"])
        var out = ""
        try NftRenderer.render(sets[1], into: &out)
        #expect(out.contains("elements = { 192.0.2.0/24,\n\t\t\t198.18.0.0-198.20.255.255 }"), "\(out)")
        out = ""
        try NftRenderer.render(sets[3], into: &out)
        #expect(out.contains("elements = { 2001:db8::/48 }"), "\(out)")
    }

    @Test func aRefreshEmptiesAndFillsEachSetInOneBatch() {
        let plan = SetContents.refresh(.globalDeny, Self.ranges("198.18.0.0/16 198.19.0.0/16 198.20.0.0/16 192.0.2.9 192.0.2.64/26"),
                                       loaded: nil, families: [.v4])
        #expect(plan.count == 1, "not knowing what the kernel holds: one transaction")
        let changes = plan[0]
        #expect(changes.map(\.operation) == [.flush, .add, .flush, .add])
        #expect(changes.map(\.set) == ["gdeny4", "gdeny4", "gdeny4_net", "gdeny4_net"])
        #expect(plan.replacedHostSets == ["gdeny4"])
        #expect(changes[1].elements.map(\.key) == [.address(IPAddress("192.0.2.9")!)])
        #expect(changes[3].elements.map(\.key) == [.network(IPNetwork("192.0.2.64/26")!),
                                                   .range(AddressRange(first: IPAddress("198.18.0.0")!, last: IPAddress("198.20.255.255")!))])
        // On netlink a range is a start element and an interval end one past its last address.
        let parts = NetlinkSetWriter.parts(changes[3].elements[1].key)
        #expect(parts.map(\.key) == [[198, 18, 0, 0], [198, 21, 0, 0]] && parts.map(\.intervalEnd) == [false, true])
    }

    @Test func knowingWhatIsLoadedOnlyTheDifferenceIsSentAddsFirst() {
        let old = Self.ranges("192.0.2.1 192.0.2.3 192.0.2.5 198.18.0.0/16")
        let new = Self.ranges("192.0.2.3 192.0.2.5 192.0.2.7 192.0.2.9 198.18.0.0/16")
        var plan = SetContents.refresh(.globalDeny, new, loaded: .init(old), families: [.v4], batch: 1)
        #expect(plan.map { $0.map(\.operation) } == [[.add], [.delete], [.add]], "adds and removals take turns; the unchanged interval set is not touched")
        #expect(plan.flatMap { $0.flatMap(\.elements).map(\.key) } == [.address(IPAddress("192.0.2.7")!), .address(IPAddress("192.0.2.1")!),
                                                                          .address(IPAddress("192.0.2.9")!)])
        // A changed interval set is replaced in one transaction; an address a new network holds leaves the hash set
        // only after it (198.19.0.7), one that left the list altogether (192.0.2.3, .5) as early as the adds.
        let withHost = Self.ranges("192.0.2.1 192.0.2.3 192.0.2.5 198.18.0.0/16 198.19.0.7")
        plan = SetContents.refresh(.globalDeny, Self.ranges("192.0.2.1 198.19.0.0/16"), loaded: .init(withHost), families: [.v4])
        #expect(plan.map { $0.map(\.operation) } == [[.delete], [.flush, .add], [.delete]] && plan[1].map(\.set) == ["gdeny4_net", "gdeny4_net"])
        #expect(plan[0].flatMap(\.elements).map(\.key) == ["192.0.2.3", "192.0.2.5"].map { .address(IPAddress($0)!) })
        #expect(plan[2].flatMap(\.elements).map(\.key) == [.address(IPAddress("198.19.0.7")!)])
        #expect(SetContents.refresh(.globalDeny, old, loaded: .init(old), families: [.v4]).isEmpty, "nothing changed, nothing sent")
    }

    /// csf -r declares a big hash set twice the size of its list, and the size is also its limit: a refresh that
    /// replaces every address must not hold the old and the new list in full at once on the way.
    @Test func anAllChangedRefreshNeverHoldsBothListsAtOnce() {
        let old = (0..<100).map { "10.0.0.\($0 * 2)" }, new = (0..<100).map { "10.0.1.\($0 * 2)" }
        let plan = SetContents.refresh(.globalDeny, Self.ranges(new.joined(separator: " ")), loaded: .init(Self.ranges(old.joined(separator: " "))),
                                       families: [.v4], batch: 10)
        var held = Set(old.compactMap { IPAddress($0) }), most = held.count
        for transaction in plan {
            for change in transaction {
                for case .address(let a) in change.elements.map(\.key) {
                    if change.operation == .add { held.insert(a) } else { held.remove(a) }
                }
            }
            most = max(most, held.count)
        }
        #expect(held == Set(new.compactMap { IPAddress($0) }))
        #expect(most <= 110, "at most one batch more than a list: \(most)")
    }

    /// After lfd starts it knows nothing it loaded; csf's snapshot of a big hash set stands in for it, so the
    /// first refresh sends that set's difference too. The interval set and a family without a snapshot are
    /// replaced whole, in the one transaction between the adds and the deletes.
    @Test func csfsSnapshotOfAHashSetMakesTheFirstRefreshADifference() {
        let new = Self.ranges("192.0.2.3 192.0.2.7 198.18.0.0/16 2001:db8::1")
        let snapshot: [IPAddress.Family: [IPAddress]] = [.v4: ["192.0.2.1", "192.0.2.3"].compactMap { IPAddress($0) }]
        let plan = SetContents.refresh(.globalDeny, new, loaded: nil, loadedHosts: snapshot, families: [.v4, .v6], batch: 1)
        #expect(plan.map { $0.map(\.operation) } == [[.add], [.delete], [.flush, .add, .flush, .add, .flush, .add]], "\(plan.map { $0.map(\.set) })")
        #expect(plan[0].flatMap(\.elements).map(\.key) == [.address(IPAddress("192.0.2.7")!)])
        #expect(plan[1].flatMap(\.elements).map(\.key) == [.address(IPAddress("192.0.2.1")!)])
        #expect(plan[2].map(\.set) == ["gdeny4_net", "gdeny4_net", "gdeny6", "gdeny6", "gdeny6_net", "gdeny6_net"])
        #expect(plan.replacedHostSets == ["gdeny6"])
    }

    /// A big blocklist's addresses are spread over several hash sets, each address always in the same one: the
    /// full load, a standby slot's fill and a refresh's differences all agree on it, and csf's snapshots of the
    /// shards, read back in any order, make the first refresh a difference.
    @Test func aBigBlocklistsAddressesKeepToTheirShards() throws {
        let list = RemoteList.blocklist("X")
        let addresses = (0..<70_000).map { IPAddress.v4(0x0A00_0000 &+ UInt32($0) &* 7) } + (1...40).map { IPAddress.v6(hi: 0x2001_0db8_0000_0000, lo: UInt64($0) * 5) }
        let ranges = AddressRanges.merge(addresses.map { IPNetwork(host: $0) })
        let counts = HostShards.counts(list, ranges)
        #expect(counts == [.v4: 4, .v6: 1], "70,000 addresses: four sets of at most 32,768 planned; 40: one")
        #expect(HostShards.count(list, addresses: 32_768) == 1 && HostShards.count(list, addresses: 1_000_000) == 32
                && HostShards.count(list, addresses: 9_000_000) == HostShards.most && HostShards.count(.globalDeny, addresses: 1_000_000) == 1)
        let names = { (f: IPAddress.Family, slot: Int) in CsfTableLayout.SetName.remoteHostSets(list, f, slot: slot, shards: counts[f] ?? 1) }
        #expect(names(.v4, 1) == ["blb_X", "blb1_X", "blb2_X", "blb3_X"] && names(.v6, 0) == ["bl_6_X"])
        let shardOf = { (a: IPAddress, slot: Int) in names(a.family, slot)[HostShards.index(a, of: counts[a.family] ?? 1)] }
        // The packet path's gate before each shard's lookup picks the shard the address was loaded into.
        let inbound = try BlocklistLookups.chains("X", slot: 0, families: [.v4, .v6], shards: counts)[0].rules.map { try NftRenderer.render($0) }
        for a in addresses.prefix(300) where a.family == .v4 {
            guard case .v4(let n) = a else { continue }
            let rule = inbound.first { $0.contains("@\(shardOf(a, 0)) ") }
            #expect(rule?.hasPrefix("ip saddr & 0.0.3.0 == 0.0.\((n >> 8) & 3).0 ip saddr @") == true, "\(a): \(rule ?? "none")")
        }
        // csf -g looks for an address in the sets that could hold it whatever the count (a few per slot).
        #expect(HostShards.possibleCounts == [1, 2, 4, 8, 16, 32, 64])
        for a in addresses.prefix(50) + addresses.suffix(5) {
            let could = CsfTableLayout.SetName.remoteSetsThatCouldHold(a, list)
            #expect(could.contains(shardOf(a, 0)) && could.contains(shardOf(a, 1)) && could.count <= 16, "\(a): \(could)")
        }
        // Spread evenly (a multiplicative hash): no shard far from its quarter.
        let perShard = try #require(HostShards.perShard(ranges, shards: counts)[.v4])
        #expect(perShard.reduce(0, +) == 70_000 && perShard.allSatisfy { abs($0 - 17_500) < 700 }, "\(perShard)")
        // The full load.
        for set in SetContents.remote(list, ranges, families: [.v4, .v6]) where !set.flags.contains(.interval) {
            #expect(set.elements.allSatisfy { shardOf($0.network.address, 0) == set.name }, "\(set.name)")
        }
        // A standby slot's fill.
        var filled: [IPAddress: String] = [:]
        for transaction in SetContents.fill("X", ranges, families: [.v4, .v6], slot: 1, shards: counts, batch: 1_000) {
            for change in transaction { for case .address(let a) in change.elements.map(\.key) { filled[a] = change.set } }
        }
        #expect(filled.count == addresses.count && filled.allSatisfy { shardOf($0.key, 1) == $0.value })
        // A refresh's differences, from lfd's last load and from csf's shards' snapshots (shard by shard).
        let next = Array(addresses.dropFirst(100)) + (0..<50).map { IPAddress.v4(0xC633_6400 &+ UInt32($0) * 3) }
        let running = Set(["bl_X", "bl1_X", "bl2_X", "bl3_X", "bl_6_X", "blb_X"])
        #expect(CsfTableLayout.SetName.runningShards(list, .v4, slot: 0, in: running) == 4
                && CsfTableLayout.SetName.runningShards(list, .v6, slot: 0, in: running) == 1)
        let nextRanges = AddressRanges.merge(next.map { IPNetwork(host: $0) })
        var snapshot: [IPAddress.Family: [IPAddress]] = [:]
        for f in [IPAddress.Family.v4, .v6] {
            let n = counts[f] ?? 1
            for k in 0..<n { snapshot[f, default: []] += addresses.filter { $0.family == f && HostShards.index($0, of: n) == k } }
        }
        for plan in [SetContents.refresh(list, nextRanges, loaded: .init(ranges), families: [.v4, .v6], shards: counts, batch: 7),
                     SetContents.refresh(list, nextRanges, loaded: nil, loadedHosts: snapshot, families: [.v4, .v6], shards: counts, batch: 7)] {
            var held = Dictionary(uniqueKeysWithValues: addresses.map { ($0, shardOf($0, 0)) })
            for transaction in plan {
                for change in transaction where change.operation != .flush {
                    for case .address(let a) in change.elements.map(\.key) {
                        #expect(shardOf(a, 0) == change.set, "\(a) in \(change.set)")
                        if change.operation == .add { held[a] = change.set } else { held[a] = nil }
                    }
                }
            }
            #expect(Set(held.keys) == Set(next) && plan.replacedHostSets.isEmpty)
        }
    }

    @Test func listsSitWhereCsfPutsThem() throws {
        var p = FirewallPolicy()
        p.blocklists = [.init(list: .blocklist("BOGON"), ranges: Self.ranges("10.0.0.0/8"), skipDevices: [InterfaceName(csf: "eth1")!])]
        p.globalAllow = .init(list: .globalAllow, ranges: [])
        p.globalDeny = .init(list: .globalDeny, ranges: [])
        p.dyndns = .init(list: .dyndns, ranges: Self.ranges("198.51.100.7"))
        p.globalDyndns = .init(list: .globalDyndns, ranges: [])
        let table = RulesetCompiler.compile(p)
        let local = try #require(table.chain("LOCALINPUT")).rules.map { try NftRenderer.render($0) }
        let order = ["jump GDYNIN", "jump ALLOWDYNIN", "jump GALLOWIN", "jump ALLOWIN", "jump DENYIN", "jump GDENYIN", "jump BLIN_BOGON"]
        let positions = order.map { step in local.firstIndex { $0.contains(step) } ?? -1 }
        #expect(positions.allSatisfy { $0 >= 0 } && positions == positions.sorted(), "\(local)")
        #expect(local.contains { $0.contains("iifname != \"eth1\"") && $0.contains("jump BLIN_BOGON") }, "LF_BOGON_SKIP: \(local)")
        // The lookup chain holds only the sets' matches (lfd rebuilds it for a swap); the drop is csf's.
        let lookups = try #require(table.chain("BLIN_BOGON")).rules.map { try NftRenderer.render($0) }
        #expect(lookups == ["ip saddr @bl_BOGON counter jump BLOCKLISTDROP comment \"blocklist BOGON\"",
                            "ip saddr @bl_BOGON_net counter jump BLOCKLISTDROP comment \"blocklist BOGON\""], "\(lookups)")
        #expect(try #require(table.chain("BLOCKLISTDROP")).rules.map { try NftRenderer.render($0) } == ["counter drop comment \"csf.blocklists\""])
        #expect(lookups == (try BlocklistLookups.chains("BOGON", slot: 0, families: [.v4], shards: [:])[0].rules.map { try NftRenderer.render($0) }))
        // A swap to a list big enough for four address sets: each looked up only by the addresses whose bits name
        // it (the third octet's lowest two), the interval set by any; the running slot's sets deleted.
        let swap = try BlocklistLookups.swapScript("BOGON", to: 1, families: [.v4, .v6], shards: [.v4: 4], retiring: ["bl_BOGON", "bl_BOGON_net"])
        #expect(swap.contains("flush chain inet csf BLIN_BOGON\nadd rule inet csf BLIN_BOGON ip saddr & 0.0.3.0 == 0.0.0.0 ip saddr @blb_BOGON counter jump BLOCKLISTDROP")
                && swap.contains("add rule inet csf BLEST4_BOGON ip saddr @blb_BOGON_net counter jump LOCALINPUT")
                && swap.contains("add rule inet csf BLIN_BOGON ip saddr & 0.0.3.0 == 0.0.3.0 ip saddr @blb3_BOGON counter jump BLOCKLISTDROP")
                && swap.contains("add rule inet csf BLIN_BOGON ip6 saddr @blb_6_BOGON counter jump BLOCKLISTDROP")
                && !swap.contains("blb4_BOGON")
                && swap.hasSuffix("delete set inet csf bl_BOGON\ndelete set inet csf bl_BOGON_net\n"), "\(swap)")
        // The standby slot's sets are declared one a transaction (each shard's allocation is all a csf -d can wait
        // for), each address set sized for its shard with half again as room (a list that outgrows it is swapped
        // again): a million addresses in 32 sets of 2^16 buckets (512 KB); the interval set has no size.
        let perShard = Array(repeating: 31_250, count: 32)
        let standby = try BlocklistLookups.declarations("BOGON", slot: 1, families: [.v4], addresses: [.v4: perShard])
        #expect(standby.count == 33 && standby.allSatisfy { $0.components(separatedBy: "\tset ").count == 2 }, "\(standby)")
        #expect(standby[0].contains("set blb_BOGON {") && standby[0].contains("size 46875") && standby[31].contains("set blb31_BOGON {")
                && standby[32].contains("set blb_BOGON_net {") && !standby[32].contains("size "), "\(standby)")
        #expect(RenderedTable.standbySizeHint(HostShards.addressesPerShard, shards: 32) * 4 / 3 <= 1 << 16
                && RenderedTable.standbySizeHint(10, shards: 32) == 2_048)
        #expect(RenderedTable.standbySizeHint(1_000_000) * 4 / 3 <= 1 << 21 && RenderedTable.standbySizeHint(10) == 65_536)
        let out = try #require(table.chain("LOCALOUTPUT")).rules.map { try NftRenderer.render($0) }
        #expect(out[0].contains("jump GDYNOUT") && out[1].contains("jump ALLOWDYNOUT") && out[2].contains("jump GALLOWOUT"), "\(out)")
        #expect(out.contains { $0.contains("jump GDENYOUT") })
        let dynIn = try #require(table.chain("ALLOWDYNIN")).rules.map { try NftRenderer.render($0) }
        #expect(dynIn.contains { $0.contains("ip saddr @dyn4 ") && $0.contains("accept") }, "\(dynIn)")
        let dynOut = try #require(table.chain("ALLOWDYNOUT")).rules.map { try NftRenderer.render($0) }
        #expect(dynOut.contains { $0.contains("ip daddr @dyn4 ") && $0.contains("accept") }, "\(dynOut)")
        #expect(!out.contains { $0.contains("bl_BOGON") }, "blocklists are inbound only, as csf's")
        // Established connections the listed source opened are cut by a refresh; replies to ours are not.
        let established = try #require(table.chain("ESTABLISHEDIN")).rules.map { try NftRenderer.render($0) }
        #expect(established.contains { $0.contains("ct direction original counter jump BLEST4_BOGON") }, "\(established)")
        let estLookups = try #require(table.chain("BLEST4_BOGON")).rules.map { try NftRenderer.render($0) }
        for set in ["bl_BOGON", "bl_BOGON_net"] {
            #expect(estLookups.contains { $0.contains("ip saddr @\(set) ") && $0.contains("jump LOCALINPUT") }, "\(estLookups)")
        }
        #expect(established.contains { $0.contains("ip saddr @gdeny4 ") && $0.contains("jump LOCALINPUT") })
        #expect(established.contains { $0.contains("ip saddr @gdeny4_net ") && $0.contains("jump LOCALINPUT") })
    }

    /// GLOBAL_ALLOW / GLOBAL_DENY advanced filters: parsed only for those lists, kept in the cache after the
    /// networks, one rule each in the list's chains (numbered: the text came from a download); with GLOBAL_DENY
    /// filters every established packet takes the full check, as with csf.deny's.
    @Test func globalListFiltersBecomeRules() throws {
        let text = "192.0.2.1\ntcp|in|d=22|s=198.51.100.9 # ssh\ntcp|out|d=25|d=203.0.113.0/24\ntcp|in|d=x|s=1.2.3.4\n"
        let feed = BlocklistFeed.parse(text, name: "", filters: true)
        #expect(feed.networks.map(\.description) == ["192.0.2.1"] && feed.filters.map(\.text) == ["tcp|in|d=22|s=198.51.100.9", "tcp|out|d=25|d=203.0.113.0/24"])
        #expect(feed.skipped == 1, "a damaged filter is a skipped line")
        #expect(BlocklistFeed.parse(text, name: "X").filters.isEmpty, "blocklists take no filters")
        let cache = String(decoding: RemoteList.cacheText(feed.networks, filters: feed.filters), as: UTF8.self)
        #expect(cache == "192.0.2.1\ntcp|in|d=22|s=198.51.100.9\ntcp|out|d=25|d=203.0.113.0/24\n")
        #expect(BlocklistFeed.parse(cache, name: "", filters: true).filters == feed.filters)
        // A refresh compares only the cached filters (the lines with `|`), never parsing the networks again.
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nftcsf-filters-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let paths = CsfPaths(root: root)
        try FileManager.default.createDirectory(atPath: paths.libDir, withIntermediateDirectories: true)
        #expect(RemoteList.cachedFilters(.globalDeny, paths: paths).isEmpty, "no cache yet")
        try Data(RemoteList.cacheText(feed.networks + [IPNetwork("2001:db8::/32")!], filters: feed.filters)).write(to: URL(fileURLWithPath: paths.lib(RemoteList.globalDeny.cacheName)))
        #expect(RemoteList.cachedFilters(.globalDeny, paths: paths) == feed.filters)
        #expect(RemoteList.cachedFilters(.globalIgnore, paths: paths).isEmpty)
        #expect(RemoteList.globalDeny.takesFilters && RemoteList.globalAllow.takesFilters && !RemoteList.globalIgnore.takesFilters)

        var p = FirewallPolicy()
        p.globalDeny = .init(list: .globalDeny, ranges: [])
        p.globalDeny?.filters = feed.filters
        let table = RulesetCompiler.compile(p)
        let gin = try #require(table.chain("GDENYIN")).rules.map { try NftRenderer.render($0).replacingCounter() }
        #expect(gin.contains { $0.hasPrefix("ip saddr 198.51.100.9 tcp dport 22 ") && $0.hasSuffix("comment \"GLOBAL_DENY filter 1\"") }, "\(gin)")
        let gout = try #require(table.chain("GDENYOUT")).rules.map { try NftRenderer.render($0).replacingCounter() }
        #expect(gout.contains { $0.hasPrefix("ip daddr 203.0.113.0/24 tcp dport 25 ") && $0.hasSuffix("comment \"GLOBAL_DENY filter 2\"") }, "\(gout)")
        let established = try #require(table.chain("ESTABLISHEDIN")).rules.map { try NftRenderer.render($0).replacingCounter() }
        #expect(established.contains("jump LOCALINPUT comment \"GLOBAL_DENY has filters: full csf check\""), "\(established)")
    }

    @Test func dyndnsListsTakeHostNamesAndAddressesAndReportTheRest() {
        let reader = ListReader.read(text: "# office\nHome.Example.net\n192.0.2.7\nhome.example.net\ntcp|in|d=22|s=x.example\nbad$name\n-lead.example\n", path: "csf.dyndns")
        let parsed = DynDnsNames.parse(reader)
        #expect(parsed.names == ["home.example.net", "192.0.2.7"], "lower case, once each")
        #expect(parsed.problems.map(\.line) == [5, 6, 7] && parsed.problems[0].message.contains("advanced filters are not supported in GLOBAL_DYNDNS lists"), "\(parsed.problems)")
        #expect(!DynDnsNames.isHostName(String(repeating: "a", count: 64) + ".example") && DynDnsNames.isHostName("a_b.example"))
        #expect(!DynDnsNames.isHostName("1234") && !DynDnsNames.isHostName("a..example") && !DynDnsNames.isHostName("a.example\n"))
        #expect(RemoteList.dyndns.cacheName == "csf.tempdyn" && RemoteList.globalDyndns.cacheName == "csf.tempgdyn")
    }

    /// csf.dyndns's advanced filters: one host name in place of the address, resolved like the others, matched in
    /// a set of the filter's own; the answers cached as `ADDRESS FILTER` lines.
    @Test func dyndnsFiltersTakeAHostNameAndASetOfTheirOwn() throws {
        let text = "home.example.net\nTCP|in|d=22|s=Office.example.net\ntcp|out|d=25|d=mail.example.net\ntcp|in|d=22\ntcp|in|d=22|s=a.example|s=b.example\n"
        let parsed = DynDnsNames.parse(ListReader.read(text: text, path: "csf.dyndns"), filters: true)
        #expect(parsed.names == ["home.example.net"])
        #expect(parsed.filters.map(\.text) == ["tcp|in|d=22|s=office.example.net", "tcp|out|d=25|d=mail.example.net"])
        #expect(parsed.filters.map(\.host) == ["office.example.net", "mail.example.net"])
        #expect(parsed.allNames == ["home.example.net", "office.example.net", "mail.example.net"])
        #expect(parsed.problems.map(\.line) == [4, 5], "no host, or two: \(parsed.problems)")
        #expect(DynDnsNames.parse(ListReader.read(text: text, path: "gdyndns")).filters.isEmpty, "GLOBAL_DYNDNS takes names only")

        let answers: [(filter: String, addresses: [IPAddress])] = [(parsed.filters[0].text, [IPAddress("198.51.100.7")!, IPAddress("2001:db8::7")!])]
        let cache = DynDnsFilterCache.text(answers)
        #expect(cache == "198.51.100.7 tcp|in|d=22|s=office.example.net\n2001:db8::7 tcp|in|d=22|s=office.example.net\n")
        #expect(DynDnsFilterCache.parse(cache + "junk\n") == [parsed.filters[0].text: [IPAddress("198.51.100.7")!, IPAddress("2001:db8::7")!]])

        var p = FirewallPolicy()
        p.dyndns = .init(list: .dyndns, ranges: [])
        p.dyndnsFilters = parsed.filters.map { ($0.filter, [IPAddress("198.51.100.7")!]) }
        let table = RulesetCompiler.compile(p)
        #expect(table.set("dyn4_f1")?.elements.map(\.network.description) == ["198.51.100.7"])
        let dynIn = try #require(table.chain("ALLOWDYNIN")).rules.map { try NftRenderer.render($0).replacingCounter() }
        #expect(dynIn.contains("ip saddr @dyn4_f1 tcp dport 22 accept comment \"csf.dyndns filter 1\""), "\(dynIn)")
        let dynOut = try #require(table.chain("ALLOWDYNOUT")).rules.map { try NftRenderer.render($0).replacingCounter() }
        #expect(dynOut.contains("ip daddr @dyn4_f2 tcp dport 25 accept comment \"csf.dyndns filter 2\""), "\(dynOut)")
    }

    @Test func globalListsAreLoadedWhenTheirUrlIsSetAndDownloadedOnlyWithLfGlobal() {
        var config = CsfConfig()
        config.set("GLOBAL_DENY", "https://lists.example/deny.txt")
        config.set("LF_GLOBAL", "0")
        let lists = [Blocklist(name: "DSHIELD", interval: 86400, max: 0, url: "https://feeds.example/block.txt")]
        var sources = RemoteList.sources(config: config, blocklists: lists)
        #expect(sources.map(\.list) == [.blocklist("DSHIELD"), .globalDeny] && sources.map(\.interval) == [86400, 0])
        config.set("LF_GLOBAL", "30")
        sources = RemoteList.sources(config: config, blocklists: lists)
        #expect(sources.last?.interval == 300, "below 60 becomes 300, as csf")
        #expect(RemoteList.blocklist("DSHIELD").cacheName == "csf.block.DSHIELD" && RemoteList.globalDeny.cacheName == "csf.gdeny")
        #expect(String(decoding: RemoteList.cacheText([IPNetwork("192.0.2.0/24")!, IPNetwork("198.18.7.9")!, IPNetwork("2001:db8::1")!]), as: UTF8.self) == "192.0.2.0/24\n198.18.7.9\n2001:db8::1\n")
    }
}
