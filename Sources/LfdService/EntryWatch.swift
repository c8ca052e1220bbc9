#if canImport(Glibc)
import Glibc
#endif
import CSys
import CsfCompat
import Logging

/// LF_DIRWATCH_FILE with csf.dirwatch (reference §6.9): each entry (a file, or a directory and everything under
/// it) is watched with inotify and its listing compared a second after a change settles, so a change is told
/// in seconds; the LF_DIRWATCH_FILE interval is the safety net. csf hashed `ls --full-time -lARt`; lfd makes the
/// same kind of listing itself (type, mode, owner, size, modification time to the nanosecond, link target) and
/// keeps each entry's digest in /var/lib/csf/nftcsf.dirwatch, so a change made while lfd was down is told at its
/// next start.
final class EntryWatch {
    struct Plan: Sendable, Equatable {
        var entries: [String] = []
        var interval = 0.0
        var state = ""

        var enabled: Bool { interval > 0 && !entries.isEmpty }
    }

    static let settle = 1.0

    private var plan = Plan()
    private var inotify: Int32 = -1
    /// Watch descriptor → the entry it is on or below, and → the entries it is the parent directory of.
    private var inside: [Int32: String] = [:]
    private var parents: [Int32: Set<String>] = [:]
    private var digests: [String: String] = [:]
    private var dirty: [String: Double] = [:]
    private var nextLook = 0.0
    private var missingTold: Set<String> = []
    private let logger: Logger
    private let notify: @Sendable (Notice) -> Void

    init(logger: Logger, notify: @escaping @Sendable (Notice) -> Void) {
        self.logger = logger
        self.notify = notify
    }

    deinit { if inotify >= 0 { close(inotify) } }

    var fd: Int32 { inotify }
    var nextDue: Double { plan.enabled ? min(nextLook, dirty.values.min().map { $0 + Self.settle } ?? .infinity) : .infinity }

    /// csf.dirwatch: one path per line, `#` comments, `Include`.
    static func plan(paths: CsfPaths, config: CsfConfig, logger: Logger) -> Plan {
        var plan = Plan()
        plan.interval = Double(config.int("LF_DIRWATCH_FILE"))
        guard plan.interval > 0 else { return plan }
        plan.interval = max(10, plan.interval)
        plan.state = paths.lib("nftcsf.dirwatch")
        for line in ListReader.read(paths.etc("csf.dirwatch")).lines {
            let entry = line.token
            guard entry.hasPrefix("/") else {
                logger.warning("(csf.dirwatch): Directory File Watching [\(shown(entry))] is not a full path - ignoring")
                continue
            }
            plan.entries.append(entry)
        }
        return plan
    }

    func apply(_ new: Plan, now: Double) {
        guard new != plan || inotify < 0 else { return }
        plan = new
        if inotify >= 0 { close(inotify) }
        (inotify, inside, parents, dirty) = (-1, [:], [:], [:])
        guard plan.enabled else { return }
        inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        digests = Self.load(plan.state)
        for entry in plan.entries {
            if !FileSystem.isDirectory(entry) && !TextFile.exists(entry) {
                logger.warning("(csf.dirwatch): Directory File Watching [\(shown(entry))] not found - watching for it")
            }
            watch(entry)
        }
        nextLook = now
    }

    func run(now: Double, readable: Bool) {
        guard plan.enabled else { return }
        if readable { drain(now: now) }
        if now >= nextLook {
            nextLook = now + plan.interval
            for entry in plan.entries { dirty[entry] = dirty[entry] ?? -Self.settle }
        }
        let ready = dirty.filter { now - $0.value >= Self.settle }.map(\.key)
        guard !ready.isEmpty else { return }
        for entry in ready.sorted() {
            dirty[entry] = nil
            look(entry)
        }
        save()
    }

    // MARK: watching

    private static let mask = UInt32(IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO
                                      | IN_DELETE_SELF | IN_MOVE_SELF | IN_DONT_FOLLOW)

    /// The entry itself, everything below it when it is a directory, and its parent (a file replaced by rename,
    /// or an entry that does not exist yet).
    private func watch(_ entry: String) {
        guard inotify >= 0 else { return }
        let parent = inotify_add_watch(inotify, FileSystem.dirname(entry), Self.mask)
        if parent >= 0 { parents[parent, default: []].insert(entry) }
        var pending = [entry]
        var count = 0
        while let path = pending.popLast(), count < 100_000 {
            count += 1
            let wd = inotify_add_watch(inotify, path, Self.mask)
            if wd >= 0 { inside[wd] = entry }
            guard FileSystem.isDirectory(path), !Self.isLink(path) else { continue }
            let fd = RawPath(path).openNoSymlinks(O_RDONLY | O_DIRECTORY)
            guard fd >= 0 else { continue }
            DirectoryEntries.forEach(fd) { name, type in
                if type == UInt8(DT_DIR) { pending.append(path + "/" + String(decoding: name, as: UTF8.self)) }
                return true
            }
            close(fd)
        }
    }

    private static func isLink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }

    private func drain(now: Double) {
        var rewatch: Set<String> = []
        InotifyEvents.drain(inotify, bufferSize: 16 * 1024) { wd, mask, nameBytes in
            if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                for entry in plan.entries { dirty[entry] = now }
                return
            }
            if mask & UInt32(IN_IGNORED) != 0 {
                (inside[wd], parents[wd]) = (nil, nil)
                return
            }
            let name = String(decoding: nameBytes, as: UTF8.self)
            var hit: [String] = inside[wd].map { [$0] } ?? []
            hit += (parents[wd] ?? []).filter { Self.basename($0) == name }
            for entry in hit {
                dirty[entry] = now
                if mask & UInt32(IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF) != 0 { rewatch.insert(entry) }
            }
        }
        for entry in rewatch { watch(entry) }
    }

    private static func basename(_ path: String) -> String { String(path.split(separator: "/").last ?? "") }

    // MARK: looking

    private func look(_ entry: String) {
        guard let listing = Self.listing(entry) else {
            if !missingTold.contains(entry) {
                logger.warning("Directory *File Watching* [\(shown(entry))] does not exist")
                missingTold.insert(entry)
            }
            return
        }
        missingTold.remove(entry)
        let digest = FileDigest.of(Array(listing.utf8))
        defer { digests[entry] = digest }
        guard let before = digests[entry], before != digest else { return }
        logger.warning("Directory *File Watching* has detected a change in \(shown(entry))")
        notify(.alert(template: "watchalert.txt", values: ["file": shown(entry), "output": listing]))
    }

    /// One line per file, sorted by path: type and mode, owner, size, modification time, path, link target.
    static func listing(_ entry: String, limit: Int = 100_000) -> String? {
        var st = stat()
        guard lstat(entry, &st) == 0 else { return nil }
        // (path, line): sorted by path once, not by splitting lines in every comparison.
        var lines: [(String, String)] = [(entry, line(entry, st))]
        var pending = (st.st_mode & S_IFMT) == S_IFDIR ? [entry] : []
        while let dir = pending.popLast(), lines.count < limit {
            let fd = RawPath(dir).openNoSymlinks(O_RDONLY | O_DIRECTORY)
            guard fd >= 0 else { continue }
            DirectoryEntries.forEach(fd) { name, _ in
                var child = stat()
                let path = dir + "/" + String(decoding: name, as: UTF8.self)
                let ok = (name + [0]).withUnsafeBufferPointer { n in
                    n.withMemoryRebound(to: CChar.self) { fstatat(fd, $0.baseAddress!, &child, AT_SYMLINK_NOFOLLOW) == 0 }
                }
                if ok {
                    lines.append((path, line(path, child)))
                    if (child.st_mode & S_IFMT) == S_IFDIR { pending.append(path) }
                }
                return lines.count < limit
            }
            close(fd)
        }
        return lines.sorted { $0.0 < $1.0 }.map(\.1).joined(separator: "\n") + "\n"
    }

    private static func line(_ path: String, _ st: stat) -> String {
        let type: String
        switch st.st_mode & S_IFMT {
        case S_IFDIR: type = "d"
        case S_IFLNK: type = "l"
        case S_IFREG: type = "-"
        default: type = "?"
        }
        let owner = "\(Accounts.name(ofUID: st.st_uid) ?? String(st.st_uid)):\(Accounts.name(ofGID: st.st_gid) ?? String(st.st_gid))"
        let mtime = LocalTime.format(st.st_mtim.tv_sec, "%Y-%m-%d %H:%M:%S") + "." + String(format9(st.st_mtim.tv_nsec))
        var text = "\(type)\(String(st.st_mode & 0o7777, radix: 8)) \(owner) \(st.st_size) \(mtime) \(shown(path, limit: 4096))"
        if type == "l", let target = FileSystem.readLink(path) { text += " -> " + shown(target, limit: 1024) }
        return text
    }

    private static func format9(_ ns: Int) -> String {
        let digits = String(ns)
        return String(repeating: "0", count: max(0, 9 - digits.count)) + digits
    }

    // MARK: state

    private static func load(_ path: String) -> [String: String] {
        guard let text = try? TextFile.read(path) else { return [:] }
        var out: [String: String] = [:]
        for line in LineScanner.lines(text) {
            guard let space = line.firstIndex(of: " ") else { continue }
            out[String(line[line.index(after: space)...])] = String(line[..<space])
        }
        return out
    }

    private func save() {
        let text = plan.entries.compactMap { entry in digests[entry].map { "\($0) \(entry)" } }.joined(separator: "\n") + "\n"
        do {
            try FileSystem.makeDirectories(FileSystem.dirname(plan.state))
            try FileSystem.writeAtomically(plan.state, text, mode: 0o600, sync: false)
        } catch {
            logger.error("*Error* Directory File Watching cannot keep its state: \(error)")
        }
    }
}
