#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import CsfFirewall
import Logging

/// The geo data lfd downloads, each on a worker of its own every CC_INTERVAL days: iptoasn's database when a CC_*
/// setting names an ASN (`CC_ASN_URL`, as csf's lfd does for CC_SRC 2), and the country data CC_SRC chooses when it
/// is not tor-geoipdb's — DB-IP's Lite CSV (3, `CC_DBIP_URL`) or MaxMind's GeoLite2 Country CSV zip (1 with
/// MM_LICENSE_KEY, `CC_MAXMIND_URL`, converted to `FIRST,LAST,CC` lines). Each is kept in /var/lib/csf/Geo; a new
/// copy restarts the firewall, which reads what it needs from it. A failed or damaged download keeps the last
/// copy and is tried again in an hour. And, for the ASNs, the IPFire Location database when it is installed
/// (`location dump` converted by IPFireLocation; csf reads it while there is no iptoasn copy): converted at once
/// when the conversion is missing or older than the database, which is looked at again every hour.
final class GeoDataRefresh {
    enum Dataset: Sendable, CustomStringConvertible {
        case asn, countries, locationAsn

        var description: String {
            switch self {
            case .asn: return "ASN database"
            case .countries: return "country database"
            case .locationAsn: return "IPFire Location database"
            }
        }
    }

    struct Plan: Sendable, Equatable {
        /// With `[YYYY]` and `[MM]` still in it: they are the month of each download, not of lfd's start.
        var url: String
        var proxy: String
        var intervalSeconds: Int
        /// The country source fetched; nil for the ASN data.
        var country: CountryFiles.Source?
        /// MM_LICENSE_KEY, kept out of lfd.log.
        var secret: String = ""

        /// A database on this host to convert (`url` is its path), not a download.
        var local = false

        var file: String { local ? IPFireLocation.converted : country?.downloaded ?? AsnData.file }

        /// The URL as lfd.log shows it: a licence key in it is not written out.
        var shownURL: String { redacted(url) }

        func redacted(_ text: String) -> String { secret.isEmpty ? text : text.replacing(secret, with: "[KEY]") }
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
        worker = Worker(name: dataset == .countries ? "geo" : "asn", capacity: 2)
    }

    /// Only when the settings need the data. `[KEY]` is MM_LICENSE_KEY.
    static func plan(_ dataset: Dataset, _ config: CsfConfig) -> Plan? {
        let country: CountryFiles.Source?, key: String
        switch dataset {
        case .locationAsn:
            guard PolicyLoader.namesAsn(config) else { return nil }
            return Plan(url: IPFireLocation.database, proxy: "", intervalSeconds: 3600, country: nil, local: true)
        case .asn:
            guard PolicyLoader.namesAsn(config) else { return nil }
            (country, key) = (nil, "CC_ASN_URL")
        case .countries:
            guard PolicyLoader.needsCountryData(config) else { return nil }
            switch CountryFiles.Source.chosen(by: config) {
            case .torGeoip: return nil
            case .dbip: (country, key) = (.dbip, "CC_DBIP_URL")
            case .maxmind: (country, key) = (.maxmind, "CC_MAXMIND_URL")
            }
        }
        var url = config[key].trimmingWhitespace()
        guard !url.isEmpty else { return nil }
        let secret = country == .maxmind ? config["MM_LICENSE_KEY"].trimmingWhitespace() : ""
        if !secret.isEmpty { url = url.replacing("[KEY]", with: Download.queryEscaped(secret)) }
        return Plan(url: url, proxy: config["URLPROXY"].trimmingWhitespace(), intervalSeconds: max(1, config.int("CC_INTERVAL")) * 86_400,
                    country: country, secret: secret.isEmpty ? "" : Download.queryEscaped(secret))
    }

    /// A copy younger than CC_INTERVAL is kept until it is due; none, or an older one, is fetched at once.
    func configure(_ config: CsfConfig, now: Double) {
        let plan = Self.plan(dataset, config)
        if plan != self.plan {
            due = now
            // A download is due when its copy ages out; a conversion at once (start compares it with the database).
            if let plan, !plan.local, let modified = FileSystem.modificationTime(paths.lib(plan.file)) {
                due = Double(modified) + Double(plan.intervalSeconds)
            }
        }
        self.plan = plan
    }

    func start(now: Double, done: @escaping @Sendable (Bool) -> Void) {
        guard var plan, !inFlight, due <= now else { return }
        if plan.local {
            // Converted only when the database is there and newer than the last conversion.
            guard let database = FileSystem.modificationTime(paths.path(plan.url)),
                  (FileSystem.modificationTime(paths.lib(plan.file)) ?? 0) < database else {
                due = now + Double(plan.intervalSeconds)
                return
            }
        }
        // DB-IP names its file by the month it was published: the current UTC month, at each download.
        let (year, month) = SystemTime.yearAndMonth(utcSeconds: Int(now))
        plan.url = plan.url.replacing("[YYYY]", with: String(year)).replacing("[MM]", with: month < 10 ? "0\(month)" : String(month))
        inFlight = true
        let (paths, logger, dataset, dated) = (self.paths, self.logger, self.dataset, plan)
        if !worker.submit({ done(Self.fetch(dataset, dated, paths: paths, logger: logger)) }) { inFlight = false }
    }

    func finished(updated: Bool, now: Double) {
        inFlight = false
        due = now + (updated ? Double(plan?.intervalSeconds ?? 86_400) : Self.retrySeconds)
    }

    func stop() { worker.shutdown(waitingUpTo: 0.5) }

    /// Downloads, decompresses, checks and writes the file; true when a new copy is in place.
    static func fetch(_ dataset: Dataset, _ plan: Plan, paths: CsfPaths, logger: Logger) -> Bool {
        if plan.local { return convert(plan, paths: paths, logger: logger) }
        logger.info("CC: Retrieving \(dataset) [\(plan.shownURL)]")
        let fail = { (reason: String) -> Bool in
            logger.error("CC Error: Unable to retrieve \(dataset) [\(plan.shownURL)] - \(reason)")
            return false
        }
        var bytes: [UInt8]
        switch Download.fetch(plan.url, proxy: plan.proxy, timeoutSeconds: 300) {
        case .failure(let f): return fail(plan.redacted(f.description))
        case .success(let body): bytes = body
        }
        switch plan.country == .maxmind ? maxMindRanges(bytes) : Gzip.isCompressed(bytes) ? Gzip.inflate(bytes, limit: decompressedLimit) : .success(bytes) {
        case .failure(let f): return fail(f.description)
        case .success(let plain): bytes = plain
        }
        let valid = bytes.withUnsafeBufferPointer { plan.country == nil ? AsnData.looksValid($0) : CountryData.looksValid(addresses: $0) }
        guard valid else {
            return fail("not \(plan.country == nil ? "ip2asn data (FIRST<TAB>LAST<TAB>ASN<TAB>CC<TAB>NAME lines)" : "country data (FIRST,LAST,CC lines)"); the last copy is kept")
        }
        let path = paths.lib(plan.file)
        do {
            try FileSystem.makeDirectories(FileSystem.dirname(path))
            try FileSystem.writeAtomically(path, bytes: bytes, mode: 0o644, sync: false)
        } catch {
            return fail(error.description)
        }
        logger.info("CC: \(dataset) retrieved: \(bytes.count) bytes")
        return true
    }

    /// `location dump` of the database into a scratch file beside the conversion, flattened into iptoasn's lines.
    static func convert(_ plan: Plan, paths: CsfPaths, logger: Logger) -> Bool {
        let database = paths.path(plan.url), path = paths.lib(plan.file)
        logger.info("CC: Converting the \(Dataset.locationAsn) [\(database)]")
        let started = SystemTime.monotonic
        let fail = { (reason: String) -> Bool in
            logger.error("CC Error: Unable to convert the \(Dataset.locationAsn) [\(database)] - \(reason); the last copy is kept")
            return false
        }
        let scratch = path + ".dump"
        defer { FileSystem.remove(scratch) }
        do {
            try FileSystem.makeDirectories(FileSystem.dirname(path))
        } catch {
            return fail(error.description)
        }
        let fd = open(scratch, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return fail("\(scratch): \(String(cString: strerror(errno)))") }
        let outcome = Subprocess.run([locationCommand, "--database", database, "dump"], timeout: 600, stdout: fd)
        close(fd)
        guard outcome == .exited(0) else {
            return fail("\(locationCommand) dump: \(outcome) (the location command is Debian's package location)")
        }
        let lines: [UInt8]
        do throws(IPFireLocation.Unreadable) {
            lines = try IPFireLocation.asnLines(file: scratch)
        } catch {
            return fail(error.description)
        }
        do {
            try FileSystem.writeAtomically(path, bytes: lines, mode: 0o644, sync: false)
        } catch {
            return fail(error.description)
        }
        logger.info("CC: \(Dataset.locationAsn) converted: \(lines.count) bytes in \((SystemTime.monotonic - started).twoDecimals) s")
        return true
    }

    /// Debian's `location` (the tests point NFTCSF_LOCATION at a stand-in).
    static var locationCommand: String {
        getenv("NFTCSF_LOCATION").map { String(cString: $0) } ?? "/usr/bin/location"
    }

    /// MaxMind's zip → sorted `FIRST,LAST,CC` lines.
    static func maxMindRanges(_ zip: [UInt8]) -> Result<[UInt8], Download.Failure> {
        var members: [[UInt8]] = []
        for name in [MaxMindCountries.locationsMember, MaxMindCountries.blocksV4Member, MaxMindCountries.blocksV6Member] {
            switch ZipMembers.extract(name, from: zip, limit: decompressedLimit) {
            case .failure(let f): return .failure(f)
            case .success(let data): members.append(data)
            }
        }
        do throws(MaxMindCountries.Unreadable) {
            return .success(try MaxMindCountries.ranges(locations: members[0], blocksV4: members[1], blocksV6: members[2]))
        } catch {
            return .failure(.init(description: error.description))
        }
    }
}
