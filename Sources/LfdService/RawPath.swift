#if canImport(Glibc)
import Glibc
#endif
import CSys

/// A path as the kernel has it: bytes, not necessarily UTF-8. A file named with invalid UTF-8 must still be
/// opened, judged and removed by its exact name; it is shown (logs, alerts) with the bad bytes replaced.
struct RawPath: Hashable, Sendable {
    var bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }
    init(_ text: String) { bytes = Array(text.utf8) }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    func appending(_ name: [UInt8]) -> RawPath {
        RawPath(bytes.last == 0x2f ? bytes + name : bytes + [0x2f] + name)
    }

    var name: [UInt8] {
        guard let slash = bytes.lastIndex(of: 0x2f) else { return bytes }
        return Array(bytes[(slash + 1)...])
    }

    var parent: RawPath {
        guard let slash = bytes.lastIndex(of: 0x2f) else { return RawPath(".") }
        return slash == 0 ? RawPath("/") : RawPath(Array(bytes[..<slash]))
    }

    func hasPrefix(_ other: RawPath) -> Bool {
        bytes.starts(with: other.bytes) && (bytes.count == other.bytes.count || bytes[other.bytes.count] == 0x2f)
    }

    func withCString<T>(_ body: (UnsafePointer<CChar>) -> T) -> T {
        (bytes + [0]).withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) } }
    }

    /// Opens with no symbolic link anywhere on the way (openat2 RESOLVE_NO_SYMLINKS): -1 and errno otherwise.
    func openNoSymlinks(_ flags: Int32) -> Int32 {
        withCString { csys_open_no_symlinks(AT_FDCWD, $0, UInt64(flags | O_CLOEXEC)) }
    }
}

/// Byte names in a directory, read by file descriptor one at a time: a directory of a million files is walked
/// without holding its listing.
enum DirectoryEntries {
    /// Calls `body` with each entry's name and d_type (without `.` and `..`) of the directory open at `fd` (a
    /// duplicate is read; `fd` stays open) until it returns false.
    static func forEach(_ fd: Int32, _ body: ([UInt8], UInt8) -> Bool) {
        let copy = dup(fd)
        guard copy >= 0, let dir = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            return
        }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> [UInt8] in
                let bytes = raw.bindMemory(to: UInt8.self)
                return Array(bytes[..<(bytes.firstIndex(of: 0) ?? bytes.count)])
            }
            if name == [0x2e] || name == [0x2e, 0x2e] { continue }
            if !body(name, entry.pointee.d_type) { return }
        }
    }
}
