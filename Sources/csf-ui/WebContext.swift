import CsfCompat
import Hummingbird
import HTTPTypes
import NIOCore

/// A request's context, with the client's address (unmapped from ::ffff:a.b.c.d) for every check.
struct UIContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    var client: IPAddress? {
        guard let text = remoteAddress?.ipAddress, let address = IPAddress(text) else { return nil }
        return address.unmapped ?? address
    }
}

/// Headers every UI answer carries: no script of any origin, no framing, no caching, HTTPS only.
struct SecurityHeaders<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError {
            response = WebPages.plain(error.status, error.body ?? "\(error.status.code)")
        }
        response.headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[.strictTransportSecurity] = "max-age=31536000"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}

/// Refuses, before any route runs, a client that is banned, outside ui.allow or one of our own addresses.
struct ClientGate: RouterMiddleware {
    let access: ClientAccess
    let loginGuard: LoginGuard

    func handle(_ request: Request, context: UIContext, next: (Request, UIContext) async throws -> Response) async throws -> Response {
        guard let client = context.client else { return WebPages.plain(.forbidden, "no client address") }
        if let why = access.refusal(client, guard: loginGuard) { return WebPages.plain(.forbidden, "Access denied: \(why)") }
        return try await next(request, context)
    }
}
