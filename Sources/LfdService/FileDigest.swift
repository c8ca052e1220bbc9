#if canImport(Glibc)
import Glibc
#endif
import CCrypto

/// Digests through OpenSSL's libcrypto: MD5 because dpkg's md5sums are MD5, SHA-256 for rpm's and our own
/// baselines. Files are read by descriptor in 256 KB blocks.
enum FileDigest {
    enum Algorithm {
        case md5, sha256

        var md: OpaquePointer? { self == .md5 ? EVP_md5() : EVP_sha256() }
    }

    static func hex(_ bytes: some Collection<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func of(_ data: [UInt8], _ algorithm: Algorithm = .sha256) -> String {
        var md = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = data.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &md, &length, algorithm.md, nil) }
        return hex(md[..<Int(length)])
    }

    /// The digest of what `fd` holds from its current offset; nil on a read error.
    static func of(fd: Int32, _ algorithm: Algorithm) -> String? {
        guard let context = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestInit_ex(context, algorithm.md, nil) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            _ = buffer.withUnsafeBytes { EVP_DigestUpdate(context, $0.baseAddress, n) }
        }
        var md = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &md, &length) == 1 else { return nil }
        return hex(md[..<Int(length)])
    }
}
