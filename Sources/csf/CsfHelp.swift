/// `csf -h`: the overview, then every option with its help, wrapped once below 80 columns.
enum CsfHelp {
    static let overview = "ConfigServer Security & Firewall, native to nftables."

    static let discussion = """
        Reads the legacy /etc/csf files unchanged (CSF_ROOT prefixes every path)
        and keeps the firewall in one nftables table, inet csf.

        \(ListVerb.usage)

        Exit codes: 0 success, also for a change already in place ("changed":
        false with --json); 1 failure or refusal (invalid input, an address in
        csf.allow or csf.ignore, this host's own address, invalid config or
        lists, nftables or script error, csf disabled); 2 usage error; 3 refused
        by the NFTCSF_FORBID_NETNS test guard.
        """

    /// One option as help and the shell completions show it.
    struct Option {
        let spellings: [String]
        var valueName: String?
        let help: String

        var label: String { spellings.joined(separator: ", ") + (valueName.map { " <\($0)>" } ?? "") }
    }

    /// Every option help and the completions show, in order: the actions, then the modifiers.
    static var options: [Option] {
        CsfAction.allCases.compactMap { action in action.help.map { Option(spellings: action.spellings, help: $0) } } + [
            Option(spellings: ["--json"], help: "Machine-readable output, on every command."),
            Option(spellings: ["--full"], help: "With -l/-l4/-l6: list every set element instead of counting them."),
            Option(spellings: ["--confirm-within"], valueName: "SECONDS",
                   help: "With -s/-r: roll back to the previous ruleset unless `csf --confirm` arrives within SECONDS."),
            Option(spellings: ["-h", "--help"], help: "Show help information."),
        ]
    }

    static let labelColumn = 26
    static let width = 79

    static var text: String {
        var out = "OVERVIEW: \(overview)\n\n\(discussion)\n\nUSAGE: csf <options>\n\nOPTIONS:\n"
        for option in options { out += entry(option.label, option.help) }
        return out
    }

    /// The label in the first column; its help beside it (or below, when the label is too wide), wrapped.
    static func entry(_ label: String, _ help: String) -> String {
        let indent = String(repeating: " ", count: labelColumn)
        var head = "  " + label
        if head.count + 2 <= labelColumn {
            head += String(repeating: " ", count: labelColumn - head.count)
        } else {
            head += "\n" + indent
        }
        return head + wrap(help, width: width - labelColumn).joined(separator: "\n" + indent) + "\n"
    }

    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += line.isEmpty ? String(word) : " " + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
