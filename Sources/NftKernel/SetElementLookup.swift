#if canImport(Glibc)
import Glibc
#endif
import CNftShim
import CsfCompat
import NftRuleset

/// Whether a set holds a key, asked of the kernel directly (NFT_MSG_GETSETELEM without a dump): one lookup in
/// the set's own structure. `nft get element` loads every element of every set into its cache first, 20 s per
/// call beside a million-address csf.deny.
enum SetElementLookup {
    /// The key of the element holding `key`, nil when none does. In an interval set the kernel answers with the
    /// start of the interval that contains `key`.
    /// Asked on `socket` when given (a kept one: a fresh socket's close can wait for the kernel's frees).
    static func find(set: String, key: [UInt8], keyEnd: [UInt8]? = nil, on socket: OpaquePointer? = nil) throws(CsfError) -> [UInt8]? {
        var found: [UInt8]?
        let ending = try NetfilterSocket.exchange("look up \(set)", type: UInt8(NFT_MSG_GETSETELEM.rawValue), flags: NLM_F_REQUEST | NLM_F_ACK,
                                                  family: UInt8(NFPROTO_INET), on: socket, build: { nlh in
            mnl_attr_put_strz(nlh, UInt16(NFTA_SET_ELEM_LIST_TABLE.rawValue), CsfTableLayout.tableName)
            mnl_attr_put_strz(nlh, UInt16(NFTA_SET_ELEM_LIST_SET.rawValue), set)
            let list = mnl_attr_nest_start(nlh, UInt16(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue))
            let element = mnl_attr_nest_start(nlh, UInt16(NFTA_LIST_ELEM.rawValue))
            put(nlh, NFTA_SET_ELEM_KEY.rawValue, key)
            if let keyEnd { put(nlh, NFTA_SET_ELEM_KEY_END.rawValue, keyEnd) }
            mnl_attr_nest_end(nlh, element)
            mnl_attr_nest_end(nlh, list)
        }, each: { h in
            let attributes = NetlinkAttributes(message: h, headerSize: MemoryLayout<nfgenmsg>.size)
            guard let list = attributes[NFTA_SET_ELEM_LIST_ELEMENTS.rawValue] else { return true }
            NetlinkAttributes.forEachNested(list) { element in
                let key = NetlinkAttributes(nested: element).nested(NFTA_SET_ELEM_KEY.rawValue)
                if let value = key?.bytes(NFTA_DATA_VALUE.rawValue) { found = Array(value) }
            }
            return true
        })
        switch ending {
        case .done(0), .stopped: return found
        case .done(-ENOENT): return nil
        case .done(let code): throw .kernel(operation: "look up \(set)", message: String(cString: strerror(-code)))
        }
    }

    private static func put(_ nlh: UnsafeMutablePointer<nlmsghdr>, _ type: UInt32, _ value: [UInt8]) {
        let nest = mnl_attr_nest_start(nlh, UInt16(type))
        value.withUnsafeBytes { mnl_attr_put(nlh, UInt16(NFTA_DATA_VALUE.rawValue), $0.count, $0.baseAddress) }
        mnl_attr_nest_end(nlh, nest)
    }
}
