import Foundation
import Testing
@testable import CsfCompat
import CsfTestSupport

/// Issue 12: a full disk, a crash between file and kernel, a rollback with changes made meanwhile, stale pid files.
@Suite(.serialized, .enabled(if: NetLab.available, "needs root and iproute2"))
struct HardeningKernelTests {
    /// Runs a shell script in the firewall's network namespace and a private mount namespace of its own, so a
    /// tmpfs mounted there is seen by nothing else on the host.
    func privateMounts(_ lab: NetLab, _ script: String) throws -> Shell.Result {
        let vars = lab.csfEnvironment.map { "\($0.key)=\($0.value)" }
        return try Shell.run(["ip", "netns", "exec", lab.fw, "env"] + vars + ["CSF=\(NetLab.csfBinary)", "ROOT=\(lab.root)",
                              "unshare", "--mount", "--propagation", "private", "sh", "-c", script])
    }

    @Test func aFullDiskLeavesNoHalfLineAndTheKernelUnchanged() throws {
        let lab = try NetLab(peers: 1)
        // csf.deny ends 20 bytes short of a page: a new line fits only partly once every page is taken.
        var deny = "192.0.2.200 # keep\n"
        while deny.utf8.count < 8192 - 20 - 40 { deny += "# padding line to fill the page ......\n" }
        deny += String(repeating: "#", count: 8192 - 20 - deny.utf8.count - 1) + "\n"
        #expect(deny.utf8.count == 8172)
        try lab.write("csf.deny", deny)
        #expect(try lab.csf("-s").status == 0)
        let r = try privateMounts(lab, """
            D=$ROOT/etc/csf; L=$ROOT/var/lib/csf
            mkdir -p $ROOT/save && cp -a $D/. $ROOT/save/ && mount -t tmpfs -o size=1m tmpfs $D && cp -a $ROOT/save/. $D/
            mkdir -p $ROOT/savelib && cp -a $L/. $ROOT/savelib/ && mount -t tmpfs -o size=64k tmpfs $L && cp -a $ROOT/savelib/. $L/
            dd if=/dev/zero of=$D/filler bs=4096 2>/dev/null; dd if=/dev/zero of=$L/filler bs=4096 2>/dev/null
            echo "deny rc=$($CSF -d 198.18.1.1 >$ROOT/deny.out 2>&1; echo $?)"
            echo "tempdeny rc=$($CSF -td 198.18.1.2 3600 >$ROOT/td.out 2>&1; echo $?)"
            cp $D/csf.deny $ROOT/after.deny
            cp $L/csf.tempban $ROOT/after.tempban 2>/dev/null || : > $ROOT/after.tempban
            rm $D/filler && echo "start rc=$($CSF -r >/dev/null 2>&1; echo $?)"
            """)
        #expect(r.stdout.contains("deny rc=1") && r.stdout.contains("tempdeny rc=1"), "\(r)")
        let denyOut = (try? String(contentsOfFile: lab.root + "/deny.out", encoding: .utf8)) ?? ""
        #expect(denyOut.contains("No space left on device") && !denyOut.contains("Adding"), "the truth, and only the truth: \(denyOut)")
        #expect((try? String(contentsOfFile: lab.root + "/after.deny", encoding: .utf8)) == deny, "csf.deny is as it was, byte for byte")
        #expect(!((try? String(contentsOfFile: lab.root + "/after.tempban", encoding: .utf8)) ?? "").contains("198.18.1.2"))
        #expect(!lab.ruleset.contains("198.18.1.1") && !lab.ruleset.contains("198.18.1.2"), "the kernel did not change")
        #expect(r.stdout.contains("start rc=0"), "the firewall still starts: \(r)")
    }

    /// A crash between the file write and the kernel update: the repeat makes the kernel agree with the file, and
    /// lfd's start puts back what the kernel lacks.
    @Test func aCrashBetweenFileAndKernelIsRepairedByTheRepeatAndByLfd() throws {
        let lab = try NetLab(peers: 1)
        let peer = lab.peers[0]
        try lab.setConfig(["TCP_IN": "22", "LF_SSHD": "0", "LF_PERMBLOCK": "0"])
        try lab.serve(in: lab.fw, tcp: [22], udp: [])
        #expect(try lab.csf("-s").status == 0)
        let crash = ["NFTCSF_TEST_CRASH_BEFORE_KERNEL": "1"]
        var r = try lab.csf(["-d", peer.v4], env: crash)
        #expect(r.status != 0 && lab.file("csf.deny").contains(peer.v4), "the line is written, the process died: \(r)")
        #expect(try lab.tcpOpen(from: peer, port: 22), "the kernel never heard of it")
        r = try lab.csf("-d", peer.v4)
        #expect(r.status == 0 && r.stdout.contains("is in already in the deny file") && r.stdout.contains("kernel"), "\(r)")
        #expect(try !lab.tcpOpen(from: peer, port: 22, timeout: 0.5), "the repeat put the address into the kernel")
        r = try lab.csf("-d", peer.v4)
        #expect(r.status == 0 && r.stdout.contains("is in already in the deny file") && !r.stdout.contains("kernel"), "nothing to repair now: \(r)")
        // A network: repaired as one interval, found whole on the next repeat.
        #expect(try lab.csf(["-d", "198.18.40.0/24"], env: crash).status != 0)
        #expect(try !lab.nft("list", "table", "inet", "csf").stdout.contains("198.18.40.0/24"))
        r = try lab.csf("-d", "198.18.40.0/24")
        #expect(r.stdout.contains("missing from the kernel") && lab.ruleset.contains("198.18.40.0/24"), "\(r)")
        r = try lab.csf("-d", "198.18.40.0/24")
        #expect(r.status == 0 && !r.stdout.contains("kernel"), "\(r)")

        // The same for a temporary ban, repaired by lfd at its start (no table reload).
        #expect(try lab.csf("-dr", peer.v4).status == 0)
        r = try lab.csf(["-td", peer.v4, "3600"], env: crash)
        #expect(r.status != 0 && lab.file("../../var/lib/csf/csf.tempban").contains(peer.v4), "\(r)")
        #expect(try lab.tcpOpen(from: peer, port: 22))
        let replacedBefore = try lab.nft("list", "table", "inet", "csf").stdout
        #expect(try lab.lfd().status == 0)
        #expect(try eventually(within: 5, every: 0.2) { try !lab.tcpOpen(from: peer, port: 22, timeout: 0.3) }, "\(lab.lfdLog)")
        #expect(lab.lfdLog.contains("resync"), "\(lab.lfdLog)")
        #expect(try lab.nft("list", "chain", "inet", "csf", "INPUT").status == 0)
        _ = replacedBefore
    }

    /// A list edit is flushed to disk after the kernel took it (the ban lands without waiting for the disk). When
    /// the disk refuses that flush (EIO, from a test hook), the command fails and takes its change back from the
    /// kernel and the file alike: a ban, a temporary ban, and a removal blanked in place in a large csf.deny.
    @Test func aFailedFlushTakesTheEditBackFromKernelAndFile() throws {
        let lab = try NetLab(peers: 1)
        let peer = lab.peers[0]
        try lab.setConfig(["TCP_IN": "22", "LF_SSHD": "0", "LF_PERMBLOCK": "0"])
        try lab.serve(in: lab.fw, tcp: [22], udp: [])
        #expect(try lab.csf("-s").status == 0)
        let failing = ["NFTCSF_TEST_FAIL_FLUSH": "1"]
        let deny = lab.file("csf.deny")
        var r = try lab.csf(["-d", peer.v4], env: failing)
        #expect(r.status != 0 && (r.stdout + r.stderr).contains("Input/output error"), "\(r)")
        #expect(lab.file("csf.deny") == deny, "csf.deny is as it was")
        #expect(try lab.tcpOpen(from: peer, port: 22), "the kernel took the ban back")
        r = try lab.csf(["-td", peer.v4, "3600"], env: failing)
        #expect(r.status != 0 && (r.stdout + r.stderr).contains("Input/output error"), "\(r)")
        #expect(!lab.file("../../var/lib/csf/csf.tempban").contains(peer.v4))
        #expect(try lab.tcpOpen(from: peer, port: 22), "the kernel took the temporary ban back")
        // Without the hook the same ban lands and stays.
        #expect(try lab.csf("-d", peer.v4).status == 0)
        #expect(try !lab.tcpOpen(from: peer, port: 22, timeout: 0.5))

        // A csf.deny above the in-place threshold: -dr blanks the line, the failed flush writes it back.
        var big = lab.file("csf.deny")
        for i in 0..<12_000 { big += "198.51.\(i / 250).\(i % 250 + 1) # padding entry to pass the in-place threshold\n" }
        try lab.write("csf.deny", big)
        #expect(try lab.csf("-r").status == 0)
        #expect(try !lab.tcpOpen(from: peer, port: 22, timeout: 0.5))
        r = try lab.csf(["-dr", peer.v4], env: failing)
        #expect(r.status != 0 && (r.stdout + r.stderr).contains("Input/output error"), "\(r)")
        #expect(lab.file("csf.deny") == big, "the blanked line is written back")
        #expect(try !lab.tcpOpen(from: peer, port: 22, timeout: 0.5), "the kernel denies the address again")
        #expect(try lab.csf("-dr", peer.v4).status == 0)
        #expect(try lab.tcpOpen(from: peer, port: 22), "the removal lands without the hook")
    }

    /// `--confirm-within` rolls back the rules and settings, not the bans and allows made while it waited.
    @Test func anUnconfirmedStartKeepsTheListChangesMadeMeanwhile() throws {
        let lab = try NetLab(peers: 2)
        let (p1, p2) = (lab.peers[0], lab.peers[1])
        try lab.setConfig(["TCP_IN": "22,80"])
        try lab.serve(in: lab.fw, tcp: [22, 80], udp: [])
        #expect(try lab.csf("-s").status == 0)
        try lab.setConfig(["TCP_IN": "22"])
        #expect(try lab.csf("-s", "--confirm-within", "3").status == 0)
        #expect(try !lab.tcpOpen(from: p2, port: 80, timeout: 0.5), "the new settings close 80")
        // Meanwhile: a ban, a temporary ban, an allow.
        #expect(try lab.csf("-d", p1.v4).status == 0)
        #expect(try lab.csf("-td", "198.18.6.6", "3600").status == 0)
        #expect(try lab.csf("-a", "198.18.6.7").status == 0)
        #expect(try eventually(within: 10, every: 0.3) { try lab.tcpOpen(from: p2, port: 80, timeout: 0.3) }, "the old settings are back")
        #expect(try !lab.tcpOpen(from: p1, port: 22, timeout: 0.5), "the ban made during the window stays")
        let ruleset = lab.ruleset
        #expect(ruleset.contains("198.18.6.6") && ruleset.contains("198.18.6.7"), "\(ruleset)")
    }

    /// A stale lockout-watchdog pid file (a reboot inside the TESTING window) names a pid another process has now.
    @Test func aStaleWatchdogPidFileNeverSignalsAStranger() throws {
        let lab = try NetLab(peers: 1)
        let stranger = Process()
        stranger.executableURL = URL(fileURLWithPath: "/bin/sleep")
        stranger.arguments = ["30"]
        try stranger.run()
        // SIGKILL: a child of the test runner inherits its blocked SIGTERM.
        defer { stranger.send(SIGKILL); stranger.waitUntilExit() }
        try FileManager.default.createDirectory(atPath: lab.root + "/var/lib/csf", withIntermediateDirectories: true)
        // The format csf writes (token pid starttime deadline) with a start time that is not the stranger's, and
        // the older format without one.
        for state in ["abc \(stranger.processIdentifier) 1 99999999999\n", "abc \(stranger.processIdentifier) 99999999999\n"] {
            try state.write(toFile: lab.root + "/var/lib/csf/csf.testing", atomically: true, encoding: .utf8)
            #expect(try lab.csf("-s").status == 0)
            usleep(200_000)
            #expect(stranger.isRunning, "csf -s cancelled a watchdog that was not its own: \(state)")
        }
    }
}
