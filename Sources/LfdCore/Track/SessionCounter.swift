/// Processes per session, kept up to date from the kernel's process events (fork, setsid, exit), so a session
/// growing into a fork bomb is noticed on the fork that makes it one, without reading /proc.
public struct SessionCounter: Sendable {
    private var sessionOf: [Int32: Int32] = [:]
    private var counts: [Int32: Int] = [:]

    public init() {}

    public var processCount: Int { sessionOf.count }

    public func session(of pid: Int32) -> Int32? { sessionOf[pid] }

    public func count(_ sid: Int32) -> Int { counts[sid] ?? 0 }

    /// Records a process; returns how many its session now has.
    @discardableResult
    public mutating func add(_ pid: Int32, session sid: Int32) -> Int {
        if let old = sessionOf[pid] { decrement(old) }
        sessionOf[pid] = sid
        counts[sid, default: 0] += 1
        return counts[sid] ?? 0
    }

    /// setsid(2): the process leads a session of its own.
    public mutating func startedSession(_ pid: Int32) {
        guard sessionOf[pid] != nil else { return }
        add(pid, session: pid)
    }

    public mutating func remove(_ pid: Int32) {
        guard let sid = sessionOf.removeValue(forKey: pid) else { return }
        decrement(sid)
    }

    public func members(_ sid: Int32) -> [Int32] {
        sessionOf.compactMap { $0.value == sid ? $0.key : nil }.sorted()
    }

    public mutating func removeAll() {
        sessionOf.removeAll()
        counts.removeAll()
    }

    private mutating func decrement(_ sid: Int32) {
        let left = (counts[sid] ?? 1) - 1
        counts[sid] = left > 0 ? left : nil
    }
}
