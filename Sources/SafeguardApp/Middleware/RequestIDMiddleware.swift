import Foundation
import SafeguardPersistence
import Vapor

/// Keeps the id a request is logged under (the `request-id` of every line the server logs about it) one that nginx
/// chose or one of the server's own, never one a client chose.
///
/// Vapor names a request by its `X-Request-Id` header when it has one, so without this anyone could choose what the
/// server's log calls their request: another request's id, or words. Behind nginx (`SAFEGUARD_TRUST_FORWARDED_FOR=1`,
/// as for the client's address), nginx sets the header on every request to its own `$request_id`, which its access
/// log also holds, so one request can be followed from nginx's log into each app server's. An id that is not trusted,
/// or not 1–64 letters, digits and hyphens, is replaced by a new random one.
///
/// ```swift
/// app.middleware.use(AsyncMiddlewareChain([RequestIDMiddleware(trustProxy: options.trustForwardedFor), …]))
/// ```
struct RequestIDMiddleware: AsyncMiddleware {
    /// Whether a proxy in front of the server sets `X-Request-Id` on every request, overwriting any a client sent.
    let trustProxy: Bool

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let sent = request.headers.first(name: .xRequestId), !(trustProxy && Self.isWellFormed(sent)) {
            request.logger[metadataKey: "request-id"] = .string(UUID.random().uuidString)
        }
        return try await next.respond(to: request)
    }

    /// 1–64 ASCII letters, digits and hyphens: nginx's `$request_id` (32 hexadecimal digits) and UUIDs.
    static func isWellFormed(_ id: String) -> Bool {
        let bytes = id.utf8
        return (1...64).contains(bytes.count) && bytes.allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || byte == UInt8(ascii: "-")
        }
    }
}
