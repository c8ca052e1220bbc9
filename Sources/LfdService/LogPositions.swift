import CsfCompat

/// How far lfd had read each log file when it last saved, so a restart reads what was written meanwhile
/// (csf started at the end and lost those lines). Kept in /var/lib/csf/lfd.logpos, one
/// `inode offset path` line per file; the path is last because it may hold spaces.
public struct LogPositions: Sendable, Equatable {
    public struct Position: Sendable, Equatable {
        public var path: String
        public var inode: UInt64
        public var offset: Int
    }

    /// The most a restart reads back per file (about 200,000 log lines, a fraction of a second of parsing);
    /// beyond it lfd starts at the end and says so.
    public static let window = 32 << 20

    public var entries: [Position]

    public init(_ entries: [Position] = []) { self.entries = entries }

    public subscript(path: String) -> Position? { entries.first { $0.path == path } }

    public static func path(_ paths: CsfPaths) -> String { paths.lib("lfd.logpos") }

    /// A missing or damaged file reads as nothing known (the safe side: start at the end).
    public static func load(_ paths: CsfPaths) -> LogPositions {
        guard let text = try? TextFile.read(path(paths)) else { return LogPositions() }
        var entries: [Position] = []
        for line in LineScanner.lines(text) {
            let fields = line.split(separator: " ", maxSplits: 2)
            guard fields.count == 3, let inode = UInt64(fields[0]), let offset = Int(fields[1]), offset >= 0,
                  fields[2].hasPrefix("/") else { continue }
            entries.append(Position(path: String(fields[2]), inode: inode, offset: offset))
        }
        return LogPositions(entries)
    }

    public func save(_ paths: CsfPaths) throws(CsfError) {
        let text = entries.map { "\($0.inode) \($0.offset) \($0.path)\n" }.joined()
        try FileSystem.writeAtomically(Self.path(paths), text, sync: false)
    }
}
