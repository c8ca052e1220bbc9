#if canImport(Glibc)
import Glibc
#endif
import CsfCompat

/// libnftables, loaded the first time a transaction or a listing needs it. csf's list commands (`csf -d`, the
/// commands lfd's bans and an admin's shell run most) change set elements over netlink and never do; linked, it
/// and the three libraries it needs were loaded and relocated in every one of them.
struct LibNftables: @unchecked Sendable {
    typealias NewFn = @convention(c) (UInt32) -> OpaquePointer?
    typealias FreeFn = @convention(c) (OpaquePointer) -> Void
    typealias BufferFn = @convention(c) (OpaquePointer) -> Int32
    typealias GetFlagsFn = @convention(c) (OpaquePointer) -> UInt32
    typealias SetFlagsFn = @convention(c) (OpaquePointer, UInt32) -> Void
    typealias RunFn = @convention(c) (OpaquePointer, UnsafePointer<CChar>) -> Int32
    typealias GetBufferFn = @convention(c) (OpaquePointer) -> UnsafePointer<CChar>?

    let new: NewFn
    let free: FreeFn
    let bufferOutput: BufferFn
    let bufferError: BufferFn
    let getOutputFlags: GetFlagsFn
    let setOutputFlags: SetFlagsFn
    let runFromBuffer: RunFn
    let outputBuffer: GetBufferFn
    let errorBuffer: GetBufferFn

    static let soname = "libnftables.so.1"

    /// Loaded once per process; a failure is kept and reported by every context asked for.
    static let shared: Result<LibNftables, CsfError> = load()

    private static func load() -> Result<LibNftables, CsfError> {
        guard let lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "not found"
            return .failure(.kernel(operation: "init", message: "cannot load \(soname): \(reason)"))
        }
        func sym<T>(_ name: String, _: T.Type) -> T? {
            dlsym(lib, name).map { unsafeBitCast($0, to: T.self) }
        }
        guard let new = sym("nft_ctx_new", NewFn.self),
              let free = sym("nft_ctx_free", FreeFn.self),
              let bufferOutput = sym("nft_ctx_buffer_output", BufferFn.self),
              let bufferError = sym("nft_ctx_buffer_error", BufferFn.self),
              let getOutputFlags = sym("nft_ctx_output_get_flags", GetFlagsFn.self),
              let setOutputFlags = sym("nft_ctx_output_set_flags", SetFlagsFn.self),
              let runFromBuffer = sym("nft_run_cmd_from_buffer", RunFn.self),
              let outputBuffer = sym("nft_ctx_get_output_buffer", GetBufferFn.self),
              let errorBuffer = sym("nft_ctx_get_error_buffer", GetBufferFn.self) else {
            return .failure(.kernel(operation: "init", message: "\(soname) lacks the nft_ctx functions csf uses"))
        }
        return .success(LibNftables(new: new, free: free, bufferOutput: bufferOutput, bufferError: bufferError,
                                    getOutputFlags: getOutputFlags, setOutputFlags: setOutputFlags,
                                    runFromBuffer: runFromBuffer, outputBuffer: outputBuffer, errorBuffer: errorBuffer))
    }
}
