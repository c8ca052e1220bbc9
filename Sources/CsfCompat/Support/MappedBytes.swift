#if canImport(Glibc)
import Glibc
#endif

/// A file's bytes mapped read-only. `csf -d` scans a 12 MB csf.deny on every call; mapping it costs a few
/// page-table entries where reading it cost a fresh 12 MB buffer (page faults, zeroing, a copy).
/// Writers replace files by rename, so a mapping always shows one whole version of the file.
public final class MappedBytes: @unchecked Sendable {
    public let buffer: UnsafeBufferPointer<UInt8>
    /// Mapped from a file (munmap on release) or allocated here (deallocate on release).
    private let mapped: Bool

    public init(path: String) throws(CsfError) {
        let (fd, size) = try TextFile.openRegular(path)
        defer { close(fd) }
        guard size > 0 else {
            mapped = false
            buffer = UnsafeBufferPointer(start: nil, count: 0)
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw .system(path, errno)
        }
        mapped = true
        buffer = UnsafeBufferPointer(start: p.assumingMemoryBound(to: UInt8.self), count: size)
    }

    /// Bytes already in memory (a rewritten file's new contents).
    public init(_ bytes: [UInt8]) {
        let storage = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        _ = storage.initialize(from: bytes)
        mapped = false
        buffer = UnsafeBufferPointer(start: storage.baseAddress, count: bytes.count)
    }

    public static let empty = MappedBytes([])

    deinit {
        guard let base = buffer.baseAddress else { return }
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: base), buffer.count)
        } else {
            UnsafeMutablePointer(mutating: base).deallocate()
        }
    }

    public var count: Int { buffer.count }
    public subscript(i: Int) -> UInt8 { buffer[i] }
    public subscript(r: Range<Int>) -> ArraySlice<UInt8> { ArraySlice(buffer[r]) }
    public var array: [UInt8] { Array(buffer) }
}
