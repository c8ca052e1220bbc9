import Testing
import CsfCompat
import CsfFirewall
@testable import CsfFleet

struct DecisionTests {
    @Test func aRowIsCheckedAsALocalCommandWouldBe() throws {
        var d = Decision(action: .deny, target: "192.0.2.0/24", reason: "ok")
        #expect(try d.validated().target == "192.0.2.0/24")
        d.target = "192.0.2.7/24"
        #expect(try d.validated().target == "192.0.2.0/24", "host bits cleared, as csf.deny stores a network")
        for bad in ["0.0.0.0/0", "::/0", "example.com", "tcp|in|d=22|s=192.0.2.1", "192.0.2.1; rm -rf /", ""] {
            d.target = bad
            #expect(throws: Decision.Invalid.self, "\(bad)") { try d.validated() }
        }
        #expect(throws: Decision.Invalid.self) { try Decision(action: .tempdeny, target: "192.0.2.1").validated() }
        #expect(throws: Decision.Invalid.self) { try Decision(action: .ping, target: "192.0.2.1").validated() }
        #expect(throws: Decision.Invalid.self) { try Decision(action: .tempdeny, target: "192.0.2.1", ports: "22;icmpx", expires: 9).validated() }
        var unknown = Decision(action: .ping, target: "")
        unknown.unknownAction = "selfdestruct"
        #expect(throws: Decision.Invalid.self) { try unknown.validated() }
    }

    @Test func aReasonCannotForgeALineOrBreakTheFiles() throws {
        let d = try Decision(action: .deny, target: "192.0.2.1", reason: "x\n203.0.113.1 # forged|a\"b\\c{d}e;f\u{1b}[31m").validated()
        #expect(!d.reason.contains("\n") && !d.reason.contains("|") && !d.reason.contains("\"") && !d.reason.contains(";"))
        #expect(!d.reason.unicodeScalars.contains { $0.value < 32 })
        #expect(try CommandComment.validate(d.localComment) == d.localComment, "the comment passes csf's own checks")
        let long = try Decision(action: .deny, target: "192.0.2.1", reason: String(repeating: "a", count: 5000)).validated()
        #expect(long.reason.count == Decision.reasonLimit)
        var forged = d
        forged.origin = "node\nx"
        #expect(!forged.localComment.contains("\n"))
    }

    @Test func clusterCommandsBecomeDecisions() throws {
        var d = try ClusterVerb.deny.decision(["192.0.2.1", "too", "many"], now: 1000)
        #expect(d.action == .deny && d.target == "192.0.2.1" && d.reason == "too many" && d.expires == nil)
        d = try ClusterVerb.tempdeny.decision(["192.0.2.1", "2h", "-p", "22,53;udp", "-d", "inout", "scan"], now: 1000)
        #expect(d.action == .tempdeny && d.expires == 1000 + 7200 && d.ports == "22,53;udp" && d.direction == .inout && d.reason == "scan")
        d = try ClusterVerb.ping.decision([], now: 1)
        #expect(d.action == .ping && d.target.isEmpty)
        #expect(throws: TempRequest.ArgumentError.self) { try ClusterVerb.remove.decision(["192.0.2.1", "extra"], now: 1) }
        #expect(throws: TempRequest.ArgumentError.self) { try ClusterVerb.deny.decision([], now: 1) }
        #expect(throws: TempRequest.ArgumentError.self) { try ClusterVerb.tempdeny.decision(["192.0.2.1", "soon"], now: 1) }
        #expect(ClusterVerb.spellings["--cdeny"] == .deny && ClusterVerb.spellings["-cir"] == .ignoreremove)
    }

    @Test func lfdSharesParseStrictly() {
        let ok = ShareQueue.parse("tempdeny\t192.0.2.1\t3600\t22\tin\t(sshd) Failed SSH login", now: 100)
        #expect(ok?.action == .tempdeny && ok?.expires == 3700 && ok?.ports == "22")
        #expect(ShareQueue.parse("deny\t192.0.2.1\t0\t\tinout\tx", now: 1)?.expires == nil)
        #expect(ShareQueue.parse("allow\t192.0.2.1\t0\t\tin\tx", now: 1) == nil, "lfd shares blocks only")
        #expect(ShareQueue.parse("deny\t0.0.0.0/0\t0\t\tin\tx", now: 1) == nil)
        #expect(ShareQueue.parse("deny 192.0.2.1", now: 1) == nil)
    }

    @Test func membersAreNamesOrAFile() throws {
        let m = FleetMembers(receiveFrom: ["node_a"])
        #expect(m.trusts("node_a") && !m.trusts("node_b"))
        #expect(FleetMembers().trusts("anyone"), "empty CLUSTER_RECVFROM: the database's members")
        #expect(FleetMembers.names(" node_a , node_b,") == ["node_a", "node_b"])
    }
}

struct PushTests {
    @Test func pushesCarryACheckedPayload() throws {
        var d = try ClusterVerb.config.decision(["TCP_IN", "22,80"], now: 1)
        #expect(try d.pushed() == .setting(key: "TCP_IN", value: "22,80"))
        d = try ClusterVerb.config.decision(["TCP_IN", "\"22\"", "=80"], now: 1)
        #expect(try d.pushed() == .setting(key: "TCP_IN", value: "22 80"), "quotes and = are stripped, as csf did")
        #expect(throws: TempRequest.ArgumentError.self) { try ClusterVerb.config.decision(["tcp_in;rm", "1"], now: 1) }
        d = try ClusterVerb.file.decision(["/root/x/csf.allow"], now: 1, readFile: { _ in "192.0.2.1\n" })
        #expect(try d.pushed() == .file(name: "csf.allow", content: "192.0.2.1\n"))
        #expect(throws: TempRequest.ArgumentError.self) { try ClusterVerb.file.decision(["/nope"], now: 1) }
        var forged = Decision(action: .file, target: "")
        forged.payload = "../../etc/passwd\nroot::0:0"
        #expect(throws: Decision.Invalid.self) { try forged.validated() }
        forged.payload = ".hidden\nx"
        #expect(throws: Decision.Invalid.self) { try forged.validated() }
        for hook in ["csfpre.sh", "csfpost.sh", "cluster.pass", "csf.conf.sh"] {
            forged.payload = hook + "\n#!/bin/sh"
            #expect(throws: Decision.Invalid.self, "\(hook)") { try forged.validated() }
        }
        var deny = Decision(action: .deny, target: "192.0.2.1")
        deny.payload = "x"
        #expect(throws: Decision.Invalid.self) { try deny.validated() }
    }

    @Test func onlyTheMasterAndOnlyWithClusterConfig() {
        let m = FleetMembers(master: "node_a", acceptsConfig: true)
        #expect(m.pushRefusal(from: "node_a") == nil)
        #expect(m.pushRefusal(from: "node_b") != nil)
        #expect(FleetMembers(master: "node_a", acceptsConfig: false).pushRefusal(from: "node_a") != nil)
        #expect(FleetMembers(master: "", acceptsConfig: true).pushRefusal(from: "") != nil)
    }
}

struct PasswordFileTests {
    @Test func aPasswordFileOthersCanReadIsRefused() throws {
        let path = "/tmp/nftcsf-passfile-\(UInt32.random(in: 0...UInt32.max))"
        defer { FileSystem.remove(path) }
        try FileSystem.writeAtomically(path, "secret\nignored\n", mode: 0o644)
        #expect(throws: FleetEndpoint.Problem.self) { try FleetEndpoint.readPassword(path) }
        FileSystem.remove(path)
        try FileSystem.writeAtomically(path, "secret\nignored\n", mode: 0o600)
        #expect(try FleetEndpoint.readPassword(path) == "secret")
        #expect(try FleetEndpoint.readPassword(path + ".missing") == nil, "no file: the database decides (trust, or it asks)")
    }
}
