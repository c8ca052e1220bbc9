#if canImport(Glibc)
import Glibc
#endif
import CSys
import CsfCompat
import LfdCore
import Logging

/// Mail abuse on lfd's loop (reference §6.9, §4.2): relay tracking (RT_*) over SMTPRELAY_LOG, scripts sending
/// mail (LF_SCRIPT_*) over SCRIPT_LOG, and the queue size (LF_QUEUE_ALERT) asked of the MTA every
/// LF_QUEUE_INTERVAL. Exim and Postfix are both read; the queue question and LF_SCRIPT_PERM run on the notify
/// worker, never on the loop.
struct MailAbuse {
    var relay = RelayTracker()
    var scripts = ScriptMailTracker()
    var queueEvery = 0.0
    var queueLimit = 0
    var lastQueueLook = 0.0
    var queueToldAt = -Double.infinity

    static let relayKey = "SMTPRELAY_LOG"
    static let scriptKey = "SCRIPT_LOG"

    static func logKeys(_ config: CsfConfig) -> [String] {
        (RelayTracker.Settings(config: config).enabled ? [relayKey] : []) + (config.bool("LF_SCRIPT_ALERT") ? [scriptKey] : [])
    }

    mutating func configure(paths: CsfPaths, config: CsfConfig) {
        var settings = RelayTracker.Settings(config: config)
        settings.ignore = Set(ListReader.read(paths.etc("csf.mignore")).lines.map(\.token))
        for file in ["/etc/relayhosts", "/etc/alwaysrelay"] {
            for line in ListReader.read(paths.path(file)).lines { settings.relayHosts.insert(line.token) }
        }
        relay.settings = settings
        scripts.limit = config.bool("LF_SCRIPT_ALERT") ? max(1, config.int("LF_SCRIPT_LIMIT")) : 0
        queueLimit = config.int("LF_QUEUE_ALERT")
        queueEvery = queueLimit > 0 ? Double(max(60, config.int("LF_QUEUE_INTERVAL"))) : 0
    }
}

extension LfdDaemon {
    func mailAbuse(_ line: LogTailer.Line, now: Int) {
        if line.keys.contains(MailAbuse.relayKey),
           let exceeded = mail.relay.see(line.text, now: now, isLocal: { [host] in IPAddress($0).map(host.isLocal) ?? false },
                                         userName: Accounts.name(ofUID:)) {
            relayAlert(exceeded, now: now)
        }
        if line.keys.contains(MailAbuse.scriptKey), let exceeded = mail.scripts.see(line.text, now: now) {
            scriptAlert(exceeded)
        }
    }

    /// csf's relayalert: the log line, a block where RT_<check>_BLOCK asks (addresses, not accounts or this
    /// server), relayalert.txt and RT_ACTION.
    func relayAlert(_ e: RelayTracker.Exceeded, now: Int) {
        let check = e.check.rawValue
        logger.warning("*Exceeded \(check) limit* from \(e.key) (\(e.count) in the last hour)")
        let address = IPAddress(e.key)
        let type: String
        if e.key.hasPrefix("127.") { type = "\(check), IPv4 localhost" }
        else if e.key == "::1" { type = "\(check), IPv6 localhost" }
        else if address != nil { type = "\(check), Remote IP" }
        else { type = "\(check), Local Account" }
        let setting = config.int("RT_\(check)_BLOCK")
        var blockText = "No"
        if let block = RelayTracker.block(e, setting: setting, ports: config["PORTS_smtpauth"].filter { !$0.isWhitespace }),
           !ignore.ignores(block.ip) {
            blockText = setting == 1 ? "Permanent Block [RT_\(check)_LIMIT]" : "Temporary Block for \(setting) seconds [RT_\(check)_LIMIT]"
            blockOnce(block, now: now)
        }
        let shownKey = address.map { lookup.tip($0) } ?? shown(e.key)
        let mails = e.mails.map { shown($0, limit: 2000) }.joined(separator: "\n")
        actions.notify(.alert(template: "relayalert.txt", values: ["ip": shownKey, "block": blockText, "check": check, "type": type,
                                                                   "count": String(e.count), "emails": mails]))
        let action = config["RT_ACTION"].trimmingWhitespace()
        if !action.isEmpty { actions.notify(.report(script: action, arguments: [e.key, check, blockText, String(e.count), mails])) }
    }

    /// csf's scriptalert, on the notify worker: the scripts in the directory that send mail, LF_SCRIPT_PERM, the
    /// alert and LF_SCRIPT_ACTION.
    func scriptAlert(_ e: ScriptMailTracker.Exceeded) {
        logger.warning("*Script Alert* - A script in '\(shown(e.path))' has sent an email \(e.count) times within the last hour")
        let lock = config.bool("LF_SCRIPT_PERM"), action = config["LF_SCRIPT_ACTION"].trimmingWhitespace()
        let alertsBox = self.alertsBox, logger = self.logger
        let queued = notifyWorker.submit {
            var scripts = ScriptDirectory.mailingScripts(e.path).map { "'\(shown($0))'" }.joined(separator: "\n")
            if lock { scripts += ScriptDirectory.lock(e.path, logger: logger) }
            let mails = e.mails.map { shown($0, limit: 2000) }.joined(separator: "\n")
            alertsBox.current?.send("scriptalert.txt", ["path": "'\(shown(e.path))'", "count": String(e.count), "emails": mails, "scripts": scripts])
            if !action.isEmpty { LfdDaemon.deliver(.report(script: action, arguments: [e.path, String(e.count), mails, scripts]), alerts: nil) }
        }
        if !queued { logger.error("*Error* too many alerts waiting; the script alert was dropped") }
    }

    /// LF_QUEUE_ALERT: the MTA's queue size every LF_QUEUE_INTERVAL, on the notify worker; told at most once per
    /// LF_FLUSH.
    func checkMailQueue() {
        guard mail.queueEvery > 0, SystemTime.monotonic - mail.lastQueueLook >= mail.queueEvery else { return }
        mail.lastQueueLook = SystemTime.monotonic
        guard SystemTime.monotonic - mail.queueToldAt >= Double(max(60, config.int("LF_FLUSH"))) else { return }
        let limit = mail.queueLimit, command = config["LF_QUEUE_COMMAND"].trimmingWhitespace(), alertsBox = self.alertsBox
        let logger = self.logger, mailbox = self.mailbox
        _ = notifyWorker.submit {
            let (report, over) = MailQueue.look(command: command, limit: limit)
            guard over else { return }
            logger.warning("*Email Queue* \(report)")
            mailbox.post(.queueTold)
            alertsBox.current?.send("queuealert.txt", ["text": report])
        }
    }
}

/// The MTA's queue size: Exim's `-bpc`, or Postfix's `postqueue -j` (a JSON object per message).
enum MailQueue {
    /// The argv to ask with: LF_QUEUE_COMMAND when set (whitespace-separated, no shell), else the first MTA found.
    static func command(_ configured: String, exists: (String) -> Bool = FileSystem.isExecutableFile) -> [String]? {
        if !configured.isEmpty { return configured.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
        for exim in ["/usr/sbin/exim4", "/usr/sbin/exim"] where exists(exim) { return [exim, "-bpc"] }
        for postqueue in ["/usr/sbin/postqueue", "/usr/bin/postqueue"] where exists(postqueue) { return [postqueue, "-j"] }
        return nil
    }

    static func count(output: String, postfix: Bool) -> Int? {
        if postfix { return LineScanner.lines(output).filter { $0.hasPrefix("{") }.count }
        return Int(output.trimmingWhitespace().prefix { $0.isNumber })
    }

    static func look(command configured: String, limit: Int) -> (report: String, over: Bool) {
        guard let argv = command(configured) else { return ("no Exim or Postfix found to ask for the queue size", false) }
        let postfix = argv.first?.hasSuffix("postqueue") == true
        let name = postfix ? "postfix" : "exim"
        guard let output = Subprocess.output(argv, timeout: 30), let size = count(output: output, postfix: postfix) else {
            return ("Unable to obtain \(name) queue length within 30 seconds - Timed out or failed", true)
        }
        return ("The \(name) delivery queue size is \(size)", size > limit)
    }
}

/// LF_SCRIPT_ALERT's look into a directory and LF_SCRIPT_PERM's lock, done by descriptor: the path came from a
/// log line, so no symbolic link is followed on the way and the directory is changed through the descriptor
/// opened, never by name again.
enum ScriptDirectory {
    static func mailingScripts(_ path: String) -> [String] {
        let fd = RawPath(path).openNoSymlinks(O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var found: [String] = []
        DirectoryEntries.forEach(fd) { name, type in
            let text = String(decoding: name, as: UTF8.self)
            guard type == UInt8(DT_REG), isScript(text) else { return true }
            let file = (name + [0]).withUnsafeBufferPointer { n in
                n.withMemoryRebound(to: CChar.self) { openat(fd, $0.baseAddress!, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
            }
            guard file >= 0 else { return true }
            defer { close(file) }
            var bytes = [UInt8](repeating: 0, count: 256 * 1024)
            let n = bytes.withUnsafeMutableBytes { read(file, $0.baseAddress, $0.count) }
            if n > 0, sendsMail(String(decoding: bytes[..<n], as: UTF8.self)) { found.append(path + "/" + text) }
            return found.count < 100
        }
        return found.sorted()
    }

    static func isScript(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: ".") else { return false }
        return ["php", "php3", "php4", "php5", "php7", "php8", "phps", "phtml", "cgi", "pl", "pm", "sh", "py"]
            .contains(String(name[name.index(after: dot)...]))
    }

    /// csf's look: `mail (`, `sendmail` or `exim` anywhere in a line.
    static func sendsMail(_ text: String) -> Bool {
        if text.contains("sendmail") || text.contains("exim") { return true }
        var rest = Substring(text)
        while let hit = rest.firstRange(of: "mail") {
            let after = rest[hit.upperBound...].drop { $0 == " " || $0 == "\t" }
            if after.first == "(" { return true }
            rest = rest[hit.upperBound...]
        }
        return false
    }

    /// Mode 000 and the immutable flag on the directory itself; returns the alert's note.
    static func lock(_ path: String, logger: Logger) -> String {
        let fd = RawPath(path).openNoSymlinks(O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        guard fd >= 0 else {
            logger.warning("'\(shown(path))' cannot be opened without following a link - *not* disabled by LF_SCRIPT_PERM")
            return "\nDirectory '\(shown(path))' is a symlink or cannot be opened - *not* disabled\n"
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return "" }
        let perms = String(st.st_mode & 0o777, radix: 8)
        fchmod(fd, 0)
        let immutable = csys_set_immutable(fd) == 0
        logger.warning("'\(shown(path))' has been disabled")
        return "\nDirectory '\(shown(path))' has been disabled with 000 permissions\(immutable ? "" : " (the immutable flag could not be set)").\n\n"
            + "To restore the permissions use:\nchattr -i \(shown(path))\nchmod \(perms) \(shown(path))\n"
    }
}
