import ArgumentParser
import NftFirewall
#if canImport(Glibc)
import Glibc
#endif

struct Lfd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lfd",
        abstract: "Login Failure Daemon: detects brute force in logs and bans through csf's nftables table.",
        discussion: """
        lfd --scan FILE [--as LOGKEY] [--json] runs the detectors over a file and bans nothing: every matching
        line with its number, app, trigger, address and account, then a summary. Without --as every detector is
        tried; with it, only those reading that log key (SSHD_LOG, POP3D_LOG, CUSTOM1_LOG, ...).
        Custom rules come from /etc/csf/regex.custom (CSF_ROOT prefixes the path).

        Exit codes: 0 success; 1 failure (unreadable file, invalid regex.custom); 2 usage error.
        """,
        version: NftFirewallVersion.string
    )

    @Option(name: .long, help: ArgumentHelp("Run the detectors over FILE without banning.", valueName: "FILE"))
    var scan: String?

    @Option(name: .customLong("as"), help: ArgumentHelp("With --scan: only the detectors of this log key.", valueName: "LOGKEY"))
    var logKey: String?

    @Flag(help: "With --scan: one JSON object per matching line, then a summary object.")
    var json = false

    @Flag(help: "Stay in the foreground (for systemd).")
    var foreground = false

    func validate() throws {
        if logKey != nil && scan == nil { throw ValidationError("--as goes with --scan") }
        if json && scan == nil { throw ValidationError("--json goes with --scan") }
    }

    func run() throws {
        let paths = CsfPaths.fromEnvironment()
        if let file = scan {
            throw ExitCode(ScanCommand(paths: paths, file: file, logKey: logKey, json: json).run())
        }
        Output.err("lfd: the daemon is not implemented yet in nftcsf \(NftFirewallVersion.string); lfd --scan FILE works")
        throw ExitCode(1)
    }
}
