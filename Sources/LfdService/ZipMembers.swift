/// The members of a zip archive MaxMind's GeoLite2 CSV arrives as, found through the central directory (which has
/// the sizes the local headers may leave out) and inflated with zlib. Only what such a file uses: stored or
/// deflated members, no encryption, no zip64; every offset and size is checked against the bytes received.
enum ZipMembers {
    /// The member whose path ends with `/name` (or is `name`), decompressed; refused past `limit` bytes.
    static func extract(_ name: String, from zip: [UInt8], limit: Int) -> Result<[UInt8], Download.Failure> {
        func fail(_ why: String) -> Result<[UInt8], Download.Failure> { .failure(.init(description: "zip: \(why)")) }
        guard let directory = endOfCentralDirectory(zip) else { return fail("no central directory (not a zip file)") }
        var at = directory.offset
        for _ in 0..<directory.entries {
            guard at + 46 <= zip.count, u32(zip, at) == 0x0201_4B50 else { return fail("damaged central directory") }
            let method = u16(zip, at + 10), flags = u16(zip, at + 8)
            let compressed = Int(u32(zip, at + 20)), size = Int(u32(zip, at + 24))
            let nameLength = Int(u16(zip, at + 28)), extra = Int(u16(zip, at + 30)), comment = Int(u16(zip, at + 32))
            let local = Int(u32(zip, at + 42))
            guard at + 46 + nameLength <= zip.count else { return fail("damaged central directory") }
            let path = String(decoding: zip[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            at += 46 + nameLength + extra + comment
            guard path == name || path.hasSuffix("/" + name) else { continue }
            guard flags & 1 == 0 else { return fail("\(name) is encrypted") }
            guard size <= limit else { return fail("\(name) is more than \(limit >> 20) MB once decompressed") }
            guard local + 30 <= zip.count, u32(zip, local) == 0x0403_4B50 else { return fail("damaged local header of \(name)") }
            let start = local + 30 + Int(u16(zip, local + 26)) + Int(u16(zip, local + 28))
            guard start + compressed <= zip.count else { return fail("\(name) is cut short") }
            let data = zip[start..<(start + compressed)]
            switch method {
            case 0: return .success(Array(data))
            case 8: return Gzip.inflateRaw(data, limit: limit)
            default: return fail("\(name) uses compression method \(method)")
            }
        }
        return fail("no member \(name)")
    }

    /// The end-of-central-directory record: within the last 64 kB + 22 bytes (its comment may be up to 64 kB).
    private static func endOfCentralDirectory(_ zip: [UInt8]) -> (offset: Int, entries: Int)? {
        guard zip.count >= 22 else { return nil }
        var at = zip.count - 22
        let lowest = max(0, zip.count - 22 - 65_535)
        while at >= lowest {
            if u32(zip, at) == 0x0605_4B50 {
                let offset = Int(u32(zip, at + 16)), entries = Int(u16(zip, at + 10))
                return offset < zip.count ? (offset, entries) : nil
            }
            at -= 1
        }
        return nil
    }

    private static func u16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) | UInt16(b[at + 1]) << 8 }
    private static func u32(_ b: [UInt8], _ at: Int) -> UInt32 { UInt32(u16(b, at)) | UInt32(u16(b, at + 2)) << 16 }
}
