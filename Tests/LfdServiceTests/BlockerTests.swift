#if canImport(Glibc)
import Glibc
#endif
import Testing
import Logging
@testable import CsfCompat
@testable import CsfFirewall
@testable import LfdCore
@testable import LfdService
@testable import NftKernel
import CsfTestSupport

/// Collects what lfd logs, in order.
final class LogCapture: @unchecked Sendable {
    private(set) var lines: [(Logger.Level, String)] = []
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    init() { pthread_mutex_init(lock, nil) }
    func add(_ level: Logger.Level, _ text: String) {
        pthread_mutex_lock(lock)
        lines.append((level, text))
        pthread_mutex_unlock(lock)
    }
    var text: String { lines.map(\.1).joined(separator: "\n") }

    var logger: Logger { Logger(label: "test") { _ in CaptureHandler(capture: self) } }

    struct CaptureHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        func log(event: LogEvent) { capture.add(event.level, event.message.description) }
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
    }
}

final class NoticeCapture: @unchecked Sendable {
    var notices: [Notice] = []
}

@Suite struct BlockerTests {
    let kernel = RecordingKernel()
    let log = LogCapture()
    let sent = NoticeCapture()

    func blocker(_ dir: TempDir, now: Int = 1_000_000) throws -> Blocker {
        let host = HostAddresses(addresses: [IPAddress("192.0.2.1")!])
        _ = try Firewall(paths: dir.paths, kernel: kernel, host: { host }, launch: { _ in nil }, log: { _ in }).start()
        let commands = try ListCommands(paths: dir.paths, kernel: kernel, host: host, clock: { now })
        return Blocker(commands: commands, logger: log.logger, notify: { [sent] in sent.notices.append($0) }, clock: { now })
    }

    func block(_ ip: String, seconds: Int? = 3600, trigger: String = "LF_SSHD") -> FailureTracker.Block {
        FailureTracker.Block(ip: IPAddress(ip)!, apps: ["sshd"], text: "Failed SSH login from", hits: 5, trigger: trigger,
                             seconds: seconds, ports: nil, interval: 3600, lines: ["Jan  5 sshd: Failed password for root from \(ip)"])
    }

    @Test func aTemporaryBlockLandsWithItsLogLineAlertAndReport() throws {
        let dir = try TempDir.csfRoot(config: ["LF_EMAIL_ALERT": "1", "LF_TEMP_EMAIL_ALERT": "1", "BLOCK_REPORT": "/usr/local/bin/report"])
        let b = try blocker(dir)
        #expect(b.block(block("198.51.100.7")) == .blocked)
        #expect(kernel.holds("tempdeny_in4", .address(IPAddress("198.51.100.7")!)) && kernel.holds("tempdeny_out4", .address(IPAddress("198.51.100.7")!)))
        #expect(log.lines.contains { $0.0 == .notice && $0.1 == "(sshd) Failed SSH login from 198.51.100.7 (-): 5 in the last 3600 secs - *Blocked in csf* for 3600 secs [LF_SSHD]" })
        #expect(sent.notices.contains { if case .alert("alert.txt", let v) = $0 { return v["ip"] == "198.51.100.7 (-)" } else { return false } })
        #expect(sent.notices.contains { if case .report("/usr/local/bin/report", let a) = $0 { return a.count == 8 && a[0] == "198.51.100.7" && a[2] == "0" } else { return false } })
        #expect(b.block(block("198.51.100.7")) == .alreadyBlocked)
    }

    @Test func refusedAndFailedBlocksAreToldApart() throws {
        let dir = try TempDir.csfRoot()
        try dir.write("etc/csf/csf.ignore", "198.51.100.0/24\n")
        let b = try blocker(dir)
        guard case .refused = b.block(block("198.51.100.7")) else { Issue.record("an ignored address is refused for good"); return }
        kernel.failNextApply = .kernel(operation: "add elements to set tempdeny_in4", message: "Device or resource busy", errno: EBUSY)
        guard case .failed = b.block(block("203.0.113.7")) else { Issue.record("a kernel error is a failure to retry"); return }
        #expect(!(dir.read("var/lib/csf/csf.tempban") ?? "").contains("203.0.113.7"), "the file went back")
        #expect(log.text.contains("*Block failed*") && log.text.contains("it will be retried"))
        #expect(b.block(block("203.0.113.7")) == .blocked, "the retry lands")
    }

    @Test func permblockTurnsRepeatedTemporaryBlocksPermanent() throws {
        let dir = try TempDir.csfRoot(config: ["LF_PERMBLOCK": "1", "LF_PERMBLOCK_COUNT": "1", "LF_PERMBLOCK_INTERVAL": "86400",
                                               "LF_PERMBLOCK_ALERT": "1"])
        let b = try blocker(dir)
        #expect(b.block(block("198.51.100.7")) == .blocked)
        _ = try b.commands.tempRemove("198.51.100.7")
        #expect(b.block(block("198.51.100.7")) == .blocked)
        #expect(kernel.holds("deny4", .address(IPAddress("198.51.100.7")!)))
        #expect(!kernel.holds("tempdeny_in4", .address(IPAddress("198.51.100.7")!)), "the temporary ban gave way to the permanent one")
        #expect((dir.read("etc/csf/csf.deny") ?? "").contains("(PERMBLOCK) 198.51.100.7 (-) has had more than 1 temp blocks"))
        #expect(sent.notices.contains { if case .alert("permblock.txt", _) = $0 { return true } else { return false } })
        #expect((dir.read("var/lib/csf/csf.tempip") ?? "").contains("198.51.100.7|1|"))
    }

    @Test func lfSelectBlocksOnlyTheServicePorts() throws {
        let dir = try TempDir.csfRoot(config: ["LF_SELECT": "1", "PORTS_sshd": "22"])
        let b = try blocker(dir)
        #expect(b.block(block("198.51.100.7")) == .blocked)
        #expect(kernel.holds("tempdeny_in4_port", .port(IPNetwork("198.51.100.7")!, proto: .tcp, port: 22)))
        #expect(!kernel.holds("tempdeny_in4", .address(IPAddress("198.51.100.7")!)))
    }

    @Test func apacheHitsBlockTheWebPortsOnly() throws {
        let dir = try TempDir.csfRoot(config: ["PORTS_mod_security": "80,443"])
        let b = try blocker(dir)
        #expect(b.block(block("198.51.100.8", trigger: "LF_APACHE_401")) == .blocked)
        #expect(kernel.holds("tempdeny_in4_port", .port(IPNetwork("198.51.100.8")!, proto: .tcp, port: 443)))
        #expect(!kernel.holds("tempdeny_in4", .address(IPAddress("198.51.100.8")!)), "SSH and the rest stay open")
    }
}

@Suite struct PendingBlocksTests {
    @Test func failedBlocksWaitLongerEachTimeAndFinishedOnesLeave() {
        var p = PendingBlocks()
        let b = FailureTracker.Block(ip: IPAddress("192.0.2.7")!, apps: [], text: "", hits: 1, trigger: "LF_SSHD", seconds: 60, ports: nil, interval: 60)
        let first = p.add(b, tracked: true), second = p.add(b, tracked: true)
        #expect(first && !second, "one block per address at a time")
        p.started("192.0.2.7")
        #expect(p.due(now: 0).isEmpty, "in flight")
        let failed = p.finished("192.0.2.7", .failed("locked"), now: 10)
        #expect(failed == nil)
        #expect(p.due(now: 11).isEmpty && p.due(now: 12) == ["192.0.2.7"])
        p.started("192.0.2.7")
        _ = p.finished("192.0.2.7", .failed("locked"), now: 20)
        #expect(p.due(now: 23).isEmpty && p.due(now: 24) == ["192.0.2.7"])
        #expect(PendingBlocks.backoff(20) == 60)
        let done = p.finished("192.0.2.7", .blocked, now: 30)
        #expect(done?.tracked == true && p.entries.isEmpty)
    }
}

/// A lock a test holds to keep a worker's job waiting.
final class Gate: @unchecked Sendable {
    let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    init() { pthread_mutex_init(mutex, nil); pthread_mutex_lock(mutex) }
    func pass() { pthread_mutex_lock(mutex); pthread_mutex_unlock(mutex) }
    func open() { pthread_mutex_unlock(mutex) }
}

@Suite struct WorkerTests {
    @Test func jobsRunInOrderOffTheCallersThreadWithinTheCapacity() {
        let worker = Worker(name: "test", capacity: 2)
        let mailbox = Mailbox<Int>()
        let gate = Gate()
        let caller = pthread_self()
        let first = worker.submit {
            gate.pass()
            mailbox.post(pthread_equal(pthread_self(), caller) != 0 ? -1 : 1)
        }
        usleep(50_000)   // the first job is running (waiting at the gate)
        let second = worker.submit { mailbox.post(2) }
        let third = worker.submit { mailbox.post(3) }
        let fourth = worker.submit { mailbox.post(4) }
        #expect(first && second && third)
        #expect(!fourth, "the queue holds at most its capacity")
        gate.open()
        var got: [Int] = []
        for _ in 0..<200 where got.count < 3 {
            got += mailbox.drain()
            usleep(10_000)
        }
        #expect(got == [1, 2, 3])
        worker.shutdown(waitingUpTo: 1)
    }
}

@Suite struct AlertTemplateLocationTests {
    /// /etc/csf/tpl (nftcsf's conffiles) wins; a csf installation's /usr/local/csf/tpl is the fallback.
    @Test func etcTemplatesWinAndCsfsAreTheFallback() throws {
        let dir = try TempDir.csfRoot()
        let alerts = Alerts(paths: dir.paths, config: CsfConfig(), logger: LogCapture().logger)
        #expect(alerts.message("alert.txt", [:])?.contains("Subject:") == true, "the legacy location is read")
        try FileSystem.makeDirectories(dir.path + "/etc/csf/tpl")
        try dir.write("etc/csf/tpl/alert.txt", "From: a@b\nTo: c@d\nSubject: from etc\n\nbody\n")
        #expect(alerts.message("alert.txt", [:])?.contains("Subject: from etc") == true)
        let capture = LogCapture()
        #expect(Alerts(paths: dir.paths, config: CsfConfig(), logger: capture.logger).message("nosuch.txt", [:]) == nil)
        #expect(capture.text.contains("nosuch.txt is missing from"))
    }
}
