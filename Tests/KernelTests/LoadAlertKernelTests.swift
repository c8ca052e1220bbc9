import Foundation
import Testing
import CsfTestSupport

/// Issue 16 (load alerts): PT_LOAD_LEVEL at 0 so any load reaches it; the alert is logged in csf's words, mailed
/// once per PT_LOAD_SKIP with the process tree (of the test's scope), memory, the sockets and a real HTTP server's
/// status page, and PT_LOAD_ACTION runs.
@Suite(.serialized, .enabled(if: NetLab.available, "needs root"))
struct LoadAlertKernelTests {
    @Test func aLoadAtTheLevelIsToldOnceWithWhatRuns() throws {
        let lab = try NetLab(peers: 1)
        let www = lab.root + "/www"
        try FileManager.default.createDirectory(atPath: www, withIntermediateDirectories: true)
        try "Apache Server Status for the lab\n".write(toFile: www + "/server-status", atomically: true, encoding: .utf8)
        try lab.background(in: lab.fw, ["python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", www, "8765"])
        let marker = lab.root + "/load-action-ran"
        try "#!/bin/sh\ntouch \(marker)\n".write(toFile: lab.root + "/load-action", atomically: true, encoding: .utf8)
        chmod(lab.root + "/load-action", 0o755)
        try lab.setConfig(["PT_LOAD": "1", "PT_LOAD_LEVEL": "0", "PT_LOAD_AVG": "15", "PT_LOAD_SKIP": "3600",
                           "PT_APACHESTATUS": "http://127.0.0.1:8765/server-status", "PT_LOAD_ACTION": lab.root + "/load-action"])
        #expect(try lab.csf("-s").status == 0)
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        sleeper.arguments = ["netns", "exec", lab.fw, "sleep", "120"]
        try sleeper.run()
        defer { sleeper.send(SIGTERM) }
        _ = eventually(within: 5) { (try? String(contentsOfFile: "/proc/\(sleeper.processIdentifier)/cmdline", encoding: .utf8))?.hasPrefix("sleep") == true }
        #expect(try lab.lfd(env: ["NFTCSF_PROCESS_SCOPE": "\(sleeper.processIdentifier)"]).status == 0)
        #expect(try eventually(within: 15) { lab.lfdLog.contains("*LOAD* 15 minute load average is ") && lab.lfdLog.contains(", threshold is 0 - email sent") },
                "\(lab.lfdLog)")
        let mail = { (try? String(contentsOfFile: lab.root + "/sent-mail", encoding: .utf8)) ?? "" }
        #expect(try eventually(within: 10) { mail().contains("Apache Server Status for the lab") }, "\(mail())")
        let m = mail()
        #expect(m.contains("Subject: lfd on ") && m.contains(": high load "), "\(m)")
        #expect(m.contains("(the 15 minute average, "), "\(m)")
        #expect(m.contains(" \(sleeper.processIdentifier) ") && m.contains("sleep 120"), "the process tree\n\(m)")
        #expect(m.contains("Memory total: ") && m.contains("Swap total: "), "\(m)")
        #expect(m.contains("127.0.0.1:8765") && m.contains("LISTEN"), "the sockets\n\(m)")
        #expect(try eventually(within: 5) { FileManager.default.fileExists(atPath: marker) }, "PT_LOAD_ACTION ran")
        usleep(6_000_000)
        #expect(lab.lfdLog.components(separatedBy: "*LOAD*").count == 2, "quiet for PT_LOAD_SKIP\n\(lab.lfdLog)")
    }
}
