#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import LfdCore

/// Reads /proc for process tracking: each process's stat, status, exe and command line, and — only for the few
/// that need it — its sockets, open files and maps. No `ps`, no `netstat`.
struct ProcessTable {
    let proc: String
    /// Only this process and its descendants are looked at (NFTCSF_PROCESS_SCOPE, for tests: lfd must never
    /// judge, let alone kill, a process the test did not start). nil: every process.
    let scope: Int32?
    private var userNames: [UInt32: String] = [:]
    private let ticksPerSecond = Double(max(1, sysconf(Int32(_SC_CLK_TCK))))

    init(proc: String = "/proc", scope: Int32? = ProcessTable.scopeFromEnvironment) {
        self.proc = proc
        self.scope = scope
    }

    static var scopeFromEnvironment: Int32? { Environment.value("NFTCSF_PROCESS_SCOPE").flatMap { Int32($0) } }

    /// The fields of /proc/PID/stat process tracking uses.
    struct Stat {
        var ppid: Int32
        var pgrp: Int32
        var sid: Int32
        var startTime: UInt64
    }

    func stat(_ pid: Int32) -> Stat? {
        guard let bytes = Self.read("\(proc)/\(pid)/stat", limit: 2048),
              let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // After the command name in parentheses: state, ppid, pgrp, session, ... starttime (the 20th). Read as
        // numbers in place (this runs for every process at every scan); only non-negative fields are used.
        var numbers = (ppid: UInt64(0), pgrp: UInt64(0), sid: UInt64(0), start: UInt64(0))
        var token = -1, value: UInt64 = 0, inToken = false
        func store() {
            switch token {
            case 1: numbers.ppid = value
            case 2: numbers.pgrp = value
            case 3: numbers.sid = value
            case 19: numbers.start = value
            default: break
            }
        }
        for b in bytes[(close + 1)...] {
            if b == ASCII.space || b == ASCII.lineFeed {
                if inToken { store(); inToken = false }
                continue
            }
            if !inToken {
                (inToken, value) = (true, 0)
                token += 1
                if token > 19 { break }
            }
            if b >= 48 && b <= 57 { value = value &* 10 &+ UInt64(b - 48) }
        }
        if inToken && token <= 19 { store() }
        guard token >= 19 else { return nil }
        return Stat(ppid: Int32(truncatingIfNeeded: numbers.ppid), pgrp: Int32(truncatingIfNeeded: numbers.pgrp),
                    sid: Int32(truncatingIfNeeded: numbers.sid), startTime: numbers.start)
    }

    /// Everything but sockets; nil for a process that is gone (or a kernel thread's unreadable parts).
    mutating func facts(_ pid: Int32, uptime: Double) -> ProcessFacts? {
        guard let st = stat(pid), let status = Self.read("\(proc)/\(pid)/status", limit: 8192) else { return nil }
        var uid: UInt32 = 0, vmSize = 0, vmRSS = 0
        var start = status.startIndex
        // Line by line until VmRSS (after Uid and VmSize; kernel threads have neither Vm line).
        while start < status.endIndex {
            let end = status[start...].firstIndex(of: ASCII.lineFeed) ?? status.endIndex
            let line = status[start..<end]
            start = end + 1
            if line.starts(with: "Uid:".utf8) {
                // csf takes the last of real, effective, saved and filesystem uid.
                uid = UInt32(truncatingIfNeeded: Self.lastNumber(line))
            } else if line.starts(with: "VmSize:".utf8) {
                vmSize = Self.firstNumber(line)
            } else if line.starts(with: "VmRSS:".utf8) {
                vmRSS = Self.firstNumber(line)
                break
            }
        }
        let exe = FileSystem.readLink("\(proc)/\(pid)/exe").map { ProcessFacts.escaped($0.utf8) } ?? ""
        var command = Self.read("\(proc)/\(pid)/cmdline", limit: 4096) ?? []
        while command.last == 0 || command.last == ASCII.space { command.removeLast() }
        let started = Double(st.startTime) / ticksPerSecond
        return ProcessFacts(identity: ProcessIdentity(pid: pid, startTime: st.startTime), ppid: st.ppid == 1 ? pid : st.ppid,
                            pgrp: st.pgrp, sid: st.sid, uid: uid, user: userName(uid),
                            exe: exe, command: ProcessFacts.escaped(command.map { $0 == 0 ? ASCII.space : $0 }),
                            vmSizeKB: vmSize, vmRSSKB: vmRSS, uptime: max(0, Int(uptime - started)))
    }

    /// Every process in scope.
    mutating func all() -> [ProcessFacts] {
        let uptime = systemUptime()
        var pids = FileSystem.listDirectory(proc).compactMap { Int32($0) }
        if let scope {
            var parents: [Int32: Int32] = [:]
            for pid in pids { parents[pid] = stat(pid)?.ppid ?? 0 }
            pids = pids.filter { Self.descends($0, from: scope, parents: parents) }
        }
        return pids.compactMap { facts($0, uptime: uptime) }
    }

    /// Whether `pid` is in scope (always, without one).
    func contains(_ pid: Int32) -> Bool {
        guard let scope else { return true }
        var parents: [Int32: Int32] = [:]
        var current = pid
        for _ in 0..<64 {
            guard let st = stat(current) else { break }
            parents[current] = st.ppid
            if current == scope || st.ppid <= 0 { break }
            current = st.ppid
        }
        return Self.descends(pid, from: scope, parents: parents)
    }

    /// Whether `pid` is `root` or below it.
    static func descends(_ pid: Int32, from root: Int32, parents: [Int32: Int32]) -> Bool {
        var current = pid
        for _ in 0..<64 {
            if current == root { return true }
            guard let parent = parents[current], parent > 0, parent != current else { return false }
            current = parent
        }
        return false
    }

    func systemUptime() -> Double {
        guard let bytes = Self.read("\(proc)/uptime", limit: 256),
              let first = bytes.split(separator: ASCII.space).first else { return 0 }
        return Double(String(decoding: first, as: UTF8.self)) ?? 0
    }

    /// Connected sockets of this network namespace by inode (the listening and unconnected are left out).
    func connectedSockets() -> [UInt64: SocketFact] {
        var out: [UInt64: SocketFact] = [:]
        for proto in ["udp", "tcp", "udp6", "tcp6"] {
            for s in ProcNetSocket.parse((try? TextFile.read("\(proc)/net/\(proto)")) ?? "") where s.isConnected {
                out[s.inode] = SocketFact(proto: proto, local: s.local.description, localPort: Int(s.localPort),
                                          remote: s.remote.description, remotePort: Int(s.remotePort))
            }
        }
        return out
    }

    /// The sockets of `connected` that `pid` holds, and its other open files (pipes and sockets left out).
    func descriptors(_ pid: Int32, connected: [UInt64: SocketFact]) -> (sockets: [SocketFact], files: [String]) {
        var sockets: [SocketFact] = [], files: [String] = []
        for fd in FileSystem.listDirectory("\(proc)/\(pid)/fd") {
            guard let link = FileSystem.readLink("\(proc)/\(pid)/fd/\(fd)") else { continue }
            if link.hasPrefix("socket:[") {
                if let inode = UInt64(link.dropFirst("socket:[".count).dropLast()), let s = connected[inode] { sockets.append(s) }
                continue
            }
            if link.hasPrefix("pipe:") || link.hasPrefix("socket") { continue }
            files.append(ProcessFacts.escaped(link.utf8))
        }
        return (sockets, files)
    }

    func maps(_ pid: Int32) -> String {
        String(decoding: Self.read("\(proc)/\(pid)/maps", limit: 256 * 1024) ?? [], as: UTF8.self)
    }

    private mutating func userName(_ uid: UInt32) -> String {
        if let name = userNames[uid] { return name }
        let name = Accounts.name(ofUID: uid) ?? String(uid)
        userNames[uid] = name
        return name
    }

    /// A /proc file in one or a few reads (their size is 0 to stat).
    static func read(_ path: String, limit: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out = [UInt8](repeating: 0, count: min(limit, 4096))
        var filled = 0
        while filled < limit {
            if filled == out.count { out += [UInt8](repeating: 0, count: min(limit - filled, out.count)) }
            let n = out.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            filled += n
        }
        return Array(out[..<filled])
    }

    /// The first run of digits in a status line (`VmSize:    12345 kB`).
    static func firstNumber(_ line: ArraySlice<UInt8>) -> Int {
        var value = 0, seen = false
        for b in line {
            if b >= 48 && b <= 57 { value = value &* 10 &+ Int(b - 48); seen = true } else if seen { break }
        }
        return value
    }

    /// The last run of digits (`Uid:\t0\t0\t0\t1000` → 1000).
    static func lastNumber(_ line: ArraySlice<UInt8>) -> Int {
        var value = 0, current = 0, inNumber = false
        for b in line {
            if b >= 48 && b <= 57 {
                current = (inNumber ? current : 0) &* 10 &+ Int(b - 48)
                inNumber = true
            } else {
                if inNumber { value = current }
                inNumber = false
            }
        }
        return inNumber ? current : value
    }
}
