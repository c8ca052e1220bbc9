import ArgumentParser
import CsfCompat
import CsfFirewall
import LfdCore
import LfdService
#if canImport(Glibc)
import Glibc
#endif

do {
    var command = try Lfd.parseAsRoot()
    try command.run()
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let code = Lfd.exitCode(for: error)
    let message = Lfd.fullMessage(for: error)
    if code == .success {
        print(message)
        exit(0)
    }
    _ = (message + "\n").withCString { write(2, $0, strlen($0)) }
    exit(2)
}
