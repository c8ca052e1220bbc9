#if canImport(Glibc)
import Glibc
#endif
import CSys
import CsfCompat
import LfdCore
import Logging

/// Account tracking on lfd's loop: inotify on the directory of /etc/passwd tells of a change as it is written
/// (useradd, usermod and passwd replace the files by rename), a look every AT_INTERVAL is the safety net, and the
/// baseline lives in /var/lib/csf so a change made while lfd was down is told at its next start, once.
/// LF_EXPLOIT's SUPERUSER test rides on the same watch: a new UID-0 account is told as it appears, and every
/// UID-0 account other than root again every LF_EXPLOIT seconds while it exists, as csf nags.
final class AccountWatch {
    let passwd: String
    let shadow: String
    let baseline: String
    private(set) var fd: Int32 = -1
    private var settings = AccountTracker.Settings()
    private var interval = 60.0
    private var exploitEvery = 0.0
    private var suignore: Set<String> = []
    private var lastExploit = 0.0
    /// The UID-0 accounts told at the last look, so a change tells only the new ones.
    private var superusers: Set<String> = []
    private var lastLook = 0.0
    /// When a change seen by inotify is looked at (the loop wakes for it).
    private(set) var due: Double?
    private let logger: Logger
    private let notify: @Sendable (Notice) -> Void

    private let paths: CsfPaths

    init(paths: CsfPaths, logger: Logger, notify: @escaping @Sendable (Notice) -> Void) {
        self.paths = paths
        passwd = paths.path("/etc/passwd")
        shadow = paths.path("/etc/shadow")
        baseline = paths.lib("nftcsf.accounts")
        self.logger = logger
        self.notify = notify
    }

    deinit { if fd >= 0 { close(fd) } }

    var enabled: Bool { settings.enabled || exploitEvery > 0 }

    func configure(_ config: CsfConfig) {
        settings = AccountTracker.Settings(config: config)
        interval = Double(max(10, config.int("AT_INTERVAL")))
        let exploitTests = Set(config["LF_EXPLOIT_IGNORE"].filter { !$0.isWhitespace }.split(separator: ",").map { $0.uppercased() })
        exploitEvery = config.int("LF_EXPLOIT") > 0 && !exploitTests.contains("SUPERUSER") ? Double(max(60, config.int("LF_EXPLOIT"))) : 0
        suignore = Set(ListReader.read(paths.etc("csf.suignore")).lines.map(\.token))
        (lastExploit, superusers) = (0, [])
        guard enabled else {
            if fd >= 0 { close(fd); fd = -1 }
            return
        }
        if fd < 0 {
            fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
            let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE)
            if fd >= 0 && inotify_add_watch(fd, FileSystem.dirname(passwd), mask) < 0 {
                logger.warning("*WARNING* account tracking cannot watch \(FileSystem.dirname(passwd)): \(String(cString: strerror(errno))); looking every \(Int(interval)) secs")
            }
        }
        due = 0
    }

    /// Called on every pass of the loop (`readable`: its inotify descriptor has news): drains inotify, and looks
    /// when a change settled or an interval passed.
    func poll(now: Double, readable: Bool) {
        guard enabled else { return }
        if readable && fd >= 0 {
            var buffer = [UInt8](repeating: 0, count: 4096)
            var changed = false
            while buffer.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) > 0 { changed = true }
            // A tool writes passwd, then shadow: look once both are done.
            if changed && due == nil { due = now + 0.2 }
        }
        if let when = due, now >= when {
            look(now: now)
        } else if settings.enabled && now - lastLook >= interval {
            look(now: now)
        } else if exploitEvery > 0 && now - lastExploit >= exploitEvery, let text = try? TextFile.read(passwd) {
            checkSuperusers(text, now: now, every: true)
        }
    }

    /// LF_EXPLOIT: `every` (the interval) tells all of them, a change only the new ones.
    private func checkSuperusers(_ text: String, now: Double, every: Bool) {
        guard exploitEvery > 0 else { return }
        if every { lastExploit = now }
        let found = AccountTracker.superusers(passwd: text, ignoring: suignore)
        let tell = every ? found : found.filter { !superusers.contains($0) }
        superusers = Set(found)
        guard !tell.isEmpty else { return }
        for name in tell { logger.warning("\(AccountTracker.superuserReport(name).log)") }
        notify(.alert(template: "exploitalert.txt", values: ["text": tell.map { AccountTracker.superuserReport($0).report }.joined(separator: "\n")]))
    }

    private func look(now: Double) {
        (due, lastLook) = (nil, now)
        guard let passwdText = try? TextFile.read(passwd) else { return }
        checkSuperusers(passwdText, now: now, every: lastExploit == 0)
        guard settings.enabled else { return }
        let current = AccountTracker.snapshot(passwd: passwdText, shadow: (try? TextFile.read(shadow)) ?? "")
        let encoded = AccountTracker.encode(current)
        guard let saved = try? TextFile.read(baseline) else {
            save(encoded)
            return
        }
        guard saved != encoded else { return }
        let lines = AccountTracker.report(from: AccountTracker.decode(saved), to: current, settings: settings)
        save(encoded)
        guard !lines.isEmpty else { return }
        logger.warning("*Account Modification* Email sent")
        notify(.alert(template: "accounttracking.txt", values: ["report": lines.joined(separator: "\n")]))
    }

    private func save(_ text: String) {
        do {
            try FileSystem.makeDirectories(FileSystem.dirname(baseline))
            try FileSystem.writeAtomically(baseline, text, mode: 0o600)
        } catch {
            logger.error("*Error* account tracking cannot keep its baseline: \(error)")
        }
    }
}
