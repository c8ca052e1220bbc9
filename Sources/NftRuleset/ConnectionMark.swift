import CsfCompat

/// CT_MARK_FASTPATH: an established connection whose packets passed every allow/deny check since the lists last
/// changed carries that generation in its conntrack mark, and its later packets are accepted on one lookup
/// instead of walking every deny set, blocklist and country set. Any change to a set over netlink (a ban, an
/// unban, a list refresh) replaces the generation in the same batch, and every table load declares a new one,
/// so the next packet of each connection is checked again: a new ban still cuts a live connection at once.
///
/// The generation is random and never 0 (an unmarked connection). A stale connection could only pass if its old
/// mark equalled the new generation, one chance in 2^32 per change. nftcsf owns the whole 32-bit ct mark while
/// this is on.
public struct ConnectionMark: Sendable, Equatable {
    public var generation: UInt32

    public init(generation: UInt32) {
        precondition(generation != 0, "generation 0 is every unmarked connection")
        self.generation = generation
    }

    public static func fresh() -> ConnectionMark {
        ConnectionMark(generation: UInt32.random(in: 1...UInt32.max))
    }

    /// The generation connections are checked against (type mark, one element).
    public static let checkedSet = "conn_checked"
    /// `ct state : mark`, established and related both mapping to the generation: how a rule writes a value it
    /// does not hold itself.
    public static let markMap = "conn_mark"

    /// conntrack's ct state bits as the kernel compares them (host order).
    static let established: UInt32 = 1 << 1
    static let related: UInt32 = 1 << 2

    /// What a netlink batch appends to move every connection to a new generation.
    public func changes() -> [SetChange] {
        [SetChange(.flush, set: Self.checkedSet),
         SetChange(.add, set: Self.checkedSet, elements: [SetChange.Element(.scalar(generation, data: nil))]),
         SetChange(.flush, set: Self.markMap),
         SetChange(.add, set: Self.markMap, elements: [SetChange.Element(.scalar(Self.established, data: generation)),
                                                     SetChange.Element(.scalar(Self.related, data: generation))])]
    }

    var hex: String {
        let digits = String(generation, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// The set and the map as nft declares them inside the table.
    func declarations() -> String {
        "\tset \(Self.checkedSet) {\n\t\ttype mark\n\t\tcomment \"CT_MARK_FASTPATH: the current list generation\"\n"
            + "\t\telements = { \(hex) }\n\t}\n"
            + "\tmap \(Self.markMap) {\n\t\ttype ct_state : mark\n\t\tcomment \"CT_MARK_FASTPATH: the mark a checked connection gets\"\n"
            + "\t\telements = { established : \(hex), related : \(hex) }\n\t}\n"
    }
}
