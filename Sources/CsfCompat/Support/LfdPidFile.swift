#if canImport(Glibc)
import Glibc
#endif

/// lfd's pid file, /var/run/lfd.pid: the running daemon holds an exclusive lock on it, so a stale file left
/// by a crash never reads as a running lfd.
public enum LfdPidFile {
    public static func path(_ paths: CsfPaths) -> String { paths.path("/var/run/lfd.pid") }

    /// The pid of the running lfd, nil when none holds the lock.
    public static func running(_ paths: CsfPaths) -> Int32? {
        let fd = open(path(paths), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) != 0 else { return nil }
        let text = (try? TextFile.read(path(paths))) ?? ""
        return Int32(text.filter { !$0.isWhitespace }) ?? -1
    }
}
