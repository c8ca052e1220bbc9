#if canImport(Glibc)
import Glibc
#endif
import CNftShim
import CsfCompat
import NftRuleset

/// How many elements a set holds, counted from one netlink dump as the messages arrive: `csf -l` shows a
/// million-element set as a number instead of listing it (an interval's closing element is not counted).
/// The dump is abandoned (the socket closed) once `limit` elements are seen: each further message would make
/// the kernel walk the set from its start again.
enum SetElementCount {
    static func count(set: String, limit: Int) throws(CsfError) -> SetSize {
        var count = 0
        let ending = try NetfilterSocket.exchange("count \(set)", type: UInt8(NFT_MSG_GETSETELEM.rawValue), flags: NLM_F_REQUEST | NLM_F_DUMP,
                                                  family: UInt8(NFPROTO_INET), build: { nlh in
            mnl_attr_put_strz(nlh, UInt16(NFTA_SET_ELEM_LIST_TABLE.rawValue), CsfTableLayout.tableName)
            mnl_attr_put_strz(nlh, UInt16(NFTA_SET_ELEM_LIST_SET.rawValue), set)
        }, each: { h in
            let attributes = NetlinkAttributes(message: h, headerSize: MemoryLayout<nfgenmsg>.size)
            guard let list = attributes[NFTA_SET_ELEM_LIST_ELEMENTS.rawValue] else { return true }
            NetlinkAttributes.forEachNested(list) { element in
                let flags = NetlinkAttributes(nested: element).be32(NFTA_SET_ELEM_FLAGS.rawValue) ?? 0
                if flags & NFT_SET_ELEM_INTERVAL_END.rawValue == 0 { count += 1 }
            }
            return count < limit
        })
        switch ending {
        case .stopped: return SetSize(count: limit, exact: false)
        case .done(0): return SetSize(count: count)
        case .done(let code): throw .kernel(operation: "count \(set)", message: String(cString: strerror(-code)))
        }
    }
}
