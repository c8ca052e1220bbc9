#if canImport(Glibc)
import Glibc
#endif
import CNftShim
import CsfCompat
import NftRuleset

/// Adds and removes set elements straight over netlink (libnftnl + libmnl), one batch per call: the path for
/// single bans, which must not pay libnftables' cost of re-reading a whole ruleset each time.
final class NetlinkSetWriter {
    /// Also asked small questions on (SetPresence), so no second socket is opened and closed.
    let socket: OpaquePointer
    private var sequence: UInt32
    /// Hand the socket to a detached process on close after deletions (see `deinit`); off for lfd.
    private let deferCloseAfterDeletes: Bool
    /// Set when a batch deleted something. Closing a netfilter socket then waits for the kernel to free the
    /// deleted elements (an RCU grace period: 10-25 ms here, as long as the whole `csf -dr`).
    private var freedElements = false
    /// A socket borrowed from lfd (`NetfilterSocketLoan`): closing it here is never its last close.
    private let loan: NetfilterSocketLoan?

    /// `lender`: lfd's lending socket to borrow from first (csf's commands); nil or refused: a socket of our own.
    init(deferCloseAfterDeletes: Bool, lender: String? = nil) throws(CsfError) {
        try NetnsGuard.check()
        if let (borrowed, loan) = Self.borrow(from: lender) {
            socket = borrowed
            self.loan = loan
        } else {
            socket = try NetfilterSocket.open("netlink")
            loan = nil
        }
        // An error answer carries only the header of the message it refuses, not its 48 KB of elements: a batch
        // with many refused messages would otherwise overflow the receive buffer and lose the error itself.
        var one: Int32 = 1
        setsockopt(mnl_socket_get_fd(socket), SOL_NETLINK, NETLINK_CAP_ACK, &one, socklen_t(MemoryLayout<Int32>.size))
        sequence = UInt32(truncatingIfNeeded: time(nil))
        self.deferCloseAfterDeletes = deferCloseAfterDeletes
    }

    deinit {
        if let loan {
            // mnl_socket_close frees libmnl's wrapper and closes our descriptor; the connection goes after it.
            mnl_socket_close(socket)
            close(loan.connection)
            return
        }
        // A short-lived CLI hands its socket to a detached `sleep`, whose exit pays that wait instead of the
        // admin. The deletion itself is committed already (the kernel acknowledged the batch).
        if freedElements, deferCloseAfterDeletes,
           Subprocess.spawnDetached(["/bin/sleep", "1"], inheriting: mnl_socket_get_fd(socket)) != nil {
            mnl_socket_close(socket)
            return
        }
        mnl_socket_close(socket)
    }

    private static func borrow(from lender: String?) -> (OpaquePointer, NetfilterSocketLoan)? {
        guard let lender, let loan = NetfilterSocketLoan.borrow(from: lender) else { return nil }
        guard let socket = mnl_socket_fdopen(loan.socket) else {
            loan.end()
            return nil
        }
        return (socket, loan)
    }

    /// The elements of one message stay under this many encoded bytes: the element list is one netlink
    /// attribute, whose length field is 16 bits.
    static let messagePayloadLimit = 48 * 1024

    /// One message of the batch: some elements of one change, and what it does (for errors). Its libnftnl set
    /// is built only while the message is written into the batch and freed right after: a million elements
    /// held as libnftnl objects at once would take hundreds of megabytes.
    private struct Message {
        var change: SetChange
        var elements: ArraySlice<SetChange.Element>
        var timeouts: Bool
        var delete: Bool
        var exclusive = false
        var what: String
        /// The encoded bound of its elements (`encodedSize`), as the chunking summed it: what the buffer is sized by.
        var bytes = 0
    }

    /// Applies every change in one transaction: all of them take effect, or none.
    func apply(_ changes: [SetChange]) throws(CsfError) {
        guard let batch = try Self.encode(changes, firstSequence: sequence &+ 1) else { return }
        try transmit(batch)
    }

    /// One transaction as the bytes to send: built without the socket, so a second thread can build the next
    /// batch while the kernel works through this one (NftablesKernel's fill of a set no rule points at yet).
    struct EncodedBatch: Sendable {
        var bytes: [UInt8]
        var length: Int
        /// The sequence number of each element message, so an error names the set and what was asked of it.
        var bySequence: [UInt32: String]
        var lastSequence: UInt32
        var deletes: Bool
    }

    /// nil when there is nothing to send. `direct`: plain elements written without libnftnl objects
    /// (`DirectElementPayload`); off only to compare the two.
    static func encode(_ changes: [SetChange], firstSequence: UInt32, direct: Bool = true) throws(CsfError) -> EncodedBatch? {
        var messages: [Message] = []
        for change in changes {
            if change.operation == .flush {
                messages.append(Message(change: change, elements: [], timeouts: false, delete: true, what: "flush set \(change.set)"))
                continue
            }
            // deleteIfPresent adds then deletes in the same transaction, so an element that is already gone
            // does not abort the batch with ENOENT.
            let steps: [Bool] = change.operation == .deleteIfPresent ? [false, true] : [change.operation == .delete]
            for delete in steps {
                let timeouts = !delete && (change.operation == .add || change.operation == .addExclusive)
                for (chunk, bytes) in Self.chunks(change.elements, timeouts: timeouts) {
                    let verb = delete ? "delete elements from" : "add elements to"
                    messages.append(Message(change: change, elements: chunk, timeouts: timeouts, delete: delete,
                                            exclusive: change.operation == .addExclusive, what: "\(verb) set \(change.set)",
                                            bytes: bytes))
                }
            }
        }
        guard !messages.isEmpty else { return nil }
        return try encode(messages, firstSequence: firstSequence, direct: direct)
    }

    /// Splits elements so each message's encoded size stays under `messagePayloadLimit`; each chunk with its size.
    static func chunks(_ elements: [SetChange.Element], timeouts: Bool)
        -> [(elements: ArraySlice<SetChange.Element>, bytes: Int)]
    {
        var out: [(elements: ArraySlice<SetChange.Element>, bytes: Int)] = []
        var start = 0, bytes = 0
        for (i, element) in elements.enumerated() {
            let size = encodedSize(element, timeouts: timeouts)
            if bytes + size > messagePayloadLimit, i > start {
                out.append((elements[start..<i], bytes))
                start = i
                bytes = 0
            }
            bytes += size
        }
        if start < elements.count { out.append((elements[start...], bytes)) }
        return out
    }

    /// An upper bound of the netlink bytes one logical element takes (attribute headers, keys padded to 4).
    static func encodedSize(_ element: SetChange.Element, timeouts: Bool) -> Int {
        let nested = 4, attribute = 4, flags = 8
        var size = 0
        for part in parts(element.key) {
            size += nested + nested + attribute + padded(part.key.count) + flags
            if let end = part.keyEnd { size += nested + attribute + padded(end.count) }
            if let data = part.data { size += nested + attribute + padded(data.count) }
        }
        if timeouts {
            if element.timeoutMs != nil { size += attribute + 8 }
            if let comment = element.comment { size += attribute + padded(min(comment.utf8.count, CommentText.maxBytes) + 3) }
        }
        return size
    }

    private static func padded(_ n: Int) -> Int { (n + 3) & ~3 }

    private static func buildSet(_ change: SetChange, _ elements: ArraySlice<SetChange.Element>, timeouts: Bool) throws(CsfError) -> OpaquePointer {
        guard let s = nftnl_set_alloc() else { throw .kernel(operation: "netlink", message: "out of memory") }
        nftnl_set_set_str(s, UInt16(NFTNL_SET_TABLE.rawValue), change.table)
        nftnl_set_set_str(s, UInt16(NFTNL_SET_NAME.rawValue), change.set)
        for element in elements {
            for part in Self.parts(element.key) {
                guard let e = nftnl_set_elem_alloc() else {
                    nftnl_set_free(s)
                    throw .kernel(operation: "netlink", message: "out of memory")
                }
                var key = part.key
                nftnl_set_elem_set(e, UInt16(NFTNL_SET_ELEM_KEY), &key, UInt32(key.count))
                if var end = part.keyEnd {
                    nftnl_set_elem_set(e, UInt16(NFTNL_SET_ELEM_KEY_END), &end, UInt32(end.count))
                }
                if var data = part.data {
                    nftnl_set_elem_set(e, UInt16(NFTNL_SET_ELEM_DATA), &data, UInt32(data.count))
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

    private static func addTimeoutAndComment(_ e: OpaquePointer, _ element: SetChange.Element) {
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
        /// A map element's value.
        var data: [UInt8]? = nil
    }

    /// The netlink elements one logical element becomes: a network in an interval set is a start element and
    /// an interval-end element; a concatenated key carries its own end, each field padded to 4 bytes.
    static func parts(_ key: SetChange.Key) -> [Part] {
        switch key {
        case .address, .network, .range:
            guard let bounds = addressBounds(key) else { return [] }
            var out = [Part(key: bounds.start.networkBytes, keyEnd: nil, intervalEnd: false)]
            if let end = bounds.end { out.append(Part(key: end.networkBytes, keyEnd: nil, intervalEnd: true)) }
            return out
        case .port(let n, let proto, let port):
            let tail: [UInt8] = [proto.number, 0, 0, 0, UInt8(port >> 8), UInt8(port & 0xff), 0, 0]
            return [Part(key: n.address.masked(to: n.prefix).networkBytes + tail,
                         keyEnd: n.lastAddress.networkBytes + tail, intervalEnd: false)]
        case .scalar(let value, let data):
            return [Part(key: hostOrder(value), keyEnd: nil, intervalEnd: false, data: data.map(hostOrder))]
        }
    }

    /// The addresses a plain key becomes: its first, and for a network or range the interval's end (the first
    /// address past it; none past the top of the address space). nil for a port or a map's key.
    static func addressBounds(_ key: SetChange.Key) -> (start: IPAddress, end: IPAddress?)? {
        switch key {
        case .address(let a): return (a, nil)
        case .network(let n): return (n.address.masked(to: n.prefix), n.lastAddress.successor)
        case .range(let r): return (r.first, r.last.successor)
        case .port, .scalar: return nil
        }
    }

    /// Marks and ct states are compared in the CPU's byte order, not the network's.
    static func hostOrder(_ value: UInt32) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }

    private static func encode(_ messages: [Message], firstSequence: UInt32, direct: Bool) throws(CsfError) -> EncodedBatch {
        // Each message's elements and a header's worth; zeroing more (a 48 KB bound a message) cost a one-ban
        // csf command a hundred page faults. The slack past the batch's limit is libmnl's: the message that
        // crosses the limit is written before the batch finds out.
        let needed = messages.reduce(0) { $0 + 4096 + $1.bytes }
        let bufferSize = max(Int(cnft_mnl_socket_buffer_size()) * 2, needed)
        var buffer = [UInt8](repeating: 0, count: bufferSize + 64 * 1024)
        var bySequence: [UInt32: String] = [:]
        var sequence = firstSequence &- 1
        func nextSeq() -> UInt32 {
            sequence &+= 1
            return sequence
        }
        var buildFailure: CsfError?
        let length: Int = buffer.withUnsafeMutableBytes { raw -> Int in
            guard let base = raw.baseAddress, let batch = mnl_nlmsg_batch_start(base, bufferSize) else { return 0 }
            defer { mnl_nlmsg_batch_stop(batch) }
            func current() -> UnsafeMutablePointer<CChar> { mnl_nlmsg_batch_current(batch).assumingMemoryBound(to: CChar.self) }
            nftnl_batch_begin(current(), nextSeq())
            // A message past the limit would be overwritten by the next one: the batch is refused instead.
            guard mnl_nlmsg_batch_next(batch) else { return 0 }
            for m in messages {
                let type = m.delete ? NFT_MSG_DELSETELEM.rawValue : NFT_MSG_NEWSETELEM.rawValue
                let flags = (m.delete ? 0 : NLM_F_CREATE) | (m.exclusive ? NLM_F_EXCL : 0) | NLM_F_ACK
                let seq = nextSeq()
                bySequence[seq] = m.what
                guard let nlh = nftnl_nlmsg_build_hdr(current(), UInt16(type), UInt16(NFPROTO_INET), UInt16(flags), seq) else { return 0 }
                if direct, DirectElementPayload.covers(m.elements, timeouts: m.timeouts) {
                    DirectElementPayload.write(nlh, table: m.change.table, set: m.change.set, m.elements)
                } else {
                    let built: Result<OpaquePointer, CsfError> = Result { () throws(CsfError) in try buildSet(m.change, m.elements, timeouts: m.timeouts) }
                    guard case .success(let set) = built else {
                        if case .failure(let error) = built { buildFailure = error }
                        return 0
                    }
                    nftnl_set_elems_nlmsg_build_payload(nlh, set)
                    nftnl_set_free(set)
                }
                guard mnl_nlmsg_batch_next(batch) else { return 0 }
            }
            nftnl_batch_end(current(), nextSeq())
            guard mnl_nlmsg_batch_next(batch) else { return 0 }
            return mnl_nlmsg_batch_size(batch)
        }
        if let buildFailure { throw buildFailure }
        guard length > 0 else { throw .kernel(operation: "netlink", message: "cannot build the batch") }
        return EncodedBatch(bytes: buffer, length: length, bySequence: bySequence, lastSequence: sequence,
                            deletes: messages.contains(where: \.delete))
    }

    /// Sends one encoded transaction and reads its acknowledgements.
    func transmit(_ batch: EncodedBatch) throws(CsfError) {
        sequence = batch.lastSequence
        // Large batches exceed the default socket buffers (about 208 KB); nft forces them up the same way.
        var size = Int32(max(batch.length, 1 << 20))
        let fd = mnl_socket_get_fd(socket)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size))
        let sent = batch.bytes.withUnsafeBytes { mnl_socket_sendto(socket, $0.baseAddress, batch.length) }
        guard sent == batch.length else {
            let code = errno
            throw .kernel(operation: "netlink", message: "sending the batch failed: \(String(cString: strerror(code)))", errno: code)
        }
        if batch.deletes { freedElements = true }
        try collectAcks(batch.bySequence)
    }

    /// The sequence number the next batch may start at.
    var nextSequence: UInt32 { sequence &+ 1 }

    /// Reads one ack per element message; the first error is reported with the message it answers.
    private func collectAcks(_ bySequence: [UInt32: String]) throws(CsfError) {
        var acks = 0
        var failure: (seq: UInt32, code: Int32)?
        var buffer = [UInt8](repeating: 0, count: Int(cnft_mnl_socket_buffer_size()))
        let fd = mnl_socket_get_fd(socket)
        // Every ack is read, also after a failure: the kernel sends them all at the end of the batch, and one
        // left in the socket would answer the next batch.
        while acks < bySequence.count {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            // The kernel answers once the whole batch is processed: a million interval elements take seconds.
            guard poll(&pfd, 1, failure == nil ? 120_000 : 1_000) > 0 else { break }
            let n = buffer.withUnsafeMutableBytes { mnl_socket_recvfrom(socket, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            buffer.withUnsafeBytes { raw in
                NetfilterSocket.forEachMessage(raw, count: n) { h in
                    guard h.pointee.nlmsg_type == UInt16(NLMSG_ERROR) else { return true }
                    acks += 1
                    let code = mnl_nlmsg_get_payload(h).assumingMemoryBound(to: nlmsgerr.self).pointee.error
                    if code != 0 && failure == nil { failure = (h.pointee.nlmsg_seq, -code) }
                    return true
                }
            }
        }
        if let failure {
            // A set loaded in bulk is sized for its list (RenderedTable.sizeHint), and its size is also its limit.
            let message = failure.code == ENFILE ? "the set is full (its size was set for the list csf -r loaded; csf -r sizes it again)"
                                                 : String(cString: strerror(failure.code))
            throw .kernel(operation: bySequence[failure.seq] ?? "netlink", message: message, errno: failure.code)
        }
        guard acks >= bySequence.count else {
            throw .kernel(operation: "netlink", message: "the kernel did not acknowledge every change")
        }
    }
}
