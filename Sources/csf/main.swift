import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

// csf lower-cases its first argument (`csf -D ip` == `csf -d ip`); the rest is left as typed.
var arguments = Array(CommandLine.arguments.dropFirst())
if let first = arguments.first, first.hasPrefix("-") { arguments[0] = first.lowercased() }

if let first = arguments.first, let verb = ListVerb.spellings[first] {
    exit(ListCommandLine(verb: verb, arguments: Array(arguments.dropFirst())).run())
}

do {
    var command = try Csf.parseAsRoot(arguments)
    try command.run()
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let code = Csf.exitCode(for: error)
    if code == .success {
        print(Csf.fullMessage(for: error))
        exit(0)
    }
    let message = Csf.fullMessage(for: error)
    _ = (message + "\n").withCString { write(2, $0, strlen($0)) }
    exit(2)
}
