import CsfCompat

/// CT_MARK_FASTPATH: a connection whose packets passed every allow/deny check since the lists last changed carries
/// that generation in its conntrack mark, and its later packets are accepted on one lookup instead of walking every
/// deny set, blocklist and country set. Each direction is checked on its own (an entry can deny one direction only):
/// the mark is the generation (its upper 30 bits) with bit 0 set once an inbound packet passed ESTABLISHEDIN and
/// bit 1 once an outbound packet passed LOCALOUTPUT. Any change to a set over netlink (a ban, an unban, a list
/// refresh) replaces the generation in the same batch, and every table load declares a new one, so the next packet
/// of each connection is checked again: a new ban still cuts a live connection at once.
///
/// The generation is random and never 0 (an unmarked connection). A stale connection could only pass if its old
/// mark held the new generation, one chance in 2^30 per change. nftcsf owns the whole 32-bit ct mark while this
/// is on.
public struct ConnectionMark: Sendable, Equatable {
    /// The upper 30 bits; the two low bits are the directions.
    public var generation: UInt32

    public static let inbound: UInt32 = 1
    public static let outbound: UInt32 = 2
    static let directions: UInt32 = 3

    public init(generation: UInt32) {
        precondition(generation != 0 && generation & Self.directions == 0, "a generation is non-zero with its two low bits clear")
        self.generation = generation
    }

    public static func fresh() -> ConnectionMark {
        ConnectionMark(generation: UInt32.random(in: 1...(UInt32.max >> 2)) << 2)
    }

    /// The marks that let a packet through: the generation with the inbound bit, or with the outbound bit (each
    /// direction masks the other's bit out before the lookup).
    public static let checkedSet = "conn_checked"
    /// The generation alone: whether a connection's mark is of this generation.
    public static let generationSet = "conn_gen"
    /// `ct state : mark`, established and related both mapping to the generation: how a rule writes a value it
    /// does not hold itself.
    public static let markMap = "conn_mark"

    /// conntrack's ct state bits as the kernel compares them (host order).
    static let established: UInt32 = 1 << 1
    static let related: UInt32 = 1 << 2

    /// What a netlink batch appends to move every connection to a new generation.
    public func changes() -> [SetChange] {
        [SetChange(.flush, set: Self.checkedSet),
         SetChange(.add, set: Self.checkedSet, elements: [SetChange.Element(.scalar(generation | Self.inbound, data: nil)),
                                                         SetChange.Element(.scalar(generation | Self.outbound, data: nil))]),
         SetChange(.flush, set: Self.generationSet),
         SetChange(.add, set: Self.generationSet, elements: [SetChange.Element(.scalar(generation, data: nil))]),
         SetChange(.flush, set: Self.markMap),
         SetChange(.add, set: Self.markMap, elements: [SetChange.Element(.scalar(Self.established, data: generation)),
                                                     SetChange.Element(.scalar(Self.related, data: generation))])]
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    var hex: String { Self.hex(generation) }

    /// The sets and the map as nft declares them inside the table.
    func declarations() -> String {
        "\tset \(Self.checkedSet) {\n\t\ttype mark\n\t\tcomment \"CT_MARK_FASTPATH: the generation with a checked direction\"\n"
            + "\t\telements = { \(Self.hex(generation | Self.inbound)), \(Self.hex(generation | Self.outbound)) }\n\t}\n"
            + "\tset \(Self.generationSet) {\n\t\ttype mark\n\t\tcomment \"CT_MARK_FASTPATH: the current list generation\"\n"
            + "\t\telements = { \(hex) }\n\t}\n"
            + "\tmap \(Self.markMap) {\n\t\ttype ct_state : mark\n\t\tcomment \"CT_MARK_FASTPATH: the mark a checked connection gets\"\n"
            + "\t\telements = { established : \(hex), related : \(hex) }\n\t}\n"
    }

    /// The first rule of INPUT or OUTPUT: an established packet whose connection was checked in this direction
    /// since the lists last changed.
    static func accept(inbound: Bool) -> NftRule {
        let other = inbound ? Self.outbound : Self.inbound
        return NftRule([.ctState([.established]), .ctMark(mask: ~other, set: checkedSet, negated: false)], [], .accept,
                       comment: "CT_MARK_FASTPATH: checked since the lists last changed")
    }

    /// Where a direction's checks end: a mark of an older generation is replaced by this one, then the
    /// direction's bit is set.
    static func record(inbound: Bool, matches: [NftMatch] = []) -> [NftRule] {
        [NftRule(matches + [.ctMark(mask: ~directions, set: generationSet, negated: true)], [.ctMarkSetFromState(markMap)], nil,
                 comment: "CT_MARK_FASTPATH: a new generation"),
         NftRule(matches, [.ctMarkOr(inbound ? Self.inbound : Self.outbound)], nil,
                 comment: inbound ? "CT_MARK_FASTPATH: inbound checked" : "CT_MARK_FASTPATH: outbound checked")]
    }
}
