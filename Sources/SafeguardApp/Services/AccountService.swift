import FluentKit
import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// A person's own sessions and tokens, the organisation's session limits, and admin-made password reset links:
/// the one path the JSON API, the pages and the command line take. It takes the acting user, never a request.
///
/// ```swift
/// let service = AccountService(db: app.db, cipher: app.cipher, gate: app.writeGate, identities: app.identityCache)
/// let (sessions, tokens) = try await service.sessions(of: identity)
/// try await service.signOutEverywhere(identity)
/// ```
struct AccountService: Sendable {
    let db: any Database
    /// Seals and opens the free text this service stores and reads.
    let cipher: FreeTextCipher
    let gate: WriteGate
    let identities: IdentityCache
    var clock: @Sendable () -> Date = { Date() }

    /// How long an admin's reset link works.
    static let resetLinkLifetime: TimeInterval = 3600

    static func event(_ actor: Identity?, _ action: String, outcome: String = "ok", detail: String = "") -> AuditEvent {
        AuditEvent(actorID: actor?.user.id, actorRole: actor?.auditRole ?? "system", organisationID: actor?.organisation.id,
                   action: action, outcome: outcome, detail: detail)
    }

    /// The person's web sessions that still count, and their tokens not yet revoked or expired.
    func sessions(of actor: Identity) async throws -> (sessions: [WebSession], tokens: [APIToken]) {
        let now = clock()
        let store = AccountStore(db: db)
        let sessions = try await store.activeWebSessions(userID: actor.user.id, policy: actor.organisation.sessionPolicy, now: now)
        let tokens = actor.organisation.tokenLifetime.inForce(try await store.tokens(userID: actor.user.id), at: now)
        return (sessions, tokens)
    }

    /// A user's API tokens still in use and when they last signed in on the pages, for their organisation's admin (a
    /// lost laptop's token could otherwise be stopped only by disabling the account). Another organisation's user is
    /// "not found"; anyone but an admin is refused. The caller audits the read (`user.tokens.list`, naming the user).
    func access(of userID: UUID, by admin: Identity) async throws -> (user: User, tokens: [APIToken], lastSignIn: Date?) {
        guard admin.user.role == .admin else { throw APIError.forbidden("only an admin sees another person's API tokens") }
        let store = AccountStore(db: db)
        guard let user = try await store.user(id: userID), user.organisationID == admin.organisation.id else { throw APIError.notFound("user") }
        let now = clock()
        let tokens = admin.organisation.tokenLifetime.inForce(try await store.tokens(userID: user.id), at: now)
        let lastSignIn = try await store.lastSignIn(userID: user.id)
        return (user, tokens, lastSignIn)
    }

    /// Ends one of the person's own sessions (this one included). Another person's session is "not found".
    func endSession(_ id: UUID, by actor: Identity) async throws -> WebSession {
        let now = clock()
        guard let session = try await AccountStore(db: db).webSession(id: id), session.userID == actor.user.id else {
            throw APIError.notFound("session")
        }
        let ended = try await gate.run(db) { db in
            let store = AccountStore(db: db)
            try await store.endWebSession(id: id, reason: .endedByUser, now: now)
            try await AuditChain.append(Self.event(actor, "session.end", detail: "session=\(id.uuidString.lowercased())"), on: db)
            return try await store.webSession(id: id) ?? session
        }
        identities.removeAll()
        return ended
    }

    /// Revokes a token: the person's own, or (as an admin) one of their organisation's users'. Anyone else's is
    /// "not found". Audited; the identity cache forgets it at once.
    func revokeToken(_ id: UUID, by actor: Identity, via: String = "") async throws -> APIToken {
        let store = AccountStore(db: db)
        guard let token = try await store.token(id: id), let owner = try await store.user(id: token.userID),
              owner.organisationID == actor.organisation.id, owner.id == actor.user.id || actor.user.role == .admin else {
            throw APIError.notFound("token")
        }
        let now = clock()
        let revoked = try await gate.run(db) { db in
            let revoked = try await AccountStore(db: db).revokeToken(id: id, now: now)
            try await AuditChain.append(Self.event(actor, "token.revoke", detail: "token=\(id.uuidString.lowercased())" + via), on: db)
            return revoked
        }
        identities.removeAll()
        return revoked
    }

    /// Ends every session and revokes every token of the person, this session or token included.
    func signOutEverywhere(_ actor: Identity) async throws -> (sessions: Int, tokens: Int) {
        let now = clock()
        let counts = try await gate.run(db) { db in
            let counts = try await AccountStore(db: db).signOutEverywhere(userID: actor.user.id, now: now)
            try await AuditChain.append(Self.event(actor, "signOut", detail: "reason=signedOutEverywhere sessions=\(counts.sessions) tokens=\(counts.tokens)"), on: db)
            return counts
        }
        identities.removeAll()
        return counts
    }

    /// Sets how the person's letters are signed: their rank and collar number (each trimmed; empty clears it).
    func setSignature(_ actor: Identity, rank: String?, collarNumber: String?) async throws -> User {
        func clean(_ value: String?, _ field: String, most: Int) throws -> String? {
            let text = (value ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard text.count <= most else { throw APIError.invalid(field, "at most \(most) characters") }
            return text.isEmpty ? nil : text
        }
        let rank = try clean(rank, "rank", most: 60)
        let collar = try clean(collarNumber, "collarNumber", most: 20)
        let user = try await gate.run(db) { db in
            guard let user = try await AccountStore(db: db).setSignature(userID: actor.user.id, rank: rank, collarNumber: collar) else {
                throw APIError.notFound("user")
            }
            try await AuditChain.append(Self.event(actor, "user.signature", detail: "rank=\(rank == nil ? "none" : "set") collarNumber=\(collar == nil ? "none" : "set")"), on: db)
            return user
        }
        identities.removeAll()
        return user
    }

    /// Changes the organisation's settings (admin only): its session limits, who needs two-factor sign-in and the
    /// step-up age, either or both, in one transaction with one audit entry, so a refused part leaves all unchanged.
    func setSettings(session: SessionPolicy?, twoFactor: TwoFactorPolicy?, retention: RetentionSchedule? = nil, work: WorkPolicy? = nil,
                     tokens: TokenLifetime? = nil, by actor: Identity) async throws -> Organisation {
        guard actor.user.role == .admin else { throw APIError.forbidden("only an admin changes the organisation's settings") }
        var changes: [String] = []
        if let session { changes.append("sessionIdleMinutes=\(session.idleMinutes) sessionLifetimeHours=\(session.lifetimeHours)") }
        if let twoFactor { changes.append("twoFactorRoles=\(twoFactor.storedRoles) stepUpCaseAgeDays=\(twoFactor.stepUpCaseAgeDays)") }
        if let retention {
            changes.append("retentionPoliceGroup=\(retention.policeGroup) retentionSchoolAge=\(retention.schoolAge) retentionSchoolYears=\(retention.schoolYearsAfterClosing.map(String.init) ?? "none")")
        }
        if let work { changes.append("quietCaseDays=\(work.quietCaseDays) mustActionDays=\(work.mustActionDays)") }
        if let tokens { changes.append("apiTokenMaxDays=\(tokens.maxDays)") }
        guard !changes.isEmpty else { return actor.organisation }
        let detail = changes.joined(separator: " ")
        let organisation = try await gate.run(db) { db in
            let store = AccountStore(db: db)
            var organisation = actor.organisation
            if let session { organisation = try await store.setSessionPolicy(organisationID: actor.organisation.id, session) }
            if let twoFactor { organisation = try await store.setTwoFactorPolicy(organisationID: actor.organisation.id, twoFactor) }
            if let retention { organisation = try await store.setRetention(organisationID: actor.organisation.id, retention) }
            if let work { organisation = try await store.setWorkPolicy(organisationID: actor.organisation.id, work) }
            if let tokens { organisation = try await store.setTokenLifetime(organisationID: actor.organisation.id, tokens) }
            try await AuditChain.append(Self.event(actor, "organisation.settings", detail: detail), on: db)
            return organisation
        }
        identities.removeAll()
        return organisation
    }

    /// A one-time reset link's secret for a user of the admin's organisation (or, with no actor, from the command
    /// line, for anyone). Any earlier link for them stops working.
    func createResetLink(for userID: UUID, by actor: Identity?) async throws -> (PasswordReset, secret: String, user: User) {
        let now = clock()
        if let actor {
            guard actor.user.role == .admin else { throw APIError.forbidden("only an admin makes password reset links") }
        }
        guard let user = try await AccountStore(db: db).user(id: userID),
              actor == nil || user.organisationID == actor!.organisation.id else { throw APIError.notFound("user") }
        guard !user.disabled else {
            throw APIError(.conflict, "account_disabled", "this account is disabled: enable it before making a reset link")
        }
        let made = try await gate.run(db) { db in
            let made = try await AccountStore(db: db).createPasswordReset(userID: userID, createdBy: actor?.user.id, now: now,
                                                                          lifetime: Self.resetLinkLifetime)
            var event = Self.event(actor, "password.resetLink", detail: "user=\(userID.uuidString.lowercased())" + (actor == nil ? " via=cli" : ""))
            if actor == nil { event.organisationID = user.organisationID }
            try await AuditChain.append(event, on: db)
            return made
        }
        return (made.0, made.secret, user)
    }

    /// The user a reset link is for, if it still works.
    func resetLink(_ secret: String) async throws -> (PasswordReset, User)? {
        try await AccountStore(db: db).passwordReset(secret: secret, now: clock())
    }

    /// A person's name as colleagues know it: 1–120 characters once trimmed (the pages ask the same). A blank name
    /// was taken through the API, and then named nobody on every page and in the chronology.
    static func checkedName(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...120).contains(trimmed.count) else {
            throw APIError.invalid("displayName", "give their name as colleagues know it, 1–120 characters")
        }
        return trimmed
    }

    /// Adds a user to the admin's organisation, audited. The caller checks the password against `PasswordPolicy` and
    /// hashes it (bcrypt, on the web layer's thread pool); an email already in use is `StoreError.duplicate`.
    /// A team already in the organisation joins it (one team, whatever its letters' case or spacing: "response east"
    /// joins "Response East"); `team` unchanged or nil adds them to none.
    func createUser(by admin: Identity, email: String, displayName: String, role: Role, passwordHash: String,
                    team: TeamChange = .unchanged, via: String = "") async throws -> User {
        let displayName = try Self.checkedName(displayName)
        return try await gate.run(db) { db in
            let store = AccountStore(db: db)
            var user = try await store.createUser(organisationID: admin.organisation.id, email: email,
                                                  displayName: displayName, role: role, passwordHash: passwordHash)
            var detail = "user=\(user.id.uuidString.lowercased()) role=\(user.role.rawValue)"
            if case .set(let name?) = team {
                let teamName = try await Self.existingTeam(named: name, in: store, organisationID: admin.organisation.id) ?? name
                user = try await store.setTeam(userID: user.id, team: teamName) ?? user
                detail += " team=set"
            }
            try await AuditChain.append(Self.event(admin, "user.create", detail: detail + via), on: db)
            return user
        }
    }

    /// The organisation's team that `name` means, written as it was first written, if there is one.
    static func existingTeam(named name: String, in store: AccountStore, organisationID: UUID) async throws -> String? {
        let key = teamKey(name)
        return try await store.users(organisationID: organisationID).compactMap(\.team).first { teamKey($0) == key }
    }

    /// A team's name for comparing: case and spacing aside.
    static func teamKey(_ name: String) -> String {
        name.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Changes a user of the admin's organisation: each of role, access, name, password and team only where given
    /// and different from what `user` has. Audited with what changed (never a team's name or the password itself);
    /// the identity cache forgets everyone at once, so a new role or a disabled account counts on the next request.
    func updateUser(_ user: User, by admin: Identity, role: Role? = nil, disabled: Bool? = nil, displayName: String? = nil,
                    passwordHash: String? = nil, team: TeamChange = .unchanged, via: String = "") async throws -> User {
        let role = role == user.role ? nil : role
        let disabled = disabled == user.disabled ? nil : disabled
        let named = try displayName.map(Self.checkedName)
        let displayName = named == user.displayName ? nil : named
        let updated = try await gate.run(db) { db in
            let store = AccountStore(db: db)
            var updated = try await store.updateUser(id: user.id, role: role, disabled: disabled, displayName: displayName,
                                                     passwordHash: passwordHash, actingUserID: admin.user.id)
            var changes: [String] = []
            // A team already in the organisation is one team whatever its letters' case or spacing: "response east"
            // joins "Response East" (a review found two teams, and a supervisor who saw none of the officer's cases).
            var team = team
            if case .set(let name?) = team, let existing = try await Self.existingTeam(named: name, in: store, organisationID: user.organisationID) {
                team = .set(existing)
            }
            if case .set(let name) = team, name != user.team {
                updated = try await store.setTeam(userID: user.id, team: name) ?? updated
                changes.append(name == nil ? "team=none" : "team=set")
            }
            if let role { changes.append("role=\(role.rawValue)") }
            if let disabled { changes.append("disabled=\(disabled)") }
            if passwordHash != nil { changes.append("password") }
            if displayName != nil { changes.append("displayName") }
            try await AuditChain.append(Self.event(admin, "user.update", detail: "user=\(user.id.uuidString.lowercased()) "
                                                   + changes.joined(separator: " ") + via), on: db)
            return updated
        }
        identities.removeAll()
        return updated
    }

    /// Uses a reset link: checks the password against `PasswordPolicy`, sets it, ends the person's sessions and
    /// revokes their tokens. `hash` turns the accepted password into its stored form (bcrypt, from the web layer).
    func completeReset(_ secret: String, password: String, hash: @Sendable (String) async throws -> String) async throws -> User {
        guard let (reset, user) = try await resetLink(secret) else {
            throw APIError(.gone, "link_expired", "this link has been used or has run out: ask your admin for a new one")
        }
        if let problem = PasswordPolicy.problem(with: password, email: user.email) { throw APIError.invalid("password", problem) }
        let hashed = try await hash(password)
        let now = clock()
        let done = try await gate.run(db) { db in
            let done = try await AccountStore(db: db).completePasswordReset(id: reset.id, passwordHash: hashed, now: now)
            try await AuditChain.append(AuditEvent(actorID: user.id, actorRole: user.role.rawValue, organisationID: user.organisationID,
                                                   action: "password.reset", detail: "via=link"), on: db)
            return done
        }
        identities.removeAll()
        return done
    }
}

extension Request {
    var accountService: AccountService {
        AccountService(db: db, cipher: application.cipher, gate: application.writeGate, identities: application.identityCache)
    }
}

extension Application {
    var accountService: AccountService {
        AccountService(db: db, cipher: cipher, gate: writeGate, identities: identityCache)
    }
}
