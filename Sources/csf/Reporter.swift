import CsfCompat
import CsfFirewall

/// Prints a command's outcome as text or `--json`, and turns any failure into csf's message and exit code.
struct Reporter {
    let json: Bool

    /// Prints a response object (only with `--json`; text output is the command's own).
    func emit<T: Encodable>(_ response: T) {
        print(JSONText.encode(response))
    }

    /// The one failure path of every command: text on stderr, or the JSON failure object on stdout.
    func fail(_ failure: CommandFailure) -> Int32 {
        if json {
            emit(Response.Failure(failure))
        } else {
            if failure.diagnostics.isEmpty {
                Output.err(failure.message)
            } else {
                for d in failure.diagnostics { Output.err(d.description) }
                Output.err("csf: nothing was changed; fix the errors above and run the command again")
            }
        }
        return failure.exitCode
    }

    func fail(_ error: CsfError) -> Int32 { fail(CommandFailure(error)) }
}
