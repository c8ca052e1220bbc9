#if canImport(Glibc)
import Glibc
#endif
import CsfCompat

/// A throwaway directory removed when the value goes away.
public final class TempDir {
    public let path: String

    public init() throws {
        var template = Array("/tmp/nftcsf-test-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw CsfError.io(path: "/tmp", reason: "mkdtemp failed") }
        path = String(cString: p)
    }

    deinit {
        _ = Subprocess.run(["/bin/rm", "-rf", path], timeout: 30)
    }

    public func write(_ name: String, _ text: String) throws {
        try FileSystem.writeAtomically("\(path)/\(name)", text, sync: false)
    }

    public func read(_ name: String) -> String? {
        try? TextFile.read("\(path)/\(name)")
    }

    /// A CSF_ROOT tree with the shipped /etc/csf files and templates, TESTING off.
    public static func csfRoot(config: [String: String] = [:]) throws -> TempDir {
        let dir = try TempDir()
        _ = Subprocess.run(["/bin/mkdir", "-p", dir.path + "/etc", dir.path + "/usr/local/csf", dir.path + "/var/lib/csf"], timeout: 30)
        _ = Subprocess.run(["/bin/cp", "-r", Repo.path("compat/etc/csf"), dir.path + "/etc/"], timeout: 30)
        _ = Subprocess.run(["/bin/cp", "-r", Repo.path("compat/tpl"), dir.path + "/usr/local/csf/"], timeout: 30)
        try dir.setConfig(["TESTING": "0"].merging(config) { $1 })
        return dir
    }

    public var paths: CsfPaths { CsfPaths(root: path) }

    /// Replaces (or appends) `KEY = "value"` lines in etc/csf/csf.conf.
    public func setConfig(_ values: [String: String]) throws {
        let file = "etc/csf/csf.conf"
        var lines = (read(file) ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            lines.removeAll { $0.hasPrefix("\(key) =") }
            lines.append("\(key) = \"\(value)\"")
        }
        try write(file, lines.joined(separator: "\n") + "\n")
    }
}

public enum Repo {
    /// The package root, found from this source file's location.
    public static func path(_ relative: String) -> String {
        var dir = #filePath
        for _ in 0..<3 { dir = FileSystem.dirname(dir) }
        return dir + "/" + relative
    }
}
