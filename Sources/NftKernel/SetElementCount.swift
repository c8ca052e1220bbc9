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
        let nl = try NetfilterSocket.open("count \(set)", flags: Int32(SOCK_CLOEXEC.rawValue))
        defer { mnl_socket_close(nl) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let sequence = UInt32(truncatingIfNeeded: time(nil))
        let sent = buffer.withUnsafeMutableBytes { raw -> Bool in
            guard let nlh = NetfilterSocket.request(in: raw.baseAddress, type: UInt16(NFNL_SUBSYS_NFTABLES << 8) | UInt16(NFT_MSG_GETSETELEM.rawValue),
                                                    flags: NLM_F_REQUEST | NLM_F_DUMP, sequence: sequence, family: UInt8(NFPROTO_INET)) else { return false }
            mnl_attr_put_strz(nlh, UInt16(NFTA_SET_ELEM_LIST_TABLE.rawValue), CsfTableLayout.tableName)
            mnl_attr_put_strz(nlh, UInt16(NFTA_SET_ELEM_LIST_SET.rawValue), set)
            return mnl_socket_sendto(nl, nlh, Int(nlh.pointee.nlmsg_len)) >= 0
        }
        guard sent else { throw .kernel(operation: "count \(set)", message: String(cString: strerror(errno))) }
        var count = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { mnl_socket_recvfrom(nl, $0.baseAddress, $0.count) }
            guard n > 0 else { throw .kernel(operation: "count \(set)", message: String(cString: strerror(errno))) }
            var done = false
            var failure: Int32 = 0
            buffer.withUnsafeBytes { raw in
                NetfilterSocket.forEachMessage(raw, count: n) { h in
                    if h.pointee.nlmsg_type == UInt16(NLMSG_DONE) || h.pointee.nlmsg_type == UInt16(NLMSG_ERROR) {
                        failure = h.pointee.nlmsg_type == UInt16(NLMSG_ERROR)
                            ? mnl_nlmsg_get_payload(h).assumingMemoryBound(to: nlmsgerr.self).pointee.error : 0
                        done = true
                        return false
                    }
                    let attributes = NetlinkAttributes(message: h, headerSize: MemoryLayout<nfgenmsg>.size)
                    guard let list = attributes[NFTA_SET_ELEM_LIST_ELEMENTS.rawValue] else { return true }
                    NetlinkAttributes.forEachNested(list) { element in
                        let flags = NetlinkAttributes(nested: element).be32(NFTA_SET_ELEM_FLAGS.rawValue) ?? 0
                        if flags & NFT_SET_ELEM_INTERVAL_END.rawValue == 0 { count += 1 }
                    }
                    return true
                }
            }
            if done {
                guard failure == 0 else { throw .kernel(operation: "count \(set)", message: String(cString: strerror(-failure))) }
                return SetSize(count: count)
            }
            if count >= limit { return SetSize(count: limit, exact: false) }
        }
    }
}
