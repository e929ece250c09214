import Fluent
import Foundation
import SafeguardPersistence
import Vapor

/// Who is making the request, found from a bearer token or a web session.
public struct Identity: Sendable {
    public var user: User
    public var organisation: Organisation
    public var tokenID: UUID?
    public var viaSession: Bool

    var auditRole: String { user.role.rawValue }
}

struct IdentityKey: StorageKey { typealias Value = Identity }

extension Request {
    var identity: Identity? {
        get { storage[IdentityKey.self] }
        set { storage[IdentityKey.self] = newValue }
    }

    /// The signed-in identity, or 401.
    func requireIdentity() throws -> Identity {
        guard let identity else { throw APIError.unauthorised() }
        return identity
    }

    /// The client's address, for per-address throttling.
    var clientAddress: String {
        if application.safeguardOptions.trustForwardedFor,
           let forwarded = headers.first(name: "X-Forwarded-For")?.split(separator: ",").first {
            return forwarded.trimmingCharacters(in: .whitespaces)
        }
        return remoteAddress?.ipAddress ?? "unknown"
    }
}

/// Finds the identity from `Authorization: Bearer …` or the session cookie. It does not require one:
/// routes do. A presented token that is not valid is refused outright.
struct IdentityMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let store = AccountStore(db: request.db)
        let now = Date()
        if let bearer = request.headers.bearerAuthorization {
            guard let (token, user) = try await store.token(secret: bearer.token, now: now) else {
                throw APIError(.unauthorized, "invalid_token", "this token is not valid: it is unknown, expired or revoked; create a new one with POST /api/v1/tokens")
            }
            guard !user.disabled else {
                throw APIError(.unauthorized, "account_disabled", "this account is disabled; ask your organisation's admin")
            }
            guard let org = try await store.organisation(id: user.organisationID) else { throw APIError.unauthorised() }
            request.identity = Identity(user: user, organisation: org, tokenID: token.id, viaSession: false)
        } else if request.hasSession, let userText = request.session.data["userID"], let userID = UUID(uuidString: userText) {
            let signedInAt = Double(request.session.data["signedInAt"] ?? "") ?? 0
            if now.timeIntervalSince1970 - signedInAt > request.application.safeguardOptions.sessionLifetime {
                request.session.destroy()
            } else if let user = try await store.user(id: userID), !user.disabled,
                      let org = try await store.organisation(id: user.organisationID) {
                request.identity = Identity(user: user, organisation: org, tokenID: nil, viaSession: true)
                // A state-changing API call made with the session cookie must carry the session's CSRF token.
                if request.url.path.hasPrefix("/api/"), ![.GET, .HEAD, .OPTIONS].contains(request.method),
                   !constantTimeEqual(request.headers.first(name: "X-CSRF-Token") ?? "", request.session.data["csrf"] ?? "") {
                    throw APIError(.forbidden, "csrf", "send the X-CSRF-Token header with this session's token")
                }
            } else {
                request.session.destroy()
            }
        }
        return try await next.respond(to: request)
    }
}

/// Compares secrets without stopping at the first difference.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count, !x.isEmpty else { return false }
    var difference: UInt8 = 0
    for i in x.indices { difference |= x[i] ^ y[i] }
    return difference == 0
}
