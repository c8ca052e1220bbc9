import CsfCompat
import NIOCore
import NIOHTTP1

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

    static func bind(host: String, port: Int, pages: Pages, deadlineSeconds: Int64) async throws -> any Channel {
        try await MessengerListener.bind(host: host, port: port) { ops in
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

enum MessengerAddress {
    /// An IPv4 client on the dual-stack socket appears as ::ffff:a.b.c.d; the page shows a.b.c.d.
    static func text(_ a: SocketAddress?) -> String {
        guard let ip = a?.ipAddress else { return "unknown" }
        return ip.hasPrefix("::ffff:") && ip.contains(".") ? String(ip.dropFirst(7)) : ip
    }
}
