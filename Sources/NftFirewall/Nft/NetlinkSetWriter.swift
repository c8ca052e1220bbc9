#if canImport(Glibc)
import Glibc
#endif
import CNftShim

/// Adds and removes set elements straight over netlink (libnftnl + libmnl), one batch per call: the
/// path for single bans, which must not pay libnftables' cost of re-reading a whole ruleset each time.
public final class NetlinkSetWriter {
    /// `deleteIfPresent` adds then deletes in the same transaction, so an element that is already gone
    /// (expired, or never loaded) does not abort the batch with ENOENT. `flush` empties the set.
    public enum Operation: Sendable { case add, delete, deleteIfPresent, flush }

    /// What an element is keyed on, matching the set's type.
    public enum Key: Sendable, Hashable {
        /// A plain address in a hash set.
        case address(IPAddress)
        /// A network in an interval set: sent as a start element and an interval-end element.
        case network(IPNetwork)
        /// `addr . inet_proto . inet_service` in a concatenated interval set: one element with a key and a key end.
        case port(IPNetwork, proto: UInt8, port: UInt16)
    }

    public struct Element: Sendable {
        public var key: Key
        /// Milliseconds; nil means no timeout of its own (the set's default, or permanent).
        public var timeoutMs: UInt64?
        public var comment: String?

        public init(_ key: Key, timeoutMs: UInt64? = nil, comment: String? = nil) {
            self.key = key
            self.timeoutMs = timeoutMs
            self.comment = comment
        }

        public init(_ address: IPAddress, timeoutMs: UInt64? = nil, comment: String? = nil) {
            self.init(.address(address), timeoutMs: timeoutMs, comment: comment)
        }
    }

    public struct Change: Sendable {
        public var operation: Operation
        public var table: String
        public var set: String
        public var elements: [Element]

        public init(_ operation: Operation, table: String = CsfTableLayout.tableName, set: String, elements: [Element] = []) {
            self.operation = operation
            self.table = table
            self.set = set
            self.elements = elements
        }
    }

    private let socket: OpaquePointer
    private let portID: UInt32
    private var sequence: UInt32

    public init() throws(CsfError) {
        let nl = try NetfilterSocket.open("netlink")
        socket = nl
        portID = mnl_socket_get_portid(nl)
        sequence = UInt32(truncatingIfNeeded: time(nil))
    }

    /// Set when a batch deleted something. Closing a netfilter socket then waits for the kernel to free the
    /// deleted elements (an RCU grace period: 10-25 ms here, as long as the whole `csf -dr`).
    private var freedElements = false

    deinit {
        // A short-lived CLI hands its socket to a detached `sleep`, whose exit pays that wait instead of the
        // admin. The deletion itself is committed already (the kernel acknowledged the batch).
        if freedElements, Self.deferCloseAfterDeletes,
           Subprocess.spawnDetached(["/bin/sleep", "1"], inheriting: mnl_socket_get_fd(socket)) != nil {
            mnl_socket_close(socket)
            return
        }
        mnl_socket_close(socket)
    }

    /// Off for long-running processes (lfd keeps its socket; the wait never lands on a command).
    nonisolated(unsafe) public static var deferCloseAfterDeletes = true

    static let elementsPerMessage = 256

    /// Applies every change in one transaction: all of them take effect, or none.
    public func apply(_ changes: [Change]) throws(CsfError) {
        var messages: [(OpaquePointer, Operation)] = []
        defer { for (s, _) in messages { nftnl_set_free(s) } }
        for change in changes {
            if change.operation == .flush {
                messages.append((try buildSet(change, [], timeouts: false), .delete))
                continue
            }
            let steps: [Operation] = change.operation == .deleteIfPresent ? [.add, .delete] : [change.operation]
            for step in steps {
                var start = 0
                while start < change.elements.count {
                    let chunk = change.elements[start..<min(start + Self.elementsPerMessage, change.elements.count)]
                    messages.append((try buildSet(change, chunk, timeouts: step == .add && change.operation == .add), step))
                    start += chunk.count
                }
            }
        }
        guard !messages.isEmpty else { return }
        try send(messages)
        if messages.contains(where: { $0.1 == .delete }) { freedElements = true }
    }

    private func buildSet(_ change: Change, _ elements: ArraySlice<Element>, timeouts: Bool) throws(CsfError) -> OpaquePointer {
        guard let s = nftnl_set_alloc() else { throw .nft(operation: "netlink", message: "out of memory") }
        nftnl_set_set_str(s, UInt16(NFTNL_SET_TABLE.rawValue), change.table)
        nftnl_set_set_str(s, UInt16(NFTNL_SET_NAME.rawValue), change.set)
        for element in elements {
            for part in Self.parts(element.key) {
                guard let e = nftnl_set_elem_alloc() else {
                    nftnl_set_free(s)
                    throw .nft(operation: "netlink", message: "out of memory")
                }
                var key = part.key
                nftnl_set_elem_set(e, UInt16(NFTNL_SET_ELEM_KEY), &key, UInt32(key.count))
                if var end = part.keyEnd {
                    nftnl_set_elem_set(e, UInt16(NFTNL_SET_ELEM_KEY_END), &end, UInt32(end.count))
                }
                if part.intervalEnd {
                    // The kernel refuses a timeout or user data on an interval-end element.
                    nftnl_set_elem_set_u32(e, UInt16(NFTNL_SET_ELEM_FLAGS), NFT_SET_ELEM_INTERVAL_END.rawValue)
                } else if timeouts {
                    addTimeoutAndComment(e, element)
                }
                nftnl_set_elem_add(s, e)
            }
        }
        return s
    }

    private func addTimeoutAndComment(_ e: OpaquePointer, _ element: Element) {
        if let timeout = element.timeoutMs {
            nftnl_set_elem_set_u64(e, UInt16(NFTNL_SET_ELEM_TIMEOUT), timeout)
        }
        if let comment = element.comment, !comment.isEmpty, CommentText.problem(Substring(comment)) == nil,
           let ud = nftnl_udata_buf_alloc(UInt32(NFT_USERDATA_MAXLEN)) {
            let text = CommentText.truncated(comment)
            if nftnl_udata_put_strz(ud, UInt8(NFTNL_UDATA_SET_ELEM_COMMENT.rawValue), text) {
                nftnl_set_elem_set(e, UInt16(NFTNL_SET_ELEM_USERDATA), nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud))
            }
            nftnl_udata_buf_free(ud)
        }
    }

    struct Part {
        var key: [UInt8]
        var keyEnd: [UInt8]?
        var intervalEnd: Bool
    }

    /// The netlink elements one logical element becomes. Concatenated keys pad each field to 4 bytes.
    static func parts(_ key: Key) -> [Part] {
        switch key {
        case .address(let a):
            return [Part(key: a.networkBytes, keyEnd: nil, intervalEnd: false)]
        case .network(let n):
            var out = [Part(key: n.address.masked(to: n.prefix).networkBytes, keyEnd: nil, intervalEnd: false)]
            if let end = n.lastAddress.successor {
                out.append(Part(key: end.networkBytes, keyEnd: nil, intervalEnd: true))
            }
            return out
        case .port(let n, let proto, let port):
            let tail: [UInt8] = [proto, 0, 0, 0, UInt8(port >> 8), UInt8(port & 0xff), 0, 0]
            return [Part(key: n.address.masked(to: n.prefix).networkBytes + tail,
                         keyEnd: n.lastAddress.networkBytes + tail, intervalEnd: false)]
        }
    }

    private func send(_ messages: [(OpaquePointer, Operation)]) throws(CsfError) {
        let bufferSize = max(Int(cnft_mnl_socket_buffer_size()) * 2, messages.count * 64 * 1024)
        var buffer = [UInt8](repeating: 0, count: bufferSize + 64 * 1024)
        var firstSeq: UInt32 = 0
        let length: Int = buffer.withUnsafeMutableBytes { raw -> Int in
            guard let base = raw.baseAddress, let batch = mnl_nlmsg_batch_start(base, bufferSize) else { return 0 }
            defer { mnl_nlmsg_batch_stop(batch) }
            func current() -> UnsafeMutablePointer<CChar> { mnl_nlmsg_batch_current(batch).assumingMemoryBound(to: CChar.self) }
            nftnl_batch_begin(current(), nextSeq())
            _ = mnl_nlmsg_batch_next(batch)
            firstSeq = sequence
            for (set, op) in messages {
                let type = op == .add ? NFT_MSG_NEWSETELEM.rawValue : NFT_MSG_DELSETELEM.rawValue
                let flags = (op == .add ? NLM_F_CREATE : 0) | NLM_F_ACK
                let nlh = nftnl_nlmsg_build_hdr(current(), UInt16(type), UInt16(NFPROTO_INET), UInt16(flags), nextSeq())
                nftnl_set_elems_nlmsg_build_payload(nlh, set)
                _ = mnl_nlmsg_batch_next(batch)
            }
            nftnl_batch_end(current(), nextSeq())
            _ = mnl_nlmsg_batch_next(batch)
            return mnl_nlmsg_batch_size(batch)
        }
        guard length > 0 else { throw .nft(operation: "netlink", message: "cannot build the batch") }
        // Large batches exceed the default socket buffers (about 208 KB); nft forces them up the same way.
        var size = Int32(max(length, 1 << 20))
        setsockopt(mnl_socket_get_fd(socket), SOL_SOCKET, SO_SNDBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(mnl_socket_get_fd(socket), SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size))
        let sent = buffer.withUnsafeBytes { mnl_socket_sendto(socket, $0.baseAddress, length) }
        guard sent == length else {
            throw .nft(operation: "netlink", message: "sending the batch failed: \(String(cString: strerror(errno)))")
        }
        try collectAcks(expected: messages.count, firstSeq: firstSeq)
    }

    private func nextSeq() -> UInt32 {
        sequence &+= 1
        return sequence
    }

    /// Reads one ack per element message; the first error (by sequence number) is reported.
    private func collectAcks(expected: Int, firstSeq: UInt32) throws(CsfError) {
        var acks = 0
        var firstError: Int32 = 0
        var buffer = [UInt8](repeating: 0, count: Int(cnft_mnl_socket_buffer_size()))
        let fd = mnl_socket_get_fd(socket)
        while acks < expected {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 2000)
            if ready <= 0 { break }
            let n = buffer.withUnsafeMutableBytes { mnl_socket_recvfrom(socket, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            buffer.withUnsafeBytes { raw in
                var offset = 0
                while offset + 16 <= n {
                    guard let base = raw.baseAddress else { return }
                    let len = Int(base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                    let type = base.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self)
                    if len < 16 { return }
                    if type == UInt16(NLMSG_ERROR) && offset + 20 <= n {
                        let error = base.loadUnaligned(fromByteOffset: offset + 16, as: Int32.self)
                        acks += 1
                        if error != 0 && firstError == 0 { firstError = -error }
                    }
                    offset += (len + 3) & ~3
                }
            }
            if firstError != 0 { break }
        }
        if firstError != 0 {
            throw .nft(operation: "netlink", message: String(cString: strerror(firstError)))
        }
        guard acks >= expected else {
            throw .nft(operation: "netlink", message: "the kernel did not acknowledge every change")
        }
    }
}
