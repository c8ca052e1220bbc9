/// Where csf keeps its files. `CSF_ROOT` prefixes every path so a test or demo can run against a
/// throwaway tree; paths written inside csf.conf are used exactly as given.
public struct CsfPaths: Sendable {
    public let root: String

    public init(root: String = "/") {
        self.root = root.isEmpty ? "/" : root
    }

    public static func fromEnvironment() -> CsfPaths {
        CsfPaths(root: Environment.value("CSF_ROOT") ?? "/")
    }

    /// Prefixes an absolute system path with the root.
    public func path(_ absolute: String) -> String {
        if root == "/" { return absolute }
        let base = root.hasSuffix("/") ? String(root.dropLast()) : root
        return base + absolute
    }

    public var etcDir: String { path("/etc/csf") }
    public var libDir: String { path("/var/lib/csf") }
    public var lfdLog: String { path("/var/log/lfd.log") }
    /// Where lfd answers metrics requests (csf-ui reads it); its directory is searchable by UI_RUNAS.
    public var metricsSocket: String { path("/run/csf/lfd.metrics.sock") }
    public var usrLocalCsfBin: String { path("/usr/local/csf/bin") }
    public var resolvConf: String { path("/etc/resolv.conf") }

    public func etc(_ name: String) -> String { etcDir + "/" + name }
    public func lib(_ name: String) -> String { libDir + "/" + name }

    public var config: String { etc("csf.conf") }
    public var allow: String { etc("csf.allow") }
    public var deny: String { etc("csf.deny") }
    public var ignore: String { etc("csf.ignore") }
    public var sips: String { etc("csf.sips") }
    public var redirect: String { etc("csf.redirect") }
    public var disableMarker: String { etc("csf.disable") }
    public var errorMarker: String { etc("csf.error") }
    public var lock: String { lib("csf.lock") }
    /// reCAPTCHA self-unblocks, appended by the messenger (MESSENGER_USER, through a descriptor opened as root)
    /// and taken by lfd.
    public var recaptchaQueue: String { lib("recaptcha.unblock") }
}
