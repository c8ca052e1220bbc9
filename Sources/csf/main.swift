import ArgumentParser
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

do {
    var command = try Csf.parseAsRoot(arguments + (json ? ["--json"] : []))
    try command.run()
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let code = Csf.exitCode(for: error)
    if code == .success {
        print(Csf.fullMessage(for: error))
        exit(0)
    }
    exit(Reporter(json: json).fail(.usage(Csf.fullMessage(for: error))))
}
