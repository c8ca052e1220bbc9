import CsfCompat
import CsfFirewall
import LfdCore
import Logging
import NftKernel

/// Everything lfd does to the firewall, run on its own worker thread: blocks (which wait for csf's lock when
/// csf is restarting), expiry of temporary entries, and the resync at start. Only the worker thread touches
/// this object after it is made; the event loop talks to it through jobs and hears back through the mailbox.
final class FirewallActions: @unchecked Sendable {
    /// lfd keeps its netlink socket for its lifetime, so closing one never waits on the kernel.
    let kernel: any KernelPort
    let paths: CsfPaths
    let logger: Logger
    let notify: @Sendable (Notice) -> Void
    /// How long a block waits for csf's lock before it is retried later (csf -r of a big list takes seconds).
    let lockTimeout: Double
    private(set) var blocker: Blocker?

    init(paths: CsfPaths, kernel: any KernelPort, logger: Logger, lockTimeout: Double, notify: @escaping @Sendable (Notice) -> Void) {
        self.paths = paths
        self.kernel = kernel
        self.logger = logger
        self.lockTimeout = lockTimeout
        self.notify = notify
    }

    /// (Re)reads csf.conf for the block path; on SIGHUP the previous blocker stays if this fails.
    func configure() {
        do {
            let commands = try ListCommands(paths: paths, kernel: kernel, lockTimeout: lockTimeout)
            blocker = Blocker(commands: commands, logger: logger, notify: notify)
        } catch {
            logger.error("*Error* cannot read the configuration for blocking: \(error.description)")
        }
    }

    /// lfd's start: what csf.allow, csf.deny, csf.tempban and csf.tempallow hold goes back into the kernel if it
    /// is missing there (an edit a crash interrupted between file and kernel), without reloading the table.
    func resync() {
        guard let commands = blocker?.commands else { return }
        do {
            let permanent = try commands.reassertPermanent()
            let temporary = try commands.reassertTemporary()
            logger.info("resync: \(permanent) list and \(temporary) temporary element(s) asserted in the kernel")
        } catch {
            logger.error("*Error* resync of the lists with the kernel: \(error.description)")
        }
    }

    /// `csf -q` asked for a restart of the firewall (csf.restart): csf's lfd ran `csf -sf`; this one starts the
    /// firewall in-process through the same code.
    func restartFirewall(reason: String) {
        do {
            let report = try firewall.start()
            logger.info("csf restarted \(reason): \(report.elements) list entries")
        } catch {
            logger.error("*Error* csf restart \(reason) failed: \(error.description)")
        }
    }

    /// LF_CSF: the table is gone (someone ran nft flush ruleset, or csf -f without stopping lfd): start it again,
    /// unless csf was disabled on purpose.
    func restartFirewallIfMissing() {
        guard !firewall.isDisabled, (try? kernel.isRunning()) == false else { return }
        logger.warning("*WARNING* the csf table is not loaded (LF_CSF): starting the firewall")
        restartFirewall(reason: "by LF_CSF")
    }

    private var firewall: Firewall {
        Firewall(paths: paths, kernel: kernel, lockTimeout: lockTimeout * 6, log: { [logger] in logger.info("\($0)") })
    }

    /// A visitor solved the messenger's reCAPTCHA: its csf.deny line and temporary bans go, as csf's `-dr` and
    /// `-tr` (never a blocklist, a country or a network it is part of), with RECAPTCHA_ALERT's mail.
    func recaptchaUnblock(_ requests: [(ip: IPAddress, hostname: String)], alert: Bool) {
        guard let commands = blocker?.commands else { return }
        for r in requests {
            do {
                let permanent = try commands.denyRemove(r.ip.description), temporary = try commands.tempRemove(r.ip.description, kinds: [.deny])
                guard permanent.changed || temporary.changed else {
                    logger.info("reCAPTCHA: \(r.ip) solved the challenge for \(r.hostname) but was not blocked by csf.deny or a temporary ban")
                    continue
                }
                logger.notice("reCAPTCHA: \(r.ip) unblocked (challenge solved for \(r.hostname))")
                if alert { notify(.alert(template: "recaptcha.txt", values: ["ip": r.ip.description, "host": r.hostname])) }
            } catch {
                logger.error("*Error* reCAPTCHA unblock of \(r.ip): \(error.description)")
            }
        }
    }

    func block(_ b: FailureTracker.Block) -> Blocker.Outcome {
        guard let blocker else { return .failed("the configuration could not be read") }
        return blocker.block(b)
    }

    /// lfd's expiry pass (reference §6.8): lines of entries the kernel has already expired leave the files,
    /// DENY_TEMP_IP_LIMIT releases the oldest bans, each with csf's log line and UNBLOCK_REPORT.
    /// Returns how many entries left each list ("deny", "allow") for the metrics.
    @discardableResult
    func expire() -> [(String, Int)] {
        guard let commands = blocker?.commands else { return [] }
        let gone: [(kind: TempEntry.Kind, entry: TempEntry)]
        do { gone = try commands.expireTemporary() } catch {
            logger.error("*Error* expiring temporary entries: \(error.description)")
            return []
        }
        let script = commands.config["UNBLOCK_REPORT"].trimmingWhitespace()
        for (kind, entry) in gone {
            let what = kind == .deny ? "block" : "allow"
            for inbound in [true, false] where inbound ? entry.direction.inbound : entry.direction.outbound {
                let ports = entry.ports.isEmpty ? [""] : entry.ports.map { ":\($0.port)" }
                for p in ports {
                    logger.info("\(inbound ? "Incoming" : "Outgoing") IP \(entry.target)\(p) temporary \(what) removed")
                }
            }
            guard kind == .deny, !script.isEmpty else { continue }
            if entry.ports.isEmpty { notify(.report(script: script, arguments: [entry.target.description])) }
            for p in entry.ports { notify(.report(script: script, arguments: [entry.target.description, String(p.port)])) }
        }
        let denied = gone.filter { $0.kind == .deny }.count
        return [("deny", denied), ("allow", gone.count - denied)].filter { $0.1 > 0 }
    }
}

/// The blocks lfd has decided and not yet seen land, each retried with a growing pause until it does: a block
/// that fails (csf's lock held past its wait, the kernel refusing) is never dropped.
struct PendingBlocks {
    struct Entry {
        var block: FailureTracker.Block
        /// From the failure tracker (which forgets the address only once the block is in place).
        var tracked: Bool
        var attempts = 0
        /// When the detection was made (monotonic), for the detection latency the metrics report.
        var detectedAt = SystemTime.monotonic
        var inFlight = false
        var retryAt = 0.0
    }

    private(set) var entries: [String: Entry] = [:]

    static func key(_ b: FailureTracker.Block) -> String { b.network?.description ?? b.ip.description }

    /// Records a new block; false when the same target is already waiting (one block per address at a time).
    mutating func add(_ b: FailureTracker.Block, tracked: Bool) -> Bool {
        let key = Self.key(b)
        guard entries[key] == nil else { return false }
        entries[key] = Entry(block: b, tracked: tracked)
        return true
    }

    mutating func started(_ key: String) { entries[key]?.inFlight = true }

    /// The pause before the next attempt: 2, 4, 8 ... seconds, at most a minute.
    static func backoff(_ attempts: Int) -> Double { Double(min(60, 1 << min(attempts, 6))) }

    /// A job could not even be queued: try again shortly.
    mutating func deferred(_ key: String, now: Double) {
        entries[key]?.inFlight = false
        entries[key]?.retryAt = now + 1
    }

    /// The outcome of an attempt; returns the entry when it is finished (landed, or refused for good).
    mutating func finished(_ key: String, _ outcome: Blocker.Outcome, now: Double) -> Entry? {
        guard var entry = entries[key] else { return nil }
        if case .failed = outcome {
            entry.inFlight = false
            entry.attempts += 1
            entry.retryAt = now + Self.backoff(entry.attempts)
            entries[key] = entry
            return nil
        }
        entries[key] = nil
        return entry
    }

    /// Entries whose next attempt is due.
    func due(now: Double) -> [String] {
        entries.filter { !$0.value.inFlight && $0.value.retryAt <= now }.map(\.key).sorted()
    }
}
