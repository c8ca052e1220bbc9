import CZlib

/// gzip's inflate through zlib: the ASN database arrives as a `.tsv.gz`.
enum Gzip {
    static func isCompressed(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B }

    /// The whole decompressed stream, refused past `limit` bytes (a small file can inflate to gigabytes).
    static func inflate(_ input: [UInt8], limit: Int) -> Result<[UInt8], Download.Failure> {
        // 16 + MAX_WBITS: a gzip header and trailer, not a raw zlib stream.
        inflate(input[...], windowBits: 16 + MAX_WBITS, limit: limit)
    }

    /// A zip member's raw deflate data (no header, no trailer).
    static func inflateRaw(_ input: ArraySlice<UInt8>, limit: Int) -> Result<[UInt8], Download.Failure> {
        inflate(input, windowBits: -MAX_WBITS, limit: limit)
    }

    private static func inflate(_ input: ArraySlice<UInt8>, windowBits: Int32, limit: Int) -> Result<[UInt8], Download.Failure> {
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return .failure(.init(description: "zlib could not be initialised"))
        }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        return input.withUnsafeBufferPointer { inBuffer -> Result<[UInt8], Download.Failure> in
            stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
            stream.avail_in = uInt(inBuffer.count)
            while true {
                let status = chunk.withUnsafeMutableBufferPointer { c -> Int32 in
                    stream.next_out = c.baseAddress
                    stream.avail_out = uInt(c.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                guard out.count + produced <= limit else { return .failure(.init(description: "more than \(limit >> 20) MB once decompressed")) }
                out.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_STREAM_END: return .success(out)
                case Z_OK: continue
                case Z_BUF_ERROR where stream.avail_in == 0: return .failure(.init(description: "the compressed stream is cut short"))
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    return .failure(.init(description: "not a valid compressed stream: \(reason)"))
                }
            }
        }
    }
}
