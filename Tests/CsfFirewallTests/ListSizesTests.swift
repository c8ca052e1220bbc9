#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import CsfCompat
@testable import CsfFirewall
import CsfTestSupport

struct ListSizesTests {
    @Test func entriesAreLinesThatAreNotCommentsBlanksOrIncludes() throws {
        let root = try TempDir.csfRoot()
        try root.write("etc/csf/csf.deny", "1.2.3.4 # a\n\n   # indented comment\nInclude /etc/csf/more.deny\n  5.6.7.8\ntcp|in|d=22|s=9.9.9.9\nIncluded.example\n")
        let sizes = ListSizes(paths: CsfPaths(root: root.path))
        #expect(sizes.entries(of: root.path + "/etc/csf/csf.deny") == 4)
        #expect(sizes.entries(of: root.path + "/etc/csf/missing") == 0)
        let counts = Dictionary(uniqueKeysWithValues: sizes.counts().map { ($0.list, $0.entries) })
        #expect(counts["csf.deny"] == 4 && counts["csf.tempban"] == 0)
    }

    @Test func aChangedFileIsCountedAgain() throws {
        let root = try TempDir.csfRoot()
        let path = root.path + "/etc/csf/csf.allow"
        try root.write("etc/csf/csf.allow", "1.1.1.1\n")
        let sizes = ListSizes(paths: CsfPaths(root: root.path))
        #expect(sizes.entries(of: path) == 1)
        try root.write("etc/csf/csf.allow", "1.1.1.1\n2.2.2.2\n")
        #expect(sizes.entries(of: path) == 2)
    }
}
