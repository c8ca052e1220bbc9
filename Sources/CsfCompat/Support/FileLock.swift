#if canImport(Glibc)
import Glibc
#endif

/// The lock csf and lfd share (`/var/lib/csf/csf.lock`): whoever changes the firewall or its files holds it.
public final class FileLock {
    private let fd: Int32
    public let path: String

    /// Waits up to `timeout` seconds for an exclusive lock.
    public init(path: String, timeout: Double = 30) throws(CsfError) {
        self.path = path
        try FileSystem.makeDirectories(FileSystem.dirname(path))
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system(path, errno) }
        let deadline = SystemTime.monotonic + timeout
        // Short waits first: most holders (a csf -d, lfd's rename of a list) are done within a millisecond or two,
        // and a fixed 20 ms sleep added up to that to every command that met one.
        var pause: UInt32 = 500
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                close(fd)
                throw .system(path, errno)
            }
            if SystemTime.monotonic >= deadline {
                close(fd)
                throw .locked("Error: csf is being restarted, try again in a moment: \(path) is locked")
            }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
        self.fd = fd
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
