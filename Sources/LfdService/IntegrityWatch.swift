#if canImport(Glibc)
import Glibc
#endif
import CSys
import CsfCompat
import LfdCore
import Logging

/// LF_INTEGRITY (reference §6.9) against the package manager: every file in csf's directories (/usr/bin,
/// /usr/sbin, /bin, /sbin, /usr/local/bin, /usr/local/sbin, /etc/init.d, /etc/xinetd.d, /etc/rc.local) that a
/// package owns is compared with the digest dpkg (or rpm) recorded for it, so an upgrade is never an alert and a
/// file changed outside the package manager always is; files no package owns are compared with lfd's own
/// baseline (/var/lib/csf/nftcsf.integrity, SHA-256), which is where csf compared everything. inotify on those
/// directories brings a check within seconds of a change; the LF_INTEGRITY interval is the safety net. A file is
/// read again only when its inode, size, mtime or ctime moved, and never while dpkg holds its lock (mid-upgrade
/// a file is new before its checksum is).
final class IntegrityWatch {
    struct Plan: Sendable, Equatable {
        var interval = 0.0
        var directories: [String] = []
        var files: [String] = []
        var dpkg = ""
        var rpmDatabase = ""
        var rpm = "/usr/bin/rpm"
        var baseline = ""
        var root = "/"

        var enabled: Bool { interval > 0 }
    }

    enum Finding: Equatable {
        case modified(package: String, conffile: Bool)
        case changed
        case added
        case removed
        case badName
    }

    private struct Seen {
        var inode: UInt64
        var size: Int
        var mtime: Int
        var ctime: Int
        var digest: String
    }

    static let settle = 2.0

    private var plan = Plan()
    private var inotify: Int32 = -1
    private var packages = PackageChecksums()
    private var packagesStamp = ""
    /// Canonical path → what was last read there (memory only: a restart reads every file once).
    private var seen: [String: Seen] = [:]
    /// Canonical path → digest: lfd's baseline (files no package owns) and the last digest of a packaged file
    /// told as modified (told once, until it changes again).
    private var baseline: [String: String] = [:]
    private var hasBaseline = false
    private var nextCheck = Double.infinity
    private var busyTold = false
    /// Names that are not UTF-8, told once each.
    private var badNamesTold: Set<String> = []
    private var badNames: [String] = []
    private let logger: Logger
    private let notify: @Sendable (Notice) -> Void
    private(set) var lastCheck: (files: Int, read: Int, seconds: Double) = (0, 0, 0)

    init(logger: Logger, notify: @escaping @Sendable (Notice) -> Void) {
        self.logger = logger
        self.notify = notify
    }

    deinit { if inotify >= 0 { close(inotify) } }

    var fd: Int32 { inotify }
    var nextDue: Double { plan.enabled ? nextCheck : .infinity }

    static func plan(paths: CsfPaths, config: CsfConfig) -> Plan {
        var plan = Plan()
        let every = config.int("LF_INTEGRITY")
        guard every > 0 else { return plan }
        plan.interval = Double(every < 120 ? 300 : every)
        plan.directories = ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin", "/etc/init.d", "/etc/xinetd.d"]
            .map { paths.path($0) }
        plan.files = [paths.path("/etc/rc.local")]
        plan.dpkg = paths.path("/var/lib/dpkg")
        plan.rpmDatabase = paths.path("/var/lib/rpm")
        plan.baseline = paths.lib("nftcsf.integrity")
        plan.root = paths.root
        return plan
    }

    func apply(_ new: Plan, now: Double) {
        guard new != plan || (new.enabled && inotify < 0) else { return }
        plan = new
        if inotify >= 0 { close(inotify) }
        inotify = -1
        guard plan.enabled else { return }
        inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_ATTRIB)
        for dir in Set(plan.directories.map(canonicalDirectory) + plan.files.map { canonicalDirectory(FileSystem.dirname($0)) })
        where FileSystem.isDirectory(dir) {
            _ = inotify_add_watch(inotify, dir, mask)
        }
        (baseline, hasBaseline) = Self.load(plan.baseline)
        packagesStamp = ""
        nextCheck = now + 1
    }

    func run(now: Double, readable: Bool) {
        guard plan.enabled else { return }
        if readable {
            var buffer = [UInt8](repeating: 0, count: 16 * 1024)
            while buffer.withUnsafeMutableBytes({ read(inotify, $0.baseAddress, $0.count) }) > 0 {}
            nextCheck = min(nextCheck, now + Self.settle)
        }
        guard now >= nextCheck else { return }
        if packageManagerBusy() {
            if !busyTold { logger.info("System Integrity: the package manager is running; checking when it is done") }
            busyTold = true
            nextCheck = now + 5
            return
        }
        busyTold = false
        nextCheck = now + plan.interval
        check()
    }

    // MARK: the check

    func check() {
        let started = SystemTime.monotonic
        loadPackages()
        var findings: [(String, Finding)] = []
        var current: [String: Seen] = [:]
        var read = 0
        for path in candidates() {
            var st = stat()
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            let expected = packages[path]
            var entry = Seen(inode: UInt64(st.st_ino), size: Int(st.st_size), mtime: Self.nanoseconds(st.st_mtim),
                             ctime: Self.nanoseconds(st.st_ctim), digest: "")
            if let old = seen[path], old.inode == entry.inode, old.size == entry.size, old.mtime == entry.mtime, old.ctime == entry.ctime,
               old.digest.utf8.count == (expected.map { $0.digest.utf8.count } ?? 64) {
                entry.digest = old.digest
            } else {
                let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
                guard fd >= 0 else { continue }
                let algorithm: FileDigest.Algorithm = expected.map { $0.digest.utf8.count == 32 ? .md5 : .sha256 } ?? .sha256
                entry.digest = FileDigest.of(fd: fd, algorithm) ?? ""
                close(fd)
                read += 1
            }
            current[path] = entry
            if let expected {
                if entry.digest != expected.digest && baseline[path] != entry.digest {
                    findings.append((path, .modified(package: expected.package, conffile: expected.conffile)))
                }
            } else if hasBaseline {
                if let before = baseline[path] {
                    if before != entry.digest { findings.append((path, .changed)) }
                } else {
                    findings.append((path, .added))
                }
            }
        }
        if hasBaseline {
            for (path, _) in baseline where current[path] == nil && packages[path] == nil && !TextFile.exists(path) {
                findings.append((path, .removed))
            }
        }
        seen = current
        var next: [String: String] = [:]
        for (path, entry) in current {
            if let expected = packages[path] {
                if entry.digest != expected.digest { next[path] = entry.digest }
            } else {
                next[path] = entry.digest
            }
        }
        if next != baseline || !hasBaseline { save(next) }
        (baseline, hasBaseline) = (next, true)
        lastCheck = (current.count, read, SystemTime.monotonic - started)
        if read > 0 {
            logger.info("System Integrity: \(current.count) files checked (\(read) read) against \(packages.count) packaged checksums in \(lastCheck.seconds.twoDecimals) secs")
        }
        report(findings.sorted { $0.0 < $1.0 })
    }

    private func report(_ findings: [(String, Finding)]) {
        let findings = findings + badNames.map { ($0, Finding.badName) }
        badNames = []
        guard !findings.isEmpty else { return }
        let lines = findings.map { path, finding -> String in
            let shownPath = shown(path, limit: 4096)
            switch finding {
            case .modified(let package, let conffile):
                return "\(shownPath): \(conffile ? "changed from the version" : "modified outside") of package \(package)\(conffile ? " (a conffile)" : " - not by the package manager")"
            case .changed: return "\(shownPath): changed (owned by no package)"
            case .added: return "\(shownPath): new file owned by no package"
            case .removed: return "\(shownPath): removed (owned by no package)"
            case .badName: return "\(path): a file whose name is not UTF-8 (shown with the bad bytes replaced)"
            }
        }
        logger.warning("*System Integrity* has detected modified file(s): \(findings.map { shown($0.0) }.joined(separator: " "))")
        notify(.alert(template: "integrityalert.txt", values: ["text": lines.joined(separator: "\n")]))
    }

    /// Regular files directly in csf's directories and the single files, by canonical path (merged /usr lists
    /// /bin/ls and /usr/bin/ls once).
    private func candidates() -> [String] {
        var out = Set<String>()
        for dir in plan.directories {
            let canonical = canonicalDirectory(dir)
            let fd = RawPath(canonical).openNoSymlinks(O_RDONLY | O_DIRECTORY)
            guard fd >= 0 else { continue }
            DirectoryEntries.forEach(fd) { name, _ in
                // A name that is not UTF-8 cannot be checked by path: it is told (once), never silently passed over.
                guard let text = String(validating: name, as: UTF8.self) else {
                    let shownPath = shown(canonical + "/" + String(decoding: name, as: UTF8.self), limit: 4096)
                    if badNamesTold.insert(shownPath).inserted { badNames.append(shownPath) }
                    return true
                }
                out.insert(canonical + "/" + text)
                return true
            }
            close(fd)
        }
        for file in plan.files where TextFile.exists(file) {
            out.insert(canonicalDirectory(FileSystem.dirname(file)) + "/" + (file.split(separator: "/").last.map(String.init) ?? ""))
        }
        return out.sorted()
    }

    // MARK: the package database

    /// Read again when dpkg's status file or info directory changed (dpkg rewrites both on every run).
    private func loadPackages() {
        if FileSystem.isDirectory(plan.dpkg + "/info") {
            let stamp = Self.stamp(plan.dpkg + "/status") + Self.stamp(plan.dpkg + "/info")
            guard stamp != packagesStamp else { return }
            packagesStamp = stamp
            var loaded = PackageChecksums()
            for name in FileSystem.listDirectory(plan.dpkg + "/info") where name.hasSuffix(".md5sums") {
                if let text = try? TextFile.read(plan.dpkg + "/info/" + name) { loaded.addMd5sums(text, package: name) }
            }
            if let status = try? TextFile.read(plan.dpkg + "/status") { loaded.addStatus(status) }
            packages = remapped(loaded)
        } else if FileSystem.isDirectory(plan.rpmDatabase), FileSystem.isExecutableFile(plan.rpm) {
            // rpm changes its database files in place (rpmdb.sqlite, or Packages with Berkeley DB): their times.
            let stamp = FileSystem.listDirectory(plan.rpmDatabase).sorted().map { Self.stamp(plan.rpmDatabase + "/" + $0) }.joined()
            guard stamp != packagesStamp else { return }
            packagesStamp = stamp
            let format = "[%{FILEDIGESTALGO} %{FILEDIGESTS} %{NAME} %{FILENAMES}\\n]"
            // The database where Red Hat keeps it (on RHEL 9+ a link to /usr/lib/sysimage/rpm), also when rpm's own
            // default differs (Debian's rpm: ~/.rpmdb).
            var argv = [plan.rpm, "-qa", "--dbpath", "/var/lib/rpm", "--qf", format]
            if plan.root != "/" { argv += ["--root", plan.root] }
            var loaded = PackageChecksums()
            if let text = Subprocess.output(argv, timeout: 120) { loaded.addRpmQuery(text) }
            packages = remapped(loaded)
        }
    }

    /// Package paths → the canonical paths files are checked by.
    private func remapped(_ loaded: PackageChecksums) -> PackageChecksums {
        var out = PackageChecksums()
        var dirs: [String: String] = [:]
        let mapped = loaded.files.compactMap { path, expected -> (String, PackageChecksums.Expected)? in
            let dir = FileSystem.dirname(path)
            let canonical: String
            if let known = dirs[dir] {
                canonical = known
            } else {
                canonical = canonicalDirectory(pathUnderRoot(dir))
                dirs[dir] = canonical
            }
            return (canonical + "/" + (path.split(separator: "/").last.map(String.init) ?? ""), expected)
        }
        out.replaceAll(mapped)
        return out
    }

    private func pathUnderRoot(_ path: String) -> String { CsfPaths(root: plan.root).path(path) }

    private func canonicalDirectory(_ dir: String) -> String {
        guard let resolved = realpath(dir, nil) else { return dir }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// dpkg holds an fcntl lock on var/lib/dpkg/lock (and apt on lock-frontend) while it changes packages, rpm
    /// one on its database's .rpm.lock.
    private func packageManagerBusy() -> Bool {
        for path in [plan.dpkg + "/lock-frontend", plan.dpkg + "/lock", plan.rpmDatabase + "/.rpm.lock"] {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var lock = flock()
            lock.l_type = Int16(F_WRLCK)
            lock.l_whence = Int16(SEEK_SET)
            if fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != Int16(F_UNLCK) { return true }
        }
        return false
    }

    private static func stamp(_ path: String) -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { return "-" }
        return "\(st.st_ino):\(nanoseconds(st.st_mtim)):\(nanoseconds(st.st_ctim)):\(st.st_size);"
    }

    private static func nanoseconds(_ t: timespec) -> Int { t.tv_sec * 1_000_000_000 + t.tv_nsec }

    // MARK: the baseline

    private static func load(_ path: String) -> ([String: String], Bool) {
        guard let text = try? TextFile.read(path) else { return ([:], false) }
        var out: [String: String] = [:]
        for line in LineScanner.lines(text) {
            guard let space = line.firstIndex(of: " ") else { continue }
            out[String(line[line.index(after: space)...])] = String(line[..<space])
        }
        return (out, true)
    }

    private func save(_ digests: [String: String]) {
        let text = digests.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: "\n") + "\n"
        do {
            try FileSystem.makeDirectories(FileSystem.dirname(plan.baseline))
            try FileSystem.writeAtomically(plan.baseline, text, mode: 0o600)
        } catch {
            logger.error("*Error* System Integrity cannot keep its baseline: \(error)")
        }
    }
}
