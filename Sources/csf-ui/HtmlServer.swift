import CsfCompat
import NIOCore
import NIOHTTP1
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
    }

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

    init(pages: HtmlServer.Pages, deadlineSeconds: Int64) {
        self.pages = pages
        self.deadlineSeconds = deadlineSeconds
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        context.eventLoop.scheduleTask(in: .seconds(deadlineSeconds)) { channel.close(promise: nil) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) { answer(context, uri: head.uri) }
    }

    private func answer(_ context: ChannelHandlerContext, uri: String) {
        guard !answered else { return }
        answered = true
        let name = uri.split(separator: "?").first.flatMap { $0.split(separator: "/").last }.map(String.init) ?? ""
        var headers = HTTPHeaders([("Cache-Control", "no-store"), ("Connection", "close")])
        let status: HTTPResponseStatus
        var body = context.channel.allocator.buffer(capacity: 1024)
        if let image = pages.images[name], let type = HtmlServer.imageType(name) {
            status = .ok
            headers.add(name: "Content-Type", value: type)
            body.writeBytes(image)
        } else {
            status = .forbidden
            headers.add(name: "Content-Type", value: "text/html; charset=utf-8")
            headers.add(name: "Content-Security-Policy", value: "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'")
            let peer = MessengerAddress.text(context.remoteAddress)
            body.writeString(pages.page.fill(address: peer, hostname: pages.hostname, html: true))
        }
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
