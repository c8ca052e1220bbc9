// Test helper: drives the kernel port's netlink path from a child process inside a test's network namespace.
// usage: NetlinkProbe add|del TABLE SET IP[,IP...] [TIMEOUT_MS] [COMMENT]
//        NetlinkProbe bulk TABLE SET COUNT        (adds 10.x.y.z addresses in one batch)
//        NetlinkProbe bench-temp TABLE SET COUNT PER_BATCH   (times COUNT temp bans, PER_BATCH per transaction)
//        NetlinkProbe borrow LENDER   (two loans at once, the first ended, a third: their sockets' inodes, or none)
#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import NftKernel
import NftRuleset

let args = CommandLine.arguments
func fail(_ message: String) -> Never {
    _ = (message + "\n").withCString { write(2, $0, strlen($0)) }
    exit(1)
}
if args.count == 3, args[1] == "borrow" {
    func inode(_ loan: NetfilterSocketLoan?) -> String {
        guard let loan else { return "none" }
        var st = stat()
        return fstat(loan.socket, &st) == 0 ? String(st.st_ino) : "none"
    }
    let first = NetfilterSocketLoan.borrow(from: args[2]), second = NetfilterSocketLoan.borrow(from: args[2])
    let a = inode(first), b = inode(second)
    first?.end()
    usleep(200_000)
    let third = NetfilterSocketLoan.borrow(from: args[2])
    print("first=\(a) second=\(b) third=\(inode(third))")
    exit(0)
}
guard args.count >= 5 else { fail("usage: NetlinkProbe add|del|bulk TABLE SET IPS|COUNT [TIMEOUT_MS] [COMMENT]") }
let (verb, table, set) = (args[1], args[2], args[3])
var elements: [SetChange.Element] = []
if verb == "bench-temp" {
    guard let n = Int(args[4]), args.count > 5, let perBatch = Int(args[5]), perBatch > 0 else { fail("bad count") }
    do {
        let writer = NftablesKernel(deferCloseAfterDeletes: false)
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let t0 = Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        var i = 0
        while i < n {
            var batch: [SetChange.Element] = []
            for k in i..<min(i + perBatch, n) {
                batch.append(.init(.v4(UInt32(11) << 24 | UInt32(k)), timeoutMs: 3_600_000, comment: "lfd: (sshd) bench ban"))
            }
            try writer.apply([SetChange(.add, table: table, set: set, elements: batch)])
            i += perBatch
        }
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let seconds = Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9 - t0
        print("bans=\(n) per_batch=\(perBatch) seconds=\(seconds) bans_per_second=\(Int(Double(n) / seconds))")
    } catch {
        fail("\(error)")
    }
    exit(0)
}
if verb == "bulk" {
    guard let n = Int(args[4]) else { fail("bad count") }
    for i in 0..<n { elements.append(.init(.v4(UInt32(10) << 24 | UInt32(i)))) }
} else {
    let timeout = args.count > 5 ? UInt64(args[5]) : nil
    let comment = args.count > 6 ? args[6] : nil
    for text in args[4].split(separator: ",") {
        guard let address = IPAddress(text) else { fail("bad address \(text)") }
        elements.append(.init(address, timeoutMs: timeout, comment: comment))
    }
}
do {
    let writer = NftablesKernel(deferCloseAfterDeletes: false)
    try writer.apply([SetChange(verb == "del" ? .delete : .add, table: table, set: set, elements: elements)])
} catch {
    fail("\(error)")
}
