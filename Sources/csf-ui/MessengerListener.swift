import NIOCore
import NIOPosix

/// A messenger server's listening socket: each accepted connection gets the handlers `setup` adds.
enum MessengerListener {
    static func bind(host: String, port: Int,
                     _ setup: @escaping @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try setup(channel.pipeline.syncOperations) }
            }
            .bind(host: host, port: port).get()
    }
}
