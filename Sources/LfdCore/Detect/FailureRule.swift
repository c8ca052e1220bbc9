import CsfCompat

import CSys

/// One login-failure pattern: which log keys it reads, which csf app and trigger it counts for, a cheap
/// literal pre-filter and an anchored PCRE2 pattern with named groups `ip`, `account` and `count`.
public final class FailureRule: @unchecked Sendable {
    // Immutable after init (and the compiled pattern is safe to share): a class so the classifier's hot loop
    // passes one reference instead of copying a dozen fields per rule per line.
    public enum IPForm: Sendable {
        case plain
        /// pure-ftpd writes IPv6 with `_` for `:`.
        case underscores
        /// Apache 2.4 appends `:port` to the client address.
        case trailingPort
    }

    public let name: String
    public let app: String
    /// csf's wording in lfd.log: "Failed SSH login from".
    public let text: String
    /// The csf.conf key that enables the rule and holds its threshold (`LF_SSHD`).
    public let trigger: String
    public let logKeys: [String]
    /// Every one of these must occur in the line before the regex runs.
    public let literals: [String]
    public let regex: Pattern
    public let ipForm: IPForm
    /// Custom rules carry their own threshold, block duration and ports.
    public let threshold: Int?
    public let blockSeconds: Int?
    public let ports: String?
    /// Other csf counters the same lines feed (`also = LF_APACHE_401 apache401 Apache 401 hit from`): each is
    /// this rule under another trigger, app and text, counted only when its trigger is on.
    public let also: [FailureRule]
    let literalBytes: [[UInt8]]

    public init(name: String, app: String, text: String, trigger: String, logKeys: [String], literals: [String],
                pattern: String, ipForm: IPForm = .plain, threshold: Int? = nil, blockSeconds: Int? = nil,
                ports: String? = nil, also: [FailureRule] = []) throws(Pattern.CompileError) {
        self.also = also
        self.threshold = threshold
        self.blockSeconds = blockSeconds
        self.ports = ports
        self.literalBytes = literals.map { Array($0.utf8) }
        self.name = name
        self.app = app
        self.text = text
        self.trigger = trigger
        self.logKeys = logKeys
        self.literals = literals
        self.regex = try Pattern(RulePatterns.expand(pattern))
        self.ipForm = ipForm
        guard regex.groups["ip"] != nil else { throw Pattern.CompileError(description: "the pattern has no (?<ip>...) group") }
    }

    public enum Outcome: Sendable {
        case noMatch
        /// The line is this rule's, but its address is not a usable address: the line counts for nothing
        /// (as in csf), and no later rule may take another address from it.
        case consumed
        case detected(Detection)
    }

    public func match(_ line: String) -> Outcome {
        var line = line
        return line.withUTF8 { match($0) }
    }

    public func match(_ line: UnsafeBufferPointer<UInt8>) -> Outcome {
        for literal in literalBytes where !Self.contains(line, literal) { return .noMatch }
        guard let groups = regex.captures(line) else { return .noMatch }
        func text(_ range: Range<Int>?) -> Substring? {
            range.map { Substring(String(decoding: UnsafeBufferPointer(rebasing: line[$0]), as: UTF8.self)) }
        }
        // Loopback is reported (lfd's ignore decision drops it, and --scan shows it) but never an unspecified address.
        guard let rawIP = text(groups.ip), let ip = Self.address(rawIP, form: ipForm), !ip.isUnspecified else { return .consumed }
        let count = text(groups.count).flatMap { Int($0) }.map { max(1, min($0, 100)) } ?? 1
        return .detected(Detection(rule: self, ip: ip, account: text(groups.account).flatMap(Self.account), count: count))
    }

    static func contains(_ hay: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        guard let base = hay.baseAddress, !needle.isEmpty else { return needle.isEmpty }
        return memmem(base, hay.count, needle, needle.count) != nil
    }

    static func address(_ raw: Substring, form: IPForm) -> IPAddress? {
        var text = String(raw)
        if form == .underscores { text = text.replacingAll("_", with: ":") }
        if form == .trailingPort {
            if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
                text = String(text[text.index(after: text.startIndex)..<close])       // [v6]:port
            } else if text.contains("."), !text.hasPrefix("::"), let colon = text.lastIndex(of: ":") {
                text = String(text[..<colon])                                      // v4:port; bare v6 is left whole
            }
        }
        return IPAddress(text)   // ::ffff:a.b.c.d is read as a.b.c.d
    }

    /// csf blanks account names with characters outside `[A-Za-z0-9-_.@%+]`.
    static func account(_ raw: Substring) -> String? {
        guard !raw.isEmpty, raw.utf8.count <= 128, raw.utf8.allSatisfy({ b in
            (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 45 || b == 95 || b == 46 || b == 64 || b == 37 || b == 43
        }) else { return nil }
        return String(raw)
    }
}

/// What one line says: which rule matched, the offending address, the account and how many failures it counts for.
public struct Detection: Sendable {
    public var rule: FailureRule
    public var ip: IPAddress
    public var account: String?
    public var count: Int
}

/// Shorthands the built-in patterns use, expanded before compiling.
enum RulePatterns {
    /// Syslog timestamps: `Jan  5 09:05:03`, ISO 8601 (`2025-01-05T09:05:03.123+00:00`, `2013-11-16 21:59:30,121`), TAI64.
    static let timestamp = "([A-Z][a-z]{2} +[0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2}|[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}[^ ]*|@[0-9a-f]{24})"
    static let address = "(?<ip>[0-9A-Fa-f:.]+)"

    static func expand(_ pattern: String) -> String {
        var p = pattern
        // %SYSLOG(tag)% : timestamp, optional host, the program tag with an optional [pid], and Solaris' [ID n facility].
        while let start = p.firstRange(of: "%SYSLOG("), let close = p[start.upperBound...].firstRange(of: ")%") {
            let tag = String(p[start.upperBound..<close.lowerBound])
            let prefix = "^\(timestamp)( [^ ]+)? \(tag)(\\[[0-9]+\\])?:? (\\[ID [0-9]+ [a-z.]+\\] )?"
            p.replaceSubrange(start.lowerBound..<close.upperBound, with: prefix)
        }
        return p.replacingAll("%TS%", with: timestamp).replacingAll("%IP%", with: address)
    }
}

extension String {
    package func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Unicode.Scalar {
    var isASCIIAlnum: Bool { (value >= 48 && value <= 57) || (value >= 65 && value <= 90) || (value >= 97 && value <= 122) }
}

