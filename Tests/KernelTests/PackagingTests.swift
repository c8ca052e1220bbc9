import Foundation
import Testing

/// Issue 6: the install tree, the units, the .deb and the migration check. Nothing here starts a service or
/// touches a firewall: installs go to throwaway roots.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root (dpkg into a throwaway root)"))
struct PackagingTests {
    static let releaseBuilt = FileManager.default.isExecutableFile(atPath: Repo.path(".build/release/csf"))

    func scratch(_ name: String) throws -> String {
        let dir = NSTemporaryDirectory() + "nftcsf-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func make(_ args: String...) throws -> Shell.Result {
        try Shell.run(["make", "-C", Repo.path(""), "--no-print-directory", "NOBUILD=1"] + args)
    }

    @Test(.enabled(if: releaseBuilt, "needs the release build (Tests/run.sh makes it)"))
    func installKeepsAdminFilesAndUninstallLeavesEtcUnlessPurged() throws {
        let root = try scratch("install")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/etc/csf", withIntermediateDirectories: true)
        try "TCP_IN = \"2222\"\n".write(toFile: root + "/etc/csf/csf.conf", atomically: true, encoding: .utf8)
        var r = try make("install", "DESTDIR=\(root)")
        #expect(r.status == 0, "\(r.stderr)")
        for f in ["usr/sbin/csf", "usr/sbin/lfd", "usr/sbin/csf-fleet", "usr/sbin/csf-ui", "usr/lib/systemd/system/csf-ui.service", "usr/lib/systemd/system/csf.service", "usr/lib/systemd/system/lfd.service",
                  "etc/logrotate.d/lfd", "usr/share/man/man8/csf.8.gz", "usr/share/man/man8/lfd.8.gz", "usr/share/man/man8/csf-fleet.8.gz", "usr/share/man/man8/csf-ui.8.gz",
                  "usr/share/bash-completion/completions/csf", "usr/share/zsh/vendor-completions/_csf",
                  "etc/csf/tpl/alert.txt", "etc/csf/tpl/portscan.txt", "etc/csf/csf.allow", "etc/csf/csf.deny", "etc/csf/messenger/index.html", "etc/csf/messenger/index.text", "etc/csf/messenger/index.recaptcha.html",
                  "usr/share/doc/nftcsf/copyright", "usr/share/doc/nftcsf/changelog.gz",
                  "usr/share/nftcsf/detectors/10-sshd.rules", "usr/share/nftcsf/detectors/samples/10-sshd.log"] {
            #expect(FileManager.default.fileExists(atPath: "\(root)/\(f)"), "missing \(f)")
        }
        #expect(try String(contentsOfFile: root + "/etc/csf/csf.conf", encoding: .utf8) == "TCP_IN = \"2222\"\n",
                "an admin's csf.conf is never overwritten")
        let completion = try String(contentsOfFile: root + "/usr/share/bash-completion/completions/csf", encoding: .utf8)
        #expect(completion.contains("--migrate-check"), "completions come from the CLI itself")
        // The release binary carries the Swift runtime: only system libraries remain.
        let ldd = try Shell.run(["ldd", root + "/usr/sbin/csf"]).stdout
        #expect(!ldd.contains("libswift") && !ldd.contains("not found") && ldd.contains("libnftnl"), "\(ldd)")
        // csf starts once per command: the C++ runtime the Swift runtime needs is linked in, not loaded and bound
        // at every start (tools/static-libstdcxx.sh, Package.swift).
        #expect(!ldd.contains("libstdc++") && !ldd.contains("libgcc_s"), "csf loads libstdc++ or libgcc_s: \(ldd)")
        // libnftables (and the libraries it needs) is loaded when a transaction or a listing needs it, not by
        // every list command; the package still depends on it.
        #expect(!ldd.contains("libnftables") && !ldd.contains("libxtables"), "\(ldd)")
        // Only lfd's detectors need PCRE2; csf stays a small command.
        #expect(!ldd.contains("libpcre2") && !ldd.contains("libcrypto") && !ldd.contains("libcurl"), "csf links PCRE2, libcrypto or libcurl: \(ldd)")
        // The PostgreSQL client (SwiftNIO) lives in csf-fleet only: csf stays a small, fast command.
        let sizes = try [root + "/usr/sbin/csf", root + "/usr/sbin/csf-fleet"].map { try FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int ?? 0 }
        #expect(sizes[0] * 3 / 2 < sizes[1], "csf \(sizes[0]) bytes, csf-fleet \(sizes[1])")
        #expect(try Shell.run(["ldd", root + "/usr/sbin/lfd"]).stdout.contains("libpcre2"))
        #expect(try Shell.run([root + "/usr/sbin/csf", "-v"]).stdout.hasPrefix("csf: v"))

        r = try make("uninstall", "DESTDIR=\(root)")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/usr/sbin/csf"))
        #expect(!FileManager.default.fileExists(atPath: root + "/usr/lib/systemd/system/lfd.service"))
        #expect(!FileManager.default.fileExists(atPath: root + "/usr/share/doc/nftcsf"))
        #expect(FileManager.default.fileExists(atPath: root + "/etc/csf/tpl/alert.txt"), "templates are configuration: they stay")
        #expect(FileManager.default.fileExists(atPath: root + "/etc/csf/csf.conf"), "/etc/csf stays unless asked")
        r = try make("uninstall", "DESTDIR=\(root)", "PURGE=1")
        #expect(r.status == 0 && !FileManager.default.fileExists(atPath: root + "/etc/csf"))
    }

    /// Debian policy: lintian finds no error and no warning (the 0600/0700 modes csf needs are overridden with
    /// the reason, in the package).
    @Test(.enabled(if: releaseBuilt, "needs the release build (Tests/run.sh makes it)"))
    func debPassesLintian() throws {
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/lintian"), "Tests/run.sh installs lintian")
        #expect(try make("deb").status == 0)
        let deb = try #require(try FileManager.default.contentsOfDirectory(atPath: Repo.path("dist")).first { $0.hasSuffix(".deb") })
        let r = try Shell.run(["lintian", "--fail-on", "error,warning", Repo.path("dist/" + deb)])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    }

    @Test func unitsPassSystemdAnalyzeVerify() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else { return }
        let dir = try scratch("units")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The units name /usr/sbin/csf; verify them against the binaries of this checkout instead.
        for unit in ["csf.service", "lfd.service"] {
            let text = try String(contentsOfFile: Repo.path("compat/systemd/\(unit)"), encoding: .utf8)
            let binDir = URL(fileURLWithPath: NetLab.csfBinary).deletingLastPathComponent().path
            try text.replacingOccurrences(of: "/usr/sbin/", with: binDir + "/").write(toFile: "\(dir)/\(unit)", atomically: true, encoding: .utf8)
            #expect(text.contains("ExecStart=/usr/sbin/") && !text.contains("ExecStartPre"))
        }
        let r = try Shell.run(["systemd-analyze", "verify", "--man=no", "\(dir)/csf.service", "\(dir)/lfd.service"])
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r)")
        let csf = try String(contentsOfFile: Repo.path("compat/systemd/csf.service"), encoding: .utf8)
        #expect(csf.contains("Type=oneshot") && csf.contains("RemainAfterExit=yes") && csf.contains("ExecReload=/usr/sbin/csf --restart")
                && csf.contains("After=nftables.service") && csf.contains("Before=network-pre.target") && csf.contains("Wants=network-pre.target") && !csf.contains("After=network-pre.target"))
        let lfd = try String(contentsOfFile: Repo.path("compat/systemd/lfd.service"), encoding: .utf8)
        #expect(lfd.contains("Type=notify") && lfd.contains("WatchdogSec=") && lfd.contains("Restart=on-failure") && lfd.contains("After=csf.service"))
    }

    @Test(.enabled(if: releaseBuilt, "needs the release build (Tests/run.sh makes it)"))
    func debBuildsListsItsFilesAndInstallsIntoAThrowawayRoot() throws {
        var r = try make("deb")
        #expect(r.status == 0, "\(r.stderr)")
        let debs = try FileManager.default.contentsOfDirectory(atPath: Repo.path("dist")).filter { $0.hasSuffix(".deb") }
        let deb = try #require(debs.first.map { Repo.path("dist/" + $0) })
        let listing = try Shell.run(["dpkg-deb", "-c", deb]).stdout
        for f in ["./usr/sbin/csf", "./usr/sbin/lfd", "./etc/csf/csf.conf", "./usr/lib/systemd/system/csf.service",
                  "./usr/share/man/man8/csf.8.gz", "./etc/csf/tpl/alert.txt", "./etc/logrotate.d/lfd",
                  "./usr/share/doc/nftcsf/copyright", "./usr/share/doc/nftcsf/changelog.gz"] {
            #expect(listing.contains(f), "\(f) not in the package")
        }
        let control = try Shell.run(["dpkg-deb", "-f", deb, "Depends"]).stdout
        #expect(control.contains("libnftables1") && control.contains("libnftnl11") && control.contains("libmnl0"))
        #expect(try Shell.run(["dpkg-deb", "-f", deb, "Conffiles"]).status == 0)
        // A throwaway root whose dpkg database is a copy of this machine's, so Depends are checked for real;
        // maintainer scripts run outside a chroot with DPKG_ROOT set and must touch nothing else.
        let root = try scratch("dpkgroot")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/var/lib/dpkg/info", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/var/lib/dpkg/updates", withIntermediateDirectories: true)
        try Shell.check(["cp", "/var/lib/dpkg/status", root + "/var/lib/dpkg/status"])
        let rulesetBefore = try Shell.run(["nft", "list", "ruleset"]).stdout
        r = try Shell.run(["dpkg", "--root=\(root)", "--force-script-chrootless", "--force-not-root", "-i", deb])
        #expect(r.status == 0 && !r.stderr.contains("dependency problems"), "\(r)")
        #expect(FileManager.default.isExecutableFile(atPath: root + "/usr/sbin/csf"))
        #expect(try Shell.run(["dpkg", "--root=\(root)", "-s", "nftcsf"]).stdout.contains("Status: install ok installed"))
        // An upgrade (the same build installed again) keeps what the admin changed: templates are conffiles.
        let template = root + "/etc/csf/tpl/alert.txt"
        try "From: lfd@example.net\nTo: noc@example.net\nSubject: ours\n\n[text]\n".write(toFile: template, atomically: true, encoding: .utf8)
        try "TCP_IN = \"2222\"\n".write(toFile: root + "/etc/csf/csf.conf", atomically: true, encoding: .utf8)
        r = try Shell.run(["dpkg", "--root=\(root)", "--force-script-chrootless", "--force-not-root", "--force-confold", "-i", deb])
        #expect(r.status == 0, "\(r)")
        #expect(try String(contentsOfFile: template, encoding: .utf8).contains("Subject: ours"), "an upgrade overwrote a changed template")
        #expect(try String(contentsOfFile: root + "/etc/csf/csf.conf", encoding: .utf8) == "TCP_IN = \"2222\"\n")
        r = try Shell.run(["dpkg", "--root=\(root)", "--force-script-chrootless", "--purge", "nftcsf"])
        #expect(r.status == 0 && !FileManager.default.fileExists(atPath: root + "/usr/sbin/csf"), "\(r)")
        #expect(try Shell.run(["nft", "list", "ruleset"]).stdout == rulesetBefore, "installing touched no firewall")
    }

    /// `csf --migrate-check` on a stock csf tree (every key present, generic defaults) and on one that uses
    /// features nftcsf lacks, with a Perl csf's /var/lib/csf files left in place.
    @Test func migrateCheckOnAStockTreeAndOnOneThatWouldLoseSecurity() throws {
        let root = try scratch("migrate")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/var/lib/csf", withIntermediateDirectories: true)
        try Shell.check(["cp", "-r", Repo.path("compat/etc/csf"), root + "/etc/"])
        let conf = try String(contentsOfFile: root + "/etc/csf/csf.conf", encoding: .utf8)
        #expect(conf.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.contains(" = ") }.count >= 414, "every csf key present")
        // What a Perl csf leaves in /var/lib/csf: a temporary ban and lfd's block history.
        let now = Int(Date().timeIntervalSince1970)
        try "\(now)|198.51.100.77|22|in|3600|lfd - (sshd) Failed SSH login\n".write(toFile: root + "/var/lib/csf/csf.tempban", atomically: true, encoding: .utf8)
        try "198.51.100.77|0|\(now)|(sshd) Failed SSH login\n".write(toFile: root + "/var/lib/csf/csf.tempip", atomically: true, encoding: .utf8)
        var r = try Shell.run(["env", "CSF_ROOT=\(root)", NetLab.csfBinary, "--migrate-check"])
        #expect(r.status == 0 && r.stdout.contains("migration check passed"), "\(r)")
        #expect(!r.stdout.contains("LF_INTEGRITY") && !r.stdout.contains("LF_DIRWATCH") && !r.stdout.contains("PT_LIMIT") && r.stdout.contains("LF_LOOKUPS") && !r.stdout.contains("IPTABLES_LOG"), "\(r.stdout)")
        #expect(!r.stdout.contains("LOST"))
        var lines = conf.components(separatedBy: "\n")
        for (i, l) in lines.enumerated() where l.hasPrefix("CLUSTER_SENDTO =") { lines[i] = "CLUSTER_SENDTO = \"192.0.2.9\"" }
        try lines.joined(separator: "\n").write(toFile: root + "/etc/csf/csf.conf", atomically: true, encoding: .utf8)
        try "SPAMDROP|86400|0|https://www.spamhaus.org/drop/drop.txt\nBROKEN|daily|0|https://lists.example/b.txt\n".write(toFile: root + "/etc/csf/csf.blocklists", atomically: true, encoding: .utf8)
        r = try Shell.run(["env", "CSF_ROOT=\(root)", NetLab.csfBinary, "--migrate-check", "--json"])
        #expect(r.status == 1, "\(r)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let lost = (json?["findings"] as? [[String: Any]] ?? []).filter { $0["loses_security"] as? Bool == true }.compactMap { $0["key"] as? String }
        #expect(lost.sorted() == ["CLUSTER_SENDTO", "csf.blocklists:2"], "blocklists load; a broken line is lost: \(lost)")
        #expect(json?["ok"] as? Bool == false && (json?["errors"] as? [Any])?.isEmpty == true)
        // A list csf could not load is a lost-security error too, with its file:line; the check writes nothing.
        try "192.0.2.300 # junk\n".write(toFile: root + "/etc/csf/csf.deny", atomically: true, encoding: .utf8)
        let checksums = ["sh", "-c", "cd \(root) && find . -type f -exec md5sum {} + | sort"]
        let tree = try Shell.run(checksums).stdout
        r = try Shell.run(["env", "CSF_ROOT=\(root)", NetLab.csfBinary, "--migrate-check"])
        #expect(r.status == 1 && r.stdout.contains("csf.deny:1: error") && r.stdout.contains("1 file error(s)"), "\(r)")
        #expect(try Shell.run(checksums).stdout == tree && tree.contains("csf.conf"), "nothing written")
    }
}
