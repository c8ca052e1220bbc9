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
        var recaptcha: (settings: RecaptchaSettings, page: MessengerTemplate)?
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
        let recaptcha: (settings: RecaptchaSettings, page: MessengerTemplate)?
        switch Self.recaptcha(paths: paths, config: config) {
        case .failure(let why):
            Output.err("csf-ui: \(why)")
            return .exit(1)
        case .success(let r): recaptcha = r
        }
        let settings = Settings(bind: config.bool("IPV6") ? "::" : "0.0.0.0",
                                html: config.ports("MESSENGER_HTML_IN").isEmpty ? nil : config.int("MESSENGER_HTML"),
                                text: config.ports("MESSENGER_TEXT_IN").isEmpty ? nil : config.int("MESSENGER_TEXT"),
                                https: https, certificates: certificates,
                                page: MessengerTemplate(html), textPage: MessengerTemplate(text),
                                images: images(in: dir), hostname: hostname(), recaptcha: recaptcha)
        if let problem = Privileges.become(user) {
            Output.err("csf-ui: MESSENGER_USER: \(problem)")
            return .exit(1)
        }
        return .messenger(settings)
    }

    /// RECAPTCHA_SITEKEY set: the secret, the verification endpoint, index.recaptcha.html, and the queue lfd reads
    /// (opened here, as root, before the switch).
    static func recaptcha(paths: CsfPaths, config: CsfConfig) -> Result<(settings: RecaptchaSettings, page: MessengerTemplate)?, StartProblem> {
        let siteKey = config["RECAPTCHA_SITEKEY"].trimmingWhitespace()
        guard !siteKey.isEmpty else { return .success(nil) }
        let secret = config["RECAPTCHA_SECRET"].trimmingWhitespace()
        guard !secret.isEmpty else { return .failure(StartProblem("RECAPTCHA_SITEKEY is set but RECAPTCHA_SECRET is empty")) }
        let pagePath = paths.etc("messenger/index.recaptcha.html")
        guard let page = try? TextFile.read(pagePath) else { return .failure(StartProblem("RECAPTCHA_SITEKEY is set but \(pagePath) cannot be read")) }
        let queuePath = paths.recaptchaQueue
        try? FileSystem.makeDirectories(paths.libDir)
        guard let queue = Recaptcha.openQueue(queuePath) else {
            return .failure(StartProblem("cannot open \(queuePath) for the reCAPTCHA unblocks: \(String(cString: strerror(errno)))"))
        }
        let url = config["RECAPTCHA_VERIFY_URL"].trimmingWhitespace()
        let settings = RecaptchaSettings(siteKey: siteKey, secret: secret, verifyURL: url.isEmpty ? RecaptchaSettings.googleVerifyURL : url,
                                         proxy: config["URLPROXY"].trimmingWhitespace(),
                                         nat: config.list("RECAPTCHA_NAT").compactMap { IPAddress($0) }, queue: queue)
        return .success((settings, MessengerTemplate(page)))
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
                let pages = HtmlServer.Pages(page: s.page, images: s.images, hostname: s.hostname, recaptcha: s.recaptcha)
                if let port = s.html {
                    let channel = try await HtmlServer.bind(host: s.bind, port: port, pages: pages, deadlineSeconds: deadlineSeconds)
                    group.addTask { try await channel.closeFuture.get() }
                }
                if let port = s.https, let tls = try s.certificates.context() {
                    let channel = try await HtmlServer.bind(host: s.bind, port: port, pages: pages, deadlineSeconds: deadlineSeconds, tls: tls)
                    group.addTask { try await channel.closeFuture.get() }
                }
                try await group.next()
                Output.err("csf-ui: messenger: a server stopped listening; exiting (lfd starts it again)")
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
        LineReader.start(fd: 0, onLine: { _ in }, onEnd: {
            Output.err("csf-ui: messenger: lfd's end of the pipe closed; exiting")
            exit(0)
        })
    }
}
