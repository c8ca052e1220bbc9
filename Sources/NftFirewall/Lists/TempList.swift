/// csf.tempban or csf.tempallow as stored: entries in file order, plus lines that could not be read.
public struct TempList: Sendable {
    public let kind: TempEntry.Kind
    public let path: String
    public var entries: [TempEntry] = []
    public var diagnostics: [Diagnostic] = []

    public init(kind: TempEntry.Kind, path: String, entries: [TempEntry] = []) {
        self.kind = kind
        self.path = path
        self.entries = entries
    }

    public static func path(_ kind: TempEntry.Kind, paths: CsfPaths) -> String {
        paths.lib(kind == .deny ? "csf.tempban" : "csf.tempallow")
    }

    /// A missing file is an empty list. Unreadable lines are reported and dropped at the next rewrite.
    public static func load(_ kind: TempEntry.Kind, paths: CsfPaths) -> TempList {
        var list = TempList(kind: kind, path: path(kind, paths: paths))
        guard TextFile.exists(list.path) else { return list }
        let text: String
        do { text = try TextFile.read(list.path) } catch {
            list.diagnostics.append(Diagnostic(.error, file: list.path, line: 0, error.description))
            return list
        }
        for (index, line) in TextFile.lines(text).enumerated() {
            let trimmed = line.trimmingWhitespaceSubstring()
            if trimmed.isEmpty { continue }
            do {
                list.entries.append(try TempEntry.parse(trimmed))
            } catch {
                list.diagnostics.append(Diagnostic(.warning, file: list.path, line: index + 1, "\(error); line dropped"))
            }
        }
        return list
    }

    public func active(now: Int) -> [TempEntry] { entries.filter { !$0.isExpired(now: now) } }

    /// Drops expired entries; true when something was dropped.
    public mutating func prune(now: Int) -> Bool {
        let before = entries.count
        entries.removeAll { $0.isExpired(now: now) }
        return entries.count != before || !diagnostics.isEmpty
    }

    public var text: String { entries.map { $0.line + "\n" }.joined() }

    public func write() throws(CsfError) {
        try FileSystem.writeAtomically(path, text)
    }
}

extension Substring {
    func trimmingWhitespaceSubstring() -> Substring {
        var s = self
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return s
    }
}
