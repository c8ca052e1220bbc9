#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import CsfCompat
@testable import LfdService
import CsfTestSupport

/// /proc as process tracking reads it, from a tree of files shaped like the kernel's.
@Suite struct ProcessTableTests {
    static func process(_ dir: TempDir, pid: Int32, comm: String, ppid: Int32, sid: Int32, start: UInt64, uid: UInt32,
                        cmdline: [String], exe: String) throws {
        try FileSystem.makeDirectories("\(dir.path)/\(pid)/fd")
        // Fields after the command: state ppid pgrp session tty tpgid flags 4×faults utime stime cutime cstime
        // priority nice threads itrealvalue starttime …; a negative priority and nice, as a reniced process has.
        try dir.write("\(pid)/stat", "\(pid) (\(comm)) S \(ppid) \(pid) \(sid) 0 -1 4194560 1 0 0 0 5 3 0 0 10 -10 1 0 \(start) 4096 100 18446744073709551615\n")
        try dir.write("\(pid)/status", "Name:\t\(comm)\nState:\tS (sleeping)\nUid:\t\(uid)\t\(uid)\t\(uid)\t\(uid)\nGid:\t0\t0\t0\t0\nVmPeak:\t  9999 kB\nVmSize:\t  8192 kB\nVmRSS:\t  1024 kB\nThreads:\t1\n")
        try dir.write("\(pid)/cmdline", cmdline.joined(separator: "\0") + "\0")
        _ = symlink(exe, "\(dir.path)/\(pid)/exe")
    }

    @Test func statusStatExeAndCommandLineAreRead() throws {
        let dir = try TempDir()
        try dir.write("uptime", "1000.50 200.00\n")
        try Self.process(dir, pid: 4242, comm: "a (b) c", ppid: 4000, sid: 4000, start: 50_000, uid: 1000,
                         cmdline: ["/usr/bin/evil", "--x", "a\nb"], exe: "/tmp/evil (deleted)")
        var table = ProcessTable(proc: dir.path, scope: nil)
        let st = try #require(table.stat(4242))
        #expect(st.ppid == 4000 && st.pgrp == 4242 && st.sid == 4000 && st.startTime == 50_000)
        let uptime = table.systemUptime()
        let read = table.facts(4242, uptime: uptime)
        let facts = try #require(read)
        #expect(facts.uid == 1000 && facts.vmSizeKB == 8192 && facts.vmRSSKB == 1024)
        #expect(facts.exe == "/tmp/evil (deleted)" && facts.isDeleted)
        #expect(facts.command == "/usr/bin/evil --x a\\nb", "a new line in an argument cannot start a line of lfd.log")
        #expect(facts.uptime == 1000 - 50_000 / Int(sysconf(Int32(_SC_CLK_TCK))))
        #expect(table.stat(4243) == nil)
    }

    @Test func aScopeKeepsToItsDescendants() throws {
        let dir = try TempDir()
        try dir.write("uptime", "1000.50 200.00\n")
        try Self.process(dir, pid: 10, comm: "scope", ppid: 1, sid: 10, start: 1, uid: 0, cmdline: ["scope"], exe: "/bin/bash")
        try Self.process(dir, pid: 11, comm: "child", ppid: 10, sid: 10, start: 2, uid: 1000, cmdline: ["child"], exe: "/bin/sleep")
        try Self.process(dir, pid: 12, comm: "grandchild", ppid: 11, sid: 12, start: 3, uid: 1000, cmdline: ["gc"], exe: "/bin/sleep")
        try Self.process(dir, pid: 20, comm: "stranger", ppid: 1, sid: 20, start: 4, uid: 1000, cmdline: ["x"], exe: "/bin/sleep")
        var scoped = ProcessTable(proc: dir.path, scope: 10)
        #expect(scoped.all().map(\.pid).sorted() == [10, 11, 12])
        #expect(scoped.contains(12) && !scoped.contains(20))
        var everything = ProcessTable(proc: dir.path, scope: nil)
        #expect(everything.all().count == 4)
    }
}

/// Garbage where lfd's new inputs come from: a status page, a URL, the kernel's process events, passwd.
@Suite struct NewInputGarbageTests {
    @Test func aStatusPageThatIsNotA200IsAFailureNotABody() {
        func body(_ text: String) -> String? { if case .success(let b) = HttpGet.body(of: Array(text.utf8)) { return b } else { return nil } }
        #expect(body("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nTotal Accesses: 5\n") == "Total Accesses: 5\n")
        #expect(body("HTTP/1.1 404 Not Found\r\n\r\nnope") == nil)
        #expect(body("garbage 200 without a status line\r\n\r\nx") == nil)
        #expect(body("HTTP/1.1 200 OK\r\nno end of headers") == nil)
        #expect(body("") == nil && body("\r\n\r") == nil)
        #expect(body("\u{ff}\u{0}\r\n\r\n") == nil)
    }

    @Test func aBadURLIsRefusedBeforeAnyConnection() {
        for url in ["https://127.0.0.1/server-status", "ftp://x/", "http://", "http://127.0.0.1/a b", "http://127.0.0.1/\r\nX-Injected: 1"] {
            guard case .failure = HttpGet.fetch(url, timeout: 1) else { Issue.record("\(url) was fetched"); continue }
        }
    }
}
