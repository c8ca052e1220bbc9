import CsfCompat

/// csf's cluster commands (`-cd -ctd -ca -cta -cr -car -ci -cir -cp -cg`, reference §7.2). csf hands them, and
/// `--cluster`, to the csf-fleet program, which alone links the database client.
public enum ClusterVerb: String, Sendable, CaseIterable {
    case deny = "-cd", tempdeny = "-ctd", allow = "-ca", tempallow = "-cta", remove = "-cr", allowremove = "-car"
    case ignore = "-ci", ignoreremove = "-cir", ping = "-cp", grep = "-cg"
    /// The master's configuration push: a setting, a file of /etc/csf, a restart.
    case config = "-cc", file = "-cf", restart = "-crs"

    /// Long spellings (csf's): `--cdeny`, `--ctempdeny`, ...
    public static let spellings: [String: ClusterVerb] = {
        var map: [String: ClusterVerb] = [:]
        for c in allCases { map[c.rawValue] = c }
        let long: [String: ClusterVerb] = ["--cdeny": .deny, "--ctempdeny": .tempdeny, "--callow": .allow, "--ctempallow": .tempallow,
                                            "--crm": .remove, "--carm": .allowremove, "--cignore": .ignore, "--cirm": .ignoreremove,
                                            "--cping": .ping, "--cgrep": .grep,
                                            "--cconfig": .config, "--cfile": .file, "--crestart": .restart]
        map.merge(long) { a, _ in a }
        return map
    }()

    /// The program csf runs for these commands: beside csf itself, or NFTCSF_FLEET.
    public static func fleetProgram(beside executable: String) -> String {
        Subprocess.sibling("csf-fleet", of: executable, override: "NFTCSF_FLEET")
    }
}
