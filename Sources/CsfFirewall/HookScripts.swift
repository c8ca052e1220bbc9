import CsfCompat
import CsfPolicy

/// csfpre.sh / csfpost.sh and their `csfpre.d/` / `csfpost.d/` drop-ins, run around every start.
public struct HookScripts {
    public enum Stage: String, Sendable { case pre = "csfpre", post = "csfpost" }

    public let paths: CsfPaths
    public let timeout: Double

    public init(paths: CsfPaths, timeout: Double? = nil) {
        self.paths = paths
        self.timeout = timeout ?? Environment.value("CSF_SCRIPT_TIMEOUT").flatMap(Double.init) ?? 60
    }

    /// The scripts csf would run, in order: both classic locations (csf runs every copy), then drop-ins by name.
    public func scripts(_ stage: Stage) -> [(path: String, argv: [String])] {
        var out: [(String, [String])] = []
        for dir in [paths.usrLocalCsfBin, paths.etcDir] {
            let path = "\(dir)/\(stage.rawValue).sh"
            if FileSystem.isRegularFile(path) { out.append((path, ["/bin/bash", path])) }
        }
        let dropins = paths.etc("\(stage.rawValue).d")
        for name in FileSystem.listDirectory(dropins) {
            let path = "\(dropins)/\(name)"
            if FileSystem.isExecutableFile(path) { out.append((path, [path])) }
        }
        return out
    }

    /// Runs every script of a stage; the first failure stops the stage with a report naming the script.
    public func run(_ stage: Stage, log: (String) -> Void) throws(CsfError) {
        for (path, argv) in scripts(stage) {
            log("Running \(path)")
            switch Subprocess.run(argv, timeout: timeout) {
            case .exited(0): continue
            case .exited(let code): throw .script(name: path, reason: "exited with status \(code)")
            case .signaled(let sig): throw .script(name: path, reason: "killed by signal \(sig)")
            case .timedOut: throw .script(name: path, reason: "did not finish within \(Int(timeout)) seconds and was killed")
            case .failedToStart(let why): throw .script(name: path, reason: "could not be started: \(why)")
            }
        }
    }
}
