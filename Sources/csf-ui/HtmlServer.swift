import CsfCompat
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The HTML messenger: SwiftNIO's HTTP/1 parser, then one answer per connection and the connection closed, as
/// csf's messenger did (a blocked visitor holds nothing open). An image of the messenger directory by its exact
/// name, anything else the block page with status 403 (csf's). The answer goes as soon as the request line and
/// headers are in (NIO caps their size; a body is never read), and a connection is closed `deadlineSeconds` after
/// it opened whatever it does: a client trickling bytes cannot hold it. Nothing of the request reaches the page
/// but the client's address.
enum HtmlServer {
    static func imageType(_ name: String) -> String? {
        if name.hasSuffix(".png") { return "image/png" }
        if name.hasSuffix(".gif") { return "image/gif" }
        if name.hasSuffix(".jpg") { return "image/jpeg" }
        return nil
    }

    struct Pages: Sendable {
        let page: MessengerTemplate
        let images: [String: [UInt8]]
        let hostname: String
        /// RECAPTCHA_SITEKEY set: index.recaptcha.html instead of index.html, and `/unblk` answered.
        var recaptcha: (settings: RecaptchaSettings, page: MessengerTemplate)? = nil
    }

    static let policy = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    /// Google's widget is a script and a frame of theirs: allowed from there only, and only on the recaptcha page.
    static let recaptchaPolicy = "default-src 'none'; img-src 'self' https://www.gstatic.com; style-src 'unsafe-inline'; "
        + "script-src https://www.google.com/recaptcha/ https://www.gstatic.com/recaptcha/; "
        + "frame-src https://www.google.com/recaptcha/ https://recaptcha.google.com/recaptcha/; form-action 'self'"

    /// With `tls` the same server speaks HTTPS (the HTTPS messenger), its certificate chosen by SNI.
    static func bind(host: String, port: Int, pages: Pages, deadlineSeconds: Int64, tls: NIOSSLContext? = nil) async throws -> any Channel {
        try await MessengerListener.bind(host: host, port: port) { ops in
            if let tls { try ops.addHandler(NIOSSLServerHandler(context: tls)) }
            try ops.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: true)
            try ops.addHandler(HtmlHandler(pages: pages, deadlineSeconds: deadlineSeconds))
        }
    }
}

final class HtmlHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let pages: HtmlServer.Pages
    let deadlineSeconds: Int64
    private var answered = false
    /// Cancelled when the connection ends: a pending task holds its channel, so 10 s of closed connections (65,000
    /// at 6,500/s) stayed in memory until their deadlines passed (282 MB under the 1,000-connection bench).
    private var deadline: Scheduled<Void>?

    init(pages: HtmlServer.Pages, deadlineSeconds: Int64) {
        self.pages = pages
        self.deadlineSeconds = deadlineSeconds
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: .seconds(deadlineSeconds)) { channel.close(promise: nil) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) { answer(context, uri: head.uri) }
    }

    private func answer(_ context: ChannelHandlerContext, uri: String) {
        guard !answered else { return }
        answered = true
        let name = uri.split(separator: "?").first.flatMap { $0.split(separator: "/").last }.map(String.init) ?? ""
        let peer = MessengerAddress.text(context.remoteAddress)
        if let image = pages.images[name], let type = HtmlServer.imageType(name) {
            respond(context, .ok, type: type, policy: nil, body: image)
        } else if let (settings, page) = pages.recaptcha {
            guard let token = Recaptcha.token(fromURI: uri) else {
                respond(context, .forbidden, type: "text/html; charset=utf-8", policy: HtmlServer.recaptchaPolicy,
                        body: Array(recaptchaPage(page, settings, peer: peer, outcome: .none).utf8))
                return
            }
            // The check is a blocking HTTPS request: it runs on NIO's thread pool, the answer on this event loop.
            let reached = context.localAddress?.ipAddress.flatMap { IPAddress($0) }.map { $0.unmapped ?? $0 }
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            NIOThreadPool.singleton.runIfActive(eventLoop: context.eventLoop) { () -> Recaptcha.Outcome in
                let outcome = Recaptcha.verify(token: token, peer: peer, reached: reached, settings: settings)
                if case .success(let hostname, let ip) = outcome,
                   !Recaptcha.enqueue(peer: peer, hostname: hostname, ip: ip, fd: settings.queue) {
                    return .error("Unable to queue the unblock request")
                }
                return outcome
            }.whenComplete { result in
                let (handler, context) = bound.value
                let outcome = (try? result.get()) ?? .error("Unable to verify with Google reCAPTCHA")
                handler.respond(context, .forbidden, type: "text/html; charset=utf-8", policy: HtmlServer.recaptchaPolicy,
                                body: Array(handler.recaptchaPage(page, settings, peer: peer, outcome: outcome).utf8))
            }
        } else {
            respond(context, .forbidden, type: "text/html; charset=utf-8", policy: HtmlServer.policy,
                    body: Array(pages.page.fill(address: peer, hostname: pages.hostname, html: true).utf8))
        }
    }

    private func recaptchaPage(_ page: MessengerTemplate, _ settings: RecaptchaSettings, peer: String, outcome: Recaptcha.Outcome) -> String {
        Recaptcha.fill(page.fill(address: peer, hostname: pages.hostname, html: true), siteKey: settings.siteKey, outcome: outcome)
    }

    private func respond(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, type: String, policy: String?, body bytes: [UInt8]) {
        var headers = HTTPHeaders([("Cache-Control", "no-store"), ("Connection", "close"), ("Content-Type", type)])
        if let policy { headers.add(name: "Content-Security-Policy", value: policy) }
        var body = context.channel.allocator.buffer(capacity: bytes.count)
        body.writeBytes(bytes)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}

extension MessengerCertificates {
    /// One TLS context for every name: the default certificate, replaced during the handshake by the one
    /// registered for the name the client asked for.
    func context() throws -> NIOSSLContext? {
        typealias Source = (chain: [NIOSSLCertificateSource], key: NIOSSLPrivateKeySource)
        func source(_ id: Identity) throws -> Source {
            (try NIOSSLCertificate.fromPEMBytes(id.certificate).map { .certificate($0) },
             .privateKey(try NIOSSLPrivateKey(bytes: id.key, format: .pem)))
        }
        guard let base = try (fallback ?? byName.sorted(by: { $0.key < $1.key }).first?.value).map(source) else { return nil }
        var table: [String: Source] = [:]
        for (name, id) in byName { table[name] = try source(id) }
        let (named, defaultSource) = (table, try fallback.map(source))
        let pick: @Sendable (String?) -> Source? = { MessengerCertificates.lookup($0, in: named, fallback: defaultSource) }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: base.chain, privateKey: base.key)
        configuration.minimumTLSVersion = .tlsv12
        configuration.sslContextCallback = { values, promise in
            var change = NIOSSLContextConfigurationOverride()
            if let s = pick(values.serverHostname) {
                change.certificateChain = s.chain
                change.privateKey = s.key
            }
            promise.succeed(change)
        }
        return try NIOSSLContext(configuration: configuration)
    }
}

enum MessengerAddress {
    /// An IPv4 client on the dual-stack socket appears as ::ffff:a.b.c.d; the page shows a.b.c.d.
    static func text(_ a: SocketAddress?) -> String {
        guard let ip = a?.ipAddress else { return "unknown" }
        return ip.hasPrefix("::ffff:") && ip.contains(".") ? String(ip.dropFirst(7)) : ip
    }
}
