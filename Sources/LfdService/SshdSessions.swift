#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import Logging

/// PT_SSHDKILL (reference §4.1.19): when lfd blocks an address for sshd, the sshd processes holding a connection
/// from it on sshd's ports are ended, so a session opened before the block does not outlive it. Read from
/// /proc/net/tcp{,6} and /proc/PID/fd; each kill exact (pid and start time, through a pidfd).
enum SshdSessions {
    /// Returns the pids ended.
    @discardableResult
    static func end(connectedFrom ip: IPAddress, ports: [UInt16], logger: Logger, proc: String = "/proc",
                    scope: Int32? = ProcessTable.scopeFromEnvironment) -> [Int32] {
        let table = ProcessTable(proc: proc, scope: scope)
        var inodes: Set<UInt64> = []
        for file in ["tcp", "tcp6"] {
            for s in ProcNetSocket.parse((try? TextFile.read("\(proc)/net/\(file)")) ?? "")
            where s.remote == ip && ports.contains(s.localPort) { inodes.insert(s.inode) }
        }
        guard !inodes.isEmpty else { return [] }
        // All found before any is killed: a killed monitor's children are reparented, out of a test's scope.
        var found: [ProcessIdentity] = []
        for entry in FileSystem.listDirectory(proc) {
            guard let pid = Int32(entry), FileSystem.readLink("\(proc)/\(pid)/exe")?.contains("sshd") == true else { continue }
            let holds = FileSystem.listDirectory("\(proc)/\(pid)/fd").contains { fd in
                guard let link = FileSystem.readLink("\(proc)/\(pid)/fd/\(fd)"), link.hasPrefix("socket:["),
                      let inode = UInt64(link.dropFirst("socket:[".count).dropLast()) else { return false }
                return inodes.contains(inode)
            }
            guard holds, table.contains(pid), let st = table.stat(pid) else { continue }
            found.append(ProcessIdentity(pid: pid, startTime: st.startTime))
        }
        var ended: [Int32] = []
        for process in found where process.signal(SIGKILL, procRoot: proc) {
            logger.warning("*PT_SSHDKILL*: Process PID:[\(process.pid)] killed for blocked IP:[\(ip)]")
            ended.append(process.pid)
        }
        return ended
    }
}
