import CsfCompat
import NIOCore

/// The TEXT messenger: on connect, index.text with the client's address, then close (csf's behaviour). Nothing
/// the client sends is read.
enum TextServer {
    static func bind(host: String, port: Int, template: MessengerTemplate, hostname: String) async throws -> any Channel {
        try await MessengerListener.bind(host: host, port: port) { ops in
            try ops.addHandler(TextHandler(template: template, hostname: hostname))
        }
    }
}

final class TextHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let template: MessengerTemplate
    let hostname: String

    init(template: MessengerTemplate, hostname: String) {
        self.template = template
        self.hostname = hostname
    }

    func channelActive(context: ChannelHandlerContext) {
        let line = template.textLine(address: MessengerAddress.text(context.remoteAddress), hostname: hostname)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: line))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    /// Bytes from the client are discarded.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
