import Testing
@testable import CsfCompat

struct ClusterDatabaseTests {
    @Test func urlsAreParsedAsLibpqWould() throws {
        var db = try ClusterDatabase.parse("postgresql://node_a@db.example.net/fleet")
        #expect(db.user == "node_a" && db.host == "db.example.net" && db.port == 5432 && db.database == "fleet" && db.sslMode == .prefer)
        db = try ClusterDatabase.parse("postgres://node-b@[2001:db8::5]:6432/fleet?sslmode=verify-full&sslrootcert=/etc/csf/ca.pem")
        #expect(db.host == "2001:db8::5" && db.port == 6432 && db.sslMode == .verifyFull && db.sslRootCert == "/etc/csf/ca.pem")
        #expect(db.nodeName == "node-b")
        #expect(try ClusterDatabase.parse("postgresql://n@192.0.2.5:5432/f?sslmode=require").sslMode == .require)
    }

    @Test func badUrlsSayWhy() {
        let cases: [(String, String)] = [
            ("mysql://a@b/c", "expected postgresql://"),
            ("postgresql://a:secret@b/c", "no password in CLUSTER_DB"),
            ("postgresql://b/c", "database user"),
            ("postgresql://a@b", "database name"),
            ("postgresql://a@b:99999/c", "invalid port"),
            ("postgresql://a@b/c?sslmode=maybe", "sslmode must be one of"),
            ("postgresql://a@b/c?options=-c", "unsupported URL parameter"),
            ("postgresql://a b@b/c", "invalid database user"),
            ("postgresql://a@b;rm/c", "invalid host"),
        ]
        for (url, reason) in cases {
            #expect(throws: ClusterDatabase.Invalid.self, "\(url)") { try ClusterDatabase.parse(url) }
            do { _ = try ClusterDatabase.parse(url) } catch { #expect(error.reason.contains(reason), "\(url): \(error.reason)") }
        }
    }

    @Test func csfCheckRefusesABadUrlWithItsLine() {
        #expect(ConfigSchema.problem(with: "postgresql://a:pw@b/c", kind: .databaseURL)?.contains("CLUSTER_DB_PASSFILE") == true)
        #expect(ConfigSchema.problem(with: "", kind: .databaseURL) == nil)
        #expect(ConfigSchema.byName["CLUSTER_DB"]?.kind == .databaseURL)
    }
}
