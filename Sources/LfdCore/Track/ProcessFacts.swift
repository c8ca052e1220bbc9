import CsfCompat

/// What process tracking knows of one process, read from /proc (reference §6.9, process tracking).
public struct ProcessFacts: Sendable, Equatable {
    public var identity: ProcessIdentity
    public var ppid: Int32
    public var pgrp: Int32
    public var sid: Int32
    public var uid: UInt32
    public var user: String
    /// The executable's path, with ` (deleted)` when the file was removed or replaced after exec; escaped.
    public var exe: String
    /// The command line, arguments joined by spaces; escaped.
    public var command: String
    public var vmSizeKB: Int
    public var vmRSSKB: Int
    /// Seconds since the process started.
    public var uptime: Int

    public var pid: Int32 { identity.pid }
    public var isDeleted: Bool { exe.contains("(deleted)") }

    public init(identity: ProcessIdentity, ppid: Int32, pgrp: Int32, sid: Int32, uid: UInt32, user: String, exe: String,
                command: String, vmSizeKB: Int = 0, vmRSSKB: Int = 0, uptime: Int = 0) {
        self.identity = identity
        self.ppid = ppid
        self.pgrp = pgrp
        self.sid = sid
        self.uid = uid
        self.user = user
        self.exe = exe
        self.command = command
        self.vmSizeKB = vmSizeKB
        self.vmRSSKB = vmRSSKB
        self.uptime = uptime
    }

    /// csf's escaping of exe and command line: control bytes, quotes and backslashes as `\xx` / `\n` / `\"`,
    /// so a process cannot write new lines into lfd.log or an alert.
    public static func escaped(_ bytes: some Sequence<UInt8>) -> String {
        var out = ""
        for b in bytes {
            switch b {
            case 0x0d: out += "\\r"
            case 0x0a: out += "\\n"
            case 0x09: out += "\\t"
            case 0x22: out += "\\\""
            case 0x5c: out += "\\\\"
            case 0x00...0x1f, 0x7f...0xff:
                let hex = String(b, radix: 16)
                out += "\\" + (hex.count == 1 ? "0" + hex : hex)
            default: out.unicodeScalars.append(Unicode.Scalar(b))
            }
        }
        return out
    }

    /// One line of usertracking.txt's list and of forkbombalert.txt's, in csf's words.
    public var userLine: String {
        "User:\(user) PID:\(pid) PPID:\(ppid) Run Time:\(uptime)(secs) Memory:\(vmSizeKB)(kb) RSS:\(vmRSSKB)(kb) exe:\(exe) cmd:\(command)"
    }

    public var sessionLine: String { "PID:\(pid) PPID:\(ppid) SID:\(sid) User:\(user) EXE:\(exe) CMD:\(command)" }
}

/// A connected socket a process holds (from /proc/net/{tcp,udp,tcp6,udp6}).
public struct SocketFact: Sendable, Equatable {
    public var proto: String
    public var local: String
    public var localPort: Int
    public var remote: String
    public var remotePort: Int

    public init(proto: String, local: String, localPort: Int, remote: String, remotePort: Int) {
        self.proto = proto
        self.local = local
        self.localPort = localPort
        self.remote = remote
        self.remotePort = remotePort
    }

    public var line: String { "\(proto): \(local):\(localPort) -> \(remote):\(remotePort)" }
}
