import CsfCompat
import CsfFirewall
#if canImport(Glibc)
import Glibc
#endif

/// Carries out one csf action over CsfFirewall, prints csf's messages, and returns the exit code.
struct CsfCLI {
    let paths: CsfPaths
    let json: Bool
    /// `-l --full`: set elements listed, not counted.
    var full = false
    var reporter: Reporter { Reporter(json: json) }

    func perform(_ action: CsfAction, confirmWithin: Int?, values: [String]) -> Int32 {
        let firewall = Firewall(paths: paths, log: { [json] in json ? Output.err($0) : print($0) })
        if firewall.isDisabled && !action.allowedWhileDisabled {
            return reporter.fail(CommandFailure(exitCode: 1, message: "CSF and LFD have been disabled! Use 'csf -e' to re-enable"))
        }
        do {
            switch action {
            case .start, .startf, .restart:
                let report = try firewall.start(.init(confirmWithin: confirmWithin))
                printStarted(report, confirmWithin: confirmWithin)
            case .restartall:
                let report = try firewall.start(.init(confirmWithin: confirmWithin))
                printStarted(report, confirmWithin: confirmWithin)
                let lines = try LfdControl(paths: paths).perform(.restart, lfdBinary: LfdControl.binary)
                if !json { lines.forEach { print($0) } }
            case .startq:
                let seconds = try firewall.requestRestartByLfd()
                print("lfd will restart csf within the next \(seconds) seconds")
            case .mail:
                let config = firewall.configForDisplay()
                let findings = ServerCheck.evaluate(config: config, facts: .read(paths: paths, kernel: firewall.kernel))
                if let to = values.first {
                    try ServerCheck.mail(findings, to: to, config: config)
                    if json { reporter.emit(["sent": to]) } else { print("csf: server check sent to \(to)") }
                } else if json {
                    reporter.emit(ServerCheck.Report(findings))
                } else {
                    print(ServerCheck.text(findings, host: LfdLogFile.shortHostname()), terminator: "")
                }
            case .logrun:
                guard let seconds = try firewall.requestLogScanReport() else {
                    return reporter.fail(CommandFailure(exitCode: 1, message: "Option LOGSCANNER needs to be enabled in csf.conf for this feature"))
                }
                print("lfd will send the log scanner report within the next \(seconds) seconds")
            case .status4, .status6:
                try status(firewall, family: action == .status4 ? .v4 : .v6)
            case .ports:
                let rows = ListeningPorts.scan(firewall.configForDisplay())
                if json { reporter.emit(rows) } else { ListeningPorts.lines(rows).forEach { print($0) } }
            case .addport, .removeport:
                let result = try PortKeys(paths: paths).edit(action == .addport ? .add : .remove, values[0])
                if json { reporter.emit(result) } else { print(result.message) }
            case .listports:
                let keys = try PortKeys(paths: paths).list()
                if json {
                    reporter.emit(Dictionary(uniqueKeysWithValues: keys.map { ($0.key, $0.value) }))
                } else {
                    keys.forEach { print("\($0.key) = \"\($0.value)\"") }
                }
            case .profile:
                return try profile(values)
            case .update:
                print("csf: nftcsf v\(NftcsfVersion.string) is installed; updates come from the package manager (apt, dnf), not from csf")
            case .watch:
                print("csf: --watch, -w is no longer supported. Use nft monitor trace instead")
            case .trace:
                if values == ["watch"] {
                    // nft's own live view; csf only starts it.
                    let argv = ["nft", "monitor", "trace"]
                    var cArgs = argv.map { strdup($0) } + [nil]
                    execv("/usr/sbin/nft", &cArgs)
                    return reporter.fail(CommandFailure(exitCode: 1, message: "csf: cannot run /usr/sbin/nft monitor trace"))
                }
                let message = try firewall.trace(values[0], values[1])
                if json { reporter.emit(["message": message]) } else { print(message) }
            case .migrateRegex:
                guard let pm = RegexCustomPm.load(paths) else {
                    return reporter.fail(CommandFailure(exitCode: 1, message: "csf: \(RegexCustomPm.path(paths)) does not exist"))
                }
                for d in pm.diagnostics { Output.err(d.description) }
                print(pm.rulesText, terminator: "")
                return pm.diagnostics.isEmpty ? 0 : 1
            case .add, .addrm, .deny, .denyrm, .denyf, .tempdeny, .tempallow, .temprm, .temprmd, .temprma, .tempf, .temp, .grep, .resync, .iplookup:
                // main.swift hands these to ListCommandLine before this parser runs.
                return reporter.fail(.usage("csf: \(action.rawValue) is a list command"))
            case .stop:
                try firewall.stop()
                if json { reporter.emit(Response.Stopped()) } else { print("Flushing firewall rules") }
            case .status:
                try status(firewall, family: nil)
            case .version:
                if json { reporter.emit(["version": NftcsfVersion.string]) } else { print("csf: v\(NftcsfVersion.string) (generic, nftables)") }
            case .disable:
                try firewall.disable()
                print("CSF and LFD have been disabled! Use 'csf -e' to re-enable")
            case .enable:
                guard firewall.isDisabled else {
                    print("CSF and LFD are not disabled!")
                    return 0
                }
                let report = try firewall.enable()
                printWarnings(report.warnings)
                print("CSF and LFD have been enabled! Use 'csf -x' to disable")
            case .check:
                return check(firewall)
            case .migrateCheck:
                return migrateCheck()
            case .dryRun:
                let script = try firewall.prepare().script()
                if json { reporter.emit(["script": script]) } else { print(script, terminator: "") }
            case .confirm:
                guard firewall.confirm() else {
                    return reporter.fail(CommandFailure(exitCode: 1, message: "csf: nothing is waiting for confirmation"))
                }
                if json { reporter.emit(["confirmed": true]) } else { print("csf: ruleset confirmed, rollback cancelled") }
            case .lfd:
                guard let lfdAction = LfdControl.Action(rawValue: values[0]) else { return 2 }
                return try lfd(lfdAction)
            case .watchdog:
                guard let mode = Watchdog.Mode(rawValue: values[0]) else { return 2 }
                if let line = try firewall.runWatchdog(mode, token: values[1]) {
                    LfdLogFile(path: paths.lfdLog, program: "csf").write(line)
                }
            }
            return 0
        } catch {
            return reporter.fail(error)
        }
    }

    private func printStarted(_ report: Firewall.StartReport, confirmWithin: Int?) {
        if json {
            reporter.emit(Response.Started(report, confirmWithin: confirmWithin))
            return
        }
        printWarnings(report.warnings)
        print("csf: firewall started (table inet csf, \(report.elements) list entries)")
        if let seconds = confirmWithin {
            print("csf: run 'csf --confirm' within \(seconds) seconds or the previous ruleset comes back")
        }
        if report.testing {
            print("*WARNING* TESTING mode is enabled - do not forget to disable it in the configuration")
        }
    }

    private func printWarnings(_ diagnostics: [Diagnostic]) {
        for d in diagnostics where d.severity == .warning { Output.err("csf: \(d)") }
    }

    private func status(_ firewall: Firewall, family: IPAddress.Family? = nil) throws(CsfError) {
        if family == .v6 && !firewall.configForDisplay().bool("IPV6") {
            print("csf: IPV6 firewall not enabled")
            return
        }
        var listing = try firewall.status(json: json, full: full)
        // The JSON listing stays whole: a consumer filters it by the family fields nft writes into it.
        if let family, let text = listing, !json { listing = StatusFilter.only(family, in: text) }
        if json {
            reporter.emit(Response.Status(listing: listing, meters: try firewall.meters(), setElements: try firewall.setSizes()))
        } else if let listing {
            print(listing, terminator: "")
        } else {
            print("csf: the firewall is stopped (no table inet csf)")
        }
    }

    private func migrateCheck() -> Int32 {
        let report = MigrationCheck.run(paths: paths)
        if json {
            reporter.emit(Response.Check(ok: report.passes, diagnostics: report.diagnostics, findings: report.findings))
            return report.passes ? 0 : 1
        }
        for d in report.diagnostics { print(d) }
        for f in report.findings {
            print("\(f.losesSecurity ? "LOST " : "note ") \(f.key) = \"\(f.value)\": \(f.kind.rawValue): \(f.reason)")
        }
        let lost = report.findings.filter(\.losesSecurity).count
        if report.passes {
            print("csf: migration check passed: \(report.findings.count) difference(s), none loses security")
        } else {
            print("csf: migration check FAILED: \(lost) setting(s) lose security, \(report.errors.count) file error(s)")
        }
        return report.passes ? 0 : 1
    }

    /// `--lfd ACTION`; status exits 1 when lfd is not running, as a check script expects.
    private func lfd(_ action: LfdControl.Action) throws(CsfError) -> Int32 {
        let control = LfdControl(paths: paths)
        if action == .status {
            let report = control.report()
            if json { reporter.emit(report) } else { LfdControl.lines(report).forEach { print($0) } }
            return report.running ? 0 : 1
        }
        for line in try control.perform(action, lfdBinary: LfdControl.binary) { print(line) }
        return 0
    }

    private func check(_ firewall: Firewall) -> Int32 {
        let report = firewall.check()
        let diagnostics = report.diagnostics
        let errors = diagnostics.filter { $0.severity == .error }
        if json {
            reporter.emit(Response.Check(ok: errors.isEmpty, diagnostics: diagnostics, open: report.exposure))
        } else {
            for d in diagnostics { print(d) }
            for line in report.exposure.summary { print(line) }
            print(errors.isEmpty ? "csf: configuration OK (\(diagnostics.count) warning(s))" : "csf: \(errors.count) error(s) found")
        }
        return errors.isEmpty ? 0 : 1
    }

    /// `--profile`: csf's output lines, or one JSON object.
    private func profile(_ values: [String]) throws(CsfError) -> Int32 {
        let profiles = ConfigProfiles(paths: paths)
        let argument = values.count > 1 ? values[1] : nil
        guard let verb = ConfigProfiles.Verb(rawValue: values[0]) else { return reporter.fail(.usage("Incorrect syntax for command")) }
        let outcome: ConfigProfiles.Outcome
        switch verb {
        case .list:
            let listing = profiles.list()
            if json { reporter.emit(listing) } else { ConfigProfiles.listingLines(listing).forEach { print($0) } }
            return 0
        case .diff:
            guard let argument else { return reporter.fail(.usage("csf: --profile diff needs a backup or profile name")) }
            let (header, differences) = try profiles.diff(argument, values.count > 2 ? values[2] : nil)
            if json {
                reporter.emit(differences)
            } else {
                print(header + "\n")
                differences.forEach { print("[\($0.setting)]\t[\($0.first)]\t[\($0.second)]") }
            }
            return 0
        case .backup: outcome = try profiles.backup(argument)
        case .restore: outcome = try profiles.restore(argument ?? "")
        case .apply: outcome = try profiles.apply(argument ?? "")
        case .keep: outcome = try profiles.keep(argument ?? "")
        }
        if json { reporter.emit(outcome) } else { outcome.lines.forEach { print($0) } }
        return 0
    }
}
