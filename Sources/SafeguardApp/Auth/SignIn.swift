import Fluent
import Foundation
import SafeguardPersistence
import Vapor

/// Checks credentials with throttling: per account (locked after repeated failures in a row) and per address
/// (locked after many failures in a window). Every attempt is audited, success or failure.
enum SignIn {

    static func attempt(email: String, password: String, on request: Request) async throws -> (User, Organisation) {
        let options = request.application.safeguardOptions
        let now = Date()
        let addressKey = "address:" + request.clientAddress
        let store = AccountStore(db: request.db)

        if let until = try await store.throttleLockedUntil(key: addressKey, now: now) {
            try await auditFailure(request, user: nil, reason: "address_locked")
            throw locked(until: until, now: now, what: "from this address")
        }
        let credentials = try await store.credentials(email: email)
        if let credentials, let until = credentials.lockedUntil, until > now {
            try await auditFailure(request, user: credentials.user, reason: "account_locked")
            throw locked(until: until, now: now, what: "for this account")
        }
        let hash = credentials?.passwordHash ?? request.application.decoyPasswordHash
        let matches = (try? await request.password.async.verify(password, created: hash).get()) ?? false
        guard let credentials, matches, !credentials.user.disabled else {
            let user = credentials?.user
            let reason = credentials == nil ? "unknown_account" : (matches ? "account_disabled" : "wrong_password")
            _ = try await request.write { db in
                let store = AccountStore(db: db)
                if let user, !matches {
                    try await store.recordFailedSignIn(userID: user.id, limit: options.accountFailureLimit,
                                                       lockFor: options.lockDuration, now: now)
                }
                try await store.recordThrottleFailure(key: addressKey, limit: options.addressFailureLimit,
                                                      window: options.addressWindow, lockFor: options.lockDuration, now: now)
                try await AuditChain.append(event(user, action: "signIn", outcome: "failure", detail: "reason=\(reason)"), on: db)
            }
            request.auditRecorded = true
            if reason == "account_disabled" {
                throw APIError(.unauthorized, "account_disabled", "this account is disabled; ask your organisation's admin")
            }
            throw APIError(.unauthorized, "invalid_credentials", "the email or password is not right")
        }
        guard let organisation = try await store.organisation(id: credentials.user.organisationID) else {
            throw APIError.unauthorised()
        }
        return (credentials.user, organisation)
    }

    /// Records the success (and clears the account's failure count) in the caller's transaction.
    static func recordSuccess(_ user: User, detail: String, on db: any Database) async throws {
        try await AccountStore(db: db).recordSuccessfulSignIn(userID: user.id)
        try await AuditChain.append(event(user, action: "signIn", outcome: "success", detail: detail), on: db)
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
        var error = APIError(.tooManyRequests, "too_many_attempts",
                             "too many failed sign-ins \(what): try again in \((seconds + 59) / 60) minute(s)")
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
