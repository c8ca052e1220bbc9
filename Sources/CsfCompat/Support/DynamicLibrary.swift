#if canImport(Glibc)
import Glibc
#endif

/// A system library loaded when first needed, not linked: what only some runs use (libnftables for
/// transactions, libsystemd for a journal source) then costs nothing in the others. Never unloaded.
package struct DynamicLibrary: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer

    /// Opens `soname` (e.g. `libnftables.so.1`); the error is dlerror's text.
    package static func open(_ soname: String) -> Result<DynamicLibrary, DynamicLibraryError> {
        guard let handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(DynamicLibraryError(reason: dlerror().map { String(cString: $0) } ?? "\(soname): not found"))
        }
        return .success(DynamicLibrary(handle: handle))
    }

    /// The C function `name` as the given `@convention(c)` type, or nil when the library lacks it.
    package func function<T>(_ name: String, as type: T.Type) -> T? {
        dlsym(handle, name).map { unsafeBitCast($0, to: type) }
    }
}

package struct DynamicLibraryError: Error, Sendable {
    package let reason: String
}
