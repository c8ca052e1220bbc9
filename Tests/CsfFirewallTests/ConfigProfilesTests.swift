import Testing
@testable import CsfCompat
@testable import CsfFirewall
import CsfTestSupport

@Suite struct ConfigProfilesTests {
    func tree() throws -> (TempDir, ConfigProfiles) {
        let dir = try TempDir.csfRoot()
        _ = Subprocess.run(["/bin/mkdir", "-p", dir.path + "/usr/share/nftcsf"], timeout: 30)
        _ = Subprocess.run(["/bin/cp", "-r", Repo.path("compat/profiles"), dir.path + "/usr/share/nftcsf/"], timeout: 30)
        var profiles = ConfigProfiles(paths: dir.paths, lockTimeout: 1)
        var clock = 1_700_000_000
        profiles.now = { clock += 1; return clock }
        return (dir, profiles)
    }

    @Test func everyShippedProfileAppliesToTheShippedConfigWithoutLeavingAKeyOut() throws {
        let (dir, profiles) = try tree()
        let shipped = profiles.list().profiles
        #expect(shipped == ["block_all_perm", "block_all_temp", "disable_alerts", "protection_high", "protection_low", "protection_medium"])
        for name in shipped {
            let outcome = try profiles.apply(name)
            #expect(!outcome.lines.contains { $0.hasPrefix("Not in ") }, "\(name): \(outcome.lines)")
            #expect(ConfigParser.load(dir.paths.config).1.filter { $0.severity == .error }.isEmpty, "\(name)")
        }
    }

    @Test func applyBacksUpFirstAndChangesOnlyTheProfilesLines() throws {
        let (dir, profiles) = try tree()
        let before = dir.read("etc/csf/csf.conf") ?? ""
        let outcome = try profiles.apply("protection_high")
        #expect(outcome.changed && outcome.lines.last == "[protection_high] has been applied. You should now restart csf and then lfd")
        let after = dir.read("etc/csf/csf.conf") ?? ""
        let changed = zip(before.split(separator: "\n", omittingEmptySubsequences: false),
                          after.split(separator: "\n", omittingEmptySubsequences: false)).filter { $0 != $1 }
        #expect(changed.contains { $0.1 == "LF_SSHD = \"3\"" } && changed.allSatisfy { $0.1.contains(" = \"") }, "\(changed)")
        #expect(before.split(separator: "\n", omittingEmptySubsequences: false).count == after.split(separator: "\n", omittingEmptySubsequences: false).count)
        let backups = profiles.list().backups
        #expect(backups.map(\.name) == ["1700000001_pre_protection_high"])
        #expect(dir.read("var/lib/csf/backup/1700000001_pre_protection_high") == before)
        // diff against the current csf.conf names what the profile changed.
        let (header, differences) = try profiles.diff("1700000001_pre_protection_high", nil)
        #expect(header == "[SETTING]\t[1700000001_pre_protection_high]\t[current]")
        #expect(differences.contains(.init(setting: "LF_SSHD", first: "5", second: "3")))
        #expect(!differences.contains { $0.setting == "TCP_IN" })
        // restore puts the backup back, byte for byte.
        _ = try profiles.restore("1700000001_pre_protection_high")
        #expect(dir.read("etc/csf/csf.conf") == before)
    }

    @Test func backupsAreNamedSafelyListedNewestFirstAndKeepPrunes() throws {
        let (dir, profiles) = try tree()
        _ = try profiles.backup(nil)
        _ = try profiles.backup("../../etc/evil name")
        _ = try profiles.backup("third")
        #expect(profiles.list().backups.map(\.name) == ["1700000003_third", "1700000002_______etc_evil_name", "1700000001_backup"])
        #expect(dir.read("etc/evil name") == nil)
        let kept = try profiles.keep("1")
        #expect(kept.lines == ["removed '\(profiles.backupDir)/1700000002_______etc_evil_name'", "removed '\(profiles.backupDir)/1700000001_backup'"])
        #expect(profiles.list().backups.map(\.name) == ["1700000003_third"])
        #expect(throws: CsfError.self) { try profiles.keep("x") }
        #expect(throws: CsfError.self) { try profiles.keep("-1") }
    }

    @Test func badNamesAndBrokenFilesChangeNothing() throws {
        let (dir, profiles) = try tree()
        let before = dir.read("etc/csf/csf.conf") ?? ""
        do {
            _ = try profiles.apply("nosuch")
            Issue.record("a missing profile was applied")
        } catch {
            #expect(error.description == "[nosuch] is not a valid profile")
        }
        #expect(throws: CsfError.self) { try profiles.restore("nosuch") }
        #expect(throws: CsfError.self) { try profiles.restore("../../../etc/passwd") }
        #expect(throws: CsfError.self) { try profiles.diff("nosuch", nil) }
        // A profile whose value would break csf.conf is refused with its file:line; no backup is made.
        try dir.write("usr/share/nftcsf/profiles/broken.conf", "# comment\nLF_SSHD = \"many\"\n")
        #expect(throws: CsfError.self) { try profiles.apply("broken") }
        try dir.write("usr/share/nftcsf/profiles/badkey.conf", "LF SSHD; = \"1\"\nlf_sshd = \"1\"\n")
        do {
            _ = try profiles.apply("badkey")
            Issue.record("a lower-case key was applied")
        } catch {
            #expect(error.description.contains("badkey.conf:2:"), "\(error)")
        }
        // A backup that no longer loads is not restored.
        try dir.write("var/lib/csf/backup/1_bad", "LF_SSHD = \"many\"\n")
        #expect(throws: CsfError.self) { try profiles.restore("1_bad") }
        #expect(dir.read("etc/csf/csf.conf") == before)
        #expect(profiles.list().backups.map(\.name) == ["1_bad"])
    }

    @Test func csfsOwnProfilesAreReadWhenOursLackTheName() throws {
        let (dir, profiles) = try tree()
        try dir.write("usr/local/csf/profiles/site.conf", "LF_SSHD = \"7\"\n")
        try dir.write("usr/local/csf/profiles/protection_low.conf", "LF_SSHD = \"99\"\n")
        #expect(profiles.list().profiles.contains("site"))
        _ = try profiles.apply("site")
        #expect(ConfigParser.load(dir.paths.config).0["LF_SSHD"] == "7")
        _ = try profiles.apply("protection_low")
        #expect(ConfigParser.load(dir.paths.config).0["LF_SSHD"] == "10", "ours wins for a shared name")
    }
}
