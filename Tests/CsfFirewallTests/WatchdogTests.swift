#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import CsfCompat
@testable import CsfFirewall
import CsfTestSupport

@Suite struct WatchdogTests {
    @Test func stateFilesOfBothFormatsAreRead() {
        #expect(Watchdog.parse("abc 123 456 789\n") == .init(token: "abc", process: ProcessIdentity(pid: 123, startTime: 456), deadline: 789))
        #expect(Watchdog.parse("abc 123 789\n") == .init(token: "abc", process: nil, deadline: 789), "an old file names no process we can trust")
        #expect(Watchdog.parse("abc 0 0 789") == .init(token: "abc", process: nil, deadline: 789))
        #expect(Watchdog.parse("garbage") == nil)
    }

    @Test func waitActsAtTheDeadlineAndGivesUpWhenWithdrawn() throws {
        let dir = try TempDir.csfRoot()
        var now = 100
        let w = Watchdog(paths: dir.paths, launch: { _ in FirewallFixture.noSuchPid }, clock: { now })
        try w.arm(.confirm, seconds: 10)
        let token = try #require(w.state(.confirm)?.token)
        var polls = 0
        #expect(w.wait(.confirm, token: token, poll: { polls += 1; now += 5 }))
        #expect(polls == 2)
        #expect(!w.wait(.confirm, token: "another token", poll: {}), "a newer watchdog took over")
        #expect(w.cancel(.confirm) && w.state(.confirm) == nil)
        #expect(!w.wait(.confirm, token: token, poll: {}))
    }

    /// A stale state file (a reboot inside the TESTING window) names a pid some other process may have now.
    @Test func cancelSignalsOnlyTheProcessItStarted() throws {
        let dir = try TempDir.csfRoot()
        let w = Watchdog(paths: dir.paths)
        let pid = try #require(Subprocess.spawnDetached(["/bin/sleep", "30"]))
        var reaped = false
        // Never signal a pid after it was reaped: it may belong to someone else by then.
        defer { if !reaped { kill(pid, SIGKILL); var s: Int32 = 0; waitpid(pid, &s, 0) } }
        let real = try #require(ProcessIdentity.of(pid))
        try FileSystem.writeAtomically(w.statePath(.testing), Watchdog.text(.init(token: "t", process: ProcessIdentity(pid: pid, startTime: real.startTime + 1), deadline: 1)))
        #expect(w.cancel(.testing))
        usleep(100_000)
        #expect(real.isAlive, "another process with the same pid is left alone")
        try FileSystem.writeAtomically(w.statePath(.testing), Watchdog.text(.init(token: "t", process: real, deadline: 1)))
        #expect(w.cancel(.testing))
        var status: Int32 = 0
        reaped = waitpid(pid, &status, 0) == pid
        #expect(reaped && status & 0x7f == SIGTERM, "our own watchdog is stopped")
    }

    @Test func startTimeIsCountedFromTheLastParenthesis() {
        let line = "4242 (we (i)rd) S 1 4242 4242 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 200"
        #expect(ProcessIdentity.startTime(statLine: line) == 987654)
        #expect(ProcessIdentity.startTime(statLine: "4242 (short) S 1") == nil)
    }
}
