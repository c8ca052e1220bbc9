#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import CsfFirewall

/// csf's cluster commands run in csf-fleet, which links the PostgreSQL client; csf replaces itself with it, so
/// csf's own start stays ~10 ms and carries no SwiftNIO.
enum FleetHandOff {
    static func exec(_ arguments: [String], json: Bool) -> Int32 {
        let program = ClusterVerb.fleetProgram(beside: Subprocess.currentExecutable)
        let argv = [program] + arguments
        var cargv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        execv(program, &cargv)
        let reason = String(cString: strerror(errno))
        cargv.forEach { free($0) }
        return Reporter(json: json).fail(CommandFailure(exitCode: 1, message: "csf: cannot run \(program) for the cluster commands: \(reason)"))
    }
}
