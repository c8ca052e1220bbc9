#if canImport(Glibc)
import Glibc
#endif
import CsfCompat

/// `csf -p`: the sockets listening in this network namespace, whether TCP_IN/UDP_IN (and the IPv6 lists) open
/// them, how many connections each has, and the process behind it — read from /proc/net and /proc/PID/fd.
public struct ListeningPorts {
    public struct Row: Encodable, Sendable, Equatable {
        public var port: UInt16
        public var proto: String
        public var open4: Bool
        public var open6: Bool
        /// Established TCP connections to the port (nil for UDP).
        public var connections: Int?
        public var pid: Int32?
        public var user: String?
        public var command: String?
        public var executable: String?
    }

    public static func scan(_ config: CsfConfig, proc: String = "/proc") -> [Row] {
        let owners = socketOwners(proc: proc)
        var rows: [String: Row] = [:]
        for (proto, files) in [("tcp", ["tcp", "tcp6"]), ("udp", ["udp", "udp6"])] {
            let all = files.flatMap { ProcNetSocket.parse((try? TextFile.read("\(proc)/net/\($0)")) ?? "") }
            let listening = all.filter { $0.state == (proto == "tcp" ? ProcNetSocket.tcpListen : ProcNetSocket.udpUnconnected) && $0.localPort > 0 }
            for socket in listening {
                let pid = owners[socket.inode]
                let id = "\(socket.localPort)/\(proto)/\(pid ?? -1)"
                if rows[id] != nil { continue }
                let inKey = proto == "tcp" ? "TCP_IN" : "UDP_IN", in6Key = proto == "tcp" ? "TCP6_IN" : "UDP6_IN"
                rows[id] = Row(port: socket.localPort, proto: proto,
                               open4: PortList.contains(config.ports(inKey), socket.localPort),
                               open6: config.bool("IPV6") && PortList.contains(config.ports(in6Key), socket.localPort),
                               connections: proto == "tcp" ? all.filter { $0.localPort == socket.localPort && $0.state == ProcNetSocket.tcpEstablished }.count : nil,
                               pid: pid, user: userName(socket.uid),
                               command: pid.flatMap { commandLine($0, proc: proc) },
                               executable: pid.flatMap { FileSystem.readLink("\(proc)/\($0)/exe") })
            }
        }
        return rows.values.sorted { ($0.port, $0.proto, $0.pid ?? 0) < ($1.port, $1.proto, $1.pid ?? 0) }
    }

    public static func lines(_ rows: [Row]) -> [String] {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
        var out = [pad("Port/Proto", 11) + pad("Open", 5) + pad("Conn", 6) + pad("PID/User", 20) + pad("Command Line", 36) + "Executable"]
        for r in rows {
            let open = (r.open4 ? "4" : "-") + "/" + (r.open6 ? "6" : "-")
            let owner = r.pid.map { "(\($0)/\(r.user ?? "?"))" } ?? "-"
            let command = String((r.command ?? "-").prefix(34))
            out.append(pad("\(r.port)/\(r.proto)", 11) + pad(open, 5) + pad(r.connections.map(String.init) ?? "-", 6)
                       + pad(owner, 20) + pad(shown(command), 36) + shown(r.executable ?? "-"))
        }
        return out
    }

    /// socket inode → pid, from the socket links in every process's fd directory.
    public static func socketOwners(proc: String) -> [UInt64: Int32] {
        var owners: [UInt64: Int32] = [:]
        for entry in FileSystem.listDirectory(proc) {
            guard let pid = Int32(entry) else { continue }
            for fd in FileSystem.listDirectory("\(proc)/\(pid)/fd") {
                guard let link = FileSystem.readLink("\(proc)/\(pid)/fd/\(fd)"), link.hasPrefix("socket:["), link.hasSuffix("]"),
                      let inode = UInt64(link.dropFirst("socket:[".count).dropLast()) else { continue }
                if owners[inode] == nil { owners[inode] = pid }
            }
        }
        return owners
    }

    static func commandLine(_ pid: Int32, proc: String) -> String? {
        guard let bytes = try? TextFile.readBytes("\(proc)/\(pid)/cmdline"), !bytes.isEmpty else { return nil }
        return String(decoding: bytes.map { $0 == 0 ? ASCII.space : $0 }, as: UTF8.self).trimmingWhitespace()
    }

    static func userName(_ uid: UInt32) -> String {
        Accounts.name(ofUID: uid) ?? "\(uid)"
    }
}
