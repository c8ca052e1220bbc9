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
    static func find(set: String, key: [UInt8], keyEnd: [UInt8]? = nil) throws(CsfError) -> [UInt8]? {
        let operation = "look up \(set)"
        let nl = try NetfilterSocket.open(operation, flags: Int32(SOCK_CLOEXEC.rawValue))
        defer { mnl_socket_close(nl) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let sequence = UInt32(truncatingIfNeeded: time(nil))
        let sent = buffer.withUnsafeMutableBytes { raw -> Bool in
            guard let nlh = NetfilterSocket.request(in: raw.baseAddress, type: UInt16(NFNL_SUBSYS_NFTABLES << 8) | UInt16(NFT_MSG_GETSETELEM.rawValue),
                                                    flags: NLM_F_REQUEST | NLM_F_ACK, sequence: sequence, family: UInt8(NFPROTO_INET)) else { return false }
            mnl_attr_put_strz(nlh, UInt16(NFTA_SET_ELEM_LIST_TABLE.rawValue), CsfTableLayout.tableName)
            mnl_attr_put_strz(nlh, UInt16(NFTA_SET_ELEM_LIST_SET.rawValue), set)
            let list = mnl_attr_nest_start(nlh, UInt16(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue))
            let element = mnl_attr_nest_start(nlh, UInt16(NFTA_LIST_ELEM.rawValue))
            put(nlh, NFTA_SET_ELEM_KEY.rawValue, key)
            if let keyEnd { put(nlh, NFTA_SET_ELEM_KEY_END.rawValue, keyEnd) }
            mnl_attr_nest_end(nlh, element)
            mnl_attr_nest_end(nlh, list)
            return mnl_socket_sendto(nl, nlh, Int(nlh.pointee.nlmsg_len)) >= 0
        }
        guard sent else { throw .kernel(operation: operation, message: String(cString: strerror(errno))) }
        var found: [UInt8]?
        while true {
            let n = buffer.withUnsafeMutableBytes { mnl_socket_recvfrom(nl, $0.baseAddress, $0.count) }
            guard n > 0 else { throw .kernel(operation: operation, message: String(cString: strerror(errno))) }
            var failure: Int32?
            buffer.withUnsafeBytes { raw in
                NetfilterSocket.forEachMessage(raw, count: n) { h in
                    if h.pointee.nlmsg_type == UInt16(NLMSG_ERROR) || h.pointee.nlmsg_type == UInt16(NLMSG_DONE) {
                        failure = h.pointee.nlmsg_type == UInt16(NLMSG_ERROR)
                            ? mnl_nlmsg_get_payload(h).assumingMemoryBound(to: nlmsgerr.self).pointee.error : 0
                        return false
                    }
                    let attributes = NetlinkAttributes(message: h, headerSize: MemoryLayout<nfgenmsg>.size)
                    guard let list = attributes[NFTA_SET_ELEM_LIST_ELEMENTS.rawValue] else { return true }
                    NetlinkAttributes.forEachNested(list) { element in
                        let key = NetlinkAttributes(nested: element).nested(NFTA_SET_ELEM_KEY.rawValue)
                        if let value = key?.bytes(NFTA_DATA_VALUE.rawValue) { found = Array(value) }
                    }
                    return true
                }
            }
            switch failure {
            case nil: continue
            case 0: return found
            case -ENOENT: return nil
            case let code?: throw .kernel(operation: operation, message: String(cString: strerror(-code)))
            }
        }
    }

    private static func put(_ nlh: UnsafeMutablePointer<nlmsghdr>, _ type: UInt32, _ value: [UInt8]) {
        let nest = mnl_attr_nest_start(nlh, UInt16(type))
        value.withUnsafeBytes { mnl_attr_put(nlh, UInt16(NFTA_DATA_VALUE.rawValue), $0.count, $0.baseAddress) }
        mnl_attr_nest_end(nlh, nest)
    }
}
