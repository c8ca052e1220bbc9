#if canImport(Glibc)
import Glibc
#endif
import CNftShim
import CsfCompat
import NftRuleset

/// A message's plain elements (addresses, networks and ranges with no timeout, comment or value) written into the
/// batch with libmnl: the attributes `nftnl_set_elems_nlmsg_build_payload` writes, in its order, without a libnftnl
/// object and two key arrays per element (a million-address refresh built and freed millions of them on the
/// thread that also feeds the kernel). `NetlinkKeyTests` holds the two paths to the same bytes. Anything else
/// goes through libnftnl.
enum DirectElementPayload {
    static func covers(_ elements: ArraySlice<SetChange.Element>, timeouts: Bool) -> Bool {
        elements.allSatisfy { element in
            NetlinkSetWriter.addressBounds(element.key) != nil
                && (!timeouts || (element.timeoutMs == nil && (element.comment ?? "").isEmpty))
        }
    }

    /// Only for elements `covers` accepts.
    static func write(_ nlh: UnsafeMutablePointer<nlmsghdr>, table: String, set: String,
                      _ elements: ArraySlice<SetChange.Element>) {
        mnl_attr_put_strz(nlh, UInt16(NFTA_SET_ELEM_LIST_SET.rawValue), set)
        mnl_attr_put_strz(nlh, UInt16(NFTA_SET_ELEM_LIST_TABLE.rawValue), table)
        // No list at all, not an empty one: a deletion without a list is a flush of the set.
        guard !elements.isEmpty else { return }
        let list = mnl_attr_nest_start(nlh, UInt16(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue))
        // libnftnl numbers the list's entries from 1 (the kernel reads them in order, whatever their type).
        var index: UInt16 = 0
        for element in elements {
            guard let bounds = NetlinkSetWriter.addressBounds(element.key) else { continue }
            put(nlh, &index, bounds.start, intervalEnd: false)
            if let end = bounds.end { put(nlh, &index, end, intervalEnd: true) }
        }
        mnl_attr_nest_end(nlh, list)
    }

    private static func put(_ nlh: UnsafeMutablePointer<nlmsghdr>, _ index: inout UInt16, _ address: IPAddress, intervalEnd: Bool) {
        index &+= 1
        let element = mnl_attr_nest_start(nlh, index)
        if intervalEnd {
            mnl_attr_put_u32(nlh, UInt16(NFTA_SET_ELEM_FLAGS.rawValue), NFT_SET_ELEM_INTERVAL_END.rawValue.bigEndian)
        }
        let key = mnl_attr_nest_start(nlh, UInt16(NFTA_SET_ELEM_KEY.rawValue))
        switch address {
        case .v4(let value):
            var bytes = value.bigEndian
            mnl_attr_put(nlh, UInt16(NFTA_DATA_VALUE.rawValue), 4, &bytes)
        case .v6(let hi, let lo):
            var bytes = (hi.bigEndian, lo.bigEndian)
            mnl_attr_put(nlh, UInt16(NFTA_DATA_VALUE.rawValue), 16, &bytes)
        }
        mnl_attr_nest_end(nlh, key)
        mnl_attr_nest_end(nlh, element)
    }
}
