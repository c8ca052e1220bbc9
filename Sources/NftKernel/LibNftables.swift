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
        let lib: DynamicLibrary
        switch DynamicLibrary.open(soname) {
        case .success(let opened): lib = opened
        case .failure(let error): return .failure(.kernel(operation: "init", message: "cannot load \(soname): \(error.reason)"))
        }
        guard let new = lib.function("nft_ctx_new", as: NewFn.self),
              let free = lib.function("nft_ctx_free", as: FreeFn.self),
              let bufferOutput = lib.function("nft_ctx_buffer_output", as: BufferFn.self),
              let bufferError = lib.function("nft_ctx_buffer_error", as: BufferFn.self),
              let getOutputFlags = lib.function("nft_ctx_output_get_flags", as: GetFlagsFn.self),
              let setOutputFlags = lib.function("nft_ctx_output_set_flags", as: SetFlagsFn.self),
              let runFromBuffer = lib.function("nft_run_cmd_from_buffer", as: RunFn.self),
              let outputBuffer = lib.function("nft_ctx_get_output_buffer", as: GetBufferFn.self),
              let errorBuffer = lib.function("nft_ctx_get_error_buffer", as: GetBufferFn.self) else {
            return .failure(.kernel(operation: "init", message: "\(soname) lacks the nft_ctx functions csf uses"))
        }
        return .success(LibNftables(new: new, free: free, bufferOutput: bufferOutput, bufferError: bufferError,
                                    getOutputFlags: getOutputFlags, setOutputFlags: setOutputFlags,
                                    runFromBuffer: runFromBuffer, outputBuffer: outputBuffer, errorBuffer: errorBuffer))
    }
}
