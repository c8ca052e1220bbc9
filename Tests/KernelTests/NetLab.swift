import Foundation
import Testing
@testable import CsfCompat
@testable import NftKernel
import CsfTestSupport

/// Throwaway network namespaces for kernel tests: a firewall host `fw` and peers on veth pairs, using
/// documentation addresses. Nothing here ever runs in the root namespace's firewall: every nft call goes
/// through `ip netns exec`, and csf runs with NFTCSF_FORBID_NETNS set to the root namespace.
final class NetLab {
    struct Peer {
        let ns: String
        let v4: String
        let v6: String
        let fwV4: String
        let fwV6: String
        let fwDevice: String
    }

    static let rootNetns: UInt64 = NetnsGuard.currentInode() ?? 0
    nonisolated(unsafe) private static var counter = 0

    static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/sbin/ip")
    }

    let fw: String
    let peers: [Peer]
    let root: String
    private var background: [Process] = []
    private var servers = 0

    init(peers count: Int = 2) throws {
        Self.sweepStale()
        Self.counter += 1
        let prefix = "nftcsf-\(getpid())-\(Self.counter)\(String(UInt16.random(in: 0...UInt16.max), radix: 36))"
        fw = "\(prefix)-fw"
        root = NSTemporaryDirectory() + "nftcsf-lab-" + prefix.dropFirst("nftcsf-".count)
        let subnets = [("192.0.2", "2001:db8:1"), ("198.51.100", "2001:db8:2"), ("203.0.113", "2001:db8:3"),
                       ("198.18.0", "2001:db8:4"), ("198.19.0", "2001:db8:5")]
        var ps: [Peer] = []
        try Shell.check(["ip", "netns", "add", fw])
        try Shell.check(["ip", "-n", fw, "link", "set", "lo", "up"])
        for i in 0..<count {
            let (v4, v6) = subnets[i]
            let peer = Peer(ns: "\(prefix)-p\(i + 1)", v4: "\(v4).2", v6: "\(v6)::2", fwV4: "\(v4).1", fwV6: "\(v6)::1", fwDevice: "veth\(i + 1)")
            try Shell.check(["ip", "netns", "add", peer.ns])
            try Shell.check(["ip", "-n", peer.ns, "link", "set", "lo", "up"])
            try Shell.check(["ip", "-n", fw, "link", "add", peer.fwDevice, "type", "veth", "peer", "name", "eth0", "netns", peer.ns])
            try Shell.check(["ip", "-n", fw, "addr", "add", "\(peer.fwV4)/24", "dev", peer.fwDevice])
            try Shell.check(["ip", "-n", fw, "addr", "add", "\(peer.fwV6)/64", "dev", peer.fwDevice, "nodad"])
            try Shell.check(["ip", "-n", fw, "link", "set", peer.fwDevice, "up"])
            try Shell.check(["ip", "-n", peer.ns, "addr", "add", "\(peer.v4)/24", "dev", "eth0"])
            try Shell.check(["ip", "-n", peer.ns, "addr", "add", "\(peer.v6)/64", "dev", "eth0", "nodad"])
            try Shell.check(["ip", "-n", peer.ns, "link", "set", "eth0", "up"])
            ps.append(peer)
        }
        peers = ps
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try Shell.check(["cp", "-r", Repo.path("compat/etc/csf"), root + "/etc/"])
        try FileManager.default.createDirectory(atPath: root + "/usr/local/csf", withIntermediateDirectories: true)
        try Shell.check(["cp", "-r", Repo.path("compat/tpl"), root + "/usr/local/csf/"])
        try FileManager.default.createDirectory(atPath: root + "/usr/share/nftcsf", withIntermediateDirectories: true)
        try Shell.check(["cp", "-r", Repo.path("compat/detectors"), root + "/usr/share/nftcsf/"])
        // Alerts go to a file of the lab: the host's sendmail (the tests install postfix) would queue them on the host.
        try "#!/bin/sh\ncat >> \(root)/sent-mail\n".write(toFile: root + "/sendmail", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root + "/sendmail")
        try setConfig(["TESTING": "0", "SENDMAIL": root + "/sendmail"])
    }

    deinit {
        stopLfd()
        for p in background { p.send(SIGKILL) }
        for p in background { p.waitUntilExit() }
        for ns in [fw] + peers.map(\.ns) { _ = try? Shell.run(["ip", "netns", "del", ns]) }
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Removes namespaces left by test processes that died without cleaning up.
    static func sweepStale() {
        guard let out = try? Shell.run(["ip", "netns", "list"]).stdout else { return }
        for line in out.split(separator: "\n") {
            let name = String(line.split(separator: " ")[0])
            let parts = name.split(separator: "-")
            guard parts.count >= 3, parts[0] == "nftcsf", let pid = Int32(parts[1]), pid != getpid(), kill(pid, 0) != 0 else { continue }
            _ = try? Shell.run(["ip", "netns", "del", name])
        }
    }

    // MARK: configuration files under CSF_ROOT

    var etc: String { root + "/etc/csf" }

    func setConfig(_ values: [String: String]) throws {
        let path = etc + "/csf.conf"
        var lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
        for (key, value) in values {
            lines.removeAll { $0.hasPrefix("\(key) =") }
            lines.append("\(key) = \"\(value)\"")
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Takes keys out of csf.conf, as in a csf.conf written for csf (which has none of nftcsf's additions).
    func removeConfig(_ keys: [String]) throws {
        let path = etc + "/csf.conf"
        let lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
        try lines.filter { line in !keys.contains { line.hasPrefix("\($0) =") } }.joined(separator: "\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
    }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: etc + "/" + name, atomically: true, encoding: .utf8)
    }

    /// A file under etc/csf (or a path relative to it), empty when missing.
    func file(_ name: String) -> String {
        (try? String(contentsOfFile: etc + "/" + name, encoding: .utf8)) ?? ""
    }

    // MARK: running things

    static var csfBinary: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("csf").path
    }

    var csfEnvironment: [String: String] {
        // Process tracking looks at no process (pid 0 has no descendants) unless a test names its own scope.
        ["CSF_ROOT": root, "NFTCSF_FORBID_NETNS": String(Self.rootNetns), "NFTCSF_PROCESS_SCOPE": "0"]
    }

    @discardableResult
    func csf(_ args: String..., env: [String: String] = [:]) throws -> Shell.Result {
        try csf(args, env: env)
    }

    @discardableResult
    func csf(_ args: [String], env: [String: String] = [:]) throws -> Shell.Result {
        let vars = csfEnvironment.merging(env) { $1 }.map { "\($0.key)=\($0.value)" }
        return try Shell.run(["ip", "netns", "exec", fw, "env"] + vars + [Self.csfBinary] + args)
    }

    func nft(_ args: String...) throws -> Shell.Result {
        try Shell.run(["ip", "netns", "exec", fw, "nft"] + args)
    }

    /// Stateless (`nft -s`): every rule has a counter, and a ruleset compared before and after
    /// a command must not differ by the packets the test itself sent.
    /// The ruleset as nft lists it, CT_MARK_FASTPATH's generation (new on every load) shown as `0xGENERATION`, so
    /// two loads of the same files list the same.
    var ruleset: String { Self.generationMasked((try? nft("-s", "list", "ruleset").stdout) ?? "") }

    static func generationMasked(_ listing: String) -> String {
        guard let set = listing.firstRange(of: "set conn_gen {"),
              let at = listing[set.upperBound...].firstRange(of: "elements = { 0x"),
              let generation = UInt32(listing[at.upperBound...].prefix(8), radix: 16) else { return listing }
        func hex(_ v: UInt32) -> String { let d = String(v, radix: 16); return "0x" + String(repeating: "0", count: 8 - d.count) + d }
        return listing.replacingOccurrences(of: hex(generation | 1), with: "0xGENERATION|in")
            .replacingOccurrences(of: hex(generation | 2), with: "0xGENERATION|out")
            .replacingOccurrences(of: hex(generation), with: "0xGENERATION")
    }

    // MARK: lfd

    static var lfdBinary: String {
        URL(fileURLWithPath: csfBinary).deletingLastPathComponent().appendingPathComponent("lfd").path
    }

    var lfdPidFile: String { root + "/var/run/lfd.pid" }
    var lfdLog: String { (try? String(contentsOfFile: root + "/var/log/lfd.log", encoding: .utf8)) ?? "" }

    @discardableResult
    func lfd(_ args: String..., env: [String: String] = [:]) throws -> Shell.Result {
        let vars = csfEnvironment.merging(env) { $1 }.map { "\($0.key)=\($0.value)" }
        return try Shell.run(["ip", "netns", "exec", fw, "env"] + vars + [Self.lfdBinary] + args)
    }

    /// This lab's running lfd: the process its pid file names, only if that process's environment holds this lab's
    /// CSF_ROOT (a pid file left behind by a killed lfd may name a pid another test's process has by now), named by
    /// its identity (pid and start time) so a signal reaches it or no one.
    var runningLfd: ProcessIdentity? {
        guard let text = try? String(contentsOfFile: lfdPidFile, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
              let lfd = ProcessIdentity.of(pid), isOurs(pid) else { return nil }
        return lfd
    }

    /// SIGTERM to this lab's running lfd, then SIGKILL if it is still there after 5 s.
    func stopLfd() {
        guard let lfd = runningLfd else { return }
        _ = lfd.signal(SIGTERM)
        for _ in 0..<250 where lfd.isAlive { usleep(20_000) }
        if lfd.isAlive { _ = lfd.signal(SIGKILL) }
    }

    /// SIGHUP to this lab's running lfd; throws when none runs.
    func reloadLfd() throws {
        guard let lfd = runningLfd, lfd.signal(SIGHUP) else { throw Shell.Failure(description: "this lab's lfd is not running") }
    }

    /// What this lab's lfd is doing, for a failure message: each thread's state and kernel wait channel, and how
    /// far it has read each file it holds open (an offset behind the file's size: lfd never read those lines; at
    /// the end: it read them and did not act).
    var lfdState: String {
        guard let pid = runningLfd?.pid else { return "lfd: not running" }
        func read(_ path: String) -> String {
            ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "?").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var lines = ["lfd \(pid):"]
        for task in ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []).sorted() {
            let stat = read("/proc/\(pid)/task/\(task)/stat")
            let state = stat.split(separator: ")").last.map { String($0.prefix(3)) } ?? "?"
            lines.append("  thread \(task) \(read("/proc/\(pid)/task/\(task)/comm")):\(state) wchan \(read("/proc/\(pid)/task/\(task)/wchan"))")
        }
        for fd in ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).sorted() {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                  target.hasPrefix("/var/log/") || target.hasPrefix(root) else { continue }
            let pos = read("/proc/\(pid)/fdinfo/\(fd)").split(separator: "\n").first ?? ""
            var st = stat()
            let size = stat("/proc/\(pid)/fd/\(fd)", &st) == 0 ? String(st.st_size) : "?"
            lines.append("  fd \(fd) \(target): \(pos), size \(size)")
        }
        return lines.joined(separator: "\n")
    }

    /// A process started with this lab's CSF_ROOT.
    func isOurs(_ pid: Int32) -> Bool {
        guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
        return environ.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == "CSF_ROOT=\(root)" }
    }

    /// Appends lines to a file the way a syslog daemon does (one write per line).
    func appendLog(_ path: String, _ lines: [String]) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.seekToEndOfFile()
        for line in lines { handle.write(Data((line + "\n").utf8)) }
        try handle.close()
    }

    static var peerScript: String { Repo.path("Tests/KernelTests/Support/peer.py") }

    /// Starts echo servers in a namespace and waits until they listen.
    func serve(in ns: String, tcp: [Int], udp: [Int], countFile: String? = nil) throws {
        servers += 1
        let ready = root + "/server-\(servers).ready"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        p.arguments = ["netns", "exec", ns, "python3", Self.peerScript, "serve",
                       tcp.map(String.init).joined(separator: ","), udp.map(String.init).joined(separator: ","), ready]
            + (countFile.map { [$0] } ?? [])
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        background.append(p)
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: ready) { usleep(50_000) }
        guard FileManager.default.fileExists(atPath: ready) else { throw Shell.Failure(description: "test server did not start") }
    }

    /// Runs a long-lived helper in a namespace for the rest of the test (killed with the lab).
    func background(in ns: String, _ argv: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        p.arguments = ["netns", "exec", ns] + argv
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        background.append(p)
    }

    /// Stops the servers started with `serve` (and other helpers).
    func stopServers() {
        for p in background { p.send(SIGKILL) }
        for p in background { p.waitUntilExit() }
        background.removeAll()
    }

    func peerRun(_ peer: Peer, _ args: [String]) throws -> Shell.Result {
        try Shell.run(["ip", "netns", "exec", peer.ns, "python3", Self.peerScript] + args)
    }

    func tcpOpen(from peer: Peer, port: Int, v6: Bool = false, timeout: Double = 1.0) throws -> Bool {
        try peerRun(peer, ["probe-tcp", v6 ? peer.fwV6 : peer.fwV4, String(port), String(timeout)]).status == 0
    }

    func udpOpen(from peer: Peer, port: Int, timeout: Double = 1.0) throws -> Bool {
        try peerRun(peer, ["probe-udp", peer.fwV4, String(port), String(timeout)]).status == 0
    }

    /// From the firewall host out to a peer's server.
    func tcpOut(to peer: Peer, port: Int, timeout: Double = 1.0) throws -> Bool {
        try Shell.run(["ip", "netns", "exec", fw, "python3", Self.peerScript, "probe-tcp", peer.v4, String(port), String(timeout)]).status == 0
    }

    /// Pings from a peer; returns how many replies came back.
    func pings(from peer: Peer, count: Int, interval: Double = 0.2) throws -> Int {
        let r = try Shell.run(["ip", "netns", "exec", peer.ns, "ping", "-n", "-q", "-c", String(count), "-i", String(interval), "-W", "1", peer.fwV4])
        guard let range = r.stdout.range(of: #"(\d+) received"#, options: .regularExpression) else { return 0 }
        return Int(r.stdout[range].split(separator: " ")[0]) ?? 0
    }
}

/// Polls `condition` every `interval` seconds until it holds or `timeout` seconds pass.
func eventually(within timeout: Double, every interval: Double = 0.25, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(useconds_t(interval * 1_000_000))
    }
    return try condition()
}

enum Shell {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    @discardableResult
    static func run(_ argv: [String], stdin: String? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        let out = Pipe()
        let errPath = NSTemporaryDirectory() + "nftcsf-stderr-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: errPath)
        let inPath = errPath + ".in"
        if let stdin {
            FileManager.default.createFile(atPath: inPath, contents: Data(stdin.utf8))
            p.standardInput = FileHandle(forReadingAtPath: inPath)
        } else {
            p.standardInput = FileHandle.nullDevice
        }
        defer { try? FileManager.default.removeItem(atPath: inPath) }
        try p.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let errData = FileManager.default.contents(atPath: errPath) ?? Data()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    static func check(_ argv: [String]) throws {
        let r = try run(argv)
        guard r.status == 0 else { throw Failure(description: "\(argv.joined(separator: " ")): \(r.stderr)") }
    }
}

enum Repo {
    static func path(_ relative: String) -> String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent(relative).path
    }
}
