import ArgumentParser
import CsfCompat
import CsfFirewall

#if canImport(Glibc)
import Glibc
#endif

struct Csf: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csf",
        abstract: "ConfigServer Security & Firewall, native to nftables.",
        discussion: """
        Reads the legacy /etc/csf files unchanged (CSF_ROOT prefixes every path)
        and keeps the firewall in one nftables table, inet csf.

        \(ListVerb.usage)

        Exit codes: 0 success, also for a change already in place ("changed":
        false with --json); 1 failure or refusal (invalid input, an address in
        csf.allow or csf.ignore, this host's own address, invalid config or
        lists, nftables or script error, csf disabled); 2 usage error; 3 refused
        by the NFTCSF_FORBID_NETNS test guard.
        """,
        // -v/--version is csf's own action; no second --version from the parser.
        helpNames: [.short, .long]
    )

    @Flag var action: CsfAction?

    @Flag(help: "Machine-readable output, on every command.")
    var json = false

    @Flag(help: "With -l/-l4/-l6: list every set element instead of counting them.")
    var full = false

    @Option(name: .customLong("confirm-within"),
            help: ArgumentHelp("With -s/-r: roll back to the previous ruleset unless `csf --confirm` arrives within SECONDS.",
                               valueName: "SECONDS"))
    var confirmWithin: Int?

    @Argument(help: .hidden)
    var values: [String] = []

    func validate() throws {
        if let seconds = confirmWithin {
            guard seconds > 0 else { throw ValidationError("--confirm-within needs a positive number of seconds") }
            guard [.start, .startf, .restart].contains(action) else {
                throw ValidationError("--confirm-within goes with -s or -r")
            }
        }
        if action == .lfd {
            guard values.count == 1, LfdControl.Action(rawValue: values[0]) != nil else {
                throw ValidationError("--lfd needs one of: start, stop, restart, status")
            }
        } else if action == .trace {
            guard values == ["watch"] || values.count == 2 else { throw ValidationError("csf: Error, use [add|remove] [ip], or watch") }
        } else if action == .profile {
            guard let verb = values.first, ConfigProfiles.Verb(rawValue: verb) != nil, values.count <= 3 else {
                throw ValidationError("Incorrect syntax for command: --profile list | backup [name] | restore backup | apply profile | keep N | diff a [b|current]")
            }
        } else if action == .mail {
            guard values.count <= 1 else { throw ValidationError("-m takes at most one e-mail address") }
        } else if action == .addport || action == .removeport {
            guard values.count == 1 else { throw ValidationError("-ap/-rp need KEY:PORT, e.g. TCP_IN:8080") }
        } else if action == .watchdog {
            guard values.count == 2, Watchdog.Mode(rawValue: values[0]) != nil else { throw ValidationError("internal option") }
        } else if !values.isEmpty {
            throw ValidationError("unexpected argument '\(values[0])'")
        }
    }

    func run() throws {
        guard let action else {
            print(Csf.helpMessage())
            return
        }
        let cli = CsfCLI(paths: .fromEnvironment(), json: json, full: full)
        throw ExitCode(cli.perform(action, confirmWithin: confirmWithin, values: values))
    }
}
