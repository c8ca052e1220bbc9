import CsfCompat
import PostgresNIO

/// Database errors worded for the admin (PSQLError's own description hides the server's message).
public enum FleetErrors {
    public static func describe(_ error: any Error, endpoint: ClusterDatabase? = nil) -> String {
        if let e = error as? PSQLError {
            if let message = e.serverInfo?[.message] { return "database: \(message)" }
            if e.code == .authMechanismRequiresPassword {
                return "the fleet database asks for a password: put it in the file CLUSTER_DB_PASSFILE names (mode 600)"
            }
            let place = endpoint.map { " \($0.host):\($0.port)" } ?? ""
            return "cannot reach the fleet database\(place) (\(e.code))"
        }
        if let e = error as? FleetStore.SchemaProblem { return e.description }
        return "\(error)"
    }
}
