import NftFirewall

#if canImport(Glibc)
import Glibc
#endif

/// Carries out one csf action over NftFirewall, prints csf's messages, and returns the exit code.
struct CsfCLI {
    let paths: CsfPaths
    let json: Bool

    func perform(_ action: CsfAction, confirmWithin: Int?, values: [String]) -> Int32 {
        let firewall = Firewall(paths: paths, log: { json ? Output.err($0) : print($0) })
        if firewall.isDisabled && !action.allowedWhileDisabled {
            Output.err("CSF and LFD have been disabled! Use 'csf -e' to re-enable")
            return 1
        }
        do {
            switch action {
            case .start, .startf, .restart:
                let report = try firewall.start(.init(confirmWithin: confirmWithin))
                printStarted(report, confirmWithin: confirmWithin)
            case .stop:
                try firewall.stop()
                if json { Output.json(["stopped": true]) } else { print("Flushing firewall rules") }
            case .status:
                try status(firewall)
            case .version:
                print("csf: v\(NftFirewallVersion.string) (generic, nftables)")
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
                if firewall.confirm() {
                    print("csf: ruleset confirmed, rollback cancelled")
                } else {
                    Output.err("csf: nothing is waiting for confirmation")
                    return 1
                }
            case .watchdog:
                guard let mode = Watchdog.Mode(rawValue: values[0]) else { return 2 }
                if let line = try firewall.runWatchdog(mode, token: values[1]) {
                    LfdLog(path: paths.lfdLog, program: "csf").write(line)
                }
            }
            return 0
        } catch {
            return report(error)
        }
    }

    private func printStarted(_ report: Firewall.StartReport, confirmWithin: Int?) {
        if json {
            Output.json(["started": true, "elements": report.elements, "testing": report.testing,
                         "confirmWithin": confirmWithin as Any,
                         "warnings": report.warnings.map(Output.diagnostic)])
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
            let meters = Output.encode(try firewall.meters().map(\.json))
            Output.raw("{\"running\": \(listing != nil), \"meters\": \(meters), \"ruleset\": \(listing.map { $0.trimmingSuffixNewlines() } ?? "null")}\n")
        } else if let listing {
            print(listing, terminator: "")
        } else {
            print("csf: the firewall is stopped (no table inet csf)")
        }
    }

    private func migrateCheck() -> Int32 {
        let report = MigrationCheck.run(paths: paths)
        if json {
            Output.json(["ok": report.passes, "findings": report.findings.map(\.json),
                         "errors": report.errors.map(Output.diagnostic),
                         "warnings": report.diagnostics.filter { $0.severity == .warning }.map(Output.diagnostic)])
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

    private func check(_ firewall: Firewall) -> Int32 {
        let diagnostics = firewall.check()
        let errors = diagnostics.filter { $0.severity == .error }
        if json {
            Output.json(["ok": errors.isEmpty,
                         "errors": errors.map(Output.diagnostic),
                         "warnings": diagnostics.filter { $0.severity == .warning }.map(Output.diagnostic)])
        } else {
            for d in diagnostics { print(d) }
            print(errors.isEmpty ? "csf: configuration OK (\(diagnostics.count) warning(s))" : "csf: \(errors.count) error(s) found")
        }
        return errors.isEmpty ? 0 : 1
    }

    private func report(_ error: Error) -> Int32 {
        if let e = error as? CsfError {
            if case .refused(let msg) = e, msg.contains("NFTCSF_FORBID_NETNS") {
                Output.err("csf: \(msg)")
                return 3
            }
            if case .invalidInput(let diags) = e {
                if json {
                    Output.json(["ok": false, "errors": diags.filter { $0.severity == .error }.map(Output.diagnostic)])
                } else {
                    for d in diags { Output.err(d.description) }
                    Output.err("csf: nothing was changed; fix the errors above and run the command again")
                }
                return 1
            }
            if json { Output.json(["ok": false, "error": e.description]) } else { Output.err("csf: \(e.description)") }
            return 1
        }
        Output.err("csf: \(error)")
        return 1
    }
}

extension String {
    func trimmingSuffixNewlines() -> String {
        var s = self
        while s.hasSuffix("\n") { s.removeLast() }
        return s
    }
}
