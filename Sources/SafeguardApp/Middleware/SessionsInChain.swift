import Vapor

/// Vapor's sessions middleware as one link of an `AsyncMiddlewareChain`, passed over by API requests that carry no
/// session cookie.
///
/// Vapor's `SessionsMiddleware` is future-based, so an async chain can only reach what follows it through another
/// task: two more switches between NIO's event loop and Swift's thread pool on every request. An API request signed
/// in with a bearer token has no session to read or write, so it goes straight on in the same task. Everything else
/// (the pages, and an API call made with the session cookie) goes through Vapor's middleware as before.
///
/// ```swift
/// app.middleware.use(AsyncMiddlewareChain([ErrorAuditMiddleware(), SessionsInChain(app.sessions.middleware,
///                                          cookieName: sessionCookieName), IdentityMiddleware()]))
/// ```
struct SessionsInChain: AsyncMiddleware {
    let sessions: any Middleware
    let cookieName: String

    init(_ sessions: any Middleware, cookieName: String) {
        self.sessions = sessions
        self.cookieName = cookieName
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if Self.needsNoSession(request, cookieName: cookieName) { return try await next.respond(to: request) }
        return try await sessions.respond(to: request, chainingTo: Rest(next: next)).get()
    }

    /// An API request without the session cookie: nothing on that path reads or writes a session (the identity
    /// middleware asks `hasSession` first, which needs no middleware).
    static func needsNoSession(_ request: Request, cookieName: String) -> Bool {
        guard request.isForAPI else { return false }
        guard request.headers.contains(name: .cookie) else { return true }
        return request.cookies[cookieName] == nil
    }

    /// The rest of the chain, as the future-based responder Vapor's middleware calls.
    private struct Rest: Responder {
        let next: any AsyncResponder

        func respond(to request: Request) -> EventLoopFuture<Response> {
            let promise = request.eventLoop.makePromise(of: Response.self)
            promise.completeWithTask { try await next.respond(to: request) }
            return promise.futureResult
        }
    }
}
