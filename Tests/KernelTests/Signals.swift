import Foundation
import CsfCompat

// pid_max is 32768 on the CI machine and a run starts tens of thousands of processes: a pid wraps within minutes.
// A signal sent to a pid its process no longer holds reaches whoever holds it now — another test's lfd, a peer's
// server — and fails that test for no reason of its own. Every signal a test sends goes through these.

extension Process {
    /// `signal` to this child only while Foundation has not reaped it (after that its pid may be anyone's).
    func send(_ signal: Int32) {
        if isRunning { kill(processIdentifier, signal) }
    }
}

enum Daemon {
    /// The process a daemon's pid file names, when it is still running and its command line holds `marker`
    /// (a pid file outlives its process).
    static func named(byPidFile path: String, marker: String) -> ProcessIdentity? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let pid = Int32(text.split(separator: "\n").first?.trimmingCharacters(in: .whitespaces) ?? ""),
              let identity = ProcessIdentity.of(pid), commandLine(pid).contains(marker) else { return nil }
        return identity
    }

    /// The processes of group `pgid` whose command line holds `marker`, each named exactly.
    static func group(_ pgid: Int32, marker: String) -> [ProcessIdentity] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }.compactMap { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, Int32(fields[2]) == pgid, commandLine(pid).contains(marker) else { return nil }
            return ProcessIdentity.of(pid)
        }
    }

    /// SIGTERM, up to `seconds` for it to go, then SIGKILL: all exact, so a process gone in between is left alone.
    static func stop(_ identity: ProcessIdentity, termSignal: Int32 = SIGTERM, seconds: Double = 3) {
        identity.signal(termSignal)
        for _ in 0..<Int(seconds * 20) where identity.isAlive { usleep(50_000) }
        identity.signal(SIGKILL)
    }

    static func commandLine(_ pid: Int32) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
    }
}
