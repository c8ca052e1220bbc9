import CsfCompat
import CsfFirewall

/// The list commands keep csf's free-form argument style (`csf -td 192.0.2.1 1h -p 22 -d out too many logins`),
/// which a declarative parser cannot express (`-d` is both a command and a `-td` option), so they are parsed here.
enum ListVerb: String {
    case add, addrm, deny, denyrm, denyf, tempdeny, tempallow, temprm, temprmd, temprma, tempf, temp, grep, resync, iplookup

    static let spellings: [String: ListVerb] = [
        "-a": .add, "--add": .add, "-ar": .addrm, "--addrm": .addrm,
        "-d": .deny, "--deny": .deny, "-dr": .denyrm, "--denyrm": .denyrm, "-df": .denyf, "--denyf": .denyf,
        "-td": .tempdeny, "--tempdeny": .tempdeny, "-ta": .tempallow, "--tempallow": .tempallow,
        "-tr": .temprm, "--temprm": .temprm, "-trd": .temprmd, "--temprmd": .temprmd, "-tra": .temprma, "--temprma": .temprma,
        "-tf": .tempf, "--tempf": .tempf, "-t": .temp, "--temp": .temp, "-g": .grep, "--grep": .grep,
        "--resync": .resync, "-i": .iplookup, "--iplookup": .iplookup,
    ]

    static let usage = """
        The list commands (-a, -d, -td, ...) take csf's free-form arguments:
        csf -td 192.0.2.1 2h -p 22,53;udp -d out too many logins
        """
}

struct ListCommandLine {
    let verb: ListVerb
    let words: [String]
    let json: Bool
    var reporter: Reporter { Reporter(json: json) }

    struct UsageError: Error { let message: String }

    func run() -> Int32 {
        let paths = CsfPaths.fromEnvironment()
        if Firewall(paths: paths).isDisabled {
            return reporter.fail(CommandFailure(exitCode: 1, message: "CSF and LFD have been disabled! Use 'csf -e' to re-enable"))
        }
        do {
            // Argument mistakes are usage errors whatever the state of the files.
            let temp = verb == .tempdeny || verb == .tempallow ? try tempRequest() : nil
            let commands = try ListCommands(commandLine: paths)
            switch verb {
            case .temp: printTemp(try commands.tempEntries())
            case .grep: printGrep(try commands.grep(try single()))
            case .iplookup: printLookup(try commands.iplookup(try single()))
            case .resync:
                try none()
                let n = try commands.reassertTemporary()
                if json { reporter.emit(Response.Resync(elements: n)) } else { print("csf: \(n) temporary element(s) asserted in the kernel") }
            default: printChange(try mutate(commands, temp: temp))
            }
            return 0
        } catch let e as UsageError {
            return reporter.fail(.usage(e.message))
        } catch let e as CsfError {
            return reporter.fail(e)
        } catch {
            return reporter.fail(CommandFailure(exitCode: 1, message: "csf: \(error)"))
        }
    }

    private func mutate(_ c: ListCommands, temp: TempRequest?) throws -> ListChange {
        switch verb {
        case .add: return try c.allow(try first(), comment: rest())
        case .deny: return try c.deny(try first(), comment: rest())
        case .addrm: return try c.allowRemove(try single())
        case .denyrm: return try c.denyRemove(try single())
        case .denyf: try none(); return try c.denyFlush()
        case .tempf: try none(); return try c.tempFlush()
        case .temprm: return try c.tempRemove(try single())
        case .temprmd: return try c.tempRemove(try single(), kinds: [.deny])
        case .temprma: return try c.tempRemove(try single(), kinds: [.allow])
        case .tempdeny: return try c.tempAdd(.deny, try temp ?? tempRequest())
        case .tempallow: return try c.tempAdd(.allow, try temp ?? tempRequest())
        case .temp, .grep, .resync, .iplookup: throw UsageError(message: "csf: internal error")
        }
    }

    // MARK: arguments

    private func first() throws -> String {
        guard let ip = words.first, !ip.isEmpty else { throw UsageError(message: "csf: No IP specified") }
        return ip
    }

    private func rest() -> String? {
        let text = words.dropFirst().joined(separator: " ").trimmingWhitespace()
        return text.isEmpty ? nil : text
    }

    private func single() throws -> String {
        let ip = try first()
        if words.count > 1 { throw UsageError(message: "csf: unexpected argument '\(words[1])'") }
        return ip
    }

    private func none() throws {
        if let w = words.first { throw UsageError(message: "csf: unexpected argument '\(w)'") }
    }

    func tempRequest() throws -> TempRequest {
        do { return try TempRequest.parse(words, option: verb == .tempdeny ? "-td" : "-ta") } catch { throw UsageError(message: error.message) }
    }

    // MARK: output

    private func printChange(_ change: ListChange) {
        if json {
            reporter.emit(Response.Change(command: verb.rawValue, change))
            return
        }
        for m in change.messages { print(m) }
        if change.kernel == .notRunning && change.changed {
            Output.err("csf: the firewall is not running; the files are updated and csf -s will apply them")
        }
    }

    private func printTemp(_ entries: [(kind: TempEntry.Kind, entry: TempEntry, remaining: Int)]) {
        if json {
            reporter.emit(Response.Temporary(entries.map { Response.TemporaryEntry(kind: $0.kind, entry: $0.entry, remaining: $0.remaining) }))
            return
        }
        guard !entries.isEmpty else {
            print("csf: There are no temporary IP entries")
            return
        }
        print("\nA/D   IP address                               Port   Dir   Time To Live     Comment")
        for t in entries {
            let ports = t.entry.portsText.isEmpty ? "*" : t.entry.portsText
            print(pad(t.kind == .deny ? "DENY" : "ALLOW", 5) + " " + pad(t.entry.target.description, 40) + " "
                  + pad(ports, 6) + " " + pad(t.entry.direction.rawValue, 5) + " " + pad(TempTTL.format(t.remaining), 16)
                  + " " + t.entry.comment)
        }
    }

    private func printLookup(_ r: IPLookupReport) {
        if json {
            reporter.emit(Response.Lookup(r))
            return
        }
        print(r.text)
        for h in r.holders { print("Listed in \(h)") }
    }

    private func printGrep(_ r: GrepReport) {
        if json {
            reporter.emit(Response.Grep(r))
            return
        }
        for line in r.lines { print(line) }
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}
