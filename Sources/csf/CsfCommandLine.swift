import CsfFirewall

/// csf's options other than the list commands: one action, `--full`, `--confirm-within SECONDS`, and the values
/// some actions take. A table and a loop rather than a declarative parser: csf starts for every ban, and
/// swift-argument-parser brought Foundation and ~1,900 protocol conformances into each start.
struct CsfCommandLine {
    var action: CsfAction?
    var full = false
    var confirmWithin: Int?
    var values: [String] = []
    /// `-h`, `--help`, or nothing at all.
    var wantsHelp = false
    /// `--generate-completion-script SHELL` (what `make install` writes the completions with).
    var completionShell: ShellCompletions.Shell?

    struct UsageError: Error {
        let message: String
        /// The whole text csf prints: the reason, then where to read more.
        var text: String { "Error: \(message)\n\(CsfCommandLine.usageLine)\n  See 'csf --help' for more information." }
    }

    static let usageLine = "Usage: csf <options>"

    private static let actionBySpelling: [String: CsfAction] = {
        var map: [String: CsfAction] = [:]
        for action in CsfAction.allCases { for spelling in action.spellings { map[spelling] = action } }
        return map
    }()

    static func parse(_ arguments: [String]) throws(UsageError) -> CsfCommandLine {
        var line = CsfCommandLine()
        var actionSpelling = ""
        var words = arguments[...]
        var onlyValues = false
        while let word = words.popFirst() {
            if onlyValues || !word.hasPrefix("-") || word == "-" {
                line.values.append(word)
                continue
            }
            let (name, inlineValue) = split(word)
            switch name {
            case "--": onlyValues = true
            case "-h", "--help": line.wantsHelp = true
            case "--full": line.full = true
            case "--confirm-within":
                guard let text = inlineValue ?? words.popFirst() else {
                    throw UsageError(message: "Missing value for '--confirm-within <SECONDS>'")
                }
                guard let seconds = Int(text) else {
                    throw UsageError(message: "The value '\(text)' is invalid for '--confirm-within <SECONDS>'")
                }
                line.confirmWithin = seconds
            case "--generate-completion-script":
                guard let text = inlineValue ?? words.popFirst(), let shell = ShellCompletions.Shell(rawValue: text) else {
                    throw UsageError(message: "--generate-completion-script needs one of: bash, zsh, fish")
                }
                line.completionShell = shell
            default:
                guard inlineValue == nil, let action = actionBySpelling[name] else {
                    throw UsageError(message: "Unknown option '\(word)'")
                }
                if line.action != nil {
                    throw UsageError(message: "Value to be set with flag '\(word)' had already been set with flag '\(actionSpelling)'")
                }
                line.action = action
                actionSpelling = word
            }
        }
        if line.wantsHelp || line.completionShell != nil { return line }
        try line.validate()
        if line.action == nil { line.wantsHelp = true }
        return line
    }

    /// `--name=value` is `--name value`.
    private static func split(_ word: String) -> (String, String?) {
        guard word.hasPrefix("--"), let eq = word.firstIndex(of: "=") else { return (word, nil) }
        return (String(word[..<eq]), String(word[word.index(after: eq)...]))
    }

    private func validate() throws(UsageError) {
        if let seconds = confirmWithin {
            guard seconds > 0 else { throw UsageError(message: "--confirm-within needs a positive number of seconds") }
            guard [.start, .startf, .restart].contains(action) else {
                throw UsageError(message: "--confirm-within goes with -s or -r")
            }
        }
        switch action {
        case .lfd:
            guard values.count == 1, LfdControl.Action(rawValue: values[0]) != nil else {
                throw UsageError(message: "--lfd needs one of: start, stop, restart, status")
            }
        case .trace:
            guard values == ["watch"] || values.count == 2 else { throw UsageError(message: "csf: Error, use [add|remove] [ip], or watch") }
        case .profile:
            guard let verb = values.first, ConfigProfiles.Verb(rawValue: verb) != nil, values.count <= 3 else {
                throw UsageError(message: "Incorrect syntax for command: --profile list | backup [name] | restore backup | apply profile | keep N | diff a [b|current]")
            }
        case .mail:
            guard values.count <= 1 else { throw UsageError(message: "-m takes at most one e-mail address") }
        case .addport, .removeport:
            guard values.count == 1 else { throw UsageError(message: "-ap/-rp need KEY:PORT, e.g. TCP_IN:8080") }
        case .watchdog:
            guard values.count == 2, Watchdog.Mode(rawValue: values[0]) != nil else { throw UsageError(message: "internal option") }
        default:
            if let first = values.first { throw UsageError(message: "unexpected argument '\(first)'") }
        }
    }
}
