import Foundation
import Testing
import CsfCompat
@testable import NftKernel
import CsfTestSupport

/// What csf does with a lender that hands over something other than one netfilter socket: it refuses the loan
/// (and opens its own socket), and keeps none of what it was sent.
@Suite struct NetfilterSocketLoanTests {
    /// Answers one connection at `path` by sending `fds` in one message (none: closing at once), then waits for the
    /// borrower to hang up. The lender's own copies are closed once sent.
    final class FakeLender: @unchecked Sendable {
        let path: String
        private let listener: Int32
        private let done = DispatchSemaphore(value: 0)

        init(_ dir: TempDir, sending fds: [Int32]) throws {
            path = dir.path + "/lfd.netlink"
            listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard listener >= 0, UnixSocketAddress(path: path)?.bind(listener) == true, listen(listener, 1) == 0 else {
                throw CsfError.io(path: path, reason: "cannot listen")
            }
            let listener = listener, done = done
            Thread.detachNewThread {
                let connection = accept(listener, nil, nil)
                if connection >= 0 {
                    if !fds.isEmpty { Self.send(fds, over: connection) }
                    fds.forEach { close($0) }
                    var byte: UInt8 = 0
                    _ = read(connection, &byte, 1)
                    close(connection)
                }
                done.signal()
            }
        }

        func finish() {
            done.wait()
            close(listener)
        }

        /// One SCM_RIGHTS message with every descriptor in it (the shim's sender carries one only).
        static func send(_ fds: [Int32], over connection: Int32) {
            let header = MemoryLayout<cmsghdr>.size
            let payload = fds.count * MemoryLayout<Int32>.size
            var control = [UInt8](repeating: 0, count: header + (payload + 7) & ~7)
            control.withUnsafeMutableBytes { raw in
                raw.storeBytes(of: header + payload, toByteOffset: 0, as: Int.self)
                raw.storeBytes(of: SOL_SOCKET, toByteOffset: MemoryLayout<Int>.size, as: Int32.self)
                raw.storeBytes(of: Int32(SCM_RIGHTS), toByteOffset: MemoryLayout<Int>.size + 4, as: Int32.self)
                for (i, fd) in fds.enumerated() { raw.storeBytes(of: fd, toByteOffset: header + 4 * i, as: Int32.self) }
            }
            var byte: UInt8 = 0
            withUnsafeMutablePointer(to: &byte) { bytePointer in
                var iov = iovec(iov_base: UnsafeMutableRawPointer(bytePointer), iov_len: 1)
                control.withUnsafeMutableBytes { raw in
                    withUnsafeMutablePointer(to: &iov) { iovPointer in
                        var message = msghdr(msg_name: nil, msg_namelen: 0, msg_iov: iovPointer, msg_iovlen: 1,
                                             msg_control: raw.baseAddress, msg_controllen: raw.count, msg_flags: 0)
                        _ = sendmsg(connection, &message, Int32(MSG_NOSIGNAL))
                    }
                }
            }
        }
    }

    /// A pipe whose write end goes to the borrower: its read end sees end-of-file only once every copy of the
    /// write end is closed, so a borrower that kept one is caught.
    struct Witness {
        let read: Int32, write: Int32
        init() {
            var ends: [Int32] = [0, 0]
            pipe(&ends)
            _ = fcntl(ends[0], F_SETFL, O_NONBLOCK)
            read = ends[0]
            write = ends[1]
        }
        /// true when no copy of the write end is left open anywhere.
        func released() -> Bool {
            var byte: UInt8 = 0
            defer { close(read) }
            return Glibc.read(read, &byte, 1) == 0
        }
    }

    /// <linux/netlink.h>'s protocol numbers.
    static let NETLINK_ROUTE: Int32 = 0, NETLINK_NETFILTER: Int32 = 12

    static func netlinkSocket(_ proto: Int32) -> Int32 {
        socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), proto)
    }

    @Test func oneNetfilterSocketIsBorrowedAndReturnedOnEnd() throws {
        let dir = try TempDir()
        let lender = try FakeLender(dir, sending: [Self.netlinkSocket(Self.NETLINK_NETFILTER)])
        let loan = NetfilterSocketLoan.borrow(from: lender.path)
        #expect(loan != nil, "the control: a lender doing it right is used")
        if let loan { #expect(NetfilterSocketLoan.isNetfilterSocket(loan.socket)) }
        loan?.end()
        lender.finish()
    }

    @Test func anythingButANetfilterSocketIsRefusedAndNotKept() throws {
        let dir = try TempDir()
        let witness = Witness()
        let lender = try FakeLender(dir, sending: [witness.write])
        #expect(NetfilterSocketLoan.borrow(from: lender.path) == nil, "a pipe is not a netfilter socket")
        lender.finish()
        #expect(witness.released(), "the borrower closed what it refused")

        let routeDir = try TempDir()
        let route = try FakeLender(routeDir, sending: [Self.netlinkSocket(Self.NETLINK_ROUTE)])
        #expect(NetfilterSocketLoan.borrow(from: route.path) == nil, "another netlink protocol is refused too")
        route.finish()
    }

    @Test func twoDescriptorsInOneMessageAreRefusedAndBothClosed() throws {
        let dir = try TempDir()
        let first = Witness(), second = Witness()
        let lender = try FakeLender(dir, sending: [first.write, second.write])
        #expect(NetfilterSocketLoan.borrow(from: lender.path) == nil)
        lender.finish()
        #expect(first.released() && second.released(), "neither descriptor is left open in the borrower")

        let mixedDir = try TempDir()
        let third = Witness()
        let mixed = try FakeLender(mixedDir, sending: [Self.netlinkSocket(Self.NETLINK_NETFILTER), third.write])
        #expect(NetfilterSocketLoan.borrow(from: mixed.path) == nil, "a netfilter socket with a stowaway is refused")
        mixed.finish()
        #expect(third.released())
    }

    @Test func aLenderThatSendsNothingOrIsNotThereGivesNoLoan() throws {
        let dir = try TempDir()
        let silent = try FakeLender(dir, sending: [])
        #expect(NetfilterSocketLoan.borrow(from: silent.path) == nil, "a hang-up is no loan")
        silent.finish()
        #expect(NetfilterSocketLoan.borrow(from: dir.path + "/absent") == nil)
        try dir.write("plain", "not a socket\n")
        #expect(NetfilterSocketLoan.borrow(from: dir.path + "/plain") == nil, "a plain file is no lender")
        #expect(NetfilterSocketLoan.borrow(from: dir.path + "/" + String(repeating: "x", count: 120)) == nil)
    }
}
