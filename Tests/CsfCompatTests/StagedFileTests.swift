import Foundation
import Testing
@testable import CsfCompat
import CsfTestSupport

/// lfd writes a list's cached copy before taking csf's lock and frees the old copy after it: a staged file is
/// complete on disk before `install`, `install` is only the rename, and the replaced copy lives until `release`.
@Suite struct StagedFileTests {
    static func descriptorsNaming(_ path: String) -> Int {
        FileSystem.listDirectory("/proc/self/fd").filter { (FileSystem.readLink("/proc/self/fd/" + $0) ?? "") == path + " (deleted)" }.count
    }

    @Test func aStagedFileIsInvisibleUntilInstalledAndKeepsTheOldMode() throws {
        let dir = try TempDir()
        let path = dir.path + "/csf.block.TEST"
        try dir.write("csf.block.TEST", "old\n")
        chmod(path, 0o640)
        let staged = try StagedFile(path, bytes: Array("new\n".utf8), mode: 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old\n", "the destination is untouched until install")
        #expect(FileManager.default.fileExists(atPath: staged.temporary))
        let replaced = try staged.install()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new\n")
        #expect(!FileManager.default.fileExists(atPath: staged.temporary))
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o640, "an existing file's mode is kept")
        #expect(Self.descriptorsNaming(path) == 1, "the old copy is still open, its blocks not yet freed")
        replaced.release()
        #expect(Self.descriptorsNaming(path) == 0)
        #expect(throws: CsfError.self) { _ = try staged.install() }
    }

    @Test func aStagedFileNeverInstalledLeavesNothingBehind() throws {
        let dir = try TempDir()
        let path = dir.path + "/csf.block.TEST"
        var temporary = ""
        do {
            let staged = try StagedFile(path, bytes: Array("new\n".utf8))
            temporary = staged.temporary
            #expect(FileManager.default.fileExists(atPath: temporary))
        }
        #expect(!FileManager.default.fileExists(atPath: temporary), "dropped: the staged copy is removed")
        #expect(!FileManager.default.fileExists(atPath: path))
        // A first copy replaces nothing.
        try StagedFile(path, bytes: Array("first\n".utf8)).install().release()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "first\n")
    }
}
