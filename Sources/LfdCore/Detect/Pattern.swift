import CsfCompat

import CPCRE2

/// A PCRE2 pattern, JIT-compiled, with named groups (`(?<ip>…)`). Backtracking is bounded by a match limit,
/// so a hostile line can cost a detector a little time but never hang lfd (a limit hit counts as no match).
public final class Pattern: @unchecked Sendable {
    // pcre2_match only reads the compiled code, so one Pattern may be shared; match data is per call.
    private let code: OpaquePointer
    private let context: OpaquePointer?
    public let source: String
    public let groups: [String: Int]

    public struct CompileError: Error, CustomStringConvertible {
        public let description: String
    }

    public static let matchLimit: UInt32 = 100_000

    public init(_ pattern: String, caseInsensitive: Bool = false) throws(CompileError) {
        var errorCode: Int32 = 0
        var errorOffset = 0
        let options = caseInsensitive ? cpcre2_caseless() : 0
        let compiled = pattern.withCString { p in
            p.withMemoryRebound(to: UInt8.self, capacity: pattern.utf8.count) {
                pcre2_compile_8($0, pattern.utf8.count, options, &errorCode, &errorOffset, nil)
            }
        }
        guard let compiled else {
            var buf = [UInt8](repeating: 0, count: 256)
            _ = pcre2_get_error_message_8(errorCode, &buf, buf.count)
            let message = String(decoding: buf.prefix { $0 != 0 }, as: UTF8.self)
            throw CompileError(description: "\(message) at offset \(errorOffset)")
        }
        code = compiled
        _ = pcre2_jit_compile_8(compiled, cpcre2_jit_complete())
        context = pcre2_match_context_create_8(nil)
        if let context { _ = pcre2_set_match_limit_8(context, Self.matchLimit) }
        source = pattern
        let names = Self.names(compiled)
        groups = names
        ipGroup = names["ip"]
        accountGroup = names["account"]
        countGroup = names["count"]
    }

    deinit {
        if let context { pcre2_match_context_free_8(context) }
        pcre2_code_free_8(code)
    }

    private static func names(_ code: OpaquePointer) -> [String: Int] {
        var count: UInt32 = 0, entrySize: UInt32 = 0
        var table: UnsafePointer<UInt8>?
        pcre2_pattern_info_8(code, cpcre2_info_namecount(), &count)
        pcre2_pattern_info_8(code, cpcre2_info_nameentrysize(), &entrySize)
        pcre2_pattern_info_8(code, cpcre2_info_nametable(), &table)
        guard let table else { return [:] }
        var out: [String: Int] = [:]
        for i in 0..<Int(count) {
            let entry = table + i * Int(entrySize)
            let number = Int(entry[0]) << 8 | Int(entry[1])
            var name: [UInt8] = []
            var k = 2
            while k < Int(entrySize), entry[k] != 0 { name.append(entry[k]); k += 1 }
            out[String(decoding: name, as: UTF8.self)] = number
        }
        return out
    }

    /// Byte ranges of the named groups when the pattern matches `line`; nil when it does not.
    /// The three groups detectors use, without building a dictionary per line.
    public struct Captures {
        public var ip: Range<Int>?
        public var account: Range<Int>?
        public var count: Range<Int>?
    }

    /// Runs the pattern once and hands the match count and the offset vector to `body` while they are valid.
    private func withMatch<T>(_ line: UnsafeBufferPointer<UInt8>, _ body: (Int, UnsafeMutablePointer<Int>) -> T?) -> T? {
        guard let data = pcre2_match_data_create_from_pattern_8(code, nil) else { return nil }
        defer { pcre2_match_data_free_8(data) }
        let rc: Int32
        if let base = line.baseAddress {
            rc = pcre2_match_8(code, base, line.count, 0, 0, data, context)
        } else {
            rc = Self.empty.withUnsafeBufferPointer { pcre2_match_8(code, $0.baseAddress, 0, 0, 0, data, context) }
        }
        guard rc > 0, let ovector = pcre2_get_ovector_pointer_8(data) else { return nil }
        return body(Int(rc), ovector)
    }

    /// A group's byte range; PCRE2_UNSET is all bits set, -1 as a Swift Int.
    private static func range(_ index: Int?, _ count: Int, _ ovector: UnsafeMutablePointer<Int>) -> Range<Int>? {
        guard let index, index < count else { return nil }
        let start = ovector[2 * index], end = ovector[2 * index + 1]
        return start >= 0 && end >= start ? start..<end : nil
    }

    public func captures(_ line: UnsafeBufferPointer<UInt8>) -> Captures? {
        withMatch(line) { count, ovector in
            Captures(ip: Self.range(ipGroup, count, ovector), account: Self.range(accountGroup, count, ovector),
                     count: Self.range(countGroup, count, ovector))
        }
    }

    private let ipGroup: Int?
    private let accountGroup: Int?
    private let countGroup: Int?

    public func match(_ line: UnsafeBufferPointer<UInt8>) -> [String: Range<Int>]? {
        withMatch(line) { count, ovector in
            groups.compactMapValues { Self.range($0, count, ovector) }
        }
    }

    private static let empty: [UInt8] = [0]

    public func match(_ line: String) -> [String: Substring]? {
        var line = line
        return line.withUTF8 { buf in
            guard let ranges = match(buf) else { return nil }
            return ranges.mapValues { Substring(String(decoding: UnsafeBufferPointer(rebasing: buf[$0]), as: UTF8.self)) }
        }
    }
}
