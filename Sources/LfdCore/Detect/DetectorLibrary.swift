import CsfCompat

/// Where lfd finds its built-in detectors: the directory in `NFTCSF_DETECTORS`, else
/// `/usr/share/nftcsf/detectors` (under CSF_ROOT), where `make install` and the package put them.
public enum DetectorLibrary {
    public static let installedPath = "/usr/share/nftcsf/detectors"

    public static func directory(_ paths: CsfPaths) -> String {
        Environment.value("NFTCSF_DETECTORS") ?? paths.path(installedPath)
    }

    /// The site's regex.custom rules first (they win a line), then the built-in ones, with every problem found.
    /// Without /etc/csf/regex.custom, a csf installation's regex.custom.pm is translated and used; what cannot be
    /// translated is a warning (lfd still starts; `csf --migrate-check` lists it).
    public static func load(_ paths: CsfPaths) -> (rules: [FailureRule], diagnostics: [Diagnostic]) {
        var (custom, customDiagnostics) = CustomRules.load(CustomRules.path(paths))
        if !TextFile.exists(CustomRules.path(paths)), let pm = RegexCustomPm.load(paths) {
            let (translated, problems) = CustomRules.parse(pm.rulesText, path: RegexCustomPm.path(paths))
            custom += translated
            customDiagnostics += pm.diagnostics + problems.map { Diagnostic(.warning, file: $0.file, line: $0.line, "\($0.message) (rule left out)") }
        }
        let (builtin, builtinDiagnostics) = DetectorFile.loadDirectory(directory(paths))
        return (custom + builtin, customDiagnostics + builtinDiagnostics)
    }
}
