import Foundation
import Testing
import CsfTestSupport

/// Issue 15 (item 1): csf.blocklists and GLOBAL_* lists downloaded by lfd from a real HTTP server in a peer
/// namespace, proven with packets: listed networks dropped, a refresh swapping the contents, a failed download
/// keeping the old list, `csf -r` loading the cached copy without a download.
@Suite(.serialized, .enabled(if: NetLab.available, "needs root"))
struct RemoteListKernelTests {
    /// A blocklist's sets of one slot as lfd's log names them after a swap (IPv4): the first and last of its
    /// `shards` address sets (a list of 100,000 addresses takes four of at most 32,768), then its networks.
    static func slotSets(_ name: String, slot: Int, shards: Int = 4) -> String {
        let prefix = slot == 0 ? "bl" : "blb"
        return "\(prefix)_\(name)…\(prefix)\(shards - 1)_\(name) \(prefix)_\(name)_net"
    }

    /// A lab whose third peer serves `files` over HTTP on port 8080 (python's http.server, its own directory).
    static func labWithServer(peers: Int = 3) throws -> (NetLab, String, NetLab.Peer) {
        let lab = try NetLab(peers: peers)
        let web = lab.root + "/web"
        try FileManager.default.createDirectory(atPath: web, withIntermediateDirectories: true)
        let server = lab.peers[peers - 1]
        try lab.background(in: server.ns, ["python3", "-m", "http.server", "8080", "--bind", server.v4, "--directory", web])
        #expect(try eventually(within: 5) { try lab.tcpOut(to: server, port: 8080) }, "the HTTP server listens")
        return (lab, web, server)
    }

    static func aged(_ path: String) throws {
        try Shell.check(["touch", "-d", "3 days ago", path])
    }

    @Test func aBlocklistIsDownloadedMergedRefreshedAndKeptWhenADownloadFails() throws {
        let (lab, web, server) = try Self.labWithServer()
        let (listed, clean) = (lab.peers[0], lab.peers[1])
        // Two halves of p1's /24 (merged into one network), three adjacent /16s (one range that is no CIDR), a
        // comment, a Spamhaus-style `;` comment and a line without an address.
        try "# feed\n192.0.2.0/25\n192.0.2.128/25 ; SBL1\n198.18.0.0/16\n198.19.0.0/16\n198.20.0.0/16\nnot an address\n"
            .write(toFile: web + "/bl.txt", atomically: true, encoding: .utf8)
        try lab.write("csf.blocklists", "TESTBL|86400|0|http://\(server.v4):8080/bl.txt\n")
        try lab.setConfig(["TCP_IN": "22", "TCP_OUT": "8080,9090", "LF_PARSE": "1", "IPV6": "1"])
        try lab.serve(in: lab.fw, tcp: [22], udp: [])
        try lab.serve(in: listed.ns, tcp: [9090], udp: [])
        #expect(try lab.csf("-s").status == 0)
        #expect(try lab.tcpOpen(from: listed, port: 22), "no cached copy yet: nothing is listed")
        #expect(try lab.lfd().status == 0)
        defer { lab.stopLfd() }
        let cache = lab.root + "/var/lib/csf/csf.block.TESTBL"
        #expect(try eventually(within: 8) { lab.lfdLog.contains("Retrieved and blocking blocklist TESTBL: 5 entries as 2 range(s)") }, "\(lab.lfdLog)")
        #expect(lab.lfdLog.contains("blocklist TESTBL: 1 line(s) without an address skipped, e.g. not an address"), "\(lab.lfdLog)")
        #expect(try !lab.tcpOpen(from: listed, port: 22), "a listed network is dropped")
        let out = try lab.tcpOut(to: listed, port: 9090)
        #expect(try lab.tcpOpen(from: clean, port: 22))
        #expect(out, "the server's own connections to a listed address keep working")
        let set = try lab.nft("list", "set", "inet", "csf", "bl_TESTBL_net").stdout
        #expect(set.contains("192.0.2.0/24") && set.contains("198.18.0.0-198.20.255.255"), "\(set)")

        // A refresh swaps the contents: p2's address in (the hash set), p1's network out.
        try "198.51.100.2\n".write(toFile: web + "/bl.txt", atomically: true, encoding: .utf8)
        try Self.aged(cache)
        try lab.reloadLfd()
        #expect(try eventually(within: 8) { lab.lfdLog.contains("Retrieved and blocking blocklist TESTBL: 1 entries as 1 range(s)") }, "\(lab.lfdLog)")
        #expect(try lab.tcpOpen(from: listed, port: 22))
        #expect(try !lab.tcpOpen(from: clean, port: 22))

        // A failed download (the file is gone: 404) keeps the last good list, in the kernel and in the cache.
        try FileManager.default.removeItem(atPath: web + "/bl.txt")
        try Self.aged(cache)
        try lab.reloadLfd()
        #expect(try eventually(within: 8) { lab.lfdLog.contains("Unable to retrieve blocklist TESTBL - HTTP status 404; the last good copy stays in use") }, "\(lab.lfdLog)")
        #expect(try !lab.tcpOpen(from: clean, port: 22))
        #expect((try? String(contentsOfFile: cache, encoding: .utf8)) == "198.51.100.2\n")

        // An empty download is no list either.
        FileManager.default.createFile(atPath: web + "/bl.txt", contents: Data("# nothing today\n".utf8))
        try Self.aged(cache)
        try lab.reloadLfd()
        #expect(try eventually(within: 8) { lab.lfdLog.contains("blocklist TESTBL: the download holds no address; the last good copy stays in use") }, "\(lab.lfdLog)")
        #expect(try !lab.tcpOpen(from: clean, port: 22))

        // Without lfd (and without the server), csf -r loads the cached copy.
        lab.stopLfd()
        lab.stopServers()
        #expect(try lab.csf("-r").status == 0)
        #expect(try !lab.tcpOpen(from: clean, port: 22, timeout: 0.5), "csf -r restores the cached list")
    }

    /// A csf.blocklists line added after the last csf -s/-r: lfd downloads and caches it, says the running firewall
    /// has no place for it yet (no set, no lookup chain, nothing half-made), and csf -r loads the cached copy.
    @Test func aNewBlocklistWaitsForCsfR() throws {
        let (lab, web, server) = try Self.labWithServer()
        let listed = lab.peers[0]
        try lab.setConfig(["TCP_IN": "22", "TCP_OUT": "8080", "LF_PARSE": "1"])
        try lab.serve(in: lab.fw, tcp: [22], udp: [])
        #expect(try lab.csf("-s").status == 0)
        try "\(listed.v4)\n".write(toFile: web + "/bl.txt", atomically: true, encoding: .utf8)
        try lab.write("csf.blocklists", "NEWBL|86400|0|http://\(server.v4):8080/bl.txt\n")
        #expect(try lab.lfd().status == 0)
        defer { lab.stopLfd() }
        #expect(try eventually(within: 10) { lab.lfdLog.contains("blocklist NEWBL: not in the running firewall yet (csf -r loads it from the cached copy)") },
                "\(lab.lfdLog.suffix(1500))")
        let sets = try lab.nft("-t", "list", "sets", "inet").stdout
        #expect(!sets.contains("NEWBL"), "nothing half-made: \(sets)")
        #expect(try lab.tcpOpen(from: listed, port: 22))
        #expect(try lab.csf("-r").status == 0)
        #expect(try !lab.tcpOpen(from: listed, port: 22), "csf -r loads the cached copy")
    }

    @Test func globalListsAllowDenyAndIgnore() throws {
        let (lab, web, server) = try Self.labWithServer(peers: 4)
        let (denied, allowed, ignored) = (lab.peers[0], lab.peers[1], lab.peers[2])
        try "\(denied.v4)\n".write(toFile: web + "/deny.txt", atomically: true, encoding: .utf8)
        try "\(allowed.v4) # trusted office\n".write(toFile: web + "/allow.txt", atomically: true, encoding: .utf8)
        try "\(ignored.v4)\n".write(toFile: web + "/ignore.txt", atomically: true, encoding: .utf8)
        // GLOBAL_DYNDNS: a downloaded list of names (an address stands for itself, so no DNS server is needed here).
        try "# names\n\(server.v4)\nbad$name\n".write(toFile: web + "/names.txt", atomically: true, encoding: .utf8)
        let auth = lab.root + "/auth.log"
        FileManager.default.createFile(atPath: auth, contents: nil)
        let url = "http://\(server.v4):8080"
        // p2 is also in csf.deny: GLOBAL_ALLOW comes first, as csf's GALLOWIN sits above DENYIN.
        try lab.write("csf.deny", "\(allowed.v4) # denied locally\n")
        try lab.setConfig(["TCP_IN": "22", "TCP_OUT": "8080,9090", "LF_PARSE": "1", "LF_GLOBAL": "3600",
                           "GLOBAL_DENY": url + "/deny.txt", "GLOBAL_ALLOW": url + "/allow.txt", "GLOBAL_IGNORE": url + "/ignore.txt",
                           "GLOBAL_DYNDNS": url + "/names.txt", "GLOBAL_DYNDNS_INTERVAL": "600",
                           "SSHD_LOG": auth, "LF_SSHD": "2", "LF_TRIGGER": "0",
                           // Without the connection mark: a refresh learns on its first batch that there is none.
                           "CT_MARK_FASTPATH": "0"])
        try lab.serve(in: lab.fw, tcp: [22, 2222], udp: [])
        try lab.serve(in: denied.ns, tcp: [9090], udp: [])
        #expect(try lab.csf("-s").status == 0)
        #expect(try lab.lfd().status == 0)
        defer { lab.stopLfd() }
        #expect(try eventually(within: 8) {
            ["blocking GLOBAL_DENY", "allowing GLOBAL_ALLOW", "ignoring GLOBAL_IGNORE"].allSatisfy { lab.lfdLog.contains("Retrieved and \($0): 1 entries") }
        }, "\(lab.lfdLog)")
        #expect(try !lab.tcpOpen(from: denied, port: 22), "GLOBAL_DENY drops inbound")
        let out = try lab.tcpOut(to: denied, port: 9090)
        #expect(!out, "and outbound (GDENYOUT)")
        #expect(try lab.tcpOpen(from: allowed, port: 22), "GLOBAL_ALLOW beats csf.deny")
        // GLOBAL_IGNORE: lfd never blocks p3, however many failures.
        let failures = { (ip: String) in (1...4).map { "Dec  1 10:00:0\($0) vm sshd[9\($0)]: Failed password for root from \(ip) port 5000\($0) ssh2" } }
        // The same failures from an address not ignored are blocked: the lines do count.
        try lab.appendLog(auth, failures(ignored.v4) + failures("198.18.9.9"))
        #expect(try eventually(within: 5) { lab.lfdLog.contains("198.18.9.9") && lab.lfdLog.contains("*Blocked in csf*") }, "\(lab.lfdLog)")
        let log = lab.lfdLog
        #expect(log.contains("Failed SSH login from \(ignored.v4) - ignored"), "\(log)")
        #expect(!log.split(separator: "\n").contains { $0.contains(ignored.v4) && $0.contains("*Blocked in csf*") }, "\(log)")
        #expect(try lab.tcpOpen(from: ignored, port: 22))
        #expect(try eventually(within: 5) { lab.lfdLog.contains("GLOBAL_DYNDNS: allowing 1 address(es) of 1 host name(s)") }, "\(lab.lfdLog)")
        #expect(try lab.tcpOpen(from: server, port: 2222) && !lab.tcpOpen(from: ignored, port: 2222), "GDYNIN accepts GLOBAL_DYNDNS's addresses")
        #expect((try? String(contentsOfFile: lab.root + "/var/lib/csf/csf.gdyndns", encoding: .utf8)) == "\(server.v4)\n")
        for name in ["csf.gdeny", "csf.gallow", "csf.gignore", "csf.tempgdyn"] {
            #expect(FileManager.default.fileExists(atPath: lab.root + "/var/lib/csf/" + name), "\(name) cached")
        }
    }

    /// csf's advanced filters in GLOBAL_DENY's list become rules in GDENYIN; a refresh that changes them restarts
    /// the firewall with the new ones; csf -r loads them from the cached copy.
    @Test func globalDenyAdvancedFiltersBecomeRules() throws {
        let (lab, web, server) = try Self.labWithServer(peers: 3)
        let (target, clean) = (lab.peers[0], lab.peers[1])
        try "tcp|in|d=22|s=\(target.v4) # no ssh from there\n198.18.7.7\ntcp|in|d=x|s=1.2.3.4\n"
            .write(toFile: web + "/deny.txt", atomically: true, encoding: .utf8)
        try lab.setConfig(["TCP_IN": "22,80", "TCP_OUT": "8080", "LF_PARSE": "1", "LF_GLOBAL": "3600",
                           "GLOBAL_DENY": "http://\(server.v4):8080/deny.txt"])
        try lab.serve(in: lab.fw, tcp: [22, 80], udp: [])
        #expect(try lab.csf("-s").status == 0)
        #expect(try lab.lfd().status == 0)
        defer { lab.stopLfd() }
        #expect(try eventually(within: 10) { lab.lfdLog.contains("csf restarted with GLOBAL_DENY's new advanced filters") }, "\(lab.lfdLog)")
        #expect(lab.lfdLog.contains("Retrieved and blocking GLOBAL_DENY: 1 entries as 1 range(s) and 1 advanced filter(s)"), "\(lab.lfdLog)")
        #expect(lab.lfdLog.contains("GLOBAL_DENY: 1 line(s) without an address skipped, e.g. tcp|in|d=x|s=1.2.3.4"), "\(lab.lfdLog)")
        #expect(try !lab.tcpOpen(from: target, port: 22) && lab.tcpOpen(from: target, port: 80), "only the filtered port is closed")
        #expect(try lab.tcpOpen(from: clean, port: 22))
        #expect(try lab.nft("list", "chain", "inet", "csf", "GDENYIN").stdout.contains("ip saddr \(target.v4) tcp dport 22"))

        // The list's filter moves to port 80: the refresh restarts the firewall with it.
        try "tcp|in|d=80|s=\(target.v4)\n198.18.7.7\n".write(toFile: web + "/deny.txt", atomically: true, encoding: .utf8)
        try Self.aged(lab.root + "/var/lib/csf/csf.gdeny")
        try lab.reloadLfd()
        #expect(try eventually(within: 10) {
            lab.lfdLog.components(separatedBy: "csf restarted with GLOBAL_DENY's new advanced filters").count == 3
        }, "\(lab.lfdLog)")
        #expect(try lab.tcpOpen(from: target, port: 22) && !lab.tcpOpen(from: target, port: 80))
        lab.stopLfd()
        lab.stopServers()
        #expect(try lab.csf("-r").status == 0)
        #expect(try !lab.tcpOpen(from: target, port: 80, timeout: 0.5), "csf -r loads the cached filter")
    }

    /// A steady stream from a listed source while lfd refreshes a 100,000-entry list 20 times: not one datagram
    /// gets through. The source alternates between a single address (hash set) and its /24 (interval set), and
    /// the other 100,000 entries change every time (each refresh sends differences in batches: adds and removals
    /// taking turns, the interval set, then the addresses that moved into a network).
    @Test func twentyRefreshesOfA100kListLetNoPacketThrough() throws {
        let (lab, web, server) = try Self.labWithServer()
        let (listed, control) = (lab.peers[0], lab.peers[1])
        func feed(_ round: Int) throws {
            var text = round % 2 == 0 ? "\(listed.v4)\n" : "192.0.2.0/24\n"
            text.reserveCapacity(1_600_000)
            let base: UInt32 = 0x0B00_0000 + UInt32(round % 2)
            for i in 0..<UInt32(100_000) {
                let a = base + 4 * i
                text += "\(a >> 24).\(a >> 16 & 255).\(a >> 8 & 255).\(a & 255)\n"
            }
            try text.write(toFile: web + "/bl.txt", atomically: true, encoding: .utf8)
        }
        try feed(0)
        try lab.write("csf.blocklists", "STREAM|86400|0|http://\(server.v4):8080/bl.txt\n")
        try lab.setConfig(["TCP_IN": "22", "UDP_IN": "9999", "TCP_OUT": "8080", "LF_PARSE": "1"])
        let counts = lab.root + "/udp-counts"
        try lab.serve(in: lab.fw, tcp: [22], udp: [9999], countFile: counts)
        #expect(try lab.csf("-s").status == 0)
        #expect(try lab.lfd().status == 0)
        defer { lab.stopLfd() }
        let done = "Retrieved and blocking blocklist STREAM: 100001 entries"
        #expect(try eventually(within: 30) { lab.lfdLog.contains(done) }, "\(lab.lfdLog.suffix(2000))")
        // nsenter execs python itself, so its pid is the stream's; SIGKILL, as a child of the test runner inherits
        // its blocked SIGTERM.
        let blast = Process()
        blast.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
        blast.arguments = ["--net=/run/netns/\(listed.ns)", "python3", NetLab.peerScript, "blast-udp", listed.fwV4, "9999", "600"]
        blast.standardOutput = FileHandle.nullDevice
        try blast.run()
        defer { blast.send(SIGKILL) }
        let cache = lab.root + "/var/lib/csf/csf.block.STREAM"
        let rounds = Int(ProcessInfo.processInfo.environment["NFTCSF_TEST_REFRESH_ROUNDS"] ?? "") ?? 20
        for round in 1...rounds {
            try feed(round)
            let before = lab.lfdLog.components(separatedBy: done).count
            try Self.aged(cache)
            try lab.reloadLfd()
            #expect(try eventually(within: 30) { lab.lfdLog.components(separatedBy: done).count > before }, "refresh \(round): \(lab.lfdLog.suffix(2000))")
        }
        #expect(blast.isRunning, "the stream ran throughout")
        blast.send(SIGKILL)
        blast.waitUntilExit()
        #expect(try lab.udpOpen(from: control, port: 9999), "the counter sees an unlisted source")
        usleep(300_000)
        let seen = (try? String(contentsOfFile: counts, encoding: .utf8)) ?? ""
        #expect(!seen.contains(listed.v4), "listed datagrams got through: \(seen)")
        #expect(seen.contains(control.v4))
        #expect(!lab.lfdLog.contains("loading the whole list"), "lfd knew what it had loaded every time")
        // The first load adds in batches (csf -s recorded the empty hash set); every refresh after it changes the
        // whole list, so it fills the blocklist's other slot and swaps the lookups over, slot 1 and 0 in turn.
        let retrieved = { lab.lfdLog.split(separator: "\n").filter { $0.contains(done) } }
        #expect(retrieved().first?.hasSuffix("only the differences)") == true, "\(retrieved())")
        for (i, line) in retrieved().dropFirst().enumerated() {
            let slot = Self.slotSets("STREAM", slot: i % 2 == 0 ? 1 : 0)
            #expect(line.contains("replaced whole: \(slot) "), "\(line)")
        }
        let sets = try lab.nft("-t", "list", "sets", "inet").stdout
        #expect(sets.contains("set bl_STREAM ") != sets.contains("set blb_STREAM "), "one slot at a time: \(sets)")
        #expect(sets.contains("set bl_STREAM ") == sets.contains("set bl3_STREAM ") && sets.contains("set blb_STREAM ") == sets.contains("set blb3_STREAM ")
                && !sets.contains("set bl4_STREAM ") && !sets.contains("set blb4_STREAM "),
                "every shard with its slot: \(sets)")

        // A restarted lfd knows nothing it loaded: csf -r's snapshot of the 100k hash set stands in (csf -r puts the
        // list back in slot 0), and a whole change is a swap again.
        lab.stopLfd()
        #expect(try lab.csf("-r").status == 0)
        #expect(try lab.nft("list", "set", "inet", "csf", "bl_STREAM").status == 0)
        #expect(try lab.lfd().status == 0)
        try feed(rounds + 1)
        let before = retrieved().count
        try Self.aged(cache)
        try lab.reloadLfd()
        #expect(try eventually(within: 30) { retrieved().count > before }, "\(lab.lfdLog.suffix(2000))")
        #expect(retrieved().last?.contains("replaced whole: \(Self.slotSets("STREAM", slot: 1)) ") == true, "\(lab.lfdLog.suffix(1500))")
        #expect(try !lab.udpOpen(from: listed, port: 9999), "the listed source is still dropped")
        let grep = try lab.csf("-g", listed.v4)
        #expect(grep.stdout.contains("STREAM"), "csf -g finds it in slot 1: \(grep)")

        // A list that only grows, beyond the set csf -r sized for the last copy (twice its size, also its limit),
        // gets differences: the kernel refuses with ENFILE, and lfd loads the list whole into its other slot, sized
        // for the new copy (no restart).
        lab.stopLfd()
        #expect(try lab.csf("-r").status == 0)
        #expect(try lab.lfd().status == 0)
        try feed(rounds + 1)
        var big = (try String(contentsOfFile: web + "/bl.txt", encoding: .utf8)) + "\(control.v4)\n"
        big.reserveCapacity(4_000_000)
        for i in 0..<UInt32(150_000) {
            let a = 0x0C00_0000 + 2 * i
            big += "\(a >> 24).\(a >> 16 & 255).\(a >> 8 & 255).\(a & 255)\n"
        }
        try big.write(toFile: web + "/bl.txt", atomically: true, encoding: .utf8)
        try Self.aged(cache)
        try lab.reloadLfd()
        let grown = "Retrieved and blocking blocklist STREAM: 250002 entries"
        #expect(try eventually(within: 60) { lab.lfdLog.contains(grown) }, "\(lab.lfdLog.suffix(2000))")
        #expect(lab.lfdLog.contains("blocklist STREAM: 250002 range(s) no longer fit its set; loading them into its other slot"), "\(lab.lfdLog.suffix(1500))")
        #expect(lab.lfdLog.split(separator: "\n").last { $0.contains(grown) }?.contains("replaced whole: \(Self.slotSets("STREAM", slot: 1, shards: 8)) ") == true,
                "\(lab.lfdLog.suffix(1500))")
        #expect(!lab.lfdLog.contains("csf restarted"), "no restart: \(lab.lfdLog.suffix(1500))")
        // Each of the eight shards sized for its share of the 250,001 single addresses with half
        // again as room.
        let sizes = try (0..<8).map { shard in
            let listing = try lab.nft("-t", "list", "set", "inet", "csf", shard == 0 ? "blb_STREAM" : "blb\(shard)_STREAM").stdout
            return Int(listing.components(separatedBy: "size ").dropFirst().first?.prefix { $0.isNumber } ?? "") ?? 0
        }
        #expect(abs(sizes.reduce(0, +) - 375_001) <= 8 && sizes.allSatisfy { $0 > 40_000 && $0 < 55_000 }, "sized for the grown list (1.5x): \(sizes)")
        #expect(try !lab.udpOpen(from: control, port: 9999), "the grown list is loaded")
        #expect(try !lab.udpOpen(from: listed, port: 9999), "with what it held before")
        print(retrieved().joined(separator: "\n"))
    }
}
