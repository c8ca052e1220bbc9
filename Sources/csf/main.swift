import CsfFirewall
#if canImport(Glibc)
import Glibc
#endif

// csf lower-cases its first argument (`csf -D ip` == `csf -d ip`); the rest is left as typed. Global flags
// (`--json`) may stand anywhere, so they are taken out before the command is chosen.
var arguments = Array(CommandLine.arguments.dropFirst())
let json = arguments.contains("--json")
arguments.removeAll { $0 == "--json" }
if let first = arguments.first, first.hasPrefix("-") { arguments[0] = first.lowercased() }

// Every cluster spelling starts with -c or --c: the others never build the table of spellings.
if let first = arguments.first, first.hasPrefix("-c") || first.hasPrefix("--c"), ClusterVerb.spellings[first] != nil || first == "--cluster" {
    exit(HandOff.fleet(arguments + (json ? ["--json"] : []), json: json))
}

if arguments.first == "--ui-passwd" {
    exit(HandOff.uiPassword(Array(arguments.dropFirst()), json: json))
}

if let first = arguments.first, let verb = ListVerb.spellings[first] {
    exit(ListCommandLine(verb: verb, words: Array(arguments.dropFirst()), json: json).run())
}

let line: CsfCommandLine
do {
    line = try CsfCommandLine.parse(arguments)
} catch {
    exit(Reporter(json: json).fail(.usage(error.text)))
}
if let shell = line.completionShell {
    print(ShellCompletions.script(shell), terminator: "")
} else if let action = line.action, !line.wantsHelp {
    let cli = CsfCLI(paths: .fromEnvironment(), json: json, full: line.full)
    exit(cli.perform(action, confirmWithin: line.confirmWithin, values: line.values))
} else {
    print(CsfHelp.text)
}
