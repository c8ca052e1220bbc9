#if canImport(Glibc)
import Glibc
#endif
import CSys

/// Runs helper programs (csfpre/csfpost scripts, the lockout watchdog) without a shell in between.
public enum Subprocess {
    public enum Outcome: Equatable, Sendable {
        case exited(Int32)
        case signaled(Int32)
        case timedOut
        case failedToStart(String)
    }

    /// csf runs its hook scripts with this PATH appended.
    static let extraPath = "/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin"

    static func environment(extra: [String: String] = [:]) -> [String] {
        var env: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        env["PATH"] = (env["PATH"].map { $0 + ":" } ?? "") + extraPath
        for (k, v) in extra { env[k] = v }
        return env.map { "\($0.key)=\($0.value)" }
    }

    /// Runs to completion or kills the whole process group after `timeout` seconds.
    /// `input` becomes the program's standard input (through an unlinked temporary file: no pipe to deadlock on).
    public static func run(_ argv: [String], input: String? = nil, timeout: Double, quiet: Bool = false) -> Outcome {
        run(argv, input: input, timeout: timeout, quiet: quiet, stdout: nil)
    }

    /// Runs with its standard output going to `stdout` (a file the caller opened) and its errors discarded.
    public static func run(_ argv: [String], timeout: Double, stdout: Int32) -> Outcome {
        run(argv, input: nil, timeout: timeout, quiet: true, stdout: stdout)
    }

    /// What the program printed on its standard output (kept in memory, not in a file), when it exited 0 in time.
    public static func output(_ argv: [String], timeout: Double, limit: Int = 256 << 20) -> String? {
        let fd = memfd_create("nftcsf-output", CSYS_MFD_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard run(argv, input: nil, timeout: timeout, quiet: true, stdout: fd) == .exited(0) else { return nil }
        let size = Int(lseek(fd, 0, SEEK_END))
        guard size >= 0, size <= limit else { return nil }
        var bytes = [UInt8](repeating: 0, count: size)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, size, 0) }
        return n == size ? String(decoding: bytes, as: UTF8.self) : nil
    }

    private static func run(_ argv: [String], input: String?, timeout: Double, quiet: Bool, stdout: Int32?) -> Outcome {
        var inputPath: String?
        if let input {
            var template = Array("/tmp/nftcsf-input-XXXXXX".utf8CString)
            let fd = mkstemp(&template)
            guard fd >= 0 else { return .failedToStart(String(cString: strerror(errno))) }
            _ = input.withCString { write(fd, $0, strlen($0)) }
            close(fd)
            inputPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        defer { if let inputPath { unlink(inputPath) } }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP) | cleanSignals(&attr))
        posix_spawnattr_setpgroup(&attr, 0)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inputPath ?? "/dev/null", O_RDONLY, 0)
        // The capture descriptor is put in place before everything from 3 up is closed.
        if let stdout {
            posix_spawn_file_actions_adddup2(&actions, stdout, 1)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        } else if quiet {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        guard let pid = spawn(argv, attr: &attr, actions: &actions, env: environment()) else {
            return .failedToStart(String(cString: strerror(errno)))
        }
        let deadline = SystemTime.monotonic + timeout
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { return .failedToStart(String(cString: strerror(errno))) }
            if SystemTime.monotonic >= deadline {
                kill(-pid, SIGKILL)
                waitpid(pid, &status, 0)
                return .timedOut
            }
            usleep(5_000)
        }
        if status & 0x7f == 0 { return .exited((status >> 8) & 0xff) }
        return .signaled(status & 0x7f)
    }

    /// Starts a program in its own session with no terminal, so it outlives the CLI that started it.
    /// `inheriting` passes descriptors on as fd 3, 4, ….
    public static func spawnDetached(_ argv: [String], extraEnvironment: [String: String] = [:], inheriting fd: Int32? = nil) -> pid_t? {
        spawnDetached(argv, extraEnvironment: extraEnvironment, inheriting: fd.map { [$0] } ?? [])
    }

    public static func spawnDetached(_ argv: [String], extraEnvironment: [String: String] = [:], inheriting fds: [Int32]) -> pid_t? {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, Int16(CSYS_POSIX_SPAWN_SETSID) | cleanSignals(&attr))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // An inherited pipe would keep a caller (a shell pipeline, Ansible) waiting for the watchdog to exit.
        // Every descriptor is first copied above the targets, so that one's dup2 cannot overwrite another's source.
        let high = max(Int32(3 + fds.count), (fds.max() ?? 0) + 1)
        for (i, fd) in fds.enumerated() { posix_spawn_file_actions_adddup2(&actions, fd, high + Int32(i)) }
        for i in fds.indices { posix_spawn_file_actions_adddup2(&actions, high + Int32(i), 3 + Int32(i)) }
        posix_spawn_file_actions_addclosefrom_np(&actions, 3 + Int32(fds.count))
        return spawn(argv, attr: &attr, actions: &actions, env: environment(extra: extraEnvironment))
    }

    /// nftcsf's helper program `name` installed beside `executable`; the environment variable `override` names
    /// another (tests, unusual layouts).
    public static func sibling(_ name: String, of executable: String, override: String) -> String {
        if let p = Environment.value(override), !p.isEmpty { return p }
        guard let slash = executable.lastIndex(of: "/") else { return name }
        return String(executable[...slash]) + name
    }

    /// Starts a helper that lives as long as lfd (in lfd's process group, so a stop of the service stops it too):
    /// `input` becomes its stdin (lfd's end of a pipe: end of file tells it lfd is gone), its output is discarded.
    /// `errors`: where its stdout and stderr go (lfd's log), /dev/null when nil.
    public static func spawnChild(_ argv: [String], input: Int32, extraEnvironment: [String: String] = [:], errors: Int32? = nil) -> pid_t? {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, cleanSignals(&attr))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input, 0)
        if let errors {
            posix_spawn_file_actions_adddup2(&actions, errors, 1)
            posix_spawn_file_actions_adddup2(&actions, errors, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        return spawn(argv, attr: &attr, actions: &actions, env: environment(extra: extraEnvironment))
    }

    /// A child starts with no signal blocked and the default action for the signals lfd handles itself (lfd
    /// blocks SIGTERM/SIGINT/SIGHUP for its signalfd, and a mask is inherited across exec): a hook script,
    /// sendmail or the watchdog must stop when told to. Returns the flags that make posix_spawn apply this.
    private static func cleanSignals(_ attr: inout posix_spawnattr_t) -> Int16 {
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attr, &none)
        var handled = sigset_t()
        sigemptyset(&handled)
        for s in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&handled, s) }
        posix_spawnattr_setsigdefault(&attr, &handled)
        return Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
    }

    private static func spawn(_ argv: [String], attr: inout posix_spawnattr_t, actions: inout posix_spawn_file_actions_t,
                              env: [String]) -> pid_t? {
        guard let path = argv.first else { return nil }
        var cargv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cenv: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer {
            cargv.forEach { free($0) }
            cenv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attr, &cargv, &cenv)
        if rc != 0 {
            errno = rc
            return nil
        }
        return pid
    }

    /// The path of the running executable, to re-run ourselves as the watchdog.
    public static var currentExecutable: String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        return n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    }
}
