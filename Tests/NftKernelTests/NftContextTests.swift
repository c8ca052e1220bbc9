import Testing
@testable import NftKernel

@Suite struct TransientListingTests {
    @Test func onlyAnInterruptedOrBusyDumpIsAskedAgain() {
        #expect(NftContext.isTransient("netlink: Error: cache initialization failed: Resource temporarily unavailable"))
        #expect(NftContext.isTransient("netlink: Error: cache initialization failed: Interrupted system call"))
        #expect(!NftContext.isTransient("Error: No such file or directory\nlist table inet csf\n"))
        #expect(!NftContext.isTransient("Error: syntax error, unexpected newline"))
    }
}
