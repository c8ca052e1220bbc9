#if canImport(Glibc)
import Glibc
#endif
import CNftShim
import CsfCompat

/// libnftables in-process: one context per process, used from one thread (the library keeps global
/// caches and is not thread-safe). Each `run` is one transaction: all of the buffer applies, or none.
final class NftContext {
    private let ctx: OpaquePointer
    private let lib: LibNftables

    struct Output: Sendable {
        public var ok: Bool
        public var output: String
        public var error: String
    }

    init(json: Bool = false, terse: Bool = false, handles: Bool = false) throws(CsfError) {
        try NetnsGuard.check()
        lib = try LibNftables.shared.get()
        guard let c = lib.new(UInt32(NFT_CTX_DEFAULT)) else {
            throw .kernel(operation: "init", message: "cannot create an nftables context")
        }
        ctx = c
        _ = lib.bufferOutput(c)
        _ = lib.bufferError(c)
        var flags = lib.getOutputFlags(c)
        if json { flags |= UInt32(NFT_CTX_OUTPUT_JSON) }
        if terse { flags |= UInt32(NFT_CTX_OUTPUT_TERSE) }
        if handles { flags |= UInt32(NFT_CTX_OUTPUT_HANDLE) }
        lib.setOutputFlags(c, flags)
    }

    deinit { lib.free(ctx) }

    func run(_ script: String) -> Output {
        let rc = lib.runFromBuffer(ctx, script)
        let out = lib.outputBuffer(ctx).map { String(cString: $0) } ?? ""
        let err = lib.errorBuffer(ctx).map { String(cString: $0) } ?? ""
        return Output(ok: rc == 0, output: out, error: err)
    }

    /// Runs a script and turns a failure into an error carrying nft's own message.
    @discardableResult
    func apply(_ script: String, operation: String) throws(CsfError) -> String {
        let result = run(script)
        guard result.ok else {
            throw .kernel(operation: operation, message: Self.summarize(result.error))
        }
        return result.output
    }

    /// A read-only listing. A dump can fail transiently — "cache initialization failed: Resource temporarily
    /// unavailable" was seen while the host was busy with other namespaces' rulesets — so it is asked again, up to
    /// five times; a listing changes nothing, so asking again is always safe.
    func list(_ script: String, operation: String) throws(CsfError) -> String {
        var attempt = 1
        while true {
            let result = run(script)
            if result.ok { return result.output }
            guard attempt < 5, Self.isTransient(result.error) else {
                throw .kernel(operation: operation, message: Self.summarize(result.error))
            }
            usleep(UInt32(20_000 * attempt))
            attempt += 1
        }
    }

    static func isTransient(_ error: String) -> Bool {
        error.contains("Resource temporarily unavailable") || error.contains("Interrupted system call")
    }

    /// nft echoes the whole offending line, which for a set holds every element; keep it readable.
    static func summarize(_ error: String) -> String {
        let lines = error.split(separator: "\n").map { $0.count > 300 ? String($0.prefix(300)) + "…" : String($0) }
        return lines.prefix(12).joined(separator: "\n")
    }
}
