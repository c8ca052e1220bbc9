import CsfCompat

/// Where lfd finds its built-in detectors: the directory in `NFTCSF_DETECTORS`, else
/// `/usr/share/nftcsf/detectors` (under CSF_ROOT), where `make install` and the package put them.
public enum DetectorLibrary {
    public static let installedPath = "/usr/share/nftcsf/detectors"

    public static func directory(_ paths: CsfPaths) -> String {
        Environment.value("NFTCSF_DETECTORS") ?? paths.path(installedPath)
    }

    /// The site's regex.custom rules first (they win a line), then the built-in ones, with every problem found.
    public static func load(_ paths: CsfPaths) -> (rules: [FailureRule], diagnostics: [Diagnostic]) {
        let (custom, customDiagnostics) = CustomRules.load(CustomRules.path(paths))
        let (builtin, builtinDiagnostics) = DetectorFile.loadDirectory(directory(paths))
        return (custom + builtin, customDiagnostics + builtinDiagnostics)
    }
}
