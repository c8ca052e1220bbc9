/// How many elements a set of the running table holds, as `csf -l` shows it.
///
/// The kernel has no element count to ask for: it has to be dumped, and nf_tables restarts its walk from the
/// first element for every 32 KiB message of a dump, so counting a million elements costs 20 s of kernel time.
/// Counting stops at `SetSize.countLimit`; a bigger set is shown as "at least" that many.
public struct SetSize: Codable, Equatable, Sendable {
    public static let countLimit = 65_536

    public var count: Int
    /// False when counting stopped at the limit: the set holds `count` elements or more.
    public var exact: Bool

    public init(count: Int, exact: Bool = true) {
        self.count = count
        self.exact = exact
    }

    /// "1 element", "3 elements", "65536 or more elements".
    public var description: String {
        exact ? "\(count) element\(count == 1 ? "" : "s")" : "\(count) or more elements"
    }
}
