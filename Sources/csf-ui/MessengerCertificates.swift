import CsfCompat

/// The HTTPS messenger's certificates, found as csf finds them: MESSENGER_HTTPS_CRT / _KEY as the default, and
/// every Apache `<VirtualHost>` of the MESSENGER_HTTPS_CONF files (a glob) with its ServerName / ServerAlias
/// names and SSLCertificateFile / SSLCertificateKeyFile, chosen by the name the client sends (SNI). PEM bytes
/// are read here, as root, before the messenger becomes MESSENGER_USER.
struct MessengerCertificates: Sendable {
    struct Identity: Sendable, Equatable {
        var certificate: [UInt8]
        var key: [UInt8]
    }

    var fallback: Identity?
    /// Lower-cased host name → identity; `*.example.com` entries match one label.
    var byName: [String: Identity] = [:]
    var problems: [String] = []

    var isEmpty: Bool { fallback == nil && byName.isEmpty }

    func identity(for serverName: String?) -> Identity? { Self.lookup(serverName, in: byName, fallback: fallback) }

    /// The entry for a name the client sent: exact, else `*.rest-of-name`, else the fallback.
    static func lookup<T>(_ serverName: String?, in table: [String: T], fallback: T?) -> T? {
        guard let name = serverName?.lowercased(), !name.isEmpty else { return fallback }
        if let exact = table[name] { return exact }
        if let dot = name.firstIndex(of: "."), let wild = table["*" + name[dot...]] { return wild }
        return fallback
    }

    static func load(config: CsfConfig, glob: (String) -> [String] = LogSourcePlan.expandGlob) -> MessengerCertificates {
        var found = MessengerCertificates()
        let crt = config["MESSENGER_HTTPS_CRT"].trimmingWhitespace(), key = config["MESSENGER_HTTPS_KEY"].trimmingWhitespace()
        if !crt.isEmpty { found.fallback = found.read(crt, key.isEmpty ? crt : key) }
        let skipMail = config.bool("MESSENGER_HTTPS_SKIPMAIL")
        for path in glob(config["MESSENGER_HTTPS_CONF"].trimmingWhitespace()) {
            guard let text = try? TextFile.read(path) else { continue }
            for host in VirtualHost.parse(text) {
                guard let cert = host.certificate, let identity = found.read(cert, host.key ?? cert) else { continue }
                for name in host.names where !(skipMail && name.hasPrefix("mail.")) && found.byName[name] == nil {
                    found.byName[name] = identity
                }
            }
        }
        return found
    }

    private mutating func read(_ certPath: String, _ keyPath: String) -> Identity? {
        guard let cert = try? TextFile.readBytes(certPath), let key = try? TextFile.readBytes(keyPath) else {
            problems.append("cannot read \(certPath) / \(keyPath)")
            return nil
        }
        return Identity(certificate: cert, key: key)
    }

    /// The parts of an Apache `<VirtualHost>` block the messenger needs.
    struct VirtualHost: Equatable {
        var names: [String] = []
        var certificate: String?
        var key: String?

        static func parse(_ text: String) -> [VirtualHost] {
            var hosts: [VirtualHost] = []
            var current: VirtualHost?
            for raw in text.split(separator: "\n") {
                let words = raw.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                guard let first = words.first?.lowercased(), !first.hasPrefix("#") else { continue }
                if first.hasPrefix("<virtualhost") { current = VirtualHost(); continue }
                if first.hasPrefix("</virtualhost") {
                    if let c = current { hosts.append(c) }
                    current = nil
                    continue
                }
                guard current != nil, words.count >= 2 else { continue }
                let values = words.dropFirst().map { $0.trimmingCharacters(in: "\"") }
                switch first {
                case "servername": current?.names.append(values[0].lowercased())
                case "serveralias": current?.names += values.map { $0.lowercased() }
                case "sslcertificatefile": current?.certificate = values[0]
                case "sslcertificatekeyfile": current?.key = values[0]
                default: continue
                }
            }
            return hosts
        }
    }
}

private extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
