#if canImport(Glibc)
import Glibc
#endif
import CNftShim
import CsfCompat

/// nf_tables' change notifications (the NFNLGRP_NFTABLES multicast group, what `nft monitor` reads): lfd
/// learns that a table was deleted the moment it happens (an admin's `nft flush ruleset`, a package script)
/// instead of finding out on its next LF_CSF poll.
public final class RulesetMonitor {
    private let socket: OpaquePointer
    public var fd: Int32 { mnl_socket_get_fd(socket) }
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    public init() throws(CsfError) {
        let nl = try NetfilterSocket.open("ruleset monitor", flags: Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue))
        socket = nl
        var group = Int32(NFNLGRP_NFTABLES.rawValue)
        guard mnl_socket_setsockopt(nl, Int32(NETLINK_ADD_MEMBERSHIP), &group, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            let reason = String(cString: strerror(errno))
            mnl_socket_close(nl)
            throw .kernel(operation: "ruleset monitor", message: "cannot join the nftables notification group: \(reason)")
        }
    }

    deinit { mnl_socket_close(socket) }

    /// Reads every queued notification (non-blocking); true when one deleted a table, or when notifications
    /// were lost (the receive queue overran), so the caller checks for itself.
    public func tableDeleted() -> Bool {
        var deleted = false
        while true {
            let n = buffer.withUnsafeMutableBytes { mnl_socket_recvfrom(socket, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == ENOBUFS { deleted = true; continue }
                break
            }
            guard n > 0 else { break }
            buffer.withUnsafeBytes { raw in
                NetfilterSocket.forEachMessage(raw, count: n) { h in
                    let type = h.pointee.nlmsg_type
                    if type >> 8 == UInt16(NFNL_SUBSYS_NFTABLES), type & 0xff == UInt16(NFT_MSG_DELTABLE.rawValue) { deleted = true }
                    return true
                }
            }
        }
        return deleted
    }
}
