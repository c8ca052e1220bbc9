/// `CLUSTER_DB`: where the fleet's shared state lives, as a libpq-style URL
/// `postgresql://USER@HOST:PORT/DBNAME?sslmode=require`. The user is the node's own database role and so its name
/// in the fleet (the database stamps every decision with it); the password never sits in csf.conf but in
/// `CLUSTER_DB_PASSFILE`. Parsed here, without any database code, so that `csf --check` can refuse a bad URL.
public struct ClusterDatabase: Sendable, Equatable {
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        /// Encrypted, and the server's certificate checked against `sslrootcert` (and its name, with verify-full).
        case verifyCA = "verify-ca", verifyFull = "verify-full"
    }

    public var user: String
    public var host: String
    public var port: Int
    public var database: String
    public var sslMode: SSLMode
    /// A CA bundle for verify-ca/verify-full; the system's when empty.
    public var sslRootCert: String

    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let reason: String
        public var description: String { reason }
    }

    /// The node's name in the fleet: its database role.
    public var nodeName: String { user }

    public static func parse(_ url: String) throws(Invalid) -> ClusterDatabase {
        let schemeEnd: String.Index
        if url.hasPrefix("postgresql://") {
            schemeEnd = url.index(url.startIndex, offsetBy: 13)
        } else if url.hasPrefix("postgres://") {
            schemeEnd = url.index(url.startIndex, offsetBy: 11)
        } else {
            throw Invalid(reason: "expected postgresql://USER@HOST:PORT/DBNAME")
        }
        var rest = Substring(url[schemeEnd...])
        var query = Substring("")
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        guard let at = rest.firstIndex(of: "@") else {
            throw Invalid(reason: "the URL needs the node's database user (postgresql://USER@HOST/DBNAME)")
        }
        let userPart = rest[..<at]
        if userPart.contains(":") {
            throw Invalid(reason: "no password in CLUSTER_DB: put it in the file CLUSTER_DB_PASSFILE names")
        }
        let user = String(userPart)
        guard isName(user) else { throw Invalid(reason: "invalid database user '\(user)' (letters, digits, _ . -)") }
        rest = rest[rest.index(after: at)...]
        guard let slash = rest.firstIndex(of: "/") else { throw Invalid(reason: "the URL needs a database name (…/DBNAME)") }
        let database = String(rest[rest.index(after: slash)...])
        guard isName(database) else { throw Invalid(reason: "invalid database name '\(database)'") }
        let (host, port) = try hostAndPort(rest[..<slash])
        var result = ClusterDatabase(user: user, host: host, port: port, database: database, sslMode: .prefer, sslRootCert: "")
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let value = kv.count == 2 ? String(kv[1]) : ""
            switch kv[0] {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw Invalid(reason: "sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                result.sslMode = mode
            case "sslrootcert":
                guard value.hasPrefix("/") else { throw Invalid(reason: "sslrootcert must be an absolute path") }
                result.sslRootCert = value
            default:
                throw Invalid(reason: "unsupported URL parameter '\(kv[0])' (sslmode and sslrootcert are)")
            }
        }
        return result
    }

    private static func hostAndPort(_ text: Substring) throws(Invalid) -> (String, Int) {
        var host = text
        var portText: Substring = ""
        if host.hasPrefix("[") {
            // An IPv6 literal: [2001:db8::1]:5432
            guard let close = host.firstIndex(of: "]") else { throw Invalid(reason: "unclosed [ in the host") }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw Invalid(reason: "invalid host '\(text)'") }
            host = host[host.index(after: host.startIndex)..<close]
            guard IPAddress(String(host)) != nil else { throw Invalid(reason: "invalid IPv6 address '\(host)'") }
        } else if let colon = host.lastIndex(of: ":") {
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" }) else {
            throw Invalid(reason: "invalid host '\(host)'")
        }
        var port = 5432
        if !portText.isEmpty {
            guard let p = Int(portText), p > 0, p <= 65535 else { throw Invalid(reason: "invalid port '\(portText)'") }
            port = p
        }
        return (String(host), port)
    }

    private static func isName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 63
            && s.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 46 || $0 == 45 }
    }
}

extension CsfConfig {
    /// The fleet database, nil when `CLUSTER_DB` is empty (no fleet) or invalid (`csf --check` says why).
    public var clusterDatabase: ClusterDatabase? {
        let url = self["CLUSTER_DB"]
        return url.isEmpty ? nil : try? ClusterDatabase.parse(url)
    }
}
