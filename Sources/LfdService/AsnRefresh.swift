import CsfCompat
import CsfFirewall
import Logging

/// ASNs in the CC_* settings (`AS1234`): as csf's lfd does for CC_SRC 2, the iptoasn database is downloaded
/// (`CC_ASN_URL`, gzip or plain) every CC_INTERVAL days into /var/lib/csf/Geo/ip2asn-combined.tsv, on a worker of
/// its own; a new copy restarts the firewall, which reads the ASNs it needs from it. A failed or damaged download
/// keeps the last copy and is tried again in an hour.
final class AsnRefresh {
    struct Plan: Sendable, Equatable {
        var url: String
        var proxy: String
        var intervalSeconds: Int
    }

    private(set) var plan: Plan?
    private var due: Double = 0
    private var inFlight = false
    private let worker = Worker(name: "asn", capacity: 2)
    private let paths: CsfPaths
    private let logger: Logger

    static let retrySeconds = 3600.0
    /// The combined file is about 30 MB decompressed.
    static let decompressedLimit = 512 << 20

    init(paths: CsfPaths, logger: Logger) {
        self.paths = paths
        self.logger = logger
    }

    /// Only when a CC_* setting names an ASN.
    static func plan(_ config: CsfConfig) -> Plan? {
        let url = config["CC_ASN_URL"].trimmingWhitespace()
        guard !url.isEmpty, PolicyLoader.namesAsn(config) else { return nil }
        return Plan(url: url, proxy: config["URLPROXY"].trimmingWhitespace(), intervalSeconds: max(1, config.int("CC_INTERVAL")) * 86_400)
    }

    /// A copy younger than CC_INTERVAL is kept until it is due; none, or an older one, is fetched at once.
    func configure(_ config: CsfConfig, now: Double) {
        let plan = Self.plan(config)
        if plan != self.plan {
            due = now
            if let plan, let modified = FileSystem.modificationTime(paths.lib(AsnData.file)) {
                due = Double(modified) + Double(plan.intervalSeconds)
            }
        }
        self.plan = plan
    }

    func start(now: Double, done: @escaping @Sendable (Bool) -> Void) {
        guard let plan, !inFlight, due <= now else { return }
        inFlight = true
        let (paths, logger) = (self.paths, self.logger)
        if !worker.submit({ done(Self.fetch(plan, paths: paths, logger: logger)) }) { inFlight = false }
    }

    func finished(updated: Bool, now: Double) {
        inFlight = false
        due = now + (updated ? Double(plan?.intervalSeconds ?? 86_400) : Self.retrySeconds)
    }

    func stop() { worker.shutdown(waitingUpTo: 0.5) }

    /// Downloads, decompresses, checks and writes the file; true when a new copy is in place.
    static func fetch(_ plan: Plan, paths: CsfPaths, logger: Logger) -> Bool {
        logger.info("CC: Retrieving ASN database [\(plan.url)]")
        let fail = { (reason: String) -> Bool in
            logger.error("CC Error: Unable to retrieve ASN database [\(plan.url)] - \(reason)")
            return false
        }
        var bytes: [UInt8]
        switch Download.fetch(plan.url, proxy: plan.proxy, timeoutSeconds: 300) {
        case .failure(let f): return fail(f.description)
        case .success(let body): bytes = body
        }
        if Gzip.isCompressed(bytes) {
            switch Gzip.inflate(bytes, limit: decompressedLimit) {
            case .failure(let f): return fail(f.description)
            case .success(let plain): bytes = plain
            }
        }
        guard bytes.withUnsafeBufferPointer(AsnData.looksValid) else {
            return fail("not ip2asn data (FIRST<TAB>LAST<TAB>ASN<TAB>CC<TAB>NAME lines); the last copy is kept")
        }
        let path = paths.lib(AsnData.file)
        do {
            try FileSystem.makeDirectories(FileSystem.dirname(path))
            try FileSystem.writeAtomically(path, bytes: bytes, mode: 0o644, sync: false)
        } catch {
            return fail(error.description)
        }
        logger.info("CC: ASN database retrieved: \(bytes.count) bytes")
        return true
    }
}
