import Testing
@testable import CsfCompat

@Suite struct DynamicLibraryTests {
    typealias StrlenFn = @convention(c) (UnsafePointer<CChar>) -> Int

    @Test func opensALibraryAndCallsItsFunction() throws {
        let libc = try DynamicLibrary.open("libc.so.6").get()
        let strlen = try #require(libc.function("strlen", as: StrlenFn.self))
        #expect(strlen("nftcsf") == 6)
        #expect(libc.function("no_such_function_in_libc", as: StrlenFn.self) == nil)
    }

    @Test func aMissingLibraryIsAnErrorThatSaysWhich() {
        guard case .failure(let error) = DynamicLibrary.open("libnftcsf-missing.so.9") else {
            Issue.record("a library that does not exist was opened")
            return
        }
        #expect(error.reason.contains("libnftcsf-missing.so.9"), "\(error.reason)")
    }
}
