#if canImport(Glibc)
import Glibc
#endif
@testable import NftFirewall

/// A throwaway directory removed when the value goes away.
final class TempDir {
    let path: String

    init() throws {
        var template = Array("/tmp/nftcsf-test-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw CsfError.io(path: "/tmp", reason: "mkdtemp failed") }
        path = String(cString: p)
    }

    deinit {
        _ = Subprocess.run(["/bin/rm", "-rf", path], timeout: 30)
    }

    func write(_ name: String, _ text: String) throws {
        try FileSystem.writeAtomically("\(path)/\(name)", text, sync: false)
    }
}

enum Repo {
    /// The package root, found from this source file's location.
    static func path(_ relative: String) -> String {
        var dir = #filePath
        for _ in 0..<3 { dir = FileSystem.dirname(dir) }
        return dir + "/" + relative
    }
}
