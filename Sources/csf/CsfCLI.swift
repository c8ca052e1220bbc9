import CsfCompat
import CsfFirewall

/// Carries out one csf action over CsfFirewall, prints csf's messages, and returns the exit code.
struct CsfCLI {
    let paths: CsfPaths
    let json: Bool
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
            case .stop:
                try firewall.stop()
                if json { reporter.emit(Response.Stopped()) } else { print("Flushing firewall rules") }
            case .status:
                try status(firewall)
            case .version:
                print("csf: v\(NftcsfVersion.string) (generic, nftables)")
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
                print(try firewall.prepare().script, terminator: "")
            case .confirm:
                guard firewall.confirm() else {
                    return reporter.fail(CommandFailure(exitCode: 1, message: "csf: nothing is waiting for confirmation"))
                }
                print("csf: ruleset confirmed, rollback cancelled")
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

    private func status(_ firewall: Firewall) throws(CsfError) {
        let listing = try firewall.status(json: json)
        if json {
            reporter.emit(Response.Status(listing: listing, meters: try firewall.meters()))
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
}
