/// The completion scripts `make install` writes (`csf --generate-completion-script bash|zsh|fish`): every option
/// help shows, from the same table. Descriptions are quoted for each shell; nothing in them runs.
enum ShellCompletions {
    enum Shell: String { case bash, zsh, fish }

    private static var options: [CsfHelp.Option] { CsfHelp.options }

    static func script(_ shell: Shell) -> String {
        switch shell {
        case .bash: return bash
        case .zsh: return zsh
        case .fish: return fish
        }
    }

    private static var bash: String {
        let words = options.flatMap(\.spellings).joined(separator: " ")
        return """
            _csf() {
                local cur="${COMP_WORDS[COMP_CWORD]}"
                if [[ "$cur" == -* ]]; then
                    COMPREPLY=( $(compgen -W "\(words)" -- "$cur") )
                fi
            }
            complete -o default -F _csf csf

            """
    }

    private static var zsh: String {
        var lines = ["#compdef csf", "", "local -a csf_options", "csf_options=("]
        for option in options {
            for spelling in option.spellings {
                lines.append("  " + zshQuoted(spelling.replacingColons() + ":" + option.help))
            }
        }
        lines += [")", "_describe -t options 'csf option' csf_options", ""]
        return lines.joined(separator: "\n")
    }

    private static var fish: String {
        var lines = ["complete -c csf -f"]
        for option in options {
            var flags = ""
            for spelling in option.spellings {
                if spelling.hasPrefix("--") {
                    flags += " -l " + spelling.dropFirst(2)
                } else if spelling.count == 2 {
                    flags += " -s " + spelling.dropFirst()
                } else {
                    flags += " -o " + spelling.dropFirst()
                }
            }
            lines.append("complete -c csf\(flags)\(option.valueName == nil ? "" : " -r") -d \(fishQuoted(option.help))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Single quotes for zsh: a quote inside closes, escapes and reopens.
    static func zshQuoted(_ text: String) -> String {
        "'" + text.escaping { $0 == "'" ? "'\\''" : nil } + "'"
    }

    /// Single quotes for fish: only `\\` and `\'` are escapes inside.
    static func fishQuoted(_ text: String) -> String {
        "'" + text.escaping { $0 == "\\" || $0 == "'" ? "\\" + String($0) : nil } + "'"
    }
}

private extension String {
    /// `_describe` splits name from description at the first unescaped colon.
    func replacingColons() -> String { escaping { $0 == ":" ? "\\:" : nil } }

    /// Each character the rule names replaced by its text; the others kept.
    func escaping(_ rule: (Character) -> String?) -> String {
        var out = ""
        for c in self { if let text = rule(c) { out += text } else { out.append(c) } }
        return out
    }
}
