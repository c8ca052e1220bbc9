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
        for (index, line) in LineScanner.lines(text).enumerated() {
            let trimmed = line.trimmingWhitespace()
            if trimmed.isEmpty { continue }
            do {
                list.entries.append(try TempEntry.parse(Substring(trimmed)))
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

/// What `-td`/`-ta` need to know about a temp file, read straight from its bytes: lfd can keep tens of
/// thousands of bans there, and parsing every line on every ban would make each one slower than the last.
package struct TempFileSummary {
    package var hasExpired = false
    package var hasNetworks = false
    package var damaged = false
    package var duplicate = false

    /// `duplicate`: a line for exactly `ip` with exactly `ports` (csf's "already temporarily blocked").
    package static func scan(_ bytes: MappedBytes, ip: [UInt8], ports: [UInt8], now: Int) -> TempFileSummary {
        var summary = TempFileSummary()
        let buf = bytes.buffer
        LineScanner.forEach(buf) { _, line in
            if !line.isEmpty { summary.read(buf, line, ip: ip, ports: ports, now: now) }
            return true
        }
        return summary
    }

    private mutating func read(_ buf: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, ip: [UInt8], ports: [UInt8], now: Int) {
        var fields: [Range<Int>] = []
        var start = line.lowerBound
        for k in line where buf[k] == ASCII.pipe && fields.count < 5 {
            fields.append(start..<k)
            start = k + 1
        }
        fields.append(start..<line.upperBound)
        guard fields.count >= 5, let created = Self.number(buf, fields[0]), let ttl = Self.number(buf, fields[4]) else {
            if !buf[line].allSatisfy(ASCII.isBlank) { damaged = true }
            return
        }
        if now >= created + ttl { hasExpired = true; return }
        if buf[fields[1]].contains(47) { hasNetworks = true }
        if buf[fields[1]].elementsEqual(ip) && buf[fields[2]].elementsEqual(ports) { duplicate = true }
    }

    private static func number(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int? {
        guard !r.isEmpty, r.count <= 18 else { return nil }
        var n = 0
        for k in r {
            guard buf[k] >= 48 && buf[k] <= 57 else { return nil }
            n = n * 10 + Int(buf[k] - 48)
        }
        return n
    }
}
