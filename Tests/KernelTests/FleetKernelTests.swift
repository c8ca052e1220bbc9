import Foundation
import Testing
@testable import CsfCompat
import CsfTestSupport

/// Firewall nodes in namespaces of their own, each a NetLab with one peer (the same address, 192.0.2.2, in each),
/// joined to a private PostgreSQL in a further namespace by a link each (100.64.N.1 node, 100.64.N.2 database).
final class FleetLab {
    let dbns: String
    let db: PrivatePostgres
    let nodes: [NetLab]
    let names: [String]

    init(nodes count: Int, config: [String: String] = [:], perNode: [Int: [String: String]] = [:]) throws {
        NetLab.sweepStale()
        dbns = "nftcsf-\(getpid())-db\(String(UInt16.random(in: 0...UInt16.max), radix: 36))"
        try Shell.check(["ip", "netns", "add", dbns])
        try Shell.check(["ip", "-n", dbns, "link", "set", "lo", "up"])
        db = try PrivatePostgres(ns: dbns)
        try db.sql("CREATE ROLE fleet_admin LOGIN PASSWORD 'admin-secret'")
        try db.sql("CREATE DATABASE fleet OWNER fleet_admin")
        var labs: [NetLab] = []
        var names: [String] = []
        for i in 0..<count {
            let lab = try NetLab(peers: 1)
            let name = "node_\(Character(UnicodeScalar(97 + i)!))"
            try Shell.check(["ip", "-n", lab.fw, "link", "add", "fleet0", "type", "veth", "peer", "name", "n\(i)", "netns", dbns])
            try Shell.check(["ip", "-n", lab.fw, "addr", "add", "100.64.\(i).1/24", "dev", "fleet0"])
            try Shell.check(["ip", "-n", lab.fw, "link", "set", "fleet0", "up"])
            try Shell.check(["ip", "-n", dbns, "addr", "add", "100.64.\(i).2/24", "dev", "n\(i)"])
            try Shell.check(["ip", "-n", dbns, "link", "set", "n\(i)", "up"])
            try db.sql("CREATE ROLE \(name) LOGIN PASSWORD '\(name)-secret'")
            try "\(name)-secret\n".write(toFile: lab.etc + "/cluster.pass", atomically: true, encoding: .utf8)
            try Shell.check(["chmod", "600", lab.etc + "/cluster.pass"])
            var settings = ["TCP_IN": "22", "LF_PARSE": "1", "CLUSTER_DB": "postgresql://\(name)@100.64.\(i).2:5432/fleet?sslmode=require"]
            settings.merge(config) { $1 }
            settings.merge(perNode[i] ?? [:]) { $1 }
            try lab.setConfig(settings)
            try lab.serve(in: lab.fw, tcp: [22], udp: [])
            labs.append(lab)
            names.append(name)
        }
        nodes = labs
        self.names = names
        // The schema is created by the tool, with the owner's role (members may not create tables).
        let admin = nodes[0].root + "/admin"
        try FileManager.default.createDirectory(atPath: admin + "/etc/csf", withIntermediateDirectories: true)
        try "CLUSTER_DB = \"postgresql://fleet_admin@100.64.0.2/fleet?sslmode=require\"\n"
            .write(toFile: admin + "/etc/csf/csf.conf", atomically: true, encoding: .utf8)
        try "admin-secret\n".write(toFile: admin + "/etc/csf/cluster.pass", atomically: true, encoding: .utf8)
        try Shell.check(["chmod", "600", admin + "/etc/csf/cluster.pass"])
        let r = try Shell.run(["ip", "netns", "exec", nodes[0].fw, "env", "CSF_ROOT=\(admin)", NetLab.csfBinary, "--cluster", "init"])
        guard r.status == 0, r.stdout.contains("the fleet database is ready") else { throw Shell.Failure(description: "csf --cluster init: \(r)") }
    }

    deinit {
        for lab in nodes { lab.stopLfd() }
        db.stop()
        _ = try? Shell.run(["ip", "netns", "del", dbns])
    }

    func start(_ i: Int) throws {
        #expect(try nodes[i].csf("-s").status == 0)
        let r = try nodes[i].lfd()
        #expect(r.status == 0, "\(r)")
    }

    /// `csf --cluster status --json` as node i sees it: node name -> decisions applied.
    func applied(seenFrom i: Int) throws -> [String: Int] {
        let r = try nodes[i].csf("--cluster", "status", "--json")
        guard r.status == 0 else { return [:] }
        var out: [String: Int] = [:]
        for name in names {
            guard let range = r.stdout.range(of: "\"name\": \"\(name)\", \"last_seen_ago\": ") else { continue }
            let rest = r.stdout[range.upperBound...]
            if let a = rest.range(of: "\"last_applied\": ") {
                out[name] = Int(rest[a.upperBound...].prefix { $0.isNumber })
            }
        }
        return out
    }

    func allJoined() throws -> Bool { try eventually(within: 15) { try applied(seenFrom: 0).count == nodes.count } }
}

@Suite(.serialized, .enabled(if: NetLab.available && PrivatePostgres.available, "needs root, iproute2 and PostgreSQL"))
struct FleetKernelTests {
    let peer = "192.0.2.2"

    @Test func aBanOnOneNodeDropsThePeerOnEveryOtherNode() throws {
        // node_c takes decisions from node_a only; 203.0.113.9 is in its csf.allow.
        let fleet = try FleetLab(nodes: 3, perNode: [2: ["CLUSTER_RECVFROM": "node_a", "METRICS": "1"]])
        let (a, b, c) = (fleet.nodes[0], fleet.nodes[1], fleet.nodes[2])
        try c.write("csf.allow", "203.0.113.9 # a partner\n")
        for i in 0..<3 { try fleet.start(i) }
        #expect(try fleet.allJoined(), "every node registers with the database")
        for lab in fleet.nodes { #expect(try lab.tcpOpen(from: lab.peers[0], port: 22)) }

        var r = try a.csf("-cd", peer, "brute", "force")
        #expect(r.status == 0 && r.stdout.contains("DENY \(peer) sent to the fleet"), "\(r)")
        #expect(r.stdout.contains("Sent request to node_b, reply: [Received]") && r.stdout.contains("Sent request to node_c, reply: [Received]"), "\(r)")
        #expect(try !b.tcpOpen(from: b.peers[0], port: 22, timeout: 0.5), "node_b drops the peer")
        #expect(try !c.tcpOpen(from: c.peers[0], port: 22, timeout: 0.5), "node_c drops the peer")
        #expect(try a.tcpOpen(from: a.peers[0], port: 22), "csf -cd asks the other nodes, as csf's cluster did")
        #expect(b.file("csf.deny").contains("\(peer) # Cluster member node_a said, DENY \(peer), Reason:[brute force]"), "\(b.file("csf.deny"))")
        #expect(b.lfdLog.contains("Fleet: Cluster member node_a said, DENY \(peer), Reason:[brute force] - applied"), "\(b.lfdLog)")

        // Removal, then a temporary ban that ends everywhere on its own.
        r = try a.csf("-cr", peer)
        #expect(r.status == 0, "\(r)")
        #expect(try eventually(within: 3) { try b.tcpOpen(from: b.peers[0], port: 22, timeout: 0.3) && c.tcpOpen(from: c.peers[0], port: 22, timeout: 0.3) })
        #expect(!b.file("csf.deny").contains("Cluster member node_a said, DENY \(peer)"))
        r = try a.csf("-ctd", peer, "4", "-p", "22", "short ban")
        #expect(r.status == 0, "\(r)")
        #expect(try !b.tcpOpen(from: b.peers[0], port: 22, timeout: 0.3) && !c.tcpOpen(from: c.peers[0], port: 22, timeout: 0.3))
        #expect(try b.csf("-t").stdout.contains(peer))
        #expect(try eventually(within: 8) { try b.tcpOpen(from: b.peers[0], port: 22, timeout: 0.3) && c.tcpOpen(from: c.peers[0], port: 22, timeout: 0.3) },
                "the kernel's timeout ends the ban on every node")

        // node_b is not trusted by node_c; node_a's ban of node_c's partner is refused there as a local csf -d would be.
        r = try b.csf("-cd", "198.51.100.77", "from b")
        #expect(r.status == 0, "\(r)")
        #expect(try eventually(within: 3) { c.lfdLog.contains("refused: not in CLUSTER_RECVFROM") }, "\(c.lfdLog)")
        #expect(!c.file("csf.deny").contains("198.51.100.77"))
        #expect(try eventually(within: 3) { a.file("csf.deny").contains("198.51.100.77") }, "node_a trusts every node")
        r = try a.csf("-cd", "203.0.113.9", "partner")
        #expect(try eventually(within: 3) { c.lfdLog.contains("203.0.113.9, Reason:[partner] - refused: deny failed: 203.0.113.9 is in the allow file") }, "\(c.lfdLog)")
        r = try a.csf("-cd", "100.64.2.1", "node c itself")
        #expect(try eventually(within: 3) { c.lfdLog.contains("DENY 100.64.2.1, Reason:[node c itself] - refused") }, "\(c.lfdLog)")
        #expect(!c.file("csf.deny").contains("100.64.2.1 #"))

        // A member cannot write in another's name: the database stamps the origin.
        let id = try fleet.db.sql("INSERT INTO nftcsf_decisions (action, target, origin) VALUES ('deny', '198.51.100.88', 'node_a') RETURNING id",
                                  database: "fleet", user: "node_b")
        #expect(try fleet.db.sql("SELECT origin FROM nftcsf_decisions WHERE id = \(id)", database: "fleet") == "node_b")
        #expect(try eventually(within: 3) { c.lfdLog.contains("decision \(id) from node_b refused: not in CLUSTER_RECVFROM") })
        // node_c's metrics (lfd's socket) carry its follower's counters: 3 applied (deny, removal, temp ban),
        // 4 refused (node_b twice, the partner, node_c itself), nothing left behind.
        var scraped = ""
        #expect(try eventually(within: 15, every: 0.5) {
            scraped = try Shell.run(["python3", "-c", """
            import socket, sys
            s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); b = b''
            while True:
                d = s.recv(65536)
                if not d: break
                b += d
            sys.stdout.write(b.decode())
            """, c.root + "/run/csf/lfd.metrics.sock"]).stdout
            return MetricsKernelTests.value(scraped, "nftcsf_fleet_lag_decisions") == 0
                && MetricsKernelTests.value(scraped, "nftcsf_fleet_decisions_total{result=\"refused\"}") == 4
        }, "\(scraped)")
        #expect(MetricsKernelTests.value(scraped, "nftcsf_fleet_decisions_total{result=\"applied\"}") == 3, "\(scraped)")
        #expect(MetricsKernelTests.value(scraped, "nftcsf_fleet_decisions_total{result=\"received\"}") == 7, "\(scraped)")
        #expect(MetricsKernelTests.value(scraped, "nftcsf_fleet_connected") == 1)
        // Nor delete what others wrote.
        #expect(throws: (any Error).self) { try fleet.db.sql("DELETE FROM nftcsf_decisions", database: "fleet", user: "node_b") }

        // -cp and -cg: every node answers.
        r = try a.csf("-cp")
        #expect(r.stdout.contains("Sent request to node_b, reply: [PONG!]") && r.stdout.contains("Sent request to node_c, reply: [PONG!]"), "\(r)")
        r = try b.csf("-cg", "198.51.100.77")
        #expect(r.stdout.contains("Sent request to node_a, reply:\n") && r.stdout.contains("csf.deny: "), "\(r)")
        #expect(r.stdout.contains("Sent request to node_c: no answer (node_c does not take requests from this node)"), "\(r)")

        // Pruning (a member may run it; it is the owner's function): what no node needs again goes, once every
        // node has applied it; permanent decisions stay for nodes that join later.
        try fleet.db.sql("UPDATE nftcsf_decisions SET created_at = now() - interval '40 days'", database: "fleet")
        let before = try fleet.db.sql("SELECT count(*) FROM nftcsf_decisions WHERE action IN ('ping', 'grep', 'tempdeny')", database: "fleet")
        #expect(Int(before) ?? 0 >= 3)
        #expect(try eventually(within: 10) {
            _ = try fleet.db.sql("SELECT nftcsf_prune(30)", database: "fleet", user: "node_b")
            return try fleet.db.sql("SELECT count(*) FROM nftcsf_decisions WHERE action IN ('ping', 'grep', 'tempdeny')", database: "fleet") == "0"
        }, "\(before) to prune")
        #expect(try fleet.db.sql("SELECT count(*) FROM nftcsf_decisions WHERE action = 'deny' AND target = '198.51.100.77'", database: "fleet") == "1")
    }

    @Test func aNodeThatWasDownCatchesUpWithEveryDecisionOnce() throws {
        let fleet = try FleetLab(nodes: 2, config: ["LF_SSHD": "2", "LF_SSHD_PERM": "1", "LF_PERMBLOCK": "0", "DENY_IP_LIMIT": "0"])
        let (a, b) = (fleet.nodes[0], fleet.nodes[1])
        for i in 0..<2 { try fleet.start(i) }
        #expect(try fleet.allJoined())
        b.stopLfd()
        // 1,000 bans while node_b is down (written as node_a would), the peer's address among them.
        try fleet.db.sql("""
            INSERT INTO nftcsf_decisions (action, target, reason)
            SELECT 'deny', '198.18.' || (i / 250) || '.' || (i % 250 + 1), 'bulk ' || i FROM generate_series(0, 998) AS i
            """, database: "fleet", user: "node_a")
        try fleet.db.sql("INSERT INTO nftcsf_decisions (action, target, reason) VALUES ('deny', '\(peer)', 'the peer')", database: "fleet", user: "node_a")
        #expect(try b.tcpOpen(from: b.peers[0], port: 22))
        let status = try a.csf("--cluster", "status", "--json").stdout
        #expect(status.contains("\"name\": \"node_b\"") && status.contains("\"behind\": 1000"), "\(status)")
        #expect(try a.csf("--cluster", "status").stdout.contains("node_b: last seen"))
        #expect(try b.lfd().status == 0)
        #expect(try eventually(within: 60) { try fleet.applied(seenFrom: 0)["node_b"] == 1000 }, "\(b.lfdLog.suffix(2000))")
        #expect(try !b.tcpOpen(from: b.peers[0], port: 22, timeout: 0.5), "the catch-up reached the kernel")
        let lines = b.file("csf.deny").split(separator: "\n").filter { $0.contains("Cluster member node_a said") }
        #expect(lines.count == 1000, "every decision once: \(lines.count)")
        #expect(Set(lines.map { $0.split(separator: " ")[0] }).count == 1000)
        // Restarted again: nothing is applied twice.
        b.stopLfd()
        #expect(try b.lfd().status == 0)
        usleep(2_000_000)
        #expect(b.file("csf.deny").split(separator: "\n").filter { $0.contains("Cluster member node_a said") }.count == 1000)

        // csf's lock held (a long csf -r): the decision waits, nothing is skipped, and it lands once the lock is free.
        b.stopLfd()
        #expect(try b.lfd(env: ["NFTCSF_FLEET_LOCK_TIMEOUT": "0.5"]).status == 0)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [b.root + "/var/lib/csf/csf.lock", "sleep", "3"]
        try holder.run()
        usleep(200_000)
        #expect(try a.csf("-cd", "198.51.100.123", "while locked").status == 0)
        #expect(try eventually(within: 3) { b.lfdLog.contains("csf's lock is held (decision ") }, "\(b.lfdLog.suffix(1500))")
        #expect(!b.file("csf.deny").contains("198.51.100.123"))
        holder.waitUntilExit()
        #expect(try eventually(within: 10) { b.file("csf.deny").contains("198.51.100.123 # Cluster member node_a said") }, "\(b.lfdLog.suffix(1500))")

        // The database away: local work goes on; lfd's own block is shared once it is back.
        fleet.db.stop()
        #expect(try b.csf("-d", "198.51.100.99", "local").status == 0, "csf -d needs no database")
        let auth = a.root + "/auth.log"
        try "".write(toFile: auth, atomically: true, encoding: .utf8)
        try a.setConfig(["SSHD_LOG": auth])
        a.stopLfd()
        #expect(try a.lfd().status == 0)
        try a.appendLog(auth, (1...2).map { "Jan  5 09:05:0\($0) web1 sshd[22\($0)]: Failed password for root from 203.0.113.50 port 5\($0)022 ssh2" })
        #expect(try eventually(within: 5) { a.file("csf.deny").contains("203.0.113.50") }, "lfd blocks with the database down")
        try fleet.db.start()
        #expect(try eventually(within: 45) { b.file("csf.deny").contains("203.0.113.50 # Cluster member node_a said, DENY 203.0.113.50") },
                "shared once the database is back: \(a.lfdLog)")
    }

    @Test func theMastersPushIsCheckedOnEveryNodeAndABadOneChangesNothing() throws {
        let fleet = try FleetLab(nodes: 2, config: ["CLUSTER_MASTER": "node_a", "CLUSTER_CONFIG": "1"])
        let (a, b) = (fleet.nodes[0], fleet.nodes[1])
        try b.serve(in: b.fw, tcp: [2222], udp: [])
        for i in 0..<2 { try fleet.start(i) }
        #expect(try fleet.allJoined())
        #expect(try !b.tcpOpen(from: b.peers[0], port: 2222, timeout: 0.3))

        var r = try a.csf("-cc", "TCP_IN", "22,2222")
        #expect(r.status == 0, "\(r)")
        #expect(try eventually(within: 5) { try b.tcpOpen(from: b.peers[0], port: 2222, timeout: 0.3) }, "\(b.lfdLog)")
        #expect(b.file("csf.conf").contains("TCP_IN = \"22,2222\""))
        #expect(b.lfdLog.contains("Fleet: Cluster member node_a said CONFIG: TCP_IN set to \"22,2222\" and csf restarted"), "\(b.lfdLog)")

        // A value csf --check refuses: nothing changes on the node, the firewall keeps running as it was.
        r = try a.csf("-cc", "TCP_IN", "22,99999")
        #expect(r.status == 0, "\(r)")
        #expect(try eventually(within: 5) { b.lfdLog.contains("said CONFIG - refused, nothing changed") }, "\(b.lfdLog)")
        #expect(b.lfdLog.contains("TCP_IN"), "the refusal names the setting: \(b.lfdLog)")
        #expect(b.file("csf.conf").contains("TCP_IN = \"22,2222\"") && !b.file("csf.conf").contains("99999"))
        #expect(try b.tcpOpen(from: b.peers[0], port: 2222))

        // A file of /etc/csf, pushed whole.
        let local = a.root + "/pushed/csf.allow"
        try FileManager.default.createDirectory(atPath: a.root + "/pushed", withIntermediateDirectories: true)
        try "203.0.113.5 # pushed by the master\n".write(toFile: local, atomically: true, encoding: .utf8)
        r = try a.csf("-cf", local)
        #expect(r.status == 0, "\(r)")
        #expect(try eventually(within: 5) { b.file("csf.allow") == "203.0.113.5 # pushed by the master\n" }, "\(b.lfdLog)")
        #expect(try eventually(within: 3) { try b.nft("list", "set", "inet", "csf", "allow4").stdout.contains("203.0.113.5") })

        // Only the master: node_b's push is refused on node_a.
        r = try b.csf("-cc", "TCP_IN", "22")
        #expect(try eventually(within: 5) { a.lfdLog.contains("refused: node_b is not CLUSTER_MASTER") }, "\(a.lfdLog)")
        #expect(!a.lfdLog.contains("said CONFIG: TCP_IN set to"))
        // And not from a node whose CLUSTER_CONFIG is off.
        try a.setConfig(["CLUSTER_CONFIG": "0"])
        r = try a.csf("-cc", "TCP_IN", "22")
        #expect(r.status == 1 && r.stderr.contains("No configuration setting requests allowed"), "\(r)")
    }
}
