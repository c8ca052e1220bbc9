import ArgumentParser
import CsfCompat
import CsfFirewall
import LfdCore
import LfdService
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

        lfd --foreground stays attached (systemd Type=notify: READY=1 after start-up, WATCHDOG=1 every LF_PARSE
        seconds); plain lfd starts the same daemon detached and returns once it runs (a daemon that ends while
        starting is reported with its status and what it wrote to lfd.log). SIGTERM/SIGINT stop it,
        SIGHUP reloads csf.conf, regex.custom and the ignore lists without losing the failure counters.
        It refuses to run, as csf's lfd does, with csf.disable or csf.error present, LF_DAEMON=0 or TESTING=1.

        Exit codes: 0 success, or not running by choice (csf disabled, LF_DAEMON = "0", TESTING = "1"); 1 failure
        (csf.error present, already running, unreadable file, invalid csf.conf or
        regex.custom); 2 usage error.
        """,
        version: NftcsfVersion.string
    )

    @Option(name: .long, help: ArgumentHelp("Run the detectors over FILE without banning.", valueName: "FILE"))
    var scan: String?

    @Option(name: .customLong("as"), help: ArgumentHelp("With --scan: only the detectors of this log key.", valueName: "LOGKEY"))
    var logKey: String?

    @Flag(help: "With --scan: one JSON object per matching line, then a summary object; with --status: the status as JSON.")
    var json = false

    @Flag(help: "Show whether lfd runs, which file or journal source each check reads, what it tracks and its last bans (exit 1 when not running).")
    var status = false

    @Flag(help: "With --scan: print only the summary.")
    var quiet = false

    @Flag(help: "Stay in the foreground (for systemd).")
    var foreground = false

    func validate() throws {
        if logKey != nil && scan == nil { throw ValidationError("--as goes with --scan") }
        if json && scan == nil && !status { throw ValidationError("--json goes with --scan or --status") }
        if status && (scan != nil || foreground) { throw ValidationError("--status goes alone (or with --json)") }
    }

    func run() throws {
        let paths = CsfPaths.fromEnvironment()
        if status {
            let report = LfdControl(paths: paths).report()
            if json { print(JSONText.encode(report)) } else { LfdControl.lines(report).forEach { print($0) } }
            throw ExitCode(report.running ? 0 : 1)
        }
        if let file = scan {
            throw ExitCode(ScanCommand(paths: paths, file: file, logKey: logKey, json: json, quiet: quiet).run())
        }
        if foreground {
            throw ExitCode(LfdDaemon(paths: paths, logger: LfdLogging.logger(paths: paths, toStandardError: true)).run())
        }
        throw ExitCode(daemonize(paths))
    }
}

/// Plain `lfd`: checks what it can report here, starts `lfd --foreground` in its own session, and waits
/// until the daemon has written its pid file. Compiling the rules and opening the logs can take seconds on a
/// loaded host, so it waits as long as the daemon lives, up to `startTimeout`; a daemon that ends meanwhile is
/// reported with its status and what it wrote to lfd.log, and one still starting at the timeout is stopped, so
/// "did not start" is never followed by a daemon that starts after all.
func daemonize(_ paths: CsfPaths) -> Int32 {
    let (config, diagnostics) = ConfigParser.load(paths.config)
    if let error = diagnostics.first(where: { $0.severity == .error }) {
        Output.err(error.description)
        return 1
    }
    if let refusal = LfdDaemon.refusal(paths: paths, config: config) {
        Output.err("lfd: \(refusal.message)")
        return refusal.exitCode
    }
    if let problem = LfdDaemon.startProblems(paths: paths, config: config) {
        Output.err(problem.description)
        return 1
    }
    if LfdDaemon.isRunning(paths) {
        Output.err("lfd: already running (\(LfdDaemon.pidFile(paths)) is locked)")
        return 1
    }
    let logEnd = LogTail.end(paths.lfdLog)
    // A process-events socket handed down (tests: subscribed in the root network namespace) goes to the daemon as fd 3.
    let events = Environment.value("NFTCSF_PROC_EVENTS_FD").flatMap(Int32.init)
    guard let pid = Subprocess.spawnDetached([Subprocess.currentExecutable, "--foreground"],
                                             extraEnvironment: events == nil ? [:] : ["NFTCSF_PROC_EVENTS_FD": "3"], inheriting: events) else {
        Output.err("lfd: cannot start the daemon")
        return 1
    }
    let deadline = SystemTime.monotonic + startTimeout
    while SystemTime.monotonic < deadline {
        if let text = try? TextFile.read(LfdDaemon.pidFile(paths)), Int32(text.filter { !$0.isWhitespace }) == pid {
            print("lfd: started (pid \(pid))")
            return 0
        }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            Output.err("lfd: the daemon ended while starting (\(describe(status))); see \(paths.lfdLog)")
            LogTail.lines(paths.lfdLog, count: 10, since: logEnd).forEach { Output.err("  " + $0) }
            return 1
        }
        usleep(50_000)
    }
    kill(pid, SIGTERM)
    Output.err("lfd: the daemon had not started after \(Int(startTimeout)) s and was stopped; see \(paths.lfdLog)")
    LogTail.lines(paths.lfdLog, count: 10, since: logEnd).forEach { Output.err("  " + $0) }
    return 1
}

/// systemd's own default start timeout is 90 s; a start this long means something is wrong, not slow.
let startTimeout = 60.0

private func describe(_ status: Int32) -> String {
    let signal = status & 0x7f
    return signal == 0 ? "exit status \((status >> 8) & 0xff)" : "killed by signal \(signal)"
}
