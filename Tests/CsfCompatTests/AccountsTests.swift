import Foundation
import Testing
@testable import CsfCompat

/// Account lookups are made from several of lfd's threads at once: each answer must be the asked name's (with
/// getpwnam's shared static entry, 8 threads × 20,000 lookups of root and nobody gave 73 wrong uids here).
struct AccountsTests {
    @Test func namesResolveAndConcurrentLookupsNeverMixUp() async {
        #expect(Accounts.uid(named: "root") == 0 && Accounts.gid(named: "root") == 0 && Accounts.primaryGroup(of: "root") == 0)
        let nobody = Accounts.uid(named: "nobody")
        #expect(nobody != nil && nobody != 0)
        #expect(Accounts.uid(named: "no-such-account-here") == nil && Accounts.uid(named: "bad name") == nil)
        #expect(Accounts.name(ofUID: 0) == "root")
        let wrong = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var wrong = 0
                    for i in 0..<5_000 {
                        let root = (i + worker) % 2 == 0
                        if Accounts.uid(named: root ? "root" : "nobody") != (root ? 0 : nobody) { wrong += 1 }
                    }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(wrong == 0, "\(wrong) lookups answered another name's uid")
    }
}
