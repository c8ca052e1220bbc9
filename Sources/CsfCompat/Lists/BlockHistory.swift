/// `/var/lib/csf/csf.tempip`: lfd's block history, one `<ip>|<perm 0/1>|<epoch>|<message>` line per block, which
/// LF_PERMBLOCK and LF_NETBLOCK count (reference §2.3). `csf -dr` forgets an address there.
public struct BlockHistory: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var target: String
        public var perm: Bool
        public var time: Int
        public var message: String

        public init(target: String, perm: Bool, time: Int, message: String) {
            self.target = target
            self.perm = perm
            self.time = time
            self.message = message
        }

        public var line: String { "\(target)|\(perm ? 1 : 0)|\(time)|\(message)" }
    }

    public var entries: [Entry]

    public init(entries: [Entry] = []) { self.entries = entries }

    public static func path(_ paths: CsfPaths) -> String { paths.lib("csf.tempip") }

    /// The entries younger than `keep` seconds (csf prunes the file the same way on every block); damaged
    /// lines are dropped.
    public static func parse(_ text: String, now: Int, keep: Int) -> BlockHistory {
        BlockHistory(entries: LineScanner.lines(text).compactMap { line in
            let f = line.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false)
            guard f.count >= 3, let t = Int(f[2]), now - t < keep else { return nil }
            return Entry(target: String(f[0]), perm: f[1] == "1", time: t, message: f.count > 3 ? String(f[3]) : "")
        })
    }

    public static func load(_ paths: CsfPaths, now: Int, keep: Int) -> BlockHistory {
        parse((try? TextFile.read(path(paths))) ?? "", now: now, keep: keep)
    }

    public var text: String { entries.map { $0.line + "\n" }.joined() }

    public func write(_ paths: CsfPaths) throws(CsfError) {
        try FileSystem.writeAtomically(Self.path(paths), text)
    }

    /// `csf -dr`: escalation starts afresh for the address.
    public static func forget(_ target: String, paths: CsfPaths) {
        guard let text = try? TextFile.read(path(paths)) else { return }
        var history = parse(text, now: 0, keep: Int.max)
        let before = history.entries.count
        history.entries.removeAll { $0.target == target }
        if history.entries.count != before { try? history.write(paths) }
    }
}
