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

@Suite struct LibNftablesTests {
    /// Loaded on first use, not linked: every function csf calls is found in the installed library.
    @Test func theInstalledLibraryHasEveryFunctionUsed() throws {
        let lib = try LibNftables.shared.get()
        // A context that only checks a script (dry run) needs no privileges and no kernel.
        let ctx = try #require(lib.new(0))
        defer { lib.free(ctx) }
        #expect(lib.bufferOutput(ctx) == 0 && lib.bufferError(ctx) == 0)
        lib.setOutputFlags(ctx, lib.getOutputFlags(ctx))
        #expect(lib.runFromBuffer(ctx, "this is not nft") != 0)
        #expect(lib.errorBuffer(ctx).map { String(cString: $0) }?.contains("syntax error") == true)
    }
}
