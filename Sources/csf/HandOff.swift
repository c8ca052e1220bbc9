#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import CsfFirewall

/// Commands that need heavy libraries run in the program that links them: the cluster commands in csf-fleet
/// (PostgreSQL client), `--ui-passwd` in csf-ui (libcrypto's scrypt). csf replaces itself with that program,
/// so csf's own start stays ~10 ms.
enum HandOff {
    static func fleet(_ arguments: [String], json: Bool) -> Int32 {
        exec(ClusterVerb.fleetProgram(beside: Subprocess.currentExecutable), arguments, what: "the cluster commands", json: json)
    }

    /// `csf --ui-passwd [--read-only NAME] [--verify]` is `csf-ui --passwd [--read-only NAME] [--verify]`.
    static func uiPassword(_ arguments: [String], json: Bool) -> Int32 {
        let program = Subprocess.sibling("csf-ui", of: Subprocess.currentExecutable, override: "NFTCSF_UI")
        return exec(program, ["--passwd"] + arguments, what: "--ui-passwd", json: json)
    }

    private static func exec(_ program: String, _ arguments: [String], what: String, json: Bool) -> Int32 {
        let argv = [program] + arguments
        var cargv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        execv(program, &cargv)
        let reason = String(cString: strerror(errno))
        cargv.forEach { free($0) }
        return Reporter(json: json).fail(CommandFailure(exitCode: 1, message: "csf: cannot run \(program) for \(what): \(reason)"))
    }
}
