import Crypto
import FluentKit
import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// Two-factor sign-in: setting it up (a secret shown as a QR code, confirmed by a first code, then ten single-use
/// recovery codes), checking a code at sign-in, for an API token or to step up, an admin's reset for a lost phone,
/// and the organisation's choice of who needs it. It takes the acting user, never a request; the clock is injected.
///
/// ```swift
/// let service = TwoFactorService(db: app.db, cipher: app.cipher, gate: app.writeGate, identities: app.identityCache)
/// let secret = TOTP.newSecret()
/// let recoveryCodes = try await service.enable(for: user, secret: secret, firstCode: "492039")
/// let ok = try await service.check(user, code: "492039")              // false: that code was just used
/// ```
struct TwoFactorService: Sendable {
    let db: any Database
    /// Seals and opens the free text this service stores and reads.
    let cipher: FreeTextCipher
    let gate: WriteGate
    let identities: IdentityCache
    var clock: @Sendable () -> Date = { Date() }

    /// How a code was accepted.
    enum Accepted: Equatable { case code, recoveryCode }

    static let recoveryCodeCount = 10

    static func event(_ user: User, _ action: String, outcome: String = "ok", detail: String = "") -> AuditEvent {
        AuditEvent(actorID: user.id, actorRole: user.role.rawValue, organisationID: user.organisationID, action: action,
                   outcome: outcome, detail: detail)
    }

    /// Ten codes like `k7dm-4hqx-9rtw`: 60 random bits each, shown once.
    static func newRecoveryCodes() -> [String] {
        (0..<recoveryCodeCount).map { _ in
            let text = Base32.encode(TOTP.newSecret().prefix(8).map { $0 }).lowercased().prefix(12)
            return stride(from: 0, to: 12, by: 4).map { String(text.dropFirst($0).prefix(4)) }.joined(separator: "-")
        }
    }

    /// The stored form of a recovery code, however it was typed (case, spaces and dashes ignored).
    static func recoveryHash(_ typed: String) -> String {
        let normalised = typed.lowercased().filter { $0.isLetter || $0.isNumber }
        return AccountStore.hashToken("safeguard-recovery\n" + normalised)
    }

    /// Turns it on, if `firstCode` matches the new secret; returns the recovery codes to show once. Audited.
    func enable(for user: User, secret: [UInt8], firstCode: String) async throws -> [String] {
        let now = clock()
        guard let step = TOTP(secret: secret).match(firstCode, at: now, after: nil) else {
            throw APIError.invalid("code", "that code does not match: check the time on your phone is set automatically, and type the code showing now")
        }
        let codes = Self.newRecoveryCodes()
        try await gate.run(db) { db in
            _ = try await AccountStore(db: db).enableTwoFactor(userID: user.id, secret: Base32.encode(secret), step: step,
                                                               recoveryCodeHashes: codes.map(Self.recoveryHash), now: now, cipher: cipher)
            try await AuditChain.append(Self.event(user, "twoFactor.enable"), on: db)
        }
        identities.removeAll()
        return codes
    }

    /// Checks a code from the authenticator app (or, when `recoveryCodes` is true, one of the recovery codes), and
    /// uses it up. Nil when it does not match, was used before, or the user has no second factor.
    func check(_ user: User, code typed: String, recoveryCodes: Bool = true) async throws -> Accepted? {
        let now = clock()
        guard let (secretText, lastStep) = try await AccountStore(db: db).twoFactorSecret(userID: user.id, cipher: cipher),
              let secret = Base32.decode(secretText) else { return nil }
        if let step = TOTP(secret: secret).match(typed, at: now, after: lastStep) {
            let fresh = try await gate.run(db) { db in try await AccountStore(db: db).useTwoFactorStep(userID: user.id, step: step) }
            return fresh ? .code : nil
        }
        guard recoveryCodes, typed.filter({ $0.isLetter || $0.isNumber }).count == 12 else { return nil }
        let used = try await gate.run(db) { db in
            let used = try await AccountStore(db: db).useRecoveryCode(userID: user.id, codeHash: Self.recoveryHash(typed), now: now)
            if used { try await AuditChain.append(Self.event(user, "twoFactor.recoveryCode"), on: db) }
            return used
        }
        return used ? .recoveryCode : nil
    }

    /// Notes a code given in this web session, so that for 15 minutes it can open what needs a fresh code.
    func stepUp(session: UUID) async throws {
        let now = clock()
        try await gate.run(db) { db in try await AccountStore(db: db).markSecondFactor(sessionID: session, now: now) }
        identities.removeAll()
    }

    /// An admin resets a user's second factor (a lost or replaced phone): their next sign-in sets it up again. Audited.
    func reset(_ userID: UUID, by actor: Identity) async throws -> User {
        guard actor.user.role == .admin else { throw APIError.forbidden("only an admin resets two-factor sign-in") }
        guard let user = try await AccountStore(db: db).user(id: userID), user.organisationID == actor.organisation.id else {
            throw APIError.notFound("user")
        }
        // Nothing to reset would still end their sessions, for no reason, and say it was done.
        guard user.hasTwoFactor else {
            throw APIError(.conflict, "nothing_to_reset", "\(user.displayName) has not set up two-factor sign-in: there is nothing to reset")
        }
        let now = clock()
        let reset = try await gate.run(db) { db in
            let reset = try await AccountStore(db: db).resetTwoFactor(userID: userID, now: now)
            try await AuditChain.append(AccountService.event(actor, "twoFactor.reset", detail: "user=\(userID.uuidString.lowercased())"), on: db)
            return reset
        }
        identities.removeAll()
        return reset
    }

}

extension Request {
    var twoFactorService: TwoFactorService {
        TwoFactorService(db: db, cipher: application.cipher, gate: application.writeGate, identities: application.identityCache)
    }
}

extension Identity {
    /// True when the organisation requires a second factor of this person and they have not set one up: until they
    /// do, their session reaches only the set-up page (and signing out).
    var mustSetUpTwoFactor: Bool {
        organisation.twoFactorPolicy.requires(user.role) && !user.hasTwoFactor
    }

    /// True when this web session gave a code within `lifetime` (15 minutes unless the server is set otherwise).
    func isSteppedUp(at now: Date, lifetime: TimeInterval) -> Bool {
        guard let at = webSession?.secondFactorAt else { return false }
        return now.timeIntervalSince(at) <= lifetime
    }
}
