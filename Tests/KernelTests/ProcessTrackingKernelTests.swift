import Foundation
import Testing
import CsfTestSupport

/// Issue 16 (process tracking): real processes, run as user ids no one else on the machine has, below a scope
/// process the test starts; lfd is told (NFTCSF_PROCESS_SCOPE) to look at that subtree only, so it never judges
/// or kills anything the test did not start. Its process-events socket is subscribed in the root network
/// namespace (where the kernel's connector answers) and handed down to lfd in the lab's namespace.
@Suite(.serialized, .enabled(if: NetLab.available && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
                             "needs root and setpriv"))
struct ProcessTrackingKernelTests {
    /// Two user ids free on this machine (no process runs as them).
    static func freeUIDs() -> (UInt32, UInt32) {
        while true {
            let uid = UInt32.random(in: 61_000...64_000) & ~1
            let busy = (try? Shell.run(["pgrep", "-U", "\(uid),\(uid + 1)"]).status) == 0
            if !busy { return (uid, uid + 1) }
        }
    }

    struct Scope {
        let lab: NetLab
        let root: Process
        let uids: (UInt32, UInt32)
        var pid: Int32 { root.processIdentifier }

        /// Starts `body` (bash, as root, in the lab's namespace) as the scope's root and waits for its ready file.
        init(lab: NetLab, uids: (UInt32, UInt32), body: String) throws {
            self.lab = lab
            self.uids = uids
            let ready = lab.root + "/scope.ready"
            let script = lab.root + "/scope.sh"
            // The sleep keeps the scope (the workload's subreaper) alive whatever the workload does.
            try ("#!/bin/bash\nexec </dev/null >/dev/null 2>&1\n" + body + "\nsleep 100000 &\ntouch \(ready)\nwait\n")
                .write(toFile: script, atomically: true, encoding: .utf8)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            // A child subreaper (kept across exec): the workload's orphans stay below the scope, not below init.
            p.arguments = ["netns", "exec", lab.fw, "/usr/bin/python3", "-c",
                           "import ctypes, os, sys; ctypes.CDLL(None).prctl(36, 1, 0, 0, 0); os.execv('/bin/bash', ['bash', sys.argv[1]])", script]
            try p.run()
            root = p
            _ = eventually(within: 10) { FileManager.default.fileExists(atPath: ready) }
        }

        func pids(uid: UInt32) -> [Int32] {
            ((try? Shell.run(["pgrep", "-U", "\(uid)"]).stdout) ?? "").split(separator: "\n").compactMap { Int32($0) }
        }

        func pid(of pattern: String) -> Int32? {
            ((try? Shell.run(["pgrep", "-f", "-U", "\(uids.0)", pattern]).stdout) ?? "").split(separator: "\n").first.flatMap { Int32($0) }
        }

        /// Ends everything the test started: the scope and every process of its user ids.
        func end() {
            root.send(SIGKILL)
            for _ in 0..<3 { _ = try? Shell.run(["pkill", "-9", "-U", "\(uids.0),\(uids.1)"]); usleep(100_000) }
        }

        func startLfd() throws -> Shell.Result {
            let vars = lab.csfEnvironment.merging(["NFTCSF_PROCESS_SCOPE": "\(pid)"]) { $1 }.map { "\($0.key)=\($0.value)" }
            return try Shell.run(["python3", NetLab.peerScript, "proc-events-exec", "ip", "netns", "exec", lab.fw, "env"] + vars + [NetLab.lfdBinary])
        }
    }

    static func run(_ uid: UInt32, _ command: String) -> String {
        "setpriv --reuid=\(uid) --regid=\(uid) --clear-groups \(command) &"
    }

    @Test func tooManyProcessesTooMuchMemoryAndASuspiciousSocketAreReportedAndPignoreIsHonoured() throws {
        let lab = try NetLab(peers: 1)
        let uids = Self.freeUIDs()
        let u = uids.0
        // A copy of sleep, removed once running: a process whose executable was deleted (PT_DELETED).
        let bin = "/tmp/nftcsf-deleted-\(getpid())-\(u)"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: bin) }
        try FileManager.default.copyItem(atPath: "/usr/bin/sleep", toPath: bin + "/sleeper")
        let action = lab.root + "/deleted-action", ran = lab.root + "/deleted-action.ran"
        try "#!/bin/sh\necho \"$@\" > \(ran)\n".write(toFile: action, atomically: true, encoding: .utf8)
        chmod(action, 0o755)
        try lab.setConfig(["PT_LIMIT": "1", "PT_INTERVAL": "10", "PT_USERPROC": "5", "PT_USERMEM": "100", "PT_USERRSS": "0",
                           "PT_USERTIME": "0", "PT_USERKILL": "0", "LF_ALERT_TO": "admin@example.net",
                           "PT_DELETED": "1", "PT_DELETED_ACTION": action, "LF_ALERT_SMTP": "127.0.0.1:2525"])
        // The alerts go to an SMTP server on loopback (a small one in the firewall namespace).
        let smtpOut = lab.root + "/smtp.out", smtpReady = lab.root + "/smtp.ready"
        try lab.background(in: lab.fw, ["python3", NetLab.peerScript, "smtp", "2525", smtpOut, smtpReady])
        #expect(try eventually(within: 5) { FileManager.default.fileExists(atPath: smtpReady) })
        try lab.write("csf.pignore", "# the test's own\ncmd:sleep 301\n")
        #expect(try lab.csf("-s").status == 0)
        let body = (0..<7).map { _ in Self.run(u, "sleep 300") }.joined(separator: "\n") + "\n"
            + Self.run(u, "sleep 301") + "\n"
            + Self.run(u, "/usr/bin/python3 -c 'import time; b = bytearray(150 << 20); time.sleep(300)'") + "\n"
            + Self.run(u, "/usr/bin/python3 \(NetLab.peerScript) connected-hold 300") + "\n"
            + Self.run(u, "\(bin)/sleeper 302") + "\nsleep 0.3; rm \(bin)/sleeper"
        let scope = try Scope(lab: lab, uids: uids, body: body)
        defer { scope.end() }
        #expect(scope.pids(uid: u).count == 11, "the workload runs")
        usleep(1_500_000)
        let started = try scope.startLfd()
        try #require(started.status == 0, "\(started)")
        #expect(try eventually(within: 15) { lab.lfdLog.contains("*Excessive Processes* User:\(u) Kill:0 Process Count:9") }, "\(lab.lfdLog)")
        let hog = try #require(scope.pid(of: "bytearray"))
        let holder = try #require(scope.pid(of: "connected-hold"))
        #expect(try eventually(within: 5) { lab.lfdLog.contains("*User Processing* PID:\(hog) Kill:0 User:\(u) VM:") }, "\(lab.lfdLog)")
        #expect(try eventually(within: 5) { lab.lfdLog.contains("*Suspicious Process* PID:\(holder) PPID:\(scope.pid) User:\(u)") }, "\(lab.lfdLog)")
        #expect(lab.lfdLog.contains("Watching process events..."), "the handed-down socket is used\n\(lab.lfdLog)")
        let mail = { (try? String(contentsOfFile: smtpOut, encoding: .utf8)) ?? "" }
        #expect(try eventually(within: 5) {
            mail().contains("user \(u) runs 9 (Not killed) processes") && mail().contains("suspicious process \(holder) (Parent PID:")
                && mail().contains("Virtual Memory Size of \(u) over")
        }, "\(mail())")
        #expect(mail().contains("tcp: 127.0.0.1:"), "the socket is in the alert\n\(mail())")
        #expect(mail().contains("RCPT TO:<admin@example.net>") && mail().contains("Executable: /usr/bin/python3")
                && mail().contains("Resource: Virtual Memory Size at ") && mail().contains(" > 100 (MB)"), "template fields\n\(mail())")
        #expect(!mail().contains("sleep 301") && !lab.lfdLog.contains("sleep 301"), "the pignore'd process is left out")
        #expect(scope.pids(uid: u).count == 11, "nothing killed without PT_USERKILL")
        let deleted = try #require(scope.pid(of: "sleeper 302"))
        #expect(lab.lfdLog.contains("*Suspicious Process* PID:\(deleted) PPID:\(scope.pid) User:\(u) Uptime:"), "\(lab.lfdLog)")
        #expect(lab.lfdLog.contains("EXE:\(bin)/sleeper (deleted)"), "\(lab.lfdLog)")
        #expect(mail().contains("running an executable file that has been deleted"), "\(mail())")
        #expect(try eventually(within: 5) {
            ((try? String(contentsOfFile: ran, encoding: .utf8)) ?? "") == "\(bin)/sleeper (deleted) \(deleted) \(u) \(scope.pid)\n"
        }, "PT_DELETED_ACTION gets exe, pid, user and ppid")
        // Reported once: the next scan (10 s later) says nothing new about them.
        let lines = lab.lfdLog.components(separatedBy: "*Excessive Processes*").count
        usleep(11_000_000)
        #expect(lab.lfdLog.components(separatedBy: "*Excessive Processes*").count == lines, "\(lab.lfdLog)")
    }

    @Test func aBadPignoreLineStopsLfdWithItsFileAndLine() throws {
        let lab = try NetLab(peers: 1)
        try lab.write("csf.pignore", "exe:/usr/sbin/named\nexecutable:/usr/bin/foo\npcmd:broken(\n")
        #expect(try lab.csf("-s").status == 0)
        let r = try lab.lfd()
        #expect(r.status != 0, "\(r)")
        let said = r.stdout + r.stderr + lab.lfdLog
        #expect(r.stderr.contains("csf.pignore:2: error: unknown prefix \"executable:\"") && r.stderr.contains("csf.pignore:3: error: pcmd: invalid regular expression"), "\(said)")
        try lab.write("csf.pignore", "exe:/usr/sbin/named\n")
        try lab.setConfig(["PT_USERPROC": "-1"])
        let negative = try lab.lfd()
        #expect(negative.status != 0 && (negative.stderr + lab.lfdLog).contains("csf.conf:") && (negative.stderr + lab.lfdLog).contains("PT_USERPROC"), "\(negative)")
    }

    /// Process tracking turned off by a reload: the watcher reads and drops the kernel's events instead of
    /// spinning on a readable socket (a busy loop would be a whole core).
    @Test func turnedOffByAReloadTheWatcherIdles() throws {
        let lab = try NetLab(peers: 1)
        let uids = Self.freeUIDs()
        #expect(try lab.csf("-s").status == 0)
        let scope = try Scope(lab: lab, uids: uids, body: Self.run(uids.0, "sleep 300"))
        defer { scope.end() }
        try #require(try scope.startLfd().status == 0)
        let pid = try #require(lab.runningLfd?.pid)
        try lab.setConfig(["PT_LIMIT": "0"])
        try lab.reloadLfd()
        #expect(try eventually(within: 5) { lab.lfdLog.contains("SIGHUP") }, "\(lab.lfdLog)")
        func cpuTicks() -> Int {
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
            return fields.count > 12 ? (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0) : 0
        }
        let before = cpuTicks()
        // Forks and exits while it is off: events keep arriving.
        for _ in 0..<20 { _ = try Shell.run(["true"]) }
        sleep(3)
        let used = Double(cpuTicks() - before) / Double(sysconf(Int32(_SC_CLK_TCK)))
        #expect(used < 1.5, "lfd used \(used) s of CPU in 3 s with process tracking off")
    }

    @Test func anOldProcessIsKilledExactlyAndAForkBombIsStoppedWithinASecondOrTwo() throws {
        let lab = try NetLab(peers: 1)
        let uids = Self.freeUIDs()
        let (u, bomber) = uids
        try lab.setConfig(["PT_LIMIT": "60", "PT_INTERVAL": "10", "PT_USERPROC": "0", "PT_USERMEM": "0", "PT_USERRSS": "0",
                           "PT_USERTIME": "3", "PT_USERKILL": "1", "PT_FORKBOMB": "40"])
        try lab.write("csf.pignore", "pcmd:sleep 30[1-9]\n")
        #expect(try lab.csf("-s").status == 0)
        let go = lab.root + "/go"
        // The bomb: its own session, its own user id, at most 300 processes (RLIMIT_NPROC) whatever happens.
        let body = Self.run(u, "sleep 300") + "\n" + Self.run(u, "sleep 301") + "\n"
            + "(while [ ! -e \(go) ]; do sleep 0.1; done; ulimit -u 300; exec setsid setpriv --reuid=\(bomber) --regid=\(bomber) --clear-groups bash -c 'b() { b | b & }; b') &"
        let scope = try Scope(lab: lab, uids: uids, body: body)
        defer { scope.end() }
        let victim = try #require(scope.pid(of: "sleep 300"))
        let spared = try #require(scope.pid(of: "sleep 301"))
        usleep(3_500_000)
        let started = try scope.startLfd()
        try #require(started.status == 0, "\(started)")
        #expect(try eventually(within: 15) { kill(victim, 0) != 0 }, "\(lab.lfdLog)")
        #expect(lab.lfdLog.contains("*User Processing* PID:\(victim) Kill:1 User:\(u) Time:"), "\(lab.lfdLog)")
        #expect(lab.lfdLog.contains("*PT_USER* Process PID:[\(victim)] killed"), "\(lab.lfdLog)")
        #expect(kill(spared, 0) == 0, "the pignore'd process lives")

        let fired = Date()
        FileManager.default.createFile(atPath: go, contents: nil)
        #expect(try eventually(within: 5, every: 0.05) { lab.lfdLog.contains("*PT_FORKBOMB* PID:") }, "\(lab.lfdLog)")
        #expect(try eventually(within: 20, every: 0.1) { scope.pids(uid: bomber).isEmpty }, "the bomb is gone\n\(lab.lfdLog)")
        print("fork bomb: found and its session killed within \(String(format: "%.2f", Date().timeIntervalSince(fired))) s")
        let mail = (try? String(contentsOfFile: lab.root + "/sent-mail", encoding: .utf8)) ?? ""
        #expect(mail.contains("possible fork bomb") && mail.contains("Level: 40"), "\(mail)")
        #expect(kill(spared, 0) == 0, "the pignore'd process still lives")
    }
}

/// PT_SSHDKILL: a peer logged in over ssh keeps its session until lfd blocks it for failed logins; then the
/// sshd processes serving its connections are ended, and its session with them.
@Suite(.serialized, .enabled(if: NetLab.available && RealDaemons.present(["/usr/sbin/sshd", "/usr/bin/sshpass", "/usr/sbin/rsyslogd"]),
                             "needs root, sshd, sshpass and rsyslog (Tests/run.sh installs them)"))
struct SshdKillKernelTests {
    @Test func aBlockForSshdEndsTheSessionsOfThatAddress() throws {
        let lab = try NetLab(peers: 2)
        let (peer, other) = (lab.peers[0], lab.peers[1])
        try lab.setConfig(["TCP_IN": "22", "SSHD_LOG": "/var/log/auth.log", "LF_SSHD": "2", "LF_SSHD_PERM": "120", "PT_SSHDKILL": "1",
                           "LF_SSH_EMAIL_ALERT": "0"])
        #expect(try lab.csf("-s").status == 0)
        var host = try PrivateHost(lab: lab, way: .traditional)
        host.processScope = "sshd-22"
        defer { host.stop() }
        let started = try host.start(daemons: try DaemonMatrix.sshd(host.dir, port: 22, passwords: true))
        try #require(started.status == 0 && started.stdout.contains("lfd: started"), "\(started)\n\(host.logs)")
        func session(_ p: NetLab.Peer) throws -> Process {
            let s = Process()
            s.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            s.arguments = ["netns", "exec", p.ns, "timeout", "60", "sshpass", "-p", "secret", "ssh", "-o", "StrictHostKeyChecking=no",
                           "-o", "UserKnownHostsFile=/dev/null", "-o", "PubkeyAuthentication=no", "alice@\(p.fwV4)", "sleep 50"]
            s.standardOutput = FileHandle.nullDevice
            s.standardError = FileHandle.nullDevice
            try s.run()
            return s
        }
        let doomed = try session(peer), kept = try session(other)
        defer { for s in [doomed, kept] { s.send(SIGKILL) } }
        #expect(try eventually(within: 10) { host.file("/var/log/auth.log").components(separatedBy: "session opened for user alice").count == 3 },
                "\(host.logs)")
        for _ in 0..<2 { _ = try DaemonMatrix.ssh(peer, user: "alice", password: "wrong", method: "password") }
        #expect(try eventually(within: 10) { lab.lfdLog.contains("*PT_SSHDKILL*: Process PID:[") && lab.lfdLog.contains("killed for blocked IP:[\(peer.v4)]") },
                "\(lab.lfdLog)")
        // The server's side of the session is gone (the client may not hear of it: the address is blocked now).
        func sessions(_ p: NetLab.Peer) throws -> Int {
            try Shell.run(["ip", "netns", "exec", lab.fw, "ss", "-Htnp", "state", "established", "( sport = :22 )", "dst", p.v4])
                .stdout.split(separator: "\n").filter { $0.contains("sshd") }.count
        }
        #expect(try eventually(within: 10) { try sessions(peer) == 0 }, "the blocked address's session ends\n\(lab.lfdLog)\n\((try? Shell.run(["ip", "netns", "exec", lab.fw, "ss", "-tnpa"]).stdout) ?? "")")
        #expect(try sessions(other) == 1 && kept.isRunning, "another address's session is left alone")
    }
}
