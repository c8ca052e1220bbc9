#if canImport(Glibc)
import Glibc
#endif

/// Reads every event waiting on a non-blocking inotify descriptor: `struct inotify_event` records (wd, mask,
/// cookie, len, name padded with NULs), read with unaligned loads and never past what `read` returned.
enum InotifyEvents {
    static func drain(_ fd: Int32, bufferSize: Int = 64 * 1024, _ body: (_ wd: Int32, _ mask: UInt32, _ name: [UInt8]) -> Void) {
        var buffer = [UInt8](repeating: 0, count: bufferSize)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { return }
            var offset = 0
            while offset + 16 <= n {
                let (wd, mask, length) = buffer.withUnsafeBytes { raw in
                    (raw.loadUnaligned(fromByteOffset: offset, as: Int32.self),
                     raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                     Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)))
                }
                let name = Array(buffer[(offset + 16)..<min(n, offset + 16 + length)].prefix { $0 != 0 })
                offset += 16 + length
                body(wd, mask, name)
            }
        }
    }
}
