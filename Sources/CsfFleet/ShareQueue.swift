import CsfCompat
import Synchronization

/// lfd's own blocks waiting to go to the fleet (CLUSTER_BLOCK): filled from lfd's pipe, emptied by the follower
/// while it is connected, kept (up to a bound) while the database is away.
public final class ShareQueue: Sendable {
    private let items = Mutex<[Decision]>([])
    static let bound = 100_000

    public init() {}

    public func add(_ d: Decision) {
        items.withLock { if $0.count < Self.bound { $0.append(d) } }
    }

    func take() -> [Decision] { items.withLock { q in defer { q.removeAll() }; return q } }

    /// A batch that could not be written goes back in front of what came since.
    func putBack(_ ds: [Decision]) { items.withLock { $0.insert(contentsOf: ds, at: 0) } }

    /// One line from lfd: `action TAB target TAB ttl TAB ports TAB direction TAB reason` (see lfd's FleetChild).
    public static func parse(_ line: Substring, now: Int) -> Decision? {
        let f = line.split(separator: "\t", maxSplits: 5, omittingEmptySubsequences: false)
        guard f.count == 6, let action = Decision.Action(rawValue: String(f[0])), action == .deny || action == .tempdeny,
              let ttl = Int(f[2]), let direction = TempEntry.Direction(rawValue: String(f[4])) else { return nil }
        let d = Decision(action: action, target: String(f[1]), ports: String(f[3]), direction: direction,
                         expires: action == .tempdeny ? now + ttl : nil, reason: String(f[5]))
        return try? d.validated()
    }
}
