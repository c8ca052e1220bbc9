#if canImport(Glibc)
import Glibc
#endif

/// A file written and flushed beside its destination, not yet in place: the slow half of an atomic replace.
/// lfd stages a list's cached copy (megabytes, an fsync) before it takes csf's lock, and holds the lock only for
/// `install`'s rename, so a `csf -d` meanwhile never waits for the disk on lfd's behalf.
public final class StagedFile {
    public let destination: String
    let temporary: String
    private var pending = true

    /// A new file gets `mode`; a file that exists keeps its mode and owner (an admin's 0644 csf.deny stays 0644).
    public init(_ path: String, bytes: [UInt8], mode: mode_t = 0o600, sync: Bool = true) throws(CsfError) {
        try FileSystem.makeDirectories(FileSystem.dirname(path))
        var existing = stat()
        let replacing = stat(path, &existing) == 0
        let tmp = "\(path).tmp.\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .system(tmp, errno) }
        var failure: Int32 = 0
        if replacing {
            if fchmod(fd, existing.st_mode & 0o7777) != 0 { failure = errno }
            if geteuid() == 0, existing.st_uid != geteuid() || existing.st_gid != getegid() {
                if fchown(fd, existing.st_uid, existing.st_gid) != 0 { failure = errno }
            }
        }
        if failure == 0 { failure = FileSystem.writeAll(fd, bytes) }
        if failure == 0 && sync && fsync(fd) != 0 { failure = errno }
        close(fd)
        guard failure == 0 else {
            unlink(tmp)
            throw .system(path, failure)
        }
        destination = path
        temporary = tmp
    }

    /// Renames the staged file over its destination. The copy it replaces is handed back still open, so that
    /// freeing its blocks (a synchronous discard per extent on a `discard` mount) waits for the caller's
    /// `ReplacedFile.release`, after its lock, instead of happening inside this rename.
    public func install(sync: Bool = true) throws(CsfError) -> ReplacedFile {
        guard pending else { throw .io(path: destination, reason: "already installed") }
        pending = false
        let old = open(destination, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard rename(temporary, destination) == 0 else {
            let e = errno
            if old >= 0 { close(old) }
            unlink(temporary)
            throw .system(destination, e)
        }
        if sync { FileSystem.syncDirectory(of: destination) }
        return ReplacedFile(fd: old)
    }

    /// Not installed: the staged file goes, the destination stays as it was.
    deinit { if pending { unlink(temporary) } }
}

/// The replaced copy of a `StagedFile`'s destination, kept open until `release`.
public struct ReplacedFile: ~Copyable {
    let fd: Int32

    public consuming func release() {
        if fd >= 0 { close(fd) }
        discard self
    }

    deinit { if fd >= 0 { close(fd) } }
}
