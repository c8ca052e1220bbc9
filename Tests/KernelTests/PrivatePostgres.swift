import Foundation
import CsfTestSupport

/// A PostgreSQL server of the test's own: Debian's binaries, a data directory in /tmp, run as the postgres user
/// inside a network namespace of the test (listening on every address of that namespace only, never the host's),
/// with TLS on (a throwaway self-signed certificate) and password (SCRAM) logins over TCP.
final class PrivatePostgres {
    let ns: String
    let dir: String
    let bin: String

    static var binaries: String? {
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).compactMap(Int.init).sorted()
        return versions.last.map { "\(base)/\($0)/bin" }
    }

    static var available: Bool { binaries != nil }

    init(ns: String) throws {
        guard let bin = Self.binaries else { throw Shell.Failure(description: "PostgreSQL is not installed (.ci/run installs postgresql-15)") }
        self.ns = ns
        self.bin = bin
        dir = NSTemporaryDirectory() + "nftcsf-pg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Shell.check(["chown", "postgres:postgres", dir])
        try Shell.check(["chmod", "700", dir])
        try asPostgres([bin + "/initdb", "-D", dir, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8"])
        try Shell.check(["sh", "-c", "echo 'host all all 0.0.0.0/0 scram-sha-256' >> \(dir)/pg_hba.conf"])
        try Shell.check(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/server.key", "-out", dir + "/server.crt",
                         "-days", "2", "-subj", "/CN=fleetdb"])
        try Shell.check(["chown", "postgres:postgres", dir + "/server.key", dir + "/server.crt"])
        try Shell.check(["chmod", "600", dir + "/server.key"])
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func asPostgres(_ argv: [String]) throws {
        try Shell.check(["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"] + argv)
    }

    /// Starts the server (again, after `stop`) and waits until it accepts connections.
    func start() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        p.arguments = ["netns", "exec", ns, "setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups",
                       bin + "/postgres", "-D", dir, "-c", "listen_addresses=*", "-p", "5432", "-k", dir, "-c", "ssl=on",
                       "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "max_connections=200"]
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        for _ in 0..<200 {
            if (try? Shell.run([bin + "/pg_isready", "-q", "-h", dir, "-p", "5432"]).status) == 0 { return }
            usleep(50_000)
        }
        throw Shell.Failure(description: "the private PostgreSQL did not start")
    }

    /// An immediate shutdown (the database going away under the nodes).
    func stop() {
        guard let postmaster = Daemon.named(byPidFile: dir + "/postmaster.pid", marker: "postgres") else { return }
        Daemon.stop(postmaster, termSignal: SIGQUIT, seconds: 5)
        usleep(100_000)
    }

    /// Runs SQL over the server's socket (local logins are trusted for the test's own use).
    @discardableResult
    func sql(_ statement: String, database: String = "postgres", user: String = "postgres") throws -> String {
        let r = try Shell.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", dir, "-p", "5432", "-U", user, "-d", database,
                               "-c", statement])
        guard r.status == 0 else { throw Shell.Failure(description: "psql: \(r.stderr)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
