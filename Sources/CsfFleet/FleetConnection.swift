#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import Logging
import NIOSSL
import PostgresNIO
import Synchronization

/// How a node reaches the fleet database: `CLUSTER_DB` and the password in `CLUSTER_DB_PASSFILE`.
public struct FleetEndpoint: Sendable {
    public let database: ClusterDatabase
    let password: String?
    /// Named in errors when the database wants a password this node does not have.
    let passwordFile: String

    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads csf.conf's two keys. The password file, like libpq's .pgpass, must not be readable by others.
    public static func from(_ config: CsfConfig, paths: CsfPaths) throws(Problem) -> FleetEndpoint {
        let url = config["CLUSTER_DB"]
        guard !url.isEmpty else { throw Problem(description: "CLUSTER_DB is empty in csf.conf: this server is not in a fleet") }
        let database: ClusterDatabase
        do { database = try ClusterDatabase.parse(url) } catch { throw Problem(description: "CLUSTER_DB: \(error.reason)") }
        let file = config["CLUSTER_DB_PASSFILE"]
        return FleetEndpoint(database: database, password: try readPassword(file.isEmpty ? "" : paths.path(file)), passwordFile: file)
    }

    static func readPassword(_ path: String) throws(Problem) -> String? {
        guard !path.isEmpty else { return nil }
        var st = stat()
        guard stat(path, &st) == 0 else {
            if errno == ENOENT { return nil }
            throw Problem(description: "\(path): cannot read the fleet database password (\(String(cString: strerror(errno))))")
        }
        guard st.st_mode & 0o077 == 0 else {
            throw Problem(description: "\(path): the fleet database password file must be readable by its owner only (chmod 600)")
        }
        guard let text = try? TextFile.read(path) else { throw Problem(description: "\(path): cannot read the fleet database password") }
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return line.isEmpty ? nil : line
    }

    func configuration() throws -> PostgresConnection.Configuration {
        var tls: PostgresConnection.Configuration.TLS = .disable
        if database.sslMode != .disable {
            var t = TLSConfiguration.makeClientConfiguration()
            switch database.sslMode {
            case .disable: break
            case .prefer, .require: t.certificateVerification = .none
            case .verifyCA: t.certificateVerification = .noHostnameVerification
            case .verifyFull: t.certificateVerification = .fullVerification
            }
            if !database.sslRootCert.isEmpty {
                t.trustRoots = .file(database.sslRootCert)
            } else if database.sslMode == .prefer || database.sslMode == .require {
                // Nothing is verified in these modes (libpq's meaning): do not read the system's CA bundle.
                t.trustRoots = .certificates([])
            }
            let context = try NIOSSLContext(configuration: t)
            tls = database.sslMode == .prefer ? .prefer(context) : .require(context)
        }
        var c = PostgresConnection.Configuration(host: database.host, port: database.port, username: database.user,
                                                 password: password, database: database.database, tls: tls)
        c.options.connectTimeout = .seconds(5)
        return c
    }

    private static let ids = Atomic<Int>(0)

    func connect(logger: Logger) async throws -> PostgresConnection {
        let id = FleetEndpoint.ids.wrappingAdd(1, ordering: .relaxed).newValue
        return try await PostgresConnection.connect(configuration: configuration(), id: id, logger: logger)
    }
}
