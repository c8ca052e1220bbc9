#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import CsfCompat
@testable import LfdService
import CsfTestSupport

/// Issue 12, items 10 and 11: a burst is read whole, in batches; a restart reads what was written while lfd
/// was down, within a bounded window.
@Suite struct LogTailerTests {
    func append(_ path: String, _ lines: [String]) throws {
        write(path, lines.map { $0 + "\n" }.joined())
    }

    /// Appends bytes as a daemon does, without csf's line repair.
    func write(_ path: String, _ text: String) {
        let fd = open(path, O_WRONLY | O_APPEND)
        defer { close(fd) }
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count)
    }

    func drain(_ tailer: LogTailer, polls: inout Int) -> [String] {
        var out: [String] = []
        repeat {
            out += tailer.poll(now: 0).map(\.text)
            polls += 1
        } while tailer.hasBacklog && polls < 10_000
        return out
    }

    @Test func aBurstIsReadInBatchesAndNoLineIsLost() throws {
        let dir = try TempDir()
        let log = dir.path + "/secure"
        try dir.write("secure", "old line\n")
        let capture = LogCapture()
        let tailer = try LogTailer(files: [log: ["SSHD_LOG"]], batchLines: 1000, logger: capture.logger)
        let burst = (0..<25_500).map { "Jan  5 09:05:03 web1 sshd[\($0)]: Failed password for root from 192.0.2.\($0 % 250) port 22 ssh2" }
        try append(log, burst)
        try append(log, ["the last line, half"])
        var polls = 0
        let read = drain(tailer, polls: &polls)
        #expect(read == burst + ["the last line, half"], "\(read.count) of \(burst.count + 1) lines")
        #expect(polls == 26, "1,000 lines per poll, then the rest")
        #expect(!tailer.hasBacklog)
        #expect(!capture.text.contains("flooding"))
    }

    @Test func aRestartReadsWhatWasWrittenMeanwhile() throws {
        let dir = try TempDir()
        let log = dir.path + "/secure"
        try dir.write("secure", "before\n")
        let capture = LogCapture()
        var polls = 0
        var tailer: LogTailer? = try LogTailer(files: [log: ["SSHD_LOG"]], logger: capture.logger)
        try append(log, ["seen by the first lfd"])
        #expect(drain(tailer!, polls: &polls) == ["seen by the first lfd"])
        // A half-written line is not counted as read: the next lfd reads it whole.
        write(log, "half ")
        #expect(drain(tailer!, polls: &polls).isEmpty)
        let paths = CsfPaths(root: dir.path)
        try tailer!.positions.save(paths)
        tailer = nil
        try append(log, ["line", "while lfd was down"])
        tailer = try LogTailer(files: [log: ["SSHD_LOG"]], resume: LogPositions.load(paths), logger: capture.logger)
        #expect(drain(tailer!, polls: &polls) == ["half line", "while lfd was down"])
        #expect(capture.text.contains("written while lfd was down"))
    }

    @Test func aFileRotatedWhileDownIsReadFromItsStart() throws {
        let dir = try TempDir()
        let log = dir.path + "/secure"
        try dir.write("secure", "old\n")
        let paths = CsfPaths(root: dir.path)
        let capture = LogCapture()
        try LogTailer(files: [log: ["SSHD_LOG"]], logger: capture.logger).positions.save(paths)
        #expect(rename(log, log + ".1") == 0)
        try dir.write("secure", "new file, first line\n")
        let tailer = try LogTailer(files: [log: ["SSHD_LOG"]], resume: LogPositions.load(paths), logger: capture.logger)
        var polls = 0
        #expect(drain(tailer, polls: &polls) == ["new file, first line"])
    }

    @Test func moreThanTheWindowStartsAtTheEndAndSaysSo() throws {
        let dir = try TempDir()
        let log = dir.path + "/secure"
        try dir.write("secure", "old\n")
        let paths = CsfPaths(root: dir.path)
        let capture = LogCapture()
        try LogTailer(files: [log: ["SSHD_LOG"]], logger: capture.logger).positions.save(paths)
        try append(log, (0..<100).map { "line \($0)" })
        let tailer = try LogTailer(files: [log: ["SSHD_LOG"]], resume: LogPositions.load(paths), resumeWindow: 100,
                                   logger: capture.logger)
        var polls = 0
        #expect(drain(tailer, polls: &polls).isEmpty)
        #expect(capture.text.contains("more than 100; reading from the end"), "\(capture.text)")
    }

    @Test func aDamagedPositionsFileIsIgnored() throws {
        let dir = try TempDir.csfRoot()
        try dir.write("var/lib/csf/lfd.logpos", "12 x /var/log/secure\nnot a line\n-1 5 /var/log/messages\n7 9 relative\n3 4 /var/log/a b\n")
        #expect(LogPositions.load(dir.paths) == LogPositions([.init(path: "/var/log/a b", inode: 3, offset: 4)]))
    }
}
