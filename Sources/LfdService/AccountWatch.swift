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
final class AccountWatch {
    let passwd: String
    let shadow: String
    let baseline: String
    private(set) var fd: Int32 = -1
    private var settings = AccountTracker.Settings()
    private var interval = 60.0
    private var lastLook = 0.0
    /// When a change seen by inotify is looked at (the loop wakes for it).
    private(set) var due: Double?
    private let logger: Logger
    private let notify: @Sendable (Notice) -> Void

    init(paths: CsfPaths, logger: Logger, notify: @escaping @Sendable (Notice) -> Void) {
        passwd = paths.path("/etc/passwd")
        shadow = paths.path("/etc/shadow")
        baseline = paths.lib("nftcsf.accounts")
        self.logger = logger
        self.notify = notify
    }

    deinit { if fd >= 0 { close(fd) } }

    func configure(_ config: CsfConfig) {
        settings = AccountTracker.Settings(config: config)
        interval = Double(max(10, config.int("AT_INTERVAL")))
        guard settings.enabled else {
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

    /// Called on every pass of the loop: reads inotify's news, and looks when a change settled or the interval passed.
    func poll(now: Double) {
        guard settings.enabled else { return }
        if fd >= 0 {
            var buffer = [UInt8](repeating: 0, count: 4096)
            var changed = false
            while buffer.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) > 0 { changed = true }
            // A tool writes passwd, then shadow: look once both are done.
            if changed && due == nil { due = now + 0.2 }
        }
        if let when = due, now >= when { look(now: now) } else if now - lastLook >= interval { look(now: now) }
    }

    private func look(now: Double) {
        (due, lastLook) = (nil, now)
        guard let passwdText = try? TextFile.read(passwd) else { return }
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
