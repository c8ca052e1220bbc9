#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import Logging

/// MESSENGER: lfd keeps `csf-ui --messenger` running as its child, as csf's lfd ran its messenger servers. The
/// servers read their templates at start, so every reload (SIGHUP) starts them again.
final class MessengerChild {
    private let child: ChildProcess
    let logger: Logger

    /// `errorLog`: lfd.log, where the messenger's own messages (`csf-ui: …`) go.
    init(logger: Logger, errorLog: String? = nil) {
        self.logger = logger
        child = ChildProcess(label: "Messenger", logger: logger, errorLog: errorLog)
    }

    static func program(beside executable: String) -> String {
        Subprocess.sibling("csf-ui", of: executable, override: "NFTCSF_UI")
    }

    func configure(_ config: CsfConfig, now: Double) {
        child.stop()
        guard config.bool("MESSENGER"), ["MESSENGER_HTML_IN", "MESSENGER_TEXT_IN", "MESSENGER_HTTPS_IN"].contains(where: { !config.ports($0).isEmpty }) else { return }
        // The firewall leaves the messenger off too (csf --check says why): nothing would be redirected to it.
        let user = config["MESSENGER_USER"].trimmingWhitespace()
        guard let uid = Accounts.uid(named: user), uid != 0 else {
            logger.warning("*WARNING* MESSENGER: MESSENGER_USER '\(user)' is missing or root; the messenger is not started")
            return
        }
        if child.start([Self.program(beside: Subprocess.currentExecutable), "--messenger"], now: now) {
            logger.info("Messenger: serving blocked visitors as \(user)")
        }
    }

    func supervise(now: Double) { child.supervise(now: now) }

    /// reCAPTCHA self-unblocks the messenger queued (`address;hostname;ip` lines): taken and the queue emptied, at
    /// most 100 per call. The messenger writes it, so it is opened without following links or blocking on a
    /// FIFO, and read only if regular, 64 KB at most.
    static func takeUnblocks(_ path: String) -> [(ip: IPAddress, hostname: String)] {
        let fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return [] }
        flock(fd, LOCK_EX)
        defer { flock(fd, LOCK_UN) }
        let size = min(Int(st.st_size), 64 << 10)
        var bytes = [UInt8](repeating: 0, count: size)
        let n = size == 0 ? 0 : bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, size, 0) }
        _ = ftruncate(fd, 0)
        guard n > 0 else { return [] }
        var out: [(ip: IPAddress, hostname: String)] = []
        for line in bytes.prefix(n).split(separator: UInt8(ascii: "\n")).prefix(100) {
            let f = String(decoding: line, as: UTF8.self).split(separator: ";", omittingEmptySubsequences: false)
            guard f.count == 3, let ip = IPAddress(String(f[0])) else { continue }
            out.append((ip, shown(String(f[1]), limit: 253)))
        }
        return out
    }

    func stop() { child.stop() }
}
