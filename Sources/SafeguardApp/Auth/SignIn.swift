import Fluent
import Foundation
import SafeguardPersistence
import Vapor

/// Checks credentials with throttling that neither reveals which accounts exist nor lets anyone lock a real user
/// out: failures are slowed per email *and* address (after a few, that pair waits before its next try, twice as long
/// each time), and per address (locked after many failures in a window). A known and an unknown email are answered
/// alike, in the same time. Every attempt is audited, success or failure.
enum SignIn {
    /// The throttle key of one email from one address: a hash, so the throttle table holds no email address.
    static func pairKey(email: String, address: String) -> String {
        let digest = SHA256.hash(data: Data((email.lowercased().trimmingCharacters(in: .whitespaces) + "\n" + address).utf8))
        return "pair:" + digest.map { String(format: "%02x", $0) }.joined()
    }

    static func attempt(email: String, password: String, on request: Request) async throws -> (User, Organisation) {
        let now = Date()
        let addressKey = "address:" + request.clientAddress
        let pairKey = Self.pairKey(email: email, address: request.clientAddress)
        let store = AccountStore(db: request.db)

        let credentials = try await store.credentials(email: email)
        // A locked address stays locked, except to a browser that has signed in as this person before
        // (`KnownDevice`): someone else at a shared address cannot lock them out.
        if let until = try await store.throttleLockedUntil(key: addressKey, now: now),
           !(credentials.map { KnownDevice.isKnown(request, as: $0.user.id) } ?? false) {
            try await auditFailure(request, user: nil, reason: "address_locked")
            throw locked(until: until, now: now, what: "from this address")
        }
        if let until = try await store.throttleLockedUntil(key: pairKey, now: now) {
            try await auditFailure(request, user: credentials?.user, reason: "backing_off")
            throw locked(until: until, now: now, what: "for this email from this address")
        }
        let hash = credentials?.passwordHash ?? request.application.decoyPasswordHash
        let matches = (try? await request.password.async.verify(password, created: hash).get()) ?? false
        guard let credentials, matches, !credentials.user.disabled else {
            let user = credentials?.user
            let reason = credentials == nil ? "unknown_account" : (matches ? "account_disabled" : "wrong_password")
            // Known or not, the same count: the answer must not tell them apart.
            try await recordFailure(user, key: matches ? nil : pairKey, address: request.clientAddress, detail: "reason=\(reason)", on: request)
            if reason == "account_disabled" {
                // Only someone who knows the password learns this.
                throw APIError(.unauthorized, "account_disabled", "this account is disabled; ask your organisation's admin")
            }
            throw APIError(.unauthorized, "invalid_credentials", "the email or password is not right")
        }
        guard let organisation = try await store.organisation(id: credentials.user.organisationID) else {
            throw APIError.unauthorised()
        }
        return (credentials.user, organisation)
    }

    /// Records the success, and forgets the failures of this email from this address, in the caller's transaction.
    static func recordSuccess(_ user: User, email: String, address: String, detail: String, on db: any Database) async throws {
        try await recordSuccess(user, key: pairKey(email: email, address: address), detail: detail, on: db)
    }

    static func recordSuccess(_ user: User, key: String, detail: String, on db: any Database) async throws {
        try await AccountStore(db: db).recordSuccessfulSignIn(userID: user.id)
        try await AccountStore(db: db).clearThrottle(key: key)
        try await AuditChain.append(event(user, action: "signIn", outcome: "success", detail: detail), on: db)
    }

    /// A wrong second-factor code counts as a failed sign-in for the email and address it followed: the same
    /// back-off, so codes cannot be guessed faster than passwords. Audited.
    static func recordWrongCode(_ user: User, key: String, address: String, detail: String, on request: Request) async throws {
        try await recordFailure(user, key: key, address: address, detail: "reason=wrong_code \(detail)", on: request)
    }

    /// A failed sign-in, for passwords and codes alike: counted toward the back-off of `key` (when given) and the
    /// address's limit, and audited, in one transaction.
    static func recordFailure(_ user: User?, key: String?, address: String, detail: String, on request: Request) async throws {
        let options = request.application.safeguardOptions
        let now = Date()
        _ = try await request.write { db in
            let store = AccountStore(db: db)
            if let key {
                try await store.recordBackOffFailure(key: key, freeAttempts: options.accountFailureLimit, window: options.addressWindow,
                                                     firstWait: options.firstBackOff, longestWait: options.lockDuration, now: now)
            }
            try await store.recordThrottleFailure(key: "address:" + address, limit: options.addressFailureLimit,
                                                  window: options.addressWindow, lockFor: options.lockDuration, now: now)
            try await AuditChain.append(event(user, action: "signIn", outcome: "failure", detail: detail), on: db)
        }
        request.auditRecorded = true
    }

    /// When this email-and-address pair (or the address, unless `knownDevice`) must wait before another try.
    static func waitUntil(key: String, address: String, knownDevice: Bool = false, on request: Request) async throws -> Date? {
        let store = AccountStore(db: request.db)
        let now = Date()
        if !knownDevice, let until = try await store.throttleLockedUntil(key: "address:" + address, now: now) { return until }
        return try await store.throttleLockedUntil(key: key, now: now)
    }

    static func event(_ user: User?, action: String, outcome: String, detail: String) -> AuditEvent {
        AuditEvent(actorID: user?.id, actorRole: user?.role.rawValue ?? "anonymous", organisationID: user?.organisationID,
                   action: action, outcome: outcome, detail: detail)
    }

    static func auditFailure(_ request: Request, user: User?, reason: String) async throws {
        _ = try await request.write { db in
            try await AuditChain.append(event(user, action: "signIn", outcome: "failure", detail: "reason=\(reason)"), on: db)
        }
        request.auditRecorded = true
    }

    static func locked(until: Date, now: Date, what: String) -> APIError {
        let seconds = max(1, Int(until.timeIntervalSince(now).rounded(.up)))
        let wait = seconds < 90 ? "\(seconds) seconds" : "\((seconds + 59) / 60) minutes"
        var error = APIError(.tooManyRequests, "too_many_attempts", "too many failed sign-ins \(what): try again in \(wait)")
        error.headers.replaceOrAdd(name: .retryAfter, value: String(seconds))
        return error
    }
}

/// A bcrypt hash of a random secret, made on first use: every command line start (audit verify, backup, …)
/// configures the application, and none of them signs anyone in.
final class DecoyHash: @unchecked Sendable {
    private let lock = NSLock()
    private var hash: String?
    private let make: @Sendable () -> String

    init(make: @escaping @Sendable () -> String) { self.make = make }

    var value: String {
        lock.lock()
        defer { lock.unlock() }
        if let hash { return hash }
        let made = make()
        hash = made
        return made
    }
}

struct DecoyHashKey: StorageKey { typealias Value = DecoyHash }

extension Application {
    /// A bcrypt hash of a random secret, checked against when an email is unknown so that it takes as long.
    var decoyPasswordHash: String { storage[DecoyHashKey.self]?.value ?? "" }
}
