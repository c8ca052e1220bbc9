#if canImport(Glibc)
import Glibc
#endif
import CNftShim
import CsfCompat
import NftRuleset

/// Whether the running table has a set of that name, asked of the kernel directly (NFT_MSG_GETSET of one set:
/// its declaration comes back, never its elements).
enum SetPresence {
    static func exists(set: String, on socket: OpaquePointer) throws(CsfError) -> Bool {
        let ending = try NetfilterSocket.exchange("find set \(set)", type: UInt8(NFT_MSG_GETSET.rawValue), flags: NLM_F_REQUEST | NLM_F_ACK,
                                                  family: UInt8(NFPROTO_INET), on: socket, build: { nlh in
            mnl_attr_put_strz(nlh, UInt16(NFTA_SET_TABLE.rawValue), CsfTableLayout.tableName)
            mnl_attr_put_strz(nlh, UInt16(NFTA_SET_NAME.rawValue), set)
        }, each: { _ in true })
        switch ending {
        case .done(0), .stopped: return true
        case .done(-ENOENT): return false
        case .done(let code): throw .kernel(operation: "find set \(set)", message: String(cString: strerror(-code)))
        }
    }
}
