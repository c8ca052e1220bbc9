import CsfCompat

/// A change to the elements of one set of the running table: what a single list edit (or lfd's ban) sends to
/// the kernel instead of replacing the table.
public struct SetChange: Sendable {
    /// `deleteIfPresent` also succeeds when the element is already gone (expired, or never loaded);
    /// `addExclusive` fails with EEXIST when it is there (how a repair finds out whether anything was missing);
    /// `flush` empties the set.
    public enum Operation: Sendable, Equatable { case add, addExclusive, delete, deleteIfPresent, flush }

    /// What an element is keyed on, matching the set's type.
    public enum Key: Sendable, Hashable {
        /// A plain address in a hash set.
        case address(IPAddress)
        /// A network in an interval set.
        case network(IPNetwork)
        /// A range `first-last` in an interval set.
        case range(AddressRange)
        /// `addr . inet_proto . inet_service` in a concatenated interval set.
        case port(IPNetwork, proto: IPProtocol, port: UInt16)
        /// A 32-bit value in host order (a `mark` or `ct_state` key), with a map's value when `data` is set.
        case scalar(UInt32, data: UInt32?)
    }

    public struct Element: Sendable, Hashable {
        public var key: Key
        /// Milliseconds; nil means no timeout of its own (the set's default, or permanent).
        public var timeoutMs: UInt64?
        public var comment: String?

        public init(_ key: Key, timeoutMs: UInt64? = nil, comment: String? = nil) {
            self.key = key
            self.timeoutMs = timeoutMs
            self.comment = comment
        }

        public init(_ address: IPAddress, timeoutMs: UInt64? = nil, comment: String? = nil) {
            self.init(.address(address), timeoutMs: timeoutMs, comment: comment)
        }
    }

    public var operation: Operation
    public var table: String
    public var set: String
    public var elements: [Element]

    public init(_ operation: Operation, table: String = CsfTableLayout.tableName, set: String, elements: [Element] = []) {
        self.operation = operation
        self.table = table
        self.set = set
        self.elements = elements
    }

    /// Nothing to send: no elements and not a flush.
    public var isEmpty: Bool { elements.isEmpty && operation != .flush }
}
