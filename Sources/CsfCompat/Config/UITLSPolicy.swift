/// What csf-ui's TLS offers, read from csf's UI_SSL_VERSION (an IO::Socket::SSL version string such as
/// `SSLv23:!SSLv3:!SSLv2`) and UI_CIPHER (an OpenSSL cipher string).
///
/// The keys keep their csf meaning but can only narrow a fixed floor: TLS 1.2 or 1.3, and for TLS 1.2 only
/// forward-secret AEAD suites (ECDHE with AES-GCM or ChaCha20-Poly1305). csf's own defaults enable RC4 and
/// SSLv3-era suites; read against that floor they select every suite the floor has. TLS 1.3's suites are fixed
/// by BoringSSL (all AEAD) and not chosen by UI_CIPHER, as with OpenSSL's cipher strings.
public struct UITLSPolicy: Sendable, Equatable {
    public enum Version: Int, Sendable, Comparable {
        case tls12 = 12, tls13 = 13
        public static func < (a: Version, b: Version) -> Bool { a.rawValue < b.rawValue }
    }

    public var minimum: Version
    public var maximum: Version
    /// OpenSSL names of the TLS 1.2 suites, most preferred first.
    public var cipherSuites: [String]

    public static let standard = UITLSPolicy(minimum: .tls12, maximum: .tls13, cipherSuites: Suite.floor.map(\.name))

    public init(minimum: Version, maximum: Version, cipherSuites: [String]) {
        self.minimum = minimum
        self.maximum = maximum
        self.cipherSuites = cipherSuites
    }

    public init(sslVersion: String, cipher: String) throws(UITLSPolicy.Problem) {
        let versions = try Self.versions(sslVersion)
        self.init(minimum: versions.min() ?? .tls12, maximum: versions.max() ?? .tls13, cipherSuites: try Self.suites(cipher))
    }

    public struct Problem: Error, Sendable, CustomStringConvertible {
        public let key: String, reason: String
        public var description: String { "\(key): \(reason)" }
    }

    static let noVersion = "enables neither TLSv1_2 nor TLSv1_3 (csf-ui speaks nothing older)"
    static let noSuite = "selects no TLS 1.2 cipher suite csf-ui offers (ECDHE with AES-GCM or ChaCha20-Poly1305)"

    // MARK: UI_SSL_VERSION

    /// IO::Socket::SSL's reading: the named protocols (SSLv23 = all) or all when none is named, less the `!` ones;
    /// of those, the TLS versions csf-ui speaks.
    public static func versions(_ text: String) throws(UITLSPolicy.Problem) -> Set<Version> {
        let all: Set<Int> = [2, 3, 10, 11, 12, 13]
        var named: Set<Int> = [], excluded: Set<Int> = []
        for raw in text.split(separator: ":") {
            let token = raw.trimmingWhitespace()
            if token.isEmpty { continue }
            let negated = token.hasPrefix("!")
            guard let protocols = protocolNumbers(negated ? String(token.dropFirst()) : token) else {
                throw Problem(key: "UI_SSL_VERSION", reason: "unknown protocol '\(token)' (expected SSLv23, TLSv1_2 or TLSv1_3, '!' to leave one out)")
            }
            if negated { excluded.formUnion(protocols) } else { named.formUnion(protocols) }
        }
        let enabled = Set((named.isEmpty ? all : named).subtracting(excluded).compactMap { Version(rawValue: $0) })
        guard !enabled.isEmpty else { throw Problem(key: "UI_SSL_VERSION", reason: noVersion) }
        return enabled
    }

    static func protocolNumbers(_ name: String) -> Set<Int>? {
        switch String(name.lowercased().filter { $0 != "_" && $0 != "." }) {
        case "sslv23", "sslv2/3": return [2, 3, 10, 11, 12, 13]
        case "sslv2": return [2]
        case "sslv3": return [3]
        case "tlsv1", "tlsv10": return [10]
        case "tlsv11": return [11]
        case "tlsv12": return [12]
        case "tlsv13": return [13]
        default: return nil
        }
    }

    // MARK: UI_CIPHER

    struct Suite: Equatable {
        enum Auth { case rsa, ecdsa }
        enum Cipher { case aes128gcm, aes256gcm, chacha20 }
        let name: String, standardName: String, auth: Auth, cipher: Cipher

        /// The suites csf-ui can offer in TLS 1.2, in BoringSSL's default preference.
        static let floor: [Suite] = [
            Suite(name: "ECDHE-ECDSA-AES128-GCM-SHA256", standardName: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", auth: .ecdsa, cipher: .aes128gcm),
            Suite(name: "ECDHE-RSA-AES128-GCM-SHA256", standardName: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", auth: .rsa, cipher: .aes128gcm),
            Suite(name: "ECDHE-ECDSA-AES256-GCM-SHA384", standardName: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", auth: .ecdsa, cipher: .aes256gcm),
            Suite(name: "ECDHE-RSA-AES256-GCM-SHA384", standardName: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", auth: .rsa, cipher: .aes256gcm),
            Suite(name: "ECDHE-ECDSA-CHACHA20-POLY1305", standardName: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", auth: .ecdsa, cipher: .chacha20),
            Suite(name: "ECDHE-RSA-CHACHA20-POLY1305", standardName: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", auth: .rsa, cipher: .chacha20),
        ]

        /// Whether one word of a cipher rule (an alias or a suite's name) covers this suite. Words OpenSSL knows
        /// for other suites (RC4, kRSA, SHA1, ...) and words nobody knows cover none: OpenSSL ignores both.
        func matches(_ word: String) -> Bool {
            if word == name || word == standardName { return true }
            switch word {
            case "ALL", "DEFAULT", "HIGH", "kECDHE", "kEECDH", "ECDH", "ECDHE", "EECDH", "AEAD", "TLSv1.2": return true
            case "aRSA": return auth == .rsa
            case "aECDSA", "ECDSA": return auth == .ecdsa
            case "AES": return cipher != .chacha20
            case "AES128": return cipher == .aes128gcm
            case "AES256": return cipher == .aes256gcm
            case "AESGCM", "FIPS": return cipher != .chacha20
            case "CHACHA20", "CHACHA20-POLY1305": return cipher == .chacha20
            default: return false
            }
        }
    }

    /// OpenSSL's cipher-rule language over the floor: `A` adds, `-A` removes, `!A` removes for good, `+A` moves
    /// to the end, `A+B` covers what both cover; `@STRENGTH`-like commands change nothing here.
    public static func suites(_ text: String) throws(UITLSPolicy.Problem) -> [String] {
        var chosen: [Suite] = [], killed: [Suite] = []
        let rules = text.split(whereSeparator: { $0 == ":" || $0 == "," || $0 == " " || $0 == ";" })
        for rule in rules where !rule.hasPrefix("@") {
            let op = rule.first.flatMap { "!-+".contains($0) ? $0 : nil }
            let words = (op == nil ? rule[...] : rule.dropFirst()).split(separator: "+").map(String.init)
            if words.isEmpty { continue }
            let covered = Suite.floor.filter { suite in words.allSatisfy(suite.matches) }
            switch op {
            case "!":
                chosen.removeAll(where: covered.contains)
                killed += covered
            case "-":
                chosen.removeAll(where: covered.contains)
            case "+":
                let moved = chosen.filter(covered.contains)
                chosen.removeAll(where: covered.contains)
                chosen += moved
            default:
                chosen += covered.filter { !chosen.contains($0) && !killed.contains($0) }
            }
        }
        if text.trimmingWhitespace().isEmpty { return Suite.floor.map(\.name) }
        guard !chosen.isEmpty else { throw Problem(key: "UI_CIPHER", reason: noSuite) }
        return chosen.map(\.name)
    }
}
