import CsfCompat

/// `csf -ap KEY:PORT`, `-rp KEY:PORT`, `-lp` (the maintained fork's options): open or close a port in one of
/// the port lists without editing csf.conf by hand. The line is rewritten in place (the rest of the file, its
/// comments, mode and owner kept) under the lock csf and lfd share; the running firewall changes at the next
/// `csf -r`, as with the fork.
public struct PortKeys {
    public let paths: CsfPaths
    let lockTimeout: Double

    public init(paths: CsfPaths, lockTimeout: Double = 30) {
        self.paths = paths
        self.lockTimeout = lockTimeout
    }

    public static let keys = ["TCP_IN", "TCP_OUT", "UDP_IN", "UDP_OUT", "TCP6_IN", "TCP6_OUT", "UDP6_IN", "UDP6_OUT"]

    public enum Change: Sendable { case add, remove }

    public struct Result: Encodable, Sendable {
        public var ok = true
        public var changed: Bool
        public var key: String
        public var ports: String
        public var message: String
    }

    /// `KEY:PORT` or `KEY=PORT`; PORT is a port or a `low:high` range.
    static func parse(_ argument: String) throws(CsfError) -> (key: String, port: PortRange) {
        guard let cut = argument.firstIndex(where: { $0 == ":" || $0 == "=" }) else {
            throw .refused("csf: use KEY:PORT, e.g. TCP_IN:8080 (KEY one of \(keys.joined(separator: ", ")))")
        }
        let key = String(argument[..<cut]).trimmingWhitespace().uppercased()
        let portText = String(argument[argument.index(after: cut)...]).trimmingWhitespace()
        guard keys.contains(key) else {
            throw .refused("csf: \(shown(key)) is not a port list; use one of \(keys.joined(separator: ", "))")
        }
        guard let ranges = try? PortList.parse(portText), ranges.count == 1, let port = ranges.first, port.low > 0 else {
            throw .refused("csf: '\(shown(portText))' is not a port or a low:high range")
        }
        return (key, port)
    }

    public func edit(_ change: Change, _ argument: String) throws(CsfError) -> Result {
        let (key, port) = try Self.parse(argument)
        let lock = try FileLock(path: paths.lock, timeout: lockTimeout)
        defer { withExtendedLifetime(lock) {} }
        let text = try TextFile.read(paths.config)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let index = lines.firstIndex { Self.setsKey($0, key) }
        let current = index.map { Self.value(of: lines[$0]) } ?? ""
        guard var ranges = try? PortList.parse(current) else {
            throw .refused("csf: \(key) in \(paths.config) does not parse; fix it first (csf --check)")
        }
        let covered = PortList.contains(ranges, port.low) && PortList.contains(ranges, port.high)
        switch change {
        case .add:
            if covered { return Result(changed: false, key: key, ports: current, message: "csf: port \(port.csf) is already open in \(key)") }
            ranges.append(port)
        case .remove:
            guard let at = ranges.firstIndex(of: port) else {
                return Result(changed: false, key: key, ports: current,
                              message: covered ? "csf: port \(port.csf) is inside a range of \(key); remove the range instead"
                                               : "csf: port \(port.csf) is not in \(key)")
            }
            ranges.remove(at: at)
        }
        let list = ranges.map(\.csf).joined(separator: ",")
        let line = "\(key) = \"\(list)\""
        if let index { lines[index] = line } else { lines.append(line) }
        try FileSystem.writeAtomically(paths.config, lines.joined(separator: "\n"))
        let verb = change == .add ? "added to" : "removed from"
        return Result(changed: true, key: key, ports: list,
                      message: "csf: port \(port.csf) \(verb) \(key) in \(paths.config); run csf -r to apply it")
    }

    /// The port lists as csf.conf sets them, whitespace removed.
    public func list() throws(CsfError) -> [(key: String, value: String)] {
        let (config, diagnostics) = ConfigParser.load(paths.config)
        if let error = diagnostics.first(where: { $0.severity == .error && $0.line == 0 }) { throw .invalidInput([error]) }
        let keys = config.bool("IPV6") ? Self.keys : Array(Self.keys.prefix(4))
        return keys.map { ($0, config[$0].filter { !$0.isWhitespace }) }
    }

    static func setsKey(_ line: String, _ key: String) -> Bool {
        let trimmed = line.trimmingWhitespace()
        guard trimmed.hasPrefix(key) else { return false }
        return trimmed.dropFirst(key.count).trimmingWhitespace().hasPrefix("=")
    }

    static func value(of line: String) -> String {
        guard let first = line.firstIndex(of: "\""), let last = line.lastIndex(of: "\""), first < last else { return "" }
        return String(line[line.index(after: first)..<last])
    }
}

extension PortRange {
    /// csf's spelling: `30000:35000` for a range.
    var csf: String { low == high ? "\(low)" : "\(low):\(high)" }
}
