#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import NIOCore
import NIOPosix
import NIOSSL

/// `csf-ui --messenger`: csf's messenger (MESSENGER = 1), run by lfd as its child. The HTML server answers every
/// request with index.html (403, as csf) or one of the messenger directory's images, the HTTPS server the same
/// over TLS with the certificate of the name asked for (SNI); the TEXT server writes
/// index.text and closes. Both run as MESSENGER_USER with the templates read (as root) before the switch; no
/// connection lives longer than `deadlineSeconds` (csf's 10 s alarm); the process ends when lfd does (its stdin,
/// lfd's pipe, reaches end of file).
enum MessengerService {
    struct Settings: Sendable {
        var bind: String
        var html: Int?
        var text: Int?
        var https: Int?
        var certificates: MessengerCertificates
        var page: MessengerTemplate
        var textPage: MessengerTemplate
        var images: [String: [UInt8]]
        var hostname: String
    }

    static let deadlineSeconds: Int64 = 10

    static func prepare(paths: CsfPaths, config: CsfConfig) -> UIService.Start {
        let user = config["MESSENGER_USER"].trimmingWhitespace()
        let dir = paths.etc("messenger")
        guard let html = try? TextFile.read(dir + "/index.html"), let text = try? TextFile.read(dir + "/index.text") else {
            Output.err("csf-ui: the messenger needs \(dir)/index.html and index.text")
            return .exit(1)
        }
        var https = config.ports("MESSENGER_HTTPS_IN").isEmpty ? nil : Optional(config.int("MESSENGER_HTTPS"))
        let certificates = https == nil ? MessengerCertificates() : MessengerCertificates.load(config: config)
        for problem in certificates.problems { Output.err("csf-ui: MESSENGER_HTTPS: \(problem)") }
        if https != nil && certificates.isEmpty {
            Output.err("csf-ui: MESSENGER_HTTPS: no certificate (MESSENGER_HTTPS_CRT/_KEY, MESSENGER_HTTPS_CONF); the HTTPS messenger is off")
            https = nil
        }
        let settings = Settings(bind: config.bool("IPV6") ? "::" : "0.0.0.0",
                                html: config.ports("MESSENGER_HTML_IN").isEmpty ? nil : config.int("MESSENGER_HTML"),
                                text: config.ports("MESSENGER_TEXT_IN").isEmpty ? nil : config.int("MESSENGER_TEXT"),
                                https: https, certificates: certificates,
                                page: MessengerTemplate(html), textPage: MessengerTemplate(text),
                                images: images(in: dir), hostname: hostname())
        if let problem = Privileges.become(user) {
            Output.err("csf-ui: MESSENGER_USER: \(problem)")
            return .exit(1)
        }
        return .messenger(settings)
    }

    /// The messenger directory's images (csf serves `/<name>.gif|png|jpg`), read once: at most 64 of 1 MB each.
    static func images(in dir: String) -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for name in FileSystem.listDirectory(dir).sorted() where out.count < 64 && HtmlServer.imageType(name) != nil {
            guard name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) }),
                  let bytes = try? TextFile.readBytes(dir + "/" + name), bytes.count <= 1 << 20 else { continue }
            out[name] = bytes
        }
        return out
    }

    static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "this server" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func serve(_ s: Settings) async -> Int32 {
        watchParent()
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                if let port = s.text {
                    let channel = try await TextServer.bind(host: s.bind, port: port, template: s.textPage, hostname: s.hostname)
                    group.addTask { try await channel.closeFuture.get() }
                }
                let pages = HtmlServer.Pages(page: s.page, images: s.images, hostname: s.hostname)
                if let port = s.html {
                    let channel = try await HtmlServer.bind(host: s.bind, port: port, pages: pages, deadlineSeconds: deadlineSeconds)
                    group.addTask { try await channel.closeFuture.get() }
                }
                if let port = s.https, let tls = try s.certificates.context() {
                    let channel = try await HtmlServer.bind(host: s.bind, port: port, pages: pages, deadlineSeconds: deadlineSeconds, tls: tls)
                    group.addTask { try await channel.closeFuture.get() }
                }
                try await group.next()
                group.cancelAll()
            }
            return 0
        } catch {
            Output.err("csf-ui: messenger: \(error)")
            return 1
        }
    }

    /// lfd holds the other end of stdin: end of file means lfd is gone, and so is the messenger.
    static func watchParent() {
        LineReader.start(fd: 0, onLine: { _ in }, onEnd: { exit(0) })
    }
}
