#if canImport(Glibc)
import Glibc
#endif
import CSys
import CsfCompat
import LfdCore
import Logging

/// LF_DIRWATCH (reference §6.9): csf's directories (/tmp, /dev/shm, /var/tmp, /etc/cron.*) watched with
/// inotify, so a suspicious file is told as it is written, not at csf's next 300-second walk. A walk still runs
/// at start, after the kernel's event queue overflowed, every LF_DIRWATCH seconds while a directory could not be
/// watched, and hourly as a safety net. Memory is per directory (a watch, a path), never per file.
///
/// Every look opens by file descriptor with no symbolic link on the way, and a quarantine copies and removes
/// the very file that was judged (device and inode checked): csf's path-based `tar` and `unlink` in /tmp let an
/// attacker swap a directory for a link to /etc between the check and the removal.
final class DirectoryWatch {
    struct Plan: Sendable {
        var roots: [String] = []
        /// Roots where only core dumps are suspicious (/etc/cron.*).
        var cronRoots: Set<String> = []
        var interval = 0.0
        var flush = 3600.0
        var quarantine = false
        var tar = "/bin/tar"
        var archive = ""
        var staging = ""
        var ignore = FileIgnore()

        var enabled: Bool { interval > 0 && !roots.isEmpty }
    }

    /// More files than this told in one LF_DIRWATCH window and the rest are counted, not told one by one (csf
    /// turned directory watching off until a restart, which let an attacker silence it with eleven files).
    static let tellLimit = 10
    /// The safety-net walk when every directory is watched.
    static let safetyWalk = 3600.0

    private var plan = Plan()
    private var inotify: Int32 = -1
    private var watched: [Int32: RawPath] = [:]
    /// Paths told, and when: told again after LF_FLUSH while still there, as csf does.
    private var told: [RawPath: Double] = [:]
    private var incomplete = false
    private var walked = 0
    private var walkedOnce = false
    private var nextWalk = 0.0
    private var nextRetell = 0.0
    private var window = (start: 0.0, told: 0, held: 0, removed: 0)
    private var staged: [String] = []
    private let logger: Logger
    private let notify: @Sendable (Notice) -> Void

    init(logger: Logger, notify: @escaping @Sendable (Notice) -> Void) {
        self.logger = logger
        self.notify = notify
    }

    deinit { if inotify >= 0 { close(inotify) } }

    var fd: Int32 { inotify }
    var nextDue: Double { plan.enabled ? min(nextWalk, nextRetell, window.held > 0 ? window.start + plan.interval : .infinity) : .infinity }
    var watchCount: Int { watched.count }

    static func plan(paths: CsfPaths, config: CsfConfig, ignore: FileIgnore) -> Plan {
        var plan = Plan()
        plan.interval = Double(config.int("LF_DIRWATCH"))
        guard plan.interval > 0 else { return plan }
        plan.interval = max(60, plan.interval)
        plan.flush = Double(max(60, config.int("LF_FLUSH")))
        plan.quarantine = config.bool("LF_DIRWATCH_DISABLE")
        plan.tar = config["TAR"].trimmingWhitespace()
        plan.archive = paths.lib("suspicious.tar")
        plan.staging = paths.lib("suspicious.staging")
        plan.ignore = ignore
        let cron = ["/etc/cron.d", "/etc/cron.daily", "/etc/cron.hourly", "/etc/cron.weekly"].map { paths.path($0) }
        var roots = ["/tmp", "/dev/shm", "/usr/local/apache/proxy"].map { paths.path($0) } + cron
        // /var/tmp and /usr/tmp unless they are /tmp (a link or a bind mount), as csf compares inodes.
        var tmp = stat()
        let tmpInode = stat(paths.path("/tmp"), &tmp) == 0 ? tmp.st_ino : 0
        for extra in ["/var/tmp", "/usr/tmp"].map({ paths.path($0) }) {
            var st = stat()
            if lstat(extra, &st) == 0 && st.st_ino != tmpInode && (st.st_mode & S_IFMT) == S_IFDIR { roots.append(extra) }
        }
        plan.roots = roots.filter { FileSystem.isDirectory($0) }
        plan.cronRoots = Set(cron)
        return plan
    }

    func apply(_ new: Plan, now: Double) {
        let rootsChanged = new.roots != plan.roots
        plan = new
        guard plan.enabled else {
            if inotify >= 0 { close(inotify) }
            (inotify, watched, told, staged) = (-1, [:], [:], [])
            return
        }
        if rootsChanged || inotify < 0 {
            if inotify >= 0 { close(inotify) }
            inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
            watched = [:]
            if inotify < 0 { logger.warning("*WARNING* directory watching: inotify: \(String(cString: strerror(errno))); walking every \(Int(plan.interval)) secs") }
            nextWalk = now
        }
        nextRetell = now + plan.flush
        window = (now, 0, 0, 0)
    }

    func run(now: Double, readable: Bool) {
        guard plan.enabled else { return }
        closeWindowIfDue(now: now)
        if readable { drain(now: now) }
        if now >= nextWalk { walk(now: now) }
        if now >= nextRetell { retell(now: now) }
        flushQuarantine()
    }

    // MARK: events

    private static let dirMask = UInt32(IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | IN_DONT_FOLLOW | IN_ONLYDIR | IN_EXCL_UNLINK)

    private func drain(now: Double) {
        var overflow = false
        var changedDirs: [RawPath] = []
        var candidates: [RawPath] = []
        InotifyEvents.drain(inotify) { wd, mask, name in
            if mask & UInt32(IN_Q_OVERFLOW) != 0 { overflow = true; return }
            if mask & UInt32(IN_IGNORED) != 0 { watched[wd] = nil; return }
            guard let dir = watched[wd], !name.isEmpty else { return }
            let path = dir.appending(name)
            if mask & UInt32(IN_ISDIR) != 0 && mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 { changedDirs.append(path) }
            candidates.append(path)
        }
        if overflow {
            logger.warning("Directory Watching: the kernel's event queue overflowed; walking the watched directories")
            nextWalk = now
            return
        }
        // A directory that arrives may already hold files (mkdir -p, mv): watch it and walk it.
        for dir in changedDirs { walk(from: dir, now: now, deadline: now + plan.interval / 10 + 10) }
        var seen = Set<RawPath>()
        for path in candidates where seen.insert(path).inserted { look(at: path, now: now) }
    }

    // MARK: walks

    private func walk(now: Double) {
        let deadline = now + plan.interval / 10 + 10
        incomplete = inotify < 0
        walked = 0
        for root in plan.roots {
            if !walk(from: RawPath(root), now: now, deadline: deadline) {
                logger.warning("Directory Watching terminated after \(Int(plan.interval / 10 + 10)) seconds")
                break
            }
        }
        let took = SystemTime.monotonic - now
        if took >= 1 || !walkedOnce {
            logger.info("Directory Watching: \(walked) entries walked, \(watched.count) directories watched, in \(took.twoDecimals) secs")
        }
        walkedOnce = true
        nextWalk = SystemTime.monotonic + (incomplete ? plan.interval : max(plan.interval, Self.safetyWalk))
    }

    /// Watches and judges everything under `top` (itself judged too unless it is a root). False when the
    /// deadline passed.
    @discardableResult
    private func walk(from top: RawPath, now: Double, deadline: Double) -> Bool {
        var pending = [top]
        if !plan.roots.contains(top.text) { look(at: top, now: now) }
        var visited = 0
        while let dir = pending.popLast() {
            addWatch(dir)
            let fd = dir.openNoSymlinks(O_RDONLY | O_DIRECTORY)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            DirectoryEntries.forEach(fd) { name, type in
                let path = dir.appending(name)
                if type == UInt8(DT_DIR) { pending.append(path) }
                judge(parent: fd, parentPath: dir, name: name, path: path, now: now)
                visited += 1
                walked += 1
                return visited % 4096 != 0 || SystemTime.monotonic < deadline
            }
            if SystemTime.monotonic >= deadline { return false }
        }
        return true
    }

    private func addWatch(_ dir: RawPath) {
        guard inotify >= 0 else { return }
        let wd = dir.withCString { inotify_add_watch(inotify, $0, Self.dirMask) }
        if wd >= 0 {
            watched[wd] = dir
        } else {
            if !incomplete {
                logger.warning("*WARNING* Directory Watching cannot watch \(shown(dir.text)): \(String(cString: strerror(errno))); walking every \(Int(plan.interval)) secs")
            }
            incomplete = true
        }
    }

    /// Looks at one path an event named (opening its directory afresh).
    private func look(at path: RawPath, now: Double) {
        let parent = path.parent
        let fd = parent.openNoSymlinks(O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return }
        defer { close(fd) }
        judge(parent: fd, parentPath: parent, name: path.name, path: path, now: now)
    }

    // MARK: verdicts

    private func judge(parent: Int32, parentPath: RawPath, name: [UInt8], path: RawPath, now: Double) {
        if let when = told[path], now - when < plan.flush { return }
        let text = path.text
        if plan.ignore.ignores(path: text) { return }
        var st = stat()
        let found = (name + [0]).withUnsafeBufferPointer { name in
            name.withMemoryRebound(to: CChar.self) { fstatat(parent, $0.baseAddress!, &st, AT_SYMLINK_NOFOLLOW) == 0 }
        }
        guard found else { return }
        let kind: SuspiciousFile.Kind
        switch st.st_mode & S_IFMT {
        case S_IFLNK: kind = .symlink(target: Self.linkTarget(parent, name))
        case S_IFDIR: kind = .directory
        case S_IFREG: kind = .regular
        default: kind = .other
        }
        let inCron = plan.cronRoots.contains { path.hasPrefix(RawPath($0)) }
        let nameText = String(decoding: name, as: UTF8.self)
        guard let reason = SuspiciousFile.reason(path: text, name: nameText, kind: kind, uid: st.st_uid, inCron: inCron,
                                                 head: { Self.head(parent, name, st) }) else { return }
        let owner = Accounts.name(ofUID: st.st_uid)
        if !nameText.hasPrefix("core."), plan.ignore.ignores(uid: st.st_uid, owner: owner) { return }
        told[path] = now
        report(path: path, reason: reason, st: st, kind: kind, parent: parent, owner: owner, now: now)
    }

    private func report(path: RawPath, reason: String, st: stat, kind: SuspiciousFile.Kind, parent: Int32, owner: String?, now: Double) {
        let ownerText = "\(owner ?? "-"):\(Accounts.name(ofGID: st.st_gid) ?? "-") (\(st.st_uid):\(st.st_gid))"
        var action = "No action taken", suffix = ""
        if plan.quarantine {
            switch kind {
            case .symlink:
                if remove(parent, path, st) { (action, suffix) = ("Symlink removed", " - symlink removed") }
            case .regular:
                if stage(parent, path, st), remove(parent, path, st) {
                    (action, suffix) = ("Moved into \(plan.archive)", " - removed")
                }
            default:
                break
            }
            if !suffix.isEmpty { told[path] = nil; window.removed += 1 }
        }
        window.told += 1
        guard window.told <= Self.tellLimit else {
            window.held += 1
            return
        }
        let shownPath = shown(path.text, limit: 4096)
        logger.warning("*Suspicious File* \(shownPath) [\(ownerText)] - \(reason)\(suffix)")
        notify(.alert(template: "filealert.txt", values: ["file": shownPath, "reason": reason, "owner": ownerText, "action": action]))
        if window.told == Self.tellLimit {
            logger.warning("Too many hits for *LF_DIRWATCH* - further suspicious files are counted, not told, for \(Int(plan.interval)) secs")
            notify(.alert(template: "filealert.txt", values: ["file": "", "reason": "", "owner": "",
                                                               "action": "Too many hits for *LF_DIRWATCH* - further suspicious files are counted and told in one line every \(Int(plan.interval)) secs"]))
        }
    }

    private func closeWindowIfDue(now: Double) {
        guard now - window.start >= plan.interval else { return }
        if window.held > 0 {
            let removed = plan.quarantine ? " (\(window.removed) removed in all)" : ""
            logger.warning("*Suspicious File* \(window.held) more suspicious file(s) in the last \(Int(now - window.start)) secs, not told one by one\(removed)")
        }
        window = (now, 0, 0, 0)
    }

    /// Files told more than LF_FLUSH ago: told again if still there and still suspicious, as csf's walk does.
    private func retell(now: Double) {
        nextRetell = now + plan.flush
        let due = told.filter { now - $0.value >= plan.flush }.map(\.key)
        for path in due {
            told[path] = nil
            look(at: path, now: now)
        }
    }

    // MARK: file access

    private static func linkTarget(_ parent: Int32, _ name: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = (name + [0]).withUnsafeBufferPointer { name in
            name.withMemoryRebound(to: CChar.self) { readlinkat(parent, $0.baseAddress!, &buffer, buffer.count - 1) }
        }
        guard n > 0 else { return "" }
        return shown(String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self), limit: 512)
    }

    /// The first bytes of the regular file judged: opened without following a link, without blocking on a FIFO
    /// swapped in, and only if it is still the same file.
    private static func head(_ parent: Int32, _ name: [UInt8], _ judged: stat) -> [UInt8] {
        let fd = openSame(parent, name, judged)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 4)
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4) }
        return n > 0 ? Array(bytes[..<n]) : []
    }

    private static func openSame(_ parent: Int32, _ name: [UInt8], _ judged: stat) -> Int32 {
        let flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC
        let fd = (name + [0]).withUnsafeBufferPointer { name in
            name.withMemoryRebound(to: CChar.self) { n -> Int32 in
                // O_NOATIME (hidden from Swift): a look must not change what an admin sees of the file.
                let quiet = openat(parent, n.baseAddress!, flags | 0o1000000)
                return quiet >= 0 || errno != EPERM ? quiet : openat(parent, n.baseAddress!, flags)
            }
        }
        guard fd >= 0 else { return -1 }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_dev == judged.st_dev, st.st_ino == judged.st_ino, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return -1
        }
        return fd
    }

    /// Removes the entry judged from the directory judged, if the name still holds it.
    private func remove(_ parent: Int32, _ path: RawPath, _ judged: stat) -> Bool {
        var st = stat()
        return (path.name + [0]).withUnsafeBufferPointer { name in
            name.withMemoryRebound(to: CChar.self) { n in
                guard fstatat(parent, n.baseAddress!, &st, AT_SYMLINK_NOFOLLOW) == 0,
                      st.st_dev == judged.st_dev, st.st_ino == judged.st_ino else { return false }
                return unlinkat(parent, n.baseAddress!, 0) == 0
            }
        }
    }

    /// Copies the judged file into a root-only staging tree under /var/lib/csf, where `tar` then reads it by a
    /// path no one else can change; the tar is appended in batches.
    private func stage(_ parent: Int32, _ path: RawPath, _ judged: stat) -> Bool {
        let source = Self.openSame(parent, path.name, judged)
        guard source >= 0 else { return false }
        defer { close(source) }
        let relative = "\(judged.st_ino)-" + String(String(decoding: path.name, as: UTF8.self).map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" ? $0 : "_" }.prefix(80))
        let subdir = plan.staging + "/" + String(path.parent.text.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" || $0 == "/" ? $0 : "_" }).drop { $0 == "/" }
        do {
            try FileSystem.makeDirectories(subdir)
            chmod(plan.staging, 0o700)
        } catch {
            logger.error("*Error* Directory Watching cannot stage \(shown(path.text)): \(error)")
            return false
        }
        let target = open(subdir + "/" + relative, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard target >= 0 else { return false }
        defer { close(target) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if n == 0 { break }
            guard n > 0, buffer.withUnsafeBytes({ write(target, $0.baseAddress, n) }) == n else { return false }
        }
        let name = String((subdir + "/" + relative).dropFirst(plan.staging.count + 1))
        staged.append(name)
        return true
    }

    /// Appends what was staged to suspicious.tar in one `tar -rf` and empties the staging tree.
    private func flushQuarantine() {
        guard !staged.isEmpty else { return }
        let names = staged
        staged = []
        for chunk in stride(from: 0, to: names.count, by: 500).map({ Array(names[$0..<min(names.count, $0 + 500)]) }) {
            let outcome = Subprocess.run([plan.tar, "-rf", plan.archive, "-C", plan.staging, "--"] + chunk, timeout: 60, quiet: true)
            if outcome != .exited(0) { logger.error("*Error* Directory Watching: \(plan.tar) -rf \(plan.archive) failed (\(outcome)); the files are kept in \(plan.staging)") }
            else { for name in chunk { unlink(plan.staging + "/" + name) } }
        }
        chmod(plan.archive, 0o600)
    }
}
