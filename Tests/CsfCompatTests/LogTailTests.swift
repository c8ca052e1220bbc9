import Foundation
import Testing
@testable import CsfCompat
import CsfTestSupport

/// The UI's log view reads lfd.log's last lines; plain `lfd` shows the lines its daemon wrote while failing to start.
@Suite struct LogTailTests {
    @Test func lastLinesFromTheEndWithoutAPartialFirstLine() throws {
        let dir = try TempDir()
        try dir.write("lfd.log", (1...100).map { "line \($0)" }.joined(separator: "\n") + "\n")
        #expect(LogTail.lines(dir.path + "/lfd.log", count: 3) == ["line 98", "line 99", "line 100"])
        // The last 20 bytes start inside "line 98\n" (the last three lines are 25 bytes): that fragment is dropped.
        #expect(LogTail.lines(dir.path + "/lfd.log", count: 10, window: 20) == ["line 99", "line 100"])
        #expect(LogTail.lines(dir.path + "/missing.log", count: 3).isEmpty)
    }

    @Test func onlyWhatWasWrittenSinceTheEndTakenBefore() throws {
        let dir = try TempDir()
        let path = dir.path + "/lfd.log"
        #expect(LogTail.end(path) == 0, "a log that does not exist yet ends at 0")
        try dir.write("lfd.log", "old 1\nold 2\n")
        let end = LogTail.end(path)
        #expect(LogTail.lines(path, count: 10, since: end).isEmpty)
        _ = try FileSystem.appendLine(path, "new 1")
        _ = try FileSystem.appendLine(path, "new 2")
        #expect(LogTail.lines(path, count: 10, since: end) == ["new 1", "new 2"])
        // Replaced by a shorter log meanwhile (rotated): all of the new one.
        try dir.write("lfd.log", "rotated\n")
        #expect(LogTail.lines(path, count: 10, since: end) == ["rotated"])
    }
}
