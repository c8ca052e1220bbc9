import CsfCompat
import LfdCore
import Logging
import NftKernel

extension LfdDaemon {
    // MARK: log lines

    func process(_ lines: [LogTailer.Line]) {
        let now = SystemTime.wallSeconds
        countForFlood(lines)
        for line in lines {
            if !loginAlertKeys.isEmpty { loginAlert(line) }
            if syslogCheck.code != nil, line.keys.contains("SYSLOG_LOG"), syslogCheck.saw(line.text) { continue }
            logScanReports.see(line)
            if line.keys.contains(MailAbuse.relayKey) || line.keys.contains(MailAbuse.scriptKey) { mailAbuse(line, now: now) }
            for key in line.keys {
                guard let d = byKey[key]?.classify(line.text, logKey: nil) else { continue }
                consider(d, line: line.text, now: now)
                break
            }
        }
    }

    /// csf's flood guard: more than LF_PARSE × 1000 lines from one file between two ticks. csf reopened the file
    /// at its end and lost those lines (an attacker's way to hide); lfd reads every line, and says so once an hour
    /// per file (LOGFLOOD_ALERT mails it).
    func countForFlood(_ lines: [LogTailer.Line]) {
        guard !lines.isEmpty else { return }
        var counts: [String: Int] = [:]
        var run = (path: lines[0].path, count: 0)
        for line in lines {
            if line.path != run.path {
                counts[run.path, default: 0] += run.count
                run = (line.path, 0)
            }
            run.count += 1
        }
        counts[run.path, default: 0] += run.count
        for (path, count) in counts { metrics.linesRead(source: path, count) }
        let limit = max(1, config.int("LF_PARSE")) * 1000
        for (path, count) in counts {
            let before = linesSinceTick[path] ?? 0
            linesSinceTick[path] = before + count
            guard before <= limit, before + count > limit, SystemTime.monotonic - (floodTold[path] ?? -3600) >= 3600 else { continue }
            floodTold[path] = SystemTime.monotonic
            let text = "*Error* Log line flooding/looping in \(path) (more than \(limit) lines in \(max(1, config.int("LF_PARSE"))) secs); every line is still read"
            logger.error("\(text)")
            if config.bool("LOGFLOOD_ALERT") { actions.notify(.alert(template: "logfloodalert.txt", values: ["text": text])) }
        }
    }

    /// LF_SSH/SU/SUDO/CONSOLE/WEBMIN_EMAIL_ALERT: csf's lfd.log line and template; an SSH login from an ignored
    /// address is logged with " - ignored" and not mailed, as csf does.
    func loginAlert(_ line: LogTailer.Line) {
        for key in line.keys where loginAlertKeys.contains(key) {
            guard loginAlertsLeft > 0 else {
                // Over the budget only the cheap look runs: the count says how many lines may have been logins.
                if LoginAlert.mayReport(line.text, key: key) { loginAlertsHeld += 1 }
                return
            }
            guard let alert = LoginAlert.parse(line.text, key: key, userName: Accounts.name(ofUID:)), config.bool(alert.switchKey) else { continue }
            loginAlertsLeft -= 1
            if case .ssh(let ip, _, _) = alert, ignore.ignores(ip) {
                logger.info("\(alert.message) - ignored")
                return
            }
            if case .cpanel(let ip, let user) = alert, !cpanelAlertDue(ip: ip, user: user) { return }
            logger.info("\(alert.message)")
            let (template, values) = alert.alert(line: line.text)
            actions.notify(.alert(template: template, values: values))
            let action = config["LF_CPANEL_ALERT_ACTION"].trimmingWhitespace()
            if case .cpanel(let ip, let user) = alert, !action.isEmpty {
                actions.notify(.report(script: action, arguments: [ip.description, user, ip.description]))
            }
            return
        }
    }

    /// LF_CPANEL_ALERT, as csf: only the accounts of LF_CPANEL_ALERT_USERS (or `all`), not from an ignored
    /// address, and an address and account told again only after an hour without access.
    func cpanelAlertDue(ip: IPAddress, user: String) -> Bool {
        guard cpanelAlertUsers.contains(user) || cpanelAlertUsers.contains("all"), !ignore.ignores(ip) else { return false }
        let key = "\(ip)|\(user)", now = SystemTime.wallSeconds
        defer { cpanelSeen[key] = now }
        if cpanelSeen.count > 10_000 { cpanelSeen = cpanelSeen.filter { now - $0.value < 3600 } }
        return cpanelSeen[key].map { now - $0 >= 3600 } ?? true
    }

    /// The ignore decision, then counting. csf.rignore needs reverse DNS: a detection from an address not looked
    /// up yet waits for the resolver worker instead of holding up the loop.
    func consider(_ d: Detection, line: String, now: Int) {
        metrics.detected(trigger: d.rule.trigger)
        if ignore.ignores(d.ip) {
            logger.info("\(d.rule.text) \(d.ip) - ignored")
            return
        }
        switch rignore.decision(for: d.ip, now: SystemTime.monotonic) {
        case .ignored:
            logger.info("\(d.rule.text) \(d.ip) - ignored")
        case .counted:
            count(d, line: line, now: now)
        case .unknown:
            switch rignore.wait(d, line: line) {
            case .queued:
                break
            case .full:
                // Too many lookups outstanding: count rather than let a flood of addresses escape.
                count(d, line: line, now: now)
            case .first:
                let lookup = rignore.lookup, mailbox = self.mailbox, ip = d.ip
                if !resolveWorker.submit({ mailbox.post(.resolved(ip, ignoredBy: lookup.match(ip))) }) {
                    for (waiting, text) in rignore.resolved(ip, ignoredBy: nil, now: SystemTime.monotonic) { count(waiting, line: text, now: now) }
                }
            }
        }
    }

    func count(_ d: Detection, line: String, now: Int) {
        if d.rule.trigger == "LF_DISTFTP" || d.rule.trigger == "LF_DISTSMTP" {
            countLogin(d, now: now)
            return
        }
        if LoginTracker.services[d.rule.trigger] != nil {
            // LT_POP3D / LT_IMAPD: a login, never a failure.
            if let account = d.account, let block = logins.record(trigger: d.rule.trigger, account: account, ip: d.ip,
                                                                   limit: config.int(d.rule.trigger), now: now) {
                blockOnce(block, now: now)
            }
            return
        }
        // A rule enabled only for a companion counter (`also`) does not count under its own trigger. Under
        // LF_TRIGGER every hit counts once toward the one total, so companions would count the line twice.
        if d.rule.threshold != nil || config.int(d.rule.trigger) > 0 {
            if let block = tracker.record(d, now: now, line: line) { submit(block, tracked: true) }
        }
        if config.int("LF_TRIGGER") == 0 {
            for companion in d.rule.also where config.int(companion.trigger) > 0 {
                var c = d
                c.rule = companion
                if let block = tracker.record(c, now: now, line: line) { submit(block, tracked: true) }
            }
        }
        if config.bool("LF_DISTATTACK") {
            for block in tracker.recordDistributed(d, now: now, uniqueAddresses: config.int("LF_DISTATTACK_UNIQ")) {
                submit(block, tracked: true)
            }
        }
    }

    /// A successful login (LF_DISTFTP / LF_DISTSMTP); loopback clients (webmail, local scripts) are left out.
    func countLogin(_ d: Detection, now: Int) {
        guard !d.ip.isLoopback else { return }
        let ftp = d.rule.trigger == "LF_DISTFTP"
        let (logins, unique, perm) = ftp ? ("LF_DISTFTP", "LF_DISTFTP_UNIQ", "LF_DISTFTP_PERM")
                                         : ("LF_DISTSMTP", "LF_DISTSMTP_UNIQ", "LF_DISTSMTP_PERM")
        let limits = FailureTracker.LoginLimits(logins: config.int(logins), uniqueAddresses: config.int(unique),
                                                interval: max(1, config.int("LF_DIST_INTERVAL")), perm: config.int(perm),
                                                service: ftp ? "FTP" : "SMTP")
        let blocks = tracker.recordLogin(d, now: now, limits: limits)
        for block in blocks { submit(block, tracked: true) }
        // LF_DIST_ACTION: the admin's script, with csf's three arguments (argv, never a shell line).
        let script = config["LF_DIST_ACTION"].trimmingWhitespace()
        if let first = blocks.first, let account = d.account, !script.isEmpty {
            let text = blocks.map(\.ip.description).joined(separator: " ") + ": " + limits.summary(count: first.hits, account: account)
            actions.notify(.report(script: script, arguments: [d.rule.trigger, account, text]))
        }
    }

    // MARK: packets and connections

    func process(_ logged: [LoggedPacket]) {
        let now = SystemTime.wallSeconds
        if !logged.isEmpty { metrics.linesRead(source: "nflog", logged.count) }
        for p in logged {
            switch packets.record(p, now: now, isLocal: host.isLocal, ignores: { [ignore] in ignore.ignores($0) }) {
            case .portScan(let block)?:
                blockOnce(block, now: now)
            case .uidScan(let uid, let count, let ports)?:
                let user = Accounts.name(ofUID: uid) ?? "unknown"
                logger.notice("[STATUS] *UID Tracking* \(count) blocks for UID \(uid) (\(user))")
                actions.notify(.alert(template: "uidscan.txt", values: ["uid": "\(uid) (\(user))", "count": "\(count)",
                                                                       "ports": ports.map(String.init).joined(separator: ",")]))
            case .knockOpened(let port, let ip)?:
                logger.notice("*Port Knocking* port \(port) opened by \(lookup.tip(ip))")
                actions.notify(.alert(template: "portknocking.txt", values: ["ip": lookup.tip(ip), "port": "\(port)"]))
            case nil:
                break
            }
        }
    }

    func blockOnce(_ block: FailureTracker.Block, now: Int) {
        let key = PendingBlocks.key(block)
        recentBlocks = recentBlocks.filter { now - $0.value < 600 }
        guard recentBlocks[key] == nil else { return }
        recentBlocks[key] = now
        submit(block, tracked: false)
    }

    /// CT_LIMIT: one conntrack dump every CT_INTERVAL.
    func checkConnections() {
        let s = connections.settings
        guard s.limit > 0 || s.subnetLimit > 0, SystemTime.monotonic - lastConnectionCheck >= Double(s.interval) else { return }
        lastConnectionCheck = SystemTime.monotonic
        do {
            var counts: [IPAddress: Int] = [:]
            try ConntrackTable.dump { [connections, host] in connections.count($0, into: &counts, isLocal: host.isLocal) }
            let now = SystemTime.wallSeconds
            for block in connections.blocks(counts, ignores: { [ignore] in ignore.ignores($0) }) {
                blockOnce(block, now: now)
            }
        } catch {
            logger.error("*Error* CT_LIMIT: \(error.description)")
        }
    }

    // MARK: blocks, off the loop

    /// Hands a block to the firewall worker; it stays pending (and is retried) until it lands.
    func submit(_ block: FailureTracker.Block, tracked: Bool) {
        guard pending.add(block, tracked: tracked) else { return }
        start(PendingBlocks.key(block))
    }

    private func start(_ key: String) {
        guard let entry = pending.entries[key] else { return }
        pending.started(key)
        let actions = self.actions, mailbox = self.mailbox, block = entry.block, logger = self.logger
        let sshdPorts = config.bool("PT_SSHDKILL") && block.apps.contains("sshd") ? SshdPorts.read(paths) : []
        if !firewallWorker.submit({
            let outcome = actions.block(block)
            mailbox.post(.blockFinished(key: key, outcome: outcome))
            if outcome == .blocked, !sshdPorts.isEmpty { SshdSessions.end(connectedFrom: block.ip, ports: sshdPorts, logger: logger) }
        }) {
            pending.deferred(key, now: SystemTime.monotonic)
        }
    }

    func retryDueBlocks() {
        for key in pending.due(now: SystemTime.monotonic) { start(key) }
    }

    /// Results from the workers, applied on the loop's thread.
    func handle(_ events: [Event]) {
        let now = SystemTime.wallSeconds
        for event in events {
            switch event {
            case .blockFinished(let key, let outcome):
                // A failed block is kept and retried; anything else is final and the tracker may forget it.
                guard let entry = pending.finished(key, outcome, now: SystemTime.monotonic) else { continue }
                if outcome == .blocked {
                    metrics.banned(trigger: entry.block.trigger, temporary: entry.block.seconds != nil,
                                   latency: SystemTime.monotonic - entry.detectedAt)
                    board.banned(entry.block, target: key, now: now)
                    fleet.share(entry.block, message: entry.block.message(lookup.note))
                }
                guard entry.tracked else { continue }
                tracker.committed(entry.block.ip)
            case .expiryFinished:
                expiryInFlight = false
            case .queueTold:
                mail.queueToldAt = SystemTime.monotonic
            case .remoteListFinished(let list, let outcome):
                let loaded = outcome.loaded
                remoteLists.finished(list, loaded: loaded, now: Double(SystemTime.wallSeconds))
                metrics.remoteListRefreshed(list.description, entries: loaded ? outcome.entries : nil, now: Double(SystemTime.wallSeconds))
                if outcome.filtersChanged || outcome.outgrewSet {
                    let actions = self.actions, why = outcome.outgrewSet ? "with a set sized for \(list)" : "with \(list)'s new advanced filters"
                    firewallWorker.submit { actions.restartFirewall(reason: why) }
                }
                if loaded && list == .globalIgnore { ignore = IgnoreList(paths: paths, config: config, host: host, lookup: lookup) }
            case .geoDataFinished(let dataset, let updated):
                let refresh = dataset == .asn ? asn : dataset == .countries ? countryData : locationAsn
                refresh.finished(updated: updated, now: Double(SystemTime.wallSeconds))
                // The conversion matters to the firewall only while there is no iptoasn copy, which csf prefers.
                if updated && (dataset != .locationAsn || AsnData.chosen(paths) == paths.lib(IPFireLocation.converted)) {
                    let actions = self.actions
                    firewallWorker.submit { actions.restartFirewall(reason: dataset == .countries ? "with new country data" : "with new ASN data") }
                    // Lookups (CC_LOOKUPS, CC_IGNORE) map the new file: lfd's own, and the blocker's on its worker.
                    lookup = IPLookup(config: config, paths: paths)
                    ignore = IgnoreList(paths: paths, config: config, host: host, lookup: lookup)
                    firewallWorker.submit { actions.configure() }
                }
            case .dynDnsFinished(let list, let outcome):
                let changed = outcome.changed
                if outcome.restart {
                    let actions = self.actions
                    firewallWorker.submit { actions.restartFirewall(reason: "with csf.dyndns's advanced filters") }
                }
                dynDns.finished(list, now: SystemTime.monotonic)
                if changed && IgnoreList.dyndnsIgnored(config).contains(list) {
                    ignore = IgnoreList(paths: paths, config: config, host: host, lookup: lookup)
                }
            case .resolved(let ip, let entry):
                for (d, line) in rignore.resolved(ip, ignoredBy: entry, now: SystemTime.monotonic) {
                    if entry != nil {
                        logger.info("\(d.rule.text) \(d.ip) - ignored")
                    } else {
                        count(d, line: line, now: now)
                    }
                }
            }
        }
    }
}

/// csf.rignore on the loop's side: the decisions made (cached for an hour) and the detections waiting for a
/// lookup. The lookups themselves (`ReverseLookup`, DNS) run on the resolver worker.
struct ReverseLookupState {
    enum Decision { case ignored, counted, unknown }

    private(set) var lookup = ReverseLookup(entries: [])
    private var decisions: [IPAddress: (ignored: Bool, expires: Double)] = [:]
    private var waiting: [IPAddress: [(Detection, String)]] = [:]
    static let ttl = 3600.0
    static let maxWaiting = 10_000

    mutating func reset(entries: [String]) {
        lookup = ReverseLookup(entries: entries)
        decisions = [:]
    }

    func decision(for ip: IPAddress, now: Double) -> Decision {
        if lookup.entries.isEmpty { return .counted }
        guard let d = decisions[ip], d.expires > now else { return .unknown }
        return d.ignored ? .ignored : .counted
    }

    enum Parked { case first, queued, full }

    /// Parks a detection until its address is looked up: `first` asks the caller to start the lookup, `full`
    /// means too many addresses wait already.
    mutating func wait(_ d: Detection, line: String) -> Parked {
        if waiting[d.ip] != nil {
            waiting[d.ip]?.append((d, line))
            return .queued
        }
        guard waiting.count < Self.maxWaiting else { return .full }
        waiting[d.ip] = [(d, line)]
        return .first
    }

    /// Records the answer and returns the detections that waited for it.
    mutating func resolved(_ ip: IPAddress, ignoredBy entry: String?, now: Double) -> [(Detection, String)] {
        if decisions.count >= 50_000 { decisions = decisions.filter { $0.value.expires > now } }
        decisions[ip] = (entry != nil, now + Self.ttl)
        return waiting.removeValue(forKey: ip) ?? []
    }
}
