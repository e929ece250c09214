import Vapor

/// Several async middlewares run as one, in one task.
///
/// Vapor runs each `AsyncMiddleware` on a task of its own and waits for the next through a future, so every middleware
/// costs two switches between NIO's event loop and Swift's thread pool. With seven of them, a case read spent more
/// time switching threads than reading. Chained here, the middlewares call one another directly, and the last calls
/// an async route without another task.
///
/// ```swift
/// app.middleware.use(AsyncMiddlewareChain([InFlightMiddleware(counter: counter), SecurityHeadersMiddleware()]))
/// ```
struct AsyncMiddlewareChain: Middleware {
    let middlewares: [any AsyncMiddleware]

    init(_ middlewares: [any AsyncMiddleware]) {
        self.middlewares = middlewares
    }

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let promise = request.eventLoop.makePromise(of: Response.self)
        promise.completeWithTask {
            try await Link(middlewares: middlewares[...], last: next).respond(to: request)
        }
        return promise.futureResult
    }

    /// The rest of the chain, as the responder each middleware is given.
    private struct Link: AsyncResponder {
        let middlewares: ArraySlice<any AsyncMiddleware>
        let last: any Responder

        func respond(to request: Request) async throws -> Response {
            guard let first = middlewares.first else {
                // An async route is called directly; anything else (a future-based responder) is waited for.
                if let asynchronous = last as? any AsyncResponder { return try await asynchronous.respond(to: request) }
                return try await last.respond(to: request).get()
            }
            return try await first.respond(to: request, chainingTo: Link(middlewares: middlewares.dropFirst(), last: last))
        }
    }
}
