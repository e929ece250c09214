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
    /// The web session a page request came with (nil for a bearer token).
    public var webSession: WebSession? = nil

    var auditRole: String { user.role.rawValue }
}

struct IdentityKey: StorageKey { typealias Value = Identity }
struct EndedSessionKey: StorageKey { typealias Value = WebSession.EndReason }

extension Request {
    var identity: Identity? {
        get { storage[IdentityKey.self] }
        set { storage[IdentityKey.self] = newValue }
    }

    /// Why this request's web session ended just now (idle, lifetime, …), so the sign-in page can say so.
    var endedSession: WebSession.EndReason? {
        get { storage[EndedSessionKey.self] }
        set { storage[EndedSessionKey.self] = newValue }
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

/// Identities found recently, so that a signed-in request does not look up its token, user and organisation
/// every time. An entry lives at most `lifetime` (one second): a token revoked or a user disabled by another
/// server process is refused within that. In this process, every change to accounts calls `removeAll()`, so it
/// is refused at once.
///
/// When an entry has lapsed, the requests that come for it at once share one lookup (`loaded(for:_:)`): with a
/// token used on 64 connections, each second's lapse sent up to 64 lookups of the same token to the database.
///
/// ```swift
/// if let identity = cache.identity(for: key, now: now) { … } else { cache.store(identity, for: key, now: now) }
/// let found = try await cache.loaded(for: key) { try await store.identity(tokenSecret: secret, now: now) }
/// ```
final class IdentityCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (identity: Identity, until: Date)] = [:]
    let lifetime: TimeInterval
    private let capacity = 10_000
    /// Token lookups under way, by key: a request that finds one waits for it rather than sending its own.
    private var loading: [String: Task<(APIToken, User, Organisation)?, any Error>] = [:]
    /// Moved on by `removeAll()`: a lookup that began before a change to accounts is not kept, nor shared after it.
    private var generation = 0
    /// Lookups sent (the tests look).
    private(set) var lookups = 0

    init(lifetime: TimeInterval = 1) { self.lifetime = lifetime }

    func identity(for key: String, now: Date) -> Identity? {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = entries[key] else { return nil }
        guard entry.until > now else { entries[key] = nil; return nil }
        return entry.identity
    }

    /// The token, user and organisation of `key` as `load` finds them; if a lookup of `key` is already under way
    /// (begun since accounts last changed), its answer, and nothing is sent. With the generation it began in, for
    /// `store(_:for:now:notAfter:generation:)`.
    func loaded(for key: String, _ load: @escaping @Sendable () async throws -> (APIToken, User, Organisation)?) async throws
        -> (found: (APIToken, User, Organisation)?, generation: Int) {
        let (task, began, mine) = lock.withLock { () -> (Task<(APIToken, User, Organisation)?, any Error>, Int, Bool) in
            if let task = loading[key] { return (task, self.generation, false) }
            let task = Task { try await load() }
            loading[key] = task
            lookups += 1
            return (task, self.generation, true)
        }
        defer { if mine { lock.withLock { if loading[key] == task { loading[key] = nil } } } }
        return (try await task.value, began)
    }

    /// Keeps `identity` for `key`, unless accounts have changed since `generation` (its lookup may have read them
    /// before the change).
    func store(_ identity: Identity, for key: String, now: Date, notAfter: Date? = nil, generation: Int? = nil) {
        lock.lock()
        defer { lock.unlock() }
        if let generation, generation != self.generation { return }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        var until = now.addingTimeInterval(lifetime)
        if let notAfter, notAfter < until { until = notAfter }
        entries[key] = (identity, until)
    }

    /// Forgets every identity: call after any change to users or tokens.
    func removeAll() {
        lock.lock()
        entries.removeAll(keepingCapacity: true)
        loading.removeAll()
        generation += 1
        lock.unlock()
    }
}

struct IdentityCacheKey: StorageKey { typealias Value = IdentityCache }

extension Application {
    var identityCache: IdentityCache {
        kept(IdentityCacheKey.self) { IdentityCache() }
    }
}

/// Finds the identity from `Authorization: Bearer …` or the session cookie. It does not require one:
/// routes do. A presented token that is not valid is refused outright.
struct IdentityMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let cache = request.application.identityCache
        let now = Date()
        if let bearer = request.headers.bearerToken {
            // Keyed by the token's hash: the cache never holds a usable secret.
            let key = "t:" + AccountStore.hashToken(bearer)
            if let identity = cache.identity(for: key, now: now) {
                request.identity = identity
            } else {
                let db = request.db
                let (found, generation) = try await cache.loaded(for: key) {
                    try await AccountStore(db: db).identity(tokenSecret: bearer, now: now)
                }
                guard let (token, user, org) = found, org.tokenLifetime.allows(token, at: now) else {
                    throw APIError(.unauthorized, "invalid_token", "this token is not valid: it is unknown, expired, revoked or older than your organisation allows; create a new one with POST /api/v1/tokens")
                }
                guard !user.disabled else {
                    throw APIError(.unauthorized, "account_disabled", "this account is disabled; ask your organisation's admin")
                }
                let identity = Identity(user: user, organisation: org, tokenID: token.id, viaSession: false)
                cache.store(identity, for: key, now: now, notAfter: org.tokenLifetime.endOf(token), generation: generation)
                request.identity = identity
            }
        } else if request.hasSession, let sessionText = request.session.data["webSessionID"],
                  let sessionID = UUID(text: sessionText) {
            let key = "s:" + sessionText
            var identity = cache.identity(for: key, now: now)
            if identity == nil, let (session, user, org) = try await AccountStore(db: request.db).webSessionIdentity(id: sessionID) {
                identity = Identity(user: user, organisation: org, tokenID: nil, viaSession: true, webSession: session)
                cache.store(identity!, for: key, now: now)
            }
            if var found = identity, let session = found.webSession {
                if session.endedAt != nil || found.user.disabled {
                    request.endedSession = session.endedReason
                    request.session.destroy()
                } else if let reason = found.organisation.sessionPolicy.endReason(signedInAt: session.signedInAt,
                                                                                  lastSeenAt: session.lastSeenAt, now: now) {
                    let user = found.user
                    try await request.write { db in
                        // Two requests may find it expired at once: the one that ends it audits it.
                        if try await AccountStore(db: db).endWebSession(id: session.id, reason: reason, now: now) {
                            try await AuditChain.append(SignIn.event(user, action: "signOut", outcome: "ok",
                                                                     detail: "reason=\(reason.rawValue)"), on: db)
                        }
                    }
                    cache.removeAll()
                    request.endedSession = reason
                    request.session.destroy()
                } else {
                    // Idle time counts in minutes: note the use at most once a minute, not on every request.
                    if now.timeIntervalSince(session.lastSeenAt) >= 60 {
                        try await request.write { db in try await AccountStore(db: db).touchWebSession(id: session.id, now: now) }
                        found.webSession?.lastSeenAt = now
                        cache.store(found, for: key, now: now)
                    }
                    request.identity = found
                    // A state-changing API call made with the session cookie must carry the session's CSRF token.
                    if request.isForAPI, ![.GET, .HEAD, .OPTIONS].contains(request.method),
                       !constantTimeEqual(request.headers.first(name: "X-CSRF-Token") ?? "", request.session.data["csrf"] ?? "") {
                        throw APIError(.forbidden, "csrf", "send the X-CSRF-Token header with this session's token")
                    }
                }
            } else {
                request.session.destroy()
            }
        } else if request.hasSession, request.session.data["userID"] != nil {
            // A session from before sessions were recorded: sign in again.
            request.session.destroy()
        }
        if let identity = request.identity, identity.viaSession, identity.mustSetUpTwoFactor, !Self.allowedBeforeSetUp(request) {
            // Until the second factor is set up, the session reaches only the set-up page.
            if request.isForAPI {
                throw APIError(.forbidden, "two_factor_required", "your organisation requires two-factor sign-in for your role: set it up on the pages (Your account, Two-factor sign-in) first")
            }
            var back = request.url.path
            if request.method != .GET || back == PageRoute.home.path { back = "" }
            return request.redirect(to: PageRoute.twoFactor.path + (back.isEmpty ? "" : "?to=" + (back.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=?+"))) ?? "")),
                                    redirectType: .normal)
        }
        return try await next.respond(to: request)
    }

    /// What a session may reach before its required second factor is set up.
    static func allowedBeforeSetUp(_ request: Request) -> Bool {
        let path = request.url.path
        return path == PageRoute.twoFactor.path || path == PageRoute.signOut.path || path == PageRoute.hide.path
            || path.hasPrefix("/assets/") || path == PageRoute.signIn.path
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

extension HTTPHeaders {
    /// The token of an `Authorization: Bearer …` header, as Vapor's `bearerAuthorization` reads it (the header's
    /// words split at spaces, exactly two, the first "bearer" in any case) but over its UTF-8 bytes. Vapor's splits
    /// the header into `Character`s and lower-cases a copy of the first word: a few microseconds of every signed-in
    /// request, read twice in each (the identity, and the error audit's look for credentials).
    ///
    /// ```swift
    /// request.headers.bearerToken   // "sg_…" for "Authorization: Bearer sg_…"; nil for "Basic …" or none
    /// ```
    var bearerToken: String? {
        guard let value = first(name: .authorization) else { return nil }
        var words: [Swift.Range<String.UTF8View.Index>] = []
        let bytes = value.utf8
        var index = bytes.startIndex
        while index < bytes.endIndex {
            while index < bytes.endIndex, bytes[index] == UInt8(ascii: " ") { index = bytes.index(after: index) }
            guard index < bytes.endIndex else { break }
            let start = index
            while index < bytes.endIndex, bytes[index] != UInt8(ascii: " ") { index = bytes.index(after: index) }
            words.append(start..<index)
            if words.count > 2 { return nil }
        }
        guard words.count == 2 else { return nil }
        let scheme = bytes[words[0]]
        guard scheme.count == 6, zip(scheme, "bearer".utf8).allSatisfy({ $0 | 0x20 == $1 }) else { return nil }
        return String(value[words[1]])
    }
}
