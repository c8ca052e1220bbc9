import Testing
@testable import CsfCompat
import CsfTestSupport

@Suite struct ListTests {
    @Test func readsEntriesCommentsAndLineNumbers() {
        let r = ListReader.read(text: "# header\n\n192.0.2.1 # office - Sun Jan  5 09:05:03 2025\r\n  198.51.100.0/24\tmonitoring\n", path: "csf.allow")
        #expect(r.lines.map { String($0.token) } == ["192.0.2.1", "198.51.100.0/24"])
        #expect(r.lines.map(\.line) == [3, 4])
        #expect(String(r.lines[0].comment) == "office - Sun Jan  5 09:05:03 2025")
        #expect(String(r.lines[1].comment) == "monitoring")
    }

    @Test func includesNestAndMissingOnesWarn() throws {
        let dir = try TempDir()
        try dir.write("inner", "203.0.113.9 # inner\n")
        try dir.write("outer", "Include \(dir.path)/inner\nInclude \(dir.path)/missing\n192.0.2.5 # Included by hand\n")
        let list = AccessList.load("\(dir.path)/outer")
        #expect(list.networks.map { $0.0.description } == ["203.0.113.9", "192.0.2.5"])
        #expect(list.networks[0].1.file == "\(dir.path)/inner")
        #expect(list.diagnostics.count == 1 && list.diagnostics[0].severity == .warning && list.diagnostics[0].line == 2)
    }

    /// A list of 100,000 lines or more is parsed in two halves on two threads: the same entries and reports, in
    /// file order.
    @Test func aLargeListParsedInHalvesKeepsFileOrder() {
        var lines = (0..<150_000).map { "10.\($0 >> 16).\($0 >> 8 & 255).\($0 & 255) # n\($0)" }
        lines[10] = "999.1.1.1"
        lines[140_000] = "tcp|in|d=22|s=192.0.2.1"
        lines[149_999] = "0.0.0.0/0"
        let list = AccessList.parse(text: lines.joined(separator: "\n") + "\n", path: "csf.deny")
        #expect(list.entries.count == 149_998)
        #expect(list.entries.map(\.line) == (1...150_000).filter { $0 != 11 && $0 != 150_000 })
        #expect(list.diagnostics.map(\.line) == [11, 150_000] && list.diagnostics.allSatisfy { $0.severity == .error })
        #expect(list.filters.count == 1 && list.entries[140_000].comment == "n140001")
    }

    /// A file of 8 MB or more is scanned in two halves: line numbers, tokens and comments as one pass gives them,
    /// blank, comment and CRLF lines on both sides of the split.
    @Test func aLargeFileScannedInHalvesNumbersEveryLine() {
        var text = ""
        var expected: [(Int, String, String)] = []
        for n in 1...420_000 {
            switch n % 5 {
            case 0: text += "\n"
            case 1: text += "# comment \(n)\n"
            case 2: text += "  10.\(n >> 16).\(n >> 8 & 255).\(n & 255)  # c\(n)\r\n"; expected.append((n, "10.\(n >> 16).\(n >> 8 & 255).\(n & 255)", "c\(n)"))
            default: text += "192.0.2.\(n % 250) # padded to pass 8 MB \(n)\n"; expected.append((n, "192.0.2.\(n % 250)", "padded to pass 8 MB \(n)"))
            }
        }
        #expect(text.utf8.count >= 8 << 20)
        let reader = ListReader.read(text: text, path: "csf.deny")
        #expect(reader.lines.count == expected.count)
        #expect(reader.lines.map(\.line) == expected.map(\.0))
        #expect(reader.lines.map(\.token) == expected.map(\.1))
        #expect(reader.lines.map(\.comment) == expected.map(\.2))
    }

    @Test func badLinesAreReportedWithFileAndLine() {
        let list = AccessList.parse(text: """
        192.0.2.1
        999.1.1.1 # bad
        1.2.3
        0.0.0.0/0
        ::/0
        127.0.0.1
        192.0.2.77/24 # host bits
        203.0.113.4 # evil " } ; flush ruleset
        203.0.113.5 # tab\u{01}control
        just-a-hostname.example.com
        """, path: "csf.deny")
        let byLine = Dictionary(grouping: list.diagnostics, by: \.line)
        #expect(byLine[2]?.first?.severity == .error)
        #expect(byLine[3]?.first?.severity == .error)
        #expect(byLine[4]?.first?.message.contains("/0") == true)
        #expect(byLine[5]?.first?.severity == .error)
        #expect(byLine[6]?.first?.severity == .warning)
        #expect(byLine[7]?.first?.severity == .warning)
        // Comments are free text: they stay in the file and never reach nft (issue 13: csf loads such lines).
        #expect(byLine[8] == nil && byLine[9] == nil)
        #expect(byLine[10]?.first?.severity == .warning)
        #expect(list.networks.map { $0.0.description } == ["192.0.2.1", "192.0.2.0/24", "203.0.113.4", "203.0.113.5"])
        #expect(list.diagnostics.allSatisfy { $0.file == "csf.deny" })
    }

    @Test func redirectLines() {
        #expect(RedirectRule.parse("*|8080|*|80|tcp") == .success(RedirectRule(action: .redirect(destination: nil, fromPort: 8080, toPort: 80), proto: .tcp, comment: "")))
        if case .success(let r) = RedirectRule.parse("192.0.2.1|*|198.51.100.5|*|udp") {
            #expect(r.action == .dnat(destination: IPAddress("192.0.2.1")!, port: nil, target: IPAddress("198.51.100.5")!, targetPort: nil))
        } else {
            Issue.record("whole-address DNAT not parsed")
        }
        for bad in ["*|8080|*|80|icmp", "1.2.3.4|80|5.6.7.8|*|tcp", "*|*|5.6.7.8|80|tcp", "a|b|c|d|tcp", "1|2|3"] {
            if case .success = RedirectRule.parse(Substring(bad)) { Issue.record("accepted \(bad)") }
        }
    }
}
