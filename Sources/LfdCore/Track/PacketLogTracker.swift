import CsfCompat

/// lfd's checks on logged packets (reference §6.9), fed from the firewall's NFLOG group: port scans
/// (PS_*), UID tracking (UID_*) and port-knocking alerts. Counters live in buckets that are reset wholesale
/// every interval, as csf's are (not sliding windows).
public struct PacketLogTracker: Sendable {
    /// A PS_PORTS / UID_PORTS list: port ranges plus csf's special words.
    public struct PortFilter: Sendable {
        public var ranges: [PortRange] = []
        public var words: Set<String> = []

        public init(_ text: String) {
            for item in text.split(separator: ",").map({ String($0).trimmingWhitespace().uppercased() }) where !item.isEmpty {
                if let r = try? PortList.parse(item) { ranges += r } else { words.insert(item) }
            }
        }

        /// csf compares the ICMP "port" numerically as 0, so ICMP counts with the word or a range from 0.
        public func counts(_ port: UInt16?) -> Bool {
            guard let port else { return words.contains("ICMP") || PortList.contains(ranges, 0) }
            return PortList.contains(ranges, port)
        }
    }

    public struct Settings: Sendable {
        public var psInterval = 0, psLimit = 10, psDiversity = 1, psBlockTime = 3600
        public var psPermanent = false
        public var psPorts = PortFilter("0:65535,ICMP")
        public var uidInterval = 0, uidLimit = 10
        public var uidPorts = PortFilter("0:65535,ICMP")
        public var uidIgnore: Set<UInt32> = []
        public var knockAlert = false
        /// TCP_IN/UDP_IN (and the IPv6 lists): hits on open ports are not scans unless PS_PORTS says OPEN.
        public var openTCP: [PortRange] = [], openUDP: [PortRange] = []

        public init() {}

        public init(config: CsfConfig, uidIgnore: Set<UInt32>) {
            let ps = config.int("PS_INTERVAL")
            psInterval = ps > 0 ? max(60, ps) : 0
            psLimit = config.int("PS_LIMIT")
            psDiversity = config.int("PS_DIVERSITY")
            psBlockTime = config.int("PS_BLOCK_TIME")
            psPermanent = config.bool("PS_PERMANENT")
            psPorts = PortFilter(config["PS_PORTS"])
            let uid = config.int("UID_INTERVAL")
            uidInterval = uid > 0 ? max(60, uid) : 0
            uidLimit = config.int("UID_LIMIT")
            uidPorts = PortFilter(config["UID_PORTS"])
            self.uidIgnore = uidIgnore
            knockAlert = config.bool("PORTKNOCKING_ALERT")
            openTCP = config.ports("TCP_IN") + config.ports("TCP6_IN")
            openUDP = config.ports("UDP_IN") + config.ports("UDP6_IN")
        }

        public var wantsPackets: Bool { psInterval > 0 || uidInterval > 0 || knockAlert }
    }

    public enum Event: Sendable {
        case portScan(FailureTracker.Block)
        case uidScan(uid: UInt32, count: Int, ports: [UInt16])
        case knockOpened(port: UInt16, ip: IPAddress)
    }

    struct Scan: Sendable {
        var hits = 0
        var ports: Set<UInt16> = []
        var lines: [String] = []
    }

    public var settings: Settings
    private var scanBucket = 0
    private var scans: [IPAddress: Scan] = [:]
    private var uidBucket = 0
    private var uids: [UInt32: (count: Int, ports: Set<UInt16>, reported: Bool)] = [:]
    /// Bounds memory under a spoofed-source flood; a full table waits for the next bucket.
    let capacity: Int

    public init(settings: Settings, capacity: Int = 100_000) {
        self.settings = settings
        self.capacity = capacity
    }

    /// The kernel-log text csf's parser read, rebuilt for alerts and BLOCK_REPORT.
    static func line(_ p: LoggedPacket) -> String {
        let proto = p.proto == 6 ? "TCP" : p.proto == 17 ? "UDP" : p.proto == 1 ? "ICMP" : p.proto == 58 ? "ICMPv6" : String(p.proto)
        let port = p.destinationPort.map { " DPT=\($0)" } ?? ""
        let uid = p.uid.map { " UID=\($0)" } ?? ""
        return "\(p.prefix)SRC=\(p.source) DST=\(p.destination) PROTO=\(proto)\(port)\(uid)"
    }

    public mutating func record(_ p: LoggedPacket, now: Int, isLocal: (IPAddress) -> Bool, ignores: (IPAddress) -> Bool) -> Event? {
        if p.prefix.hasPrefix("Knock: ") {
            guard settings.knockAlert, let tag = p.tag, tag.hasSuffix("_IN"), let port = UInt16(tag.dropLast(3)) else { return nil }
            return .knockOpened(port: port, ip: p.source)
        }
        guard p.prefix.hasPrefix("Firewall: "), let tag = p.tag else { return nil }
        if p.inbound { return scan(p, tag: tag, now: now, isLocal: isLocal, ignores: ignores) }
        return uidTrack(p, now: now)
    }

    private mutating func scan(_ p: LoggedPacket, tag: Substring, now: Int, isLocal: (IPAddress) -> Bool,
                               ignores: (IPAddress) -> Bool) -> Event? {
        let s = settings
        guard s.psInterval > 0 else { return nil }
        if now - scanBucket >= s.psInterval {
            scanBucket = now
            scans.removeAll(keepingCapacity: true)
        }
        if tag.hasPrefix("INV"), !s.psPorts.words.contains("INVALID") { return nil }
        if p.proto == 17, !isLocal(p.destination), !s.psPorts.words.contains("BRD") { return nil }
        if !s.psPorts.words.contains("OPEN"), let port = p.destinationPort {
            let open = p.proto == 6 ? s.openTCP : p.proto == 17 ? s.openUDP : []
            if tag.hasSuffix("IN Blocked"), PortList.contains(open, port) { return nil }
        }
        guard s.psPorts.counts(p.destinationPort), !ignores(p.source) else { return nil }
        guard scans[p.source] != nil || scans.count < capacity else { return nil }
        var record = scans[p.source, default: Scan()]
        record.hits += 1
        record.ports.insert(p.destinationPort ?? 0)
        if record.lines.count < 30 { record.lines.append(Self.line(p)) }
        scans[p.source] = record
        guard record.hits > s.psLimit, s.psDiversity <= 1 || record.ports.count >= s.psDiversity else { return nil }
        scans[p.source] = nil
        let elapsed = max(1, now - scanBucket)
        var block = FailureTracker.Block(ip: p.source, apps: [], text: "Port Scan", hits: record.hits, trigger: "PS_LIMIT",
                                         seconds: s.psPermanent ? nil : s.psBlockTime, ports: nil, interval: elapsed)
        block.lines = record.lines
        let (source, hits) = (p.source, record.hits)
        block.customMessage = { note in "*Port Scan* detected from \(source) \(note(source)). \(hits) hits in the last \(elapsed) seconds" }
        return .portScan(block)
    }

    private mutating func uidTrack(_ p: LoggedPacket, now: Int) -> Event? {
        let s = settings
        guard s.uidInterval > 0, let uid = p.uid, !s.uidIgnore.contains(uid), s.uidPorts.counts(p.destinationPort) else { return nil }
        if now - uidBucket >= s.uidInterval {
            uidBucket = now
            uids.removeAll(keepingCapacity: true)
        }
        var entry = uids[uid] ?? (0, [], false)
        entry.count += 1
        entry.ports.insert(p.destinationPort ?? 0)
        defer { uids[uid] = entry }
        guard entry.count > s.uidLimit, !entry.reported else { return nil }
        entry.reported = true
        return .uidScan(uid: uid, count: entry.count, ports: entry.ports.sorted())
    }
}
