#if canImport(Glibc)
import Glibc
#endif
import CSys
import CsfCompat
import CsfFirewall
import NftRuleset

/// What the dashboard shows, gathered by the helper (csf's files are root's): is the firewall up, is lfd, the
/// list sizes (counted from the files, never by listing sets), lfd's latest blocks and its blocks per hour.
struct DashboardFacts: Equatable {
    var firewall = "stopped"
    var lfdRunning = false
    var lists: [(name: String, entries: Int)] = []
    var temporary = 0
    var recentBlocks: [String] = []
    var blocksPerHour: [(hour: String, count: Int)] = []
    /// The busiest rules: packets and bytes per chain and the setting that made them (from a terse listing).
    var rules: [RuleCounter] = []
    /// What lfd watches and its last bans, as `csf --lfd status` prints them.
    var lfdStatus: [String] = []

    static func == (a: DashboardFacts, b: DashboardFacts) -> Bool { a.encoded == b.encoded }

    static func gather(paths: CsfPaths, sizes: ListSizes) -> DashboardFacts {
        var f = DashboardFacts()
        let firewall = Firewall(paths: paths)
        // A terse listing holds every rule's counter and no set element: milliseconds beside a 1M-entry set.
        let listing = (try? firewall.kernel.listing(json: false, full: false)) ?? nil
        if firewall.isDisabled { f.firewall = "disabled" } else if listing != nil { f.firewall = "running" }
        f.rules = Array((listing.map(RuleCounter.parse) ?? []).filter { $0.packets > 0 }.sorted { $0.packets > $1.packets }.prefix(50))
        let lfd = LfdControl(paths: paths)
        let report = lfd.report()
        f.lfdRunning = report.running
        f.lfdStatus = LfdControl.lines(report)
        f.lists = sizes.counts().map { ($0.list, $0.entries) }
        f.temporary = (try? ListCommands(paths: paths).tempEntries().count) ?? 0
        let blocks = LogTail.lines(paths.lfdLog, count: 5000, window: 4 << 20).filter { $0.contains("*Blocked in csf*") }
        f.recentBlocks = Array(blocks.suffix(10).reversed())
        // lfd.log lines start `Mmm dd HH:MM:SS`: the first nine characters name the hour.
        for line in blocks {
            let hour = String(line.prefix(9))
            if f.blocksPerHour.last?.hour == hour { f.blocksPerHour[f.blocksPerHour.count - 1].count += 1 } else { f.blocksPerHour.append((hour, 1)) }
        }
        f.blocksPerHour = Array(f.blocksPerHour.suffix(24))
        return f
    }

    /// Tab-separated lines tagged by kind; values that come from files (log lines) are last on their line.
    var encoded: String {
        var out = ["firewall\t\(firewall)", "lfd\t\(lfdRunning ? "running" : "stopped")", "temporary\t\(temporary)"]
        out += lists.map { "list\t\($0.entries)\t\($0.name)" }
        out += blocksPerHour.map { "hour\t\($0.count)\t\($0.hour)" }
        out += rules.map { "rule\t\($0.packets)\t\($0.bytes)\t\($0.chain)\t\($0.setting)" }
        out += lfdStatus.map { "lfd-status\t\($0)" }
        out += recentBlocks.map { "block\t\($0)" }
        return out.joined(separator: "\n")
    }

    init() {}

    init(decoding text: String) {
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            switch (f[0], f.count) {
            case ("firewall", 2): firewall = f[1]
            case ("lfd", 2): lfdRunning = f[1] == "running"
            case ("temporary", 2): temporary = Int(f[1]) ?? 0
            case ("list", 3): lists.append((f[2], Int(f[1]) ?? 0))
            case ("hour", 3): blocksPerHour.append((f[2], Int(f[1]) ?? 0))
            case ("block", 2...): recentBlocks.append(f.dropFirst().joined(separator: "\t"))
            case ("lfd-status", 2...): lfdStatus.append(f.dropFirst().joined(separator: "\t"))
            case ("rule", 3):
                let r = f[2].split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
                if r.count == 3, let packets = UInt64(f[1]), let bytes = UInt64(r[0]) {
                    rules.append(RuleCounter(chain: r[1], setting: r[2], packets: packets, bytes: bytes))
                }
            default: continue
            }
        }
    }
}

/// One page of a list file: the lines holding `query` (all lines when it is empty), 50 to a page, and how many
/// matched. A 1M-line csf.deny is scanned, never sent or rendered whole.
struct ListPage: Equatable {
    static let size = 50
    var total = 0
    var page = 0
    var lines: [String] = []

    static func read(_ path: String, query: String, page: Int) -> ListPage {
        var result = ListPage(total: 0, page: page, lines: [])
        guard let bytes = try? TextFile.readBytes(path) else { return result }
        let needle = Array(query.utf8)
        let first = page * size
        bytes.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return }
            var start = 0
            while start < buf.count {
                let end = memchr(base + start, 0x0A, buf.count - start).map { UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - base } ?? buf.count
                let length = end - start
                if length > 0 && (needle.isEmpty || memmem(base + start, length, needle, needle.count) != nil) {
                    if result.total >= first && result.lines.count < size {
                        result.lines.append(String(decoding: UnsafeBufferPointer(start: base + start, count: length), as: UTF8.self))
                    }
                    result.total += 1
                }
                start = end + 1
            }
        }
        return result
    }

    var encoded: String { (["\(total)\t\(page)"] + lines).joined(separator: "\n") }

    init(total: Int, page: Int, lines: [String]) { (self.total, self.page, self.lines) = (total, page, lines) }

    init(decoding text: String) {
        let all = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let head = all.first?.split(separator: "\t") ?? []
        total = head.count == 2 ? Int(head[0]) ?? 0 : 0
        page = head.count == 2 ? Int(head[1]) ?? 0 : 0
        lines = total == 0 ? [] : Array(all.dropFirst())
    }
}

/// A config preview on the wire: tagged lines, values last.
enum ConfigPreviewText {
    static func encode(_ p: ConfigEdit.Preview) -> String {
        var lines = ["key\t\(p.key)", "after\t\(p.after)"]
        if let before = p.before { lines.append("before\t\(before)") }
        lines += p.errors.map { "error\t\($0)" } + p.warnings.map { "warning\t\($0)" }
        return lines.joined(separator: "\n")
    }

    static func decode(_ text: String) -> (key: String, before: String?, after: String, errors: [String], warnings: [String]) {
        var r: (key: String, before: String?, after: String, errors: [String], warnings: [String]) = ("", nil, "", [], [])
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard f.count == 2 else { continue }
            switch f[0] {
            case "key": r.key = f[1]
            case "before": r.before = f[1]
            case "after": r.after = f[1]
            case "error": r.errors.append(f[1])
            case "warning": r.warnings.append(f[1])
            default: continue
            }
        }
        return r
    }
}
