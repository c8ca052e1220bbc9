// Test helper: drives NetlinkSetWriter from a child process inside a test's network namespace.
// usage: NetlinkProbe add|del TABLE SET IP[,IP...] [TIMEOUT_MS] [COMMENT]
//        NetlinkProbe bulk TABLE SET COUNT        (adds 10.x.y.z addresses in one batch)
#if canImport(Glibc)
import Glibc
#endif
import NftFirewall

let args = CommandLine.arguments
func fail(_ message: String) -> Never {
    _ = (message + "\n").withCString { write(2, $0, strlen($0)) }
    exit(1)
}
guard args.count >= 5 else { fail("usage: NetlinkProbe add|del|bulk TABLE SET IPS|COUNT [TIMEOUT_MS] [COMMENT]") }
let (verb, table, set) = (args[1], args[2], args[3])
var elements: [NetlinkSetWriter.Element] = []
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
    let writer = try NetlinkSetWriter()
    try writer.apply([.init(verb == "del" ? .delete : .add, table: table, set: set, elements: elements)])
} catch {
    fail("\(error)")
}
