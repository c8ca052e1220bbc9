#if canImport(Glibc)
import Glibc
#endif
import CNftShim
import CsfCompat

/// Reads the namespace's connection table over ctnetlink (one dump request) instead of parsing
/// /proc/net text: cheaper, and it sees every connection the firewall tracks.
public enum ConntrackTable {
    /// Every entry, handed to `visit` as it is decoded: a table of a million connections is never held in memory.
    public static func dump(_ visit: (TrackedConnection) -> Void) throws(CsfError) {
        let nl = try NetfilterSocket.open("conntrack", flags: Int32(SOCK_CLOEXEC.rawValue))
        defer { mnl_socket_close(nl) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let sequence = UInt32(truncatingIfNeeded: time(nil))
        let sent = buffer.withUnsafeMutableBytes { raw -> Bool in
            guard let nlh = NetfilterSocket.request(in: raw.baseAddress, type: UInt16(NFNL_SUBSYS_CTNETLINK << 8) | UInt16(IPCTNL_MSG_CT_GET.rawValue),
                                                    flags: NLM_F_REQUEST | NLM_F_DUMP, sequence: sequence) else { return false }
            return mnl_socket_sendto(nl, nlh, Int(nlh.pointee.nlmsg_len)) >= 0
        }
        guard sent else { throw .kernel(operation: "conntrack", message: "dump request failed: \(String(cString: strerror(errno)))") }
        let portID = mnl_socket_get_portid(nl)
        while true {
            let n = buffer.withUnsafeMutableBytes { mnl_socket_recvfrom(nl, $0.baseAddress, $0.count) }
            guard n > 0 else { throw .kernel(operation: "conntrack", message: "dump failed: \(String(cString: strerror(errno)))") }
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
                    if h.pointee.nlmsg_seq == sequence, h.pointee.nlmsg_pid == portID || h.pointee.nlmsg_pid == 0,
                       let c = decode(h) { visit(c) }
                    return true
                }
            }
            if done {
                guard failure == 0 else { throw .kernel(operation: "conntrack", message: "dump failed: \(String(cString: strerror(-failure)))") }
                return
            }
        }
    }

    static func decode(_ nlh: UnsafePointer<nlmsghdr>) -> TrackedConnection? {
        let a = NetlinkAttributes(message: nlh, headerSize: MemoryLayout<nfgenmsg>.size)
        guard let tuple = a.nested(CTA_TUPLE_ORIG.rawValue), let ip = tuple.nested(CTA_TUPLE_IP.rawValue),
              let proto = tuple.nested(CTA_TUPLE_PROTO.rawValue), let number = proto.u8(CTA_PROTO_NUM.rawValue) else { return nil }
        let src: IPAddress, dst: IPAddress
        if let s = ip.be32(CTA_IP_V4_SRC.rawValue), let d = ip.be32(CTA_IP_V4_DST.rawValue) {
            src = .v4(s)
            dst = .v4(d)
        } else if let s = ip.bytes(CTA_IP_V6_SRC.rawValue).flatMap({ IPAddress(v6Bytes: $0, at: 0) }),
                  let d = ip.bytes(CTA_IP_V6_DST.rawValue).flatMap({ IPAddress(v6Bytes: $0, at: 0) }) {
            src = s
            dst = d
        } else {
            return nil
        }
        let state = a.nested(CTA_PROTOINFO.rawValue)?.nested(CTA_PROTOINFO_TCP.rawValue)?.u8(CTA_PROTOINFO_TCP_STATE.rawValue)
        return TrackedConnection(source: src, destination: dst, proto: number,
                                 sourcePort: proto.be16(CTA_PROTO_SRC_PORT.rawValue), destinationPort: proto.be16(CTA_PROTO_DST_PORT.rawValue),
                                 tcpState: state)
    }
}
