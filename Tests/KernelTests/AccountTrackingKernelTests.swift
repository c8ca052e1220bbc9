import Foundation
import Testing
import CsfTestSupport

/// Issue 16 (account tracking): AT_ALERT as shipped (2: UID-0 accounts) over the lab's own /etc/passwd and
/// /etc/shadow (CSF_ROOT), changed the way useradd/usermod do it (a new file renamed over the old).
@Suite(.serialized, .enabled(if: NetLab.available, "needs root"))
struct AccountTrackingKernelTests {
    static func replace(_ path: String, _ text: String) throws {
        try text.write(toFile: path + ".new", atomically: false, encoding: .utf8)
        #expect(rename(path + ".new", path) == 0)
    }

    @Test func aNewUIDZeroAccountIsToldAtOnceAndAChangeWhileLfdWasDownAtItsNextStartOnce() throws {
        let lab = try NetLab(peers: 1)
        let passwd = lab.root + "/etc/passwd", shadow = lab.root + "/etc/shadow"
        let users = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n"
        try Self.replace(passwd, users)
        try Self.replace(shadow, "root:$6$a$b:20000:0:99999:7:::\nalice:$6$c$d:20000:0:99999:7:::\n")
        #expect(try lab.csf("-s").status == 0)
        #expect(try lab.lfd().status == 0)
        let baseline = lab.root + "/var/lib/csf/nftcsf.accounts"
        #expect(try eventually(within: 5) { FileManager.default.fileExists(atPath: baseline) })
        let mode = try FileManager.default.attributesOfItem(atPath: baseline)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(!((try? String(contentsOfFile: baseline, encoding: .utf8)) ?? "").contains("$6$"), "no copy of a password hash")

        let changed = Date()
        try Self.replace(passwd, users.replacingOccurrences(of: "/bin/sh", with: "/bin/bash") + "toor:x:0:0:backdoor:/root:/bin/bash\n")
        let mail = { (try? String(contentsOfFile: lab.root + "/sent-mail", encoding: .utf8)) ?? "" }
        #expect(try eventually(within: 5, every: 0.05) { mail().contains("New account [toor] has been created with uid:[0] gid:[0] login:[/root] shell:[/bin/bash]") },
                "\(lab.lfdLog)")
        print("account tracking: a new UID-0 account told after \(String(format: "%.2f", Date().timeIntervalSince(changed))) s")
        #expect(lab.lfdLog.contains("*Account Modification* Email sent"))
        #expect(!mail().contains("alice"), "AT_ALERT = 2: only UID-0 accounts")

        lab.stopLfd()
        try Self.replace(shadow, "root:$6$e$f:20000:0:99999:7:::\nalice:$6$c$d:20000:0:99999:7:::\n")
        #expect(try lab.lfd().status == 0)
        #expect(try eventually(within: 5) { mail().contains("Account [root] password has changed") }, "\(lab.lfdLog)")
        usleep(1_500_000)
        #expect(mail().components(separatedBy: "New account [toor]").count == 2, "told once\n\(mail())")
    }

    /// LF_EXPLOIT (SUPERUSER): a UID-0 account other than root is told at start, a new one as it appears, and the
    /// csf.suignore'd one never; account tracking off, the same watch serves.
    @Test func aSuperuserIsToldAtStartAndANewOneAtOnce() throws {
        let lab = try NetLab(peers: 1)
        let passwd = lab.root + "/etc/passwd"
        let users = "root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/root:/bin/sh\nadmin0:x:0:0::/:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n"
        try Self.replace(passwd, users)
        try lab.write("csf.suignore", "admin0\n")
        try lab.setConfig(["AT_ALERT": "0", "LF_EXPLOIT": "300"])
        #expect(try lab.csf("-s").status == 0)
        #expect(try lab.lfd().status == 0)
        #expect(try eventually(within: 5) { lab.lfdLog.contains("*System Exploit* has detected a possible root compromise (toor = UID 0)") }, "\(lab.lfdLog)")
        try Self.replace(passwd, users + "evil:x:0:0::/:/bin/sh\n")
        #expect(try eventually(within: 5) { lab.lfdLog.contains("*System Exploit* has detected a possible root compromise (evil = UID 0)") }, "\(lab.lfdLog)")
        let mail = { (try? String(contentsOfFile: lab.root + "/sent-mail", encoding: .utf8)) ?? "" }
        #expect(try eventually(within: 5) { mail().contains("Possible root compromise: User account evil is a superuser (UID 0)") }, "\(mail())")
        #expect(lab.lfdLog.components(separatedBy: "(toor = UID 0)").count == 2, "the change tells only the new one")
        #expect(!lab.lfdLog.contains("admin0") && !mail().contains("admin0"), "csf.suignore")
    }
}
