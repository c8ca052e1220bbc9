import CsfCompat
import CsfFirewall
import Logging

/// The geo data lfd downloads, each on a worker of its own every CC_INTERVAL days: iptoasn's database when a CC_*
/// setting names an ASN (`CC_ASN_URL`, as csf's lfd does for CC_SRC 2), and DB-IP's country CSV when CC_SRC is 3
/// (`CC_DBIP_URL`). Each is kept decompressed in /var/lib/csf/Geo; a new copy restarts the firewall, which reads
/// what it needs from it. A failed or damaged download keeps the last copy and is tried again in an hour.
final class GeoDataRefresh {
    enum Dataset: Sendable, CustomStringConvertible {
        case asn, countries

        var description: String { self == .asn ? "ASN database" : "country database" }
        var file: String { self == .asn ? AsnData.file : CountryData.dbipFile }
        var urlKey: String { self == .asn ? "CC_ASN_URL" : "CC_DBIP_URL" }

        func needed(_ config: CsfConfig) -> Bool {
            switch self {
            case .asn: return PolicyLoader.namesAsn(config)
            case .countries: return CountryFiles.Source.chosen(by: config) == .dbip && PolicyLoader.needsCountryData(config)
            }
        }

        func looksValid(_ data: UnsafeBufferPointer<UInt8>) -> Bool {
            self == .asn ? AsnData.looksValid(data) : CountryData.looksValid(addresses: data)
        }

        var expected: String {
            self == .asn ? "ip2asn data (FIRST<TAB>LAST<TAB>ASN<TAB>CC<TAB>NAME lines)" : "country data (FIRST,LAST,CC lines)"
        }
    }

    struct Plan: Sendable, Equatable {
        var url: String
        var proxy: String
        var intervalSeconds: Int
    }

    let dataset: Dataset
    private(set) var plan: Plan?
    private var due: Double = 0
    private var inFlight = false
    private let worker: Worker
    private let paths: CsfPaths
    private let logger: Logger

    static let retrySeconds = 3600.0
    /// The ASN file is about 30 MB decompressed, DB-IP's about 25 MB.
    static let decompressedLimit = 512 << 20

    init(_ dataset: Dataset, paths: CsfPaths, logger: Logger) {
        self.dataset = dataset
        self.paths = paths
        self.logger = logger
        worker = Worker(name: dataset == .asn ? "asn" : "geo", capacity: 2)
    }

    /// Only when the settings need the data. DB-IP's `[YYYY]` and `[MM]` are the current UTC year and month.
    static func plan(_ dataset: Dataset, _ config: CsfConfig, now: Double) -> Plan? {
        var url = config[dataset.urlKey].trimmingWhitespace()
        guard !url.isEmpty, dataset.needed(config) else { return nil }
        let (year, month) = SystemTime.yearAndMonth(utcSeconds: Int(now))
        url = url.replacing("[YYYY]", with: String(year)).replacing("[MM]", with: month < 10 ? "0\(month)" : String(month))
        return Plan(url: url, proxy: config["URLPROXY"].trimmingWhitespace(), intervalSeconds: max(1, config.int("CC_INTERVAL")) * 86_400)
    }

    /// A copy younger than CC_INTERVAL is kept until it is due; none, or an older one, is fetched at once.
    func configure(_ config: CsfConfig, now: Double) {
        let plan = Self.plan(dataset, config, now: now)
        if plan != self.plan {
            due = now
            if let plan, let modified = FileSystem.modificationTime(paths.lib(dataset.file)) {
                due = Double(modified) + Double(plan.intervalSeconds)
            }
        }
        self.plan = plan
    }

    func start(now: Double, done: @escaping @Sendable (Bool) -> Void) {
        guard let plan, !inFlight, due <= now else { return }
        inFlight = true
        let (paths, logger, dataset) = (self.paths, self.logger, self.dataset)
        if !worker.submit({ done(Self.fetch(dataset, plan, paths: paths, logger: logger)) }) { inFlight = false }
    }

    func finished(updated: Bool, now: Double) {
        inFlight = false
        due = now + (updated ? Double(plan?.intervalSeconds ?? 86_400) : Self.retrySeconds)
    }

    func stop() { worker.shutdown(waitingUpTo: 0.5) }

    /// Downloads, decompresses, checks and writes the file; true when a new copy is in place.
    static func fetch(_ dataset: Dataset, _ plan: Plan, paths: CsfPaths, logger: Logger) -> Bool {
        logger.info("CC: Retrieving \(dataset) [\(plan.url)]")
        let fail = { (reason: String) -> Bool in
            logger.error("CC Error: Unable to retrieve \(dataset) [\(plan.url)] - \(reason)")
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
        guard bytes.withUnsafeBufferPointer(dataset.looksValid) else {
            return fail("not \(dataset.expected); the last copy is kept")
        }
        let path = paths.lib(dataset.file)
        do {
            try FileSystem.makeDirectories(FileSystem.dirname(path))
            try FileSystem.writeAtomically(path, bytes: bytes, mode: 0o644, sync: false)
        } catch {
            return fail(error.description)
        }
        logger.info("CC: \(dataset) retrieved: \(bytes.count) bytes")
        return true
    }
}
