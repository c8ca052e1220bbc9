import CsfCompat
import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// The UI's connections, guarded before TLS: a client that is banned, outside ui.allow or one of our own
/// addresses is closed on accept (it never gets a handshake, so it cannot hold a UI_CHILDREN slot with one),
/// and a connection that has not finished its TLS handshake within `handshakeSeconds` is closed.
struct GatedTLSChannel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value
    let base: HTTP1Channel
    let tls: NIOSSLContext
    let access: ClientAccess
    let loginGuard: LoginGuard
    let handshakeSeconds: Int64
    let onRefused: @Sendable (IPAddress, String) -> Void

    var responder: HTTPChannelHandler.Responder { base.responder }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            // After the TLS handler, so that its handshake event reaches the gate.
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
            try channel.pipeline.syncOperations.addHandler(ConnectionGate(access: access, loginGuard: loginGuard, handshakeSeconds: handshakeSeconds, onRefused: onRefused))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

final class ConnectionGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    let access: ClientAccess
    let loginGuard: LoginGuard
    let handshakeSeconds: Int64
    let onRefused: @Sendable (IPAddress, String) -> Void
    private var deadline: Scheduled<Void>?

    init(access: ClientAccess, loginGuard: LoginGuard, handshakeSeconds: Int64, onRefused: @escaping @Sendable (IPAddress, String) -> Void) {
        (self.access, self.loginGuard, self.handshakeSeconds, self.onRefused) = (access, loginGuard, handshakeSeconds, onRefused)
    }

    func channelActive(context: ChannelHandlerContext) {
        let text = context.remoteAddress?.ipAddress ?? ""
        let client = IPAddress(text).map { $0.unmapped ?? $0 }
        guard let client else {
            context.close(promise: nil)
            return
        }
        if let why = access.refusal(client, guard: loginGuard) {
            onRefused(client, why)
            context.close(promise: nil)
            return
        }
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: .seconds(handshakeSeconds)) { channel.close(promise: nil) }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            deadline?.cancel()
            deadline = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        context.fireChannelInactive()
    }
}
