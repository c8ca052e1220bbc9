import Testing
import CsfCompat
@testable import LfdCore

/// csf's directory-watching verdicts, csf.fignore and the package managers' checksum lists.
struct SuspiciousFileTests {
    func reason(_ path: String, _ kind: SuspiciousFile.Kind = .regular, uid: UInt32 = 1000, cron: Bool = false, head: [UInt8] = []) -> String? {
        SuspiciousFile.reason(path: path, name: String(path.split(separator: "/").last ?? ""), kind: kind, uid: uid, inCron: cron, head: { head })
    }

    @Test func csfsReasons() {
        #expect(reason("/tmp/x", .symlink(target: "/etc/shadow")) == "Suspicious symlink (->/etc/shadow)")
        #expect(reason("/tmp/.ICE", .directory) == "Suspicious directory")
        #expect(reason("/tmp/ spaced", .directory) == "Suspicious directory")
        #expect(reason("/tmp/plain", .directory) == nil)
        #expect(reason("/tmp/a;b") == "Suspicious file name")
        #expect(reason("/tmp/a|b") == "Suspicious file name")
        #expect(reason("/tmp/a`b`") == "Suspicious file name")
        #expect(reason("/tmp/a\\b") == "Suspicious file name")
        #expect(reason("/tmp/-rf") == "Suspicious file name", "csf matched the path, which never starts with -")
        for name in ["x.pl", "x.cgi", "x.php", "x.phtml", "x.php.txt", "x.py", "x.sh", "x.bash", ".sh"] {
            #expect(reason("/tmp/" + name) == "Script, file extension", "\(name)")
        }
        for name in ["x.txt", "x.shx", "x.pyc", "graph"] { #expect(reason("/tmp/" + name) == nil, "\(name)") }
        for name in ["udp.pl", "r0nin", "sshd", "z", "su", "crond"] {
            #expect(reason("/tmp/" + name) != nil, "\(name)")
        }
        #expect(reason("/tmp/r0nin") == "Known exploit")
        #expect(reason("/tmp/a.out", head: [0x7f, 0x45, 0x4c, 0x46, 2]) == "Linux Binary")
        #expect(reason("/tmp/run", head: Array("#!/bin/sh".utf8)) == "Script, starts with #!")
        #expect(reason("/tmp/data", head: Array("hello".utf8)) == nil)
        #expect(reason("/tmp/socket", .other) == nil)
    }

    @Test func rootsFilesAreTrustedButNotCoreDumpsAndCronOnlyMindsCoreDumps() {
        #expect(reason("/tmp/x.sh", uid: 0) == nil)
        #expect(reason("/tmp/x", .symlink(target: "/"), uid: 0) == nil)
        #expect(reason("/etc/cron.d/core.123", uid: 0, cron: true) == "Core dump found - possible root exploit attack")
        #expect(reason("/etc/cron.d/job.sh", cron: true) == nil)
        #expect(reason("/etc/cron.d/core.9", cron: true) == "Core dump found - possible root exploit attack")
        var read = false
        _ = SuspiciousFile.reason(path: "/tmp/x.sh", name: "x.sh", kind: .regular, uid: 5, inCron: false, head: { read = true; return [] })
        #expect(!read, "a name that tells is enough: no read")
    }
}

struct FileIgnoreTests {
    @Test func pathsPatternsAndUsers() {
        let text = "# comment\n/tmp/exact\n/tmp/clamav.*\n/tmp/\\.horde\nuser:bob\nuser:1001\n"
        let (ignore, diagnostics) = FileIgnore.parse(text, path: "/etc/csf/csf.fignore")
        #expect(diagnostics.isEmpty)
        #expect(ignore.count == 5)
        #expect(ignore.ignores(path: "/tmp/exact") && !ignore.ignores(path: "/tmp/exact2"))
        #expect(ignore.ignores(path: "/tmp/clamav-123") && ignore.ignores(path: "/tmp/.horde"))
        #expect(!ignore.ignores(path: "/tmp/x/tmp/clamav-evil"), "anchored: an ignored name inside another path is not ignored")
        #expect(!ignore.ignores(path: "/tmp/.hordeX"))
        #expect(ignore.ignores(uid: 1234, owner: "bob"), "a name matches (csf compared it with the uid)")
        #expect(ignore.ignores(uid: 1001, owner: nil))
        #expect(!ignore.ignores(uid: 1002, owner: "carol"))
    }

    @Test func aBrokenPatternIsAnErrorWithItsLine() {
        let (_, diagnostics) = FileIgnore.parse("/tmp/ok\n/tmp/(broken*\nuser:\n", path: "/etc/csf/csf.fignore")
        #expect(diagnostics.map(\.location) == ["/etc/csf/csf.fignore:2", "/etc/csf/csf.fignore:3"])
        #expect(diagnostics.allSatisfy { $0.severity == .error })
    }

    @Test func includeIsRead() {
        let (ignore, _) = FileIgnore.parse("Include /etc/csf/more\n", path: "/etc/csf/csf.fignore") { $0 == "/etc/csf/more" ? "/tmp/more\n" : nil }
        #expect(ignore.ignores(path: "/tmp/more"))
    }
}

struct PackageChecksumsTests {
    @Test func dpkgMd5sumsAndConffiles() {
        var sums = PackageChecksums()
        sums.addMd5sums("7a4179e324c784b99e98fedee05260f7  bin/cat\nnot a line\nzz4179e324c784b99e98fedee05260f7  bin/bad\n" +
                        "db0817401cfd9c5a818ae919d10ba7c5  usr/bin/with space\n", package: "coreutils.md5sums")
        sums.addStatus("""
        Package: openssh-server
        Status: install ok installed
        Conffiles:
         /etc/init.d/ssh 3649a6fe8c18ad1d5245fd91737de507
         /etc/old.conf 11a06baf8245fd8d690b99024d228c1f obsolete
        Description: x

        Package: removed-one
        Status: deinstall ok config-files
        Conffiles:
         /etc/init.d/gone 3649a6fe8c18ad1d5245fd91737de507

        """)
        #expect(sums["/bin/cat"] == .init(digest: "7a4179e324c784b99e98fedee05260f7", package: "coreutils", conffile: false))
        #expect(sums["/usr/bin/with space"]?.package == "coreutils")
        #expect(sums["/bin/bad"] == nil)
        #expect(sums["/etc/init.d/ssh"] == .init(digest: "3649a6fe8c18ad1d5245fd91737de507", package: "openssh-server", conffile: true))
        #expect(sums["/etc/old.conf"] == nil, "obsolete")
        #expect(sums["/etc/init.d/gone"] == nil, "not installed")
        #expect(sums.count == 3)
    }

    @Test func rpmQueryOutput() {
        var sums = PackageChecksums()
        sums.addRpmQuery("8 5d41402abc4b2a76b9719d911017c592aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bash /usr/bin/bash\n8  bash /usr/share/doc/bash\n1 7a4179e324c784b99e98fedee05260f7 old /bin/x\n")
        #expect(sums["/usr/bin/bash"]?.package == "bash")
        #expect(sums["/usr/share/doc/bash"] == nil, "no digest: a directory or link")
        #expect(sums["/bin/x"]?.digest == "7a4179e324c784b99e98fedee05260f7")
    }
}
