import Crypto
import FluentKit
import Foundation
import SafeguardCore

/// Organisations, users, sign-in throttles and API tokens.
public struct AccountStore: Sendable {
    let db: any Database
    public init(db: any Database) { self.db = db }

    // MARK: Organisations

    static func value(_ m: OrganisationModel) -> Organisation {
        Organisation(id: m.id!, name: m.name, kind: OrganisationKind(rawValue: m.kind) ?? .police,
                     jurisdiction: Jurisdiction(rawValue: m.jurisdiction) ?? .england, createdAt: m.createdAt,
                     sessionPolicy: SessionPolicy(idleMinutes: m.sessionIdleMinutes, lifetimeHours: m.sessionLifetimeHours),
                     twoFactorPolicy: TwoFactorPolicy(roles: TwoFactorPolicy.roles(stored: m.twoFactorRoles), stepUpCaseAgeDays: m.stepUpCaseAgeDays),
                     retention: RetentionSchedule(policeGroup: m.retentionPoliceGroup, schoolAge: m.retentionSchoolAge,
                                                  schoolYearsAfterClosing: m.retentionSchoolYears),
                     workPolicy: WorkPolicy(quietCaseDays: m.quietCaseDays, mustActionDays: m.mustActionDays),
                     tokenLifetime: TokenLifetime(maxDays: m.apiTokenMaxDays))
    }

    public func createOrganisation(name: String, kind: OrganisationKind, jurisdiction: Jurisdiction) async throws -> Organisation {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw StoreError.invalid(field: "organisation", message: "give the organisation a name") }
        if try await OrganisationModel.query(on: db).filter(\.$name == trimmed).first() != nil {
            throw StoreError.duplicate("an organisation called \"\(trimmed)\" already exists")
        }
        let m = OrganisationModel()
        m.id = UUID.random()
        m.name = trimmed
        m.kind = kind.rawValue
        m.jurisdiction = jurisdiction.rawValue
        m.nextCaseNumber = 1
        m.sessionIdleMinutes = SessionPolicy.standard.idleMinutes
        m.sessionLifetimeHours = SessionPolicy.standard.lifetimeHours
        m.twoFactorRoles = TwoFactorPolicy.standard.storedRoles
        m.stepUpCaseAgeDays = TwoFactorPolicy.standard.stepUpCaseAgeDays
        m.retentionPoliceGroup = RetentionSchedule.standard.policeGroup
        m.retentionSchoolAge = RetentionSchedule.standard.schoolAge
        m.retentionSchoolYears = RetentionSchedule.standard.schoolYearsAfterClosing
        m.quietCaseDays = WorkPolicy.standard.quietCaseDays
        m.mustActionDays = WorkPolicy.standard.mustActionDays
        m.apiTokenMaxDays = TokenLifetime.standard.maxDays
        try await m.create(on: db)
        return Self.value(m)
    }

    public func organisation(id: UUID) async throws -> Organisation? {
        try await OrganisationModel.find(id, on: db).map(Self.value)
    }

    public func organisation(named name: String) async throws -> Organisation? {
        try await OrganisationModel.query(on: db).filter(\.$name == name).first().map(Self.value)
    }

    public func organisations() async throws -> [Organisation] {
        try await OrganisationModel.query(on: db).sort(\.$name).all().map(Self.value)
    }

    // MARK: Users

    static func value(_ m: UserModel) -> User {
        User(id: m.id!, organisationID: m.organisationID, email: m.email, displayName: m.displayName,
             role: Role(rawValue: m.role) ?? .staff, disabled: m.disabled, createdAt: m.createdAt, twoFactorSince: m.totpEnabledAt,
             rank: m.rank, collarNumber: m.collarNumber, team: m.team)
    }

    /// Puts a user in a team, or none (nil).
    public func setTeam(userID: UUID, team: String?) async throws -> User? {
        guard let m = try await UserModel.find(userID, on: db) else { return nil }
        m.team = team
        try await m.save(on: db)
        return Self.value(m)
    }

    /// Sets how a user's letters are signed: rank and collar number, each nil to clear it.
    public func setSignature(userID: UUID, rank: String?, collarNumber: String?) async throws -> User? {
        guard let m = try await UserModel.find(userID, on: db) else { return nil }
        m.rank = rank
        m.collarNumber = collarNumber
        try await m.save(on: db)
        return Self.value(m)
    }

    public static func normalise(email: String) -> String {
        email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// Creates a user. `passwordHash` is computed by the caller (bcrypt lives with the web layer).
    public func createUser(organisationID: UUID, email: String, displayName: String, role: Role,
                           passwordHash: String) async throws -> User {
        let email = Self.normalise(email: email)
        guard email.contains("@"), email.count <= 254, !email.contains(" ") else {
            throw StoreError.invalid(field: "email", message: "give an email address such as name@example.org")
        }
        guard let org = try await OrganisationModel.find(organisationID, on: db) else {
            throw StoreError.notFound("organisation")
        }
        let kind = OrganisationKind(rawValue: org.kind) ?? .police
        guard role.isAllowed(in: kind) else {
            throw StoreError.invalid(field: "role", message: Self.roleRefusal(role, kind))
        }
        if try await UserModel.query(on: db).filter(\.$email == email).first() != nil {
            throw StoreError.duplicate("a user with the email \(email) already exists")
        }
        let m = UserModel()
        m.id = UUID.random()
        m.organisationID = organisationID
        m.email = email
        m.displayName = displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        m.role = role.rawValue
        m.passwordHash = passwordHash
        m.disabled = false
        m.failedSignIns = 0
        m.lockedUntil = nil
        try await m.create(on: db)
        return Self.value(m)
    }

    public func user(id: UUID) async throws -> User? {
        try await UserModel.find(id, on: db).map(Self.value)
    }

    public func credentials(email: String) async throws -> UserCredentials? {
        guard let m = try await UserModel.query(on: db).filter(\.$email == Self.normalise(email: email)).first() else {
            return nil
        }
        return UserCredentials(user: Self.value(m), passwordHash: m.passwordHash, failedSignIns: m.failedSignIns,
                               lockedUntil: m.lockedUntil)
    }

    public func users(organisationID: UUID) async throws -> [User] {
        try await UserModel.query(on: db).filter(\.$organisationID == organisationID).sort(\.$email).all().map(Self.value)
    }

    /// Changes a user. Whoever acts (`actingUserID`: nil for the command line) cannot disable themselves or give up
    /// their own admin role, and no change may leave the organisation without an enabled admin. Disabling revokes
    /// the user's tokens: re-enabling must not bring them back.
    public func updateUser(id: UUID, role: Role?, disabled: Bool?, displayName: String?, passwordHash: String?,
                           actingUserID: UUID? = nil, now: Date = Date()) async throws -> User {
        guard let m = try await UserModel.find(id, on: db) else { throw StoreError.notFound("user") }
        let admin = Role.admin.rawValue
        let wasActiveAdmin = m.role == admin && !m.disabled
        let wasDisabled = m.disabled
        if actingUserID == id, disabled == true {
            throw StoreError.invalid(field: "disabled", message: "you cannot disable your own account: ask another admin")
        }
        if actingUserID == id, m.role == admin, let role, role != .admin {
            throw StoreError.invalid(field: "role", message: "you cannot remove your own admin role: ask another admin")
        }
        if let role {
            let kind = try await OrganisationModel.find(m.organisationID, on: db).flatMap { OrganisationKind(rawValue: $0.kind) }
            guard let kind, role.isAllowed(in: kind) else {
                throw StoreError.invalid(field: "role", message: Self.roleRefusal(role, kind ?? .localAuthority))
            }
            m.role = role.rawValue
        }
        if let disabled { m.disabled = disabled }
        if let displayName { m.displayName = displayName }
        if let passwordHash {
            m.passwordHash = passwordHash
            m.failedSignIns = 0
            m.lockedUntil = nil
        }
        if wasActiveAdmin, m.role != admin || m.disabled {
            let others = try await UserModel.query(on: db).filter(\.$organisationID == m.organisationID)
                .filter(\.$role == admin).filter(\.$disabled == false).filter(\.$id != id).count()
            if others == 0 {
                throw StoreError.invalid(field: m.disabled ? "disabled" : "role",
                                         message: "this is the organisation's only admin: make someone else an admin first")
            }
        }
        try await m.save(on: db)
        if m.disabled, !wasDisabled {
            try await TokenModel.query(on: db).filter(\.$userID == id).filter(\.$revokedAt == nil)
                .set(\.$revokedAt, to: now).update()
            try await endWebSessions(userID: id, reason: .disabled, now: now)
        } else if passwordHash != nil {
            // A new password set for someone ends the sessions the old one opened.
            try await endWebSessions(userID: id, reason: .passwordReset, now: now)
        }
        return Self.value(m)
    }

    public func recordSuccessfulSignIn(userID: UUID) async throws {
        guard let m = try await UserModel.find(userID, on: db) else { return }
        m.failedSignIns = 0
        m.lockedUntil = nil
        try await m.save(on: db)
    }

    /// A role the organisation's kind cannot have, said with the roles it can: "a school or college cannot have the
    /// role "officer"; its roles are staff, dsl, admin, auditor" (the API's role values, which is what a caller sends).
    static func roleRefusal(_ role: Role, _ kind: OrganisationKind) -> String {
        let place = kind == .police ? "a police force" : kind == .education ? "a school or college" : "this organisation"
        let allowed = Role.allCases.filter { $0.isAllowed(in: kind) }.map(\.rawValue).joined(separator: ", ")
        return "\(place) cannot have the role \"\(role.rawValue)\"; its roles are \(allowed)"
    }

    // MARK: Per-address throttle

    /// When the key (e.g. an address) is locked, until when.
    public func throttleLockedUntil(key: String, now: Date) async throws -> Date? {
        guard let m = try await SignInThrottleModel.query(on: db).filter(\.$key == key).first(),
              let until = m.lockedUntil, until > now else { return nil }
        return until
    }

    /// Counts a failure for the key within a window; locks the key after `limit` failures in the window.
    public func recordThrottleFailure(key: String, limit: Int, window: TimeInterval, lockFor: TimeInterval, now: Date) async throws {
        let m = try await countFailure(key: key, window: window, now: now)
        if m.failures >= limit {
            m.lockedUntil = now.addingTimeInterval(lockFor)
            m.failures = 0
            m.windowStarted = now
        }
        try await m.save(on: db)
    }

    /// Counts a failure for the key within a window; from the `freeAttempts`-th failure on, the key must wait before
    /// its next attempt, twice as long each time (from `firstWait`, at most `longestWait`). Returns until when.
    @discardableResult
    public func recordBackOffFailure(key: String, freeAttempts: Int, window: TimeInterval, firstWait: TimeInterval,
                                     longestWait: TimeInterval, now: Date) async throws -> Date? {
        let m = try await countFailure(key: key, window: window, now: now)
        if m.failures >= freeAttempts {
            let doublings = min(m.failures - freeAttempts, 20)
            m.lockedUntil = now.addingTimeInterval(min(longestWait, firstWait * Double(1 << doublings)))
            // The window runs from the last failure while the key is backing off, so waiting it out is the way back.
            m.windowStarted = now
        }
        try await m.save(on: db)
        return m.lockedUntil
    }

    /// The key's row with one more failure counted in its window (a new row, or a new window when the last ended).
    private func countFailure(key: String, window: TimeInterval, now: Date) async throws -> SignInThrottleModel {
        let m = try await SignInThrottleModel.query(on: db).filter(\.$key == key).first() ?? {
            let m = SignInThrottleModel()
            m.id = UUID.random()
            m.key = key
            m.failures = 0
            m.windowStarted = now
            return m
        }()
        if now.timeIntervalSince(m.windowStarted) > window {
            m.failures = 0
            m.windowStarted = now
        }
        m.failures += 1
        return m
    }

    /// Forgets the key's failures (after a successful sign-in).
    public func clearThrottle(key: String) async throws {
        try await SignInThrottleModel.query(on: db).filter(\.$key == key).delete()
    }

    // MARK: Tokens

    public static func hashToken(_ secret: String) -> String {
        var secret = secret
        return AuditChain.hex(secret.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) })
    }

    static func value(_ m: TokenModel) -> APIToken {
        APIToken(id: m.id!, userID: m.userID, name: m.name, expiresAt: m.expiresAt, revokedAt: m.revokedAt,
                 createdAt: m.createdAt)
    }

    /// Creates a token and returns it with its secret, which is shown once and stored only as a SHA-256 hash.
    public func createToken(userID: UUID, name: String, expiresAt: Date) async throws -> (APIToken, secret: String) {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &generator) }
        let secret = "sgt_" + bytes.map { String(format: "%02x", $0) }.joined()
        let m = TokenModel()
        m.id = UUID.random()
        m.userID = userID
        m.name = name
        m.tokenHash = Self.hashToken(secret)
        m.expiresAt = expiresAt
        try await m.create(on: db)
        return (Self.value(m), secret)
    }

    /// The token, its user and the user's organisation for a presented secret, in one query, if the token still works
    /// under the organisation's `TokenLifetime`.
    public func identity(tokenSecret secret: String, now: Date) async throws -> (APIToken, User, Organisation)? {
        guard let m = try await TokenModel.query(on: db)
            .join(UserModel.self, on: \TokenModel.$userID == \UserModel.$id)
            .join(OrganisationModel.self, on: \UserModel.$organisationID == \OrganisationModel.$id)
            .filter(\TokenModel.$tokenHash == Self.hashToken(secret)).first() else {
            return nil
        }
        let token = Self.value(m)
        let organisation = Self.value(try m.joined(OrganisationModel.self))
        guard organisation.tokenLifetime.allows(token, at: now) else { return nil }
        return (token, Self.value(try m.joined(UserModel.self)), organisation)
    }

    /// A user and their organisation, in one query.
    public func userWithOrganisation(id: UUID) async throws -> (User, Organisation)? {
        guard let m = try await UserModel.query(on: db)
            .join(OrganisationModel.self, on: \UserModel.$organisationID == \OrganisationModel.$id)
            .filter(\UserModel.$id == id).first() else { return nil }
        return (Self.value(m), Self.value(try m.joined(OrganisationModel.self)))
    }

    public func token(id: UUID) async throws -> APIToken? {
        try await TokenModel.find(id, on: db).map(Self.value)
    }

    public func tokens(userID: UUID) async throws -> [APIToken] {
        try await TokenModel.query(on: db).filter(\.$userID == userID).sort(\.$createdAt).all().map(Self.value)
    }

    /// When the user last signed in on the pages, if ever (their newest web session's start).
    public func lastSignIn(userID: UUID) async throws -> Date? {
        try await WebSessionModel.query(on: db).filter(\.$userID == userID).sort(\.$signedInAt, .descending).first()?.signedInAt
    }

    public func revokeToken(id: UUID, now: Date) async throws -> APIToken {
        guard let m = try await TokenModel.find(id, on: db) else { throw StoreError.notFound("token") }
        if m.revokedAt == nil {
            m.revokedAt = now
            try await m.save(on: db)
        }
        return Self.value(m)
    }

    // MARK: Session policy

    /// Sets how long the organisation's web sessions last, within `SessionPolicy`'s ranges.
    public func setSessionPolicy(organisationID: UUID, _ policy: SessionPolicy) async throws -> Organisation {
        if let problem = policy.problem { throw StoreError.invalid(field: problem.field, message: problem.message) }
        return try await updateOrganisation(organisationID) { m in
            m.sessionIdleMinutes = policy.idleMinutes
            m.sessionLifetimeHours = policy.lifetimeHours
        }
    }

    // MARK: Web sessions

    static func value(_ m: WebSessionModel) -> WebSession {
        WebSession(id: m.id!, userID: m.userID, signedInAt: m.signedInAt, lastSeenAt: m.lastSeenAt, endedAt: m.endedAt,
                   endedReason: m.endedReason.flatMap(WebSession.EndReason.init(rawValue:)), address: m.address, browser: m.browser,
                   secondFactorAt: m.secondFactorAt)
    }

    /// Records a sign-in on the pages; the session cookie carries the returned id.
    public func startWebSession(userID: UUID, address: String, browser: String, now: Date, secondFactor: Bool = false) async throws -> WebSession {
        let m = WebSessionModel()
        m.secondFactorAt = secondFactor ? now : nil
        m.id = UUID.random()
        m.userID = userID
        m.signedInAt = now
        m.lastSeenAt = now
        m.address = String(address.prefix(64))
        m.browser = String(browser.prefix(64))
        try await m.create(on: db)
        return Self.value(m)
    }

    /// A web session with its user and the user's organisation, in one query, whether or not it has ended.
    public func webSessionIdentity(id: UUID) async throws -> (WebSession, User, Organisation)? {
        guard let m = try await WebSessionModel.query(on: db)
            .join(UserModel.self, on: \WebSessionModel.$userID == \UserModel.$id)
            .join(OrganisationModel.self, on: \UserModel.$organisationID == \OrganisationModel.$id)
            .filter(\WebSessionModel.$id == id).first() else { return nil }
        return (Self.value(m), Self.value(try m.joined(UserModel.self)), Self.value(try m.joined(OrganisationModel.self)))
    }

    public func webSession(id: UUID) async throws -> WebSession? {
        try await WebSessionModel.find(id, on: db).map(Self.value)
    }

    /// Notes that the session was used now (callers do this at most once a minute: idle time-outs count minutes).
    public func touchWebSession(id: UUID, now: Date) async throws {
        try await WebSessionModel.query(on: db).filter(\.$id == id).filter(\.$endedAt == nil).set(\.$lastSeenAt, to: now).update()
    }

    /// Ends one session (if it has not already ended); true if this call ended it.
    @discardableResult
    public func endWebSession(id: UUID, reason: WebSession.EndReason, now: Date) async throws -> Bool {
        guard let m = try await WebSessionModel.find(id, on: db), m.endedAt == nil else { return false }
        m.endedAt = now
        m.endedReason = reason.rawValue
        try await m.save(on: db)
        return true
    }

    /// Ends every session of the user still going; returns how many.
    @discardableResult
    public func endWebSessions(userID: UUID, reason: WebSession.EndReason, now: Date) async throws -> Int {
        let open = try await WebSessionModel.query(on: db).filter(\.$userID == userID).filter(\.$endedAt == nil).count()
        try await WebSessionModel.query(on: db).filter(\.$userID == userID).filter(\.$endedAt == nil)
            .set(\.$endedAt, to: now).set(\.$endedReason, to: reason.rawValue).update()
        return open
    }

    /// The user's sessions that still count at `now` under their organisation's policy, newest first.
    public func activeWebSessions(userID: UUID, policy: SessionPolicy, now: Date) async throws -> [WebSession] {
        try await WebSessionModel.query(on: db).filter(\.$userID == userID).filter(\.$endedAt == nil)
            .sort(\.$signedInAt, .descending).all().map(Self.value)
            .filter { policy.endReason(signedInAt: $0.signedInAt, lastSeenAt: $0.lastSeenAt, now: now) == nil }
    }

    /// Ends every session and revokes every token of the user: for a lost phone or a shared screen.
    public func signOutEverywhere(userID: UUID, now: Date) async throws -> (sessions: Int, tokens: Int) {
        let sessions = try await endWebSessions(userID: userID, reason: .signedOutEverywhere, now: now)
        let tokens = try await TokenModel.query(on: db).filter(\.$userID == userID).filter(\.$revokedAt == nil)
            .filter(\.$expiresAt > now).count()
        try await TokenModel.query(on: db).filter(\.$userID == userID).filter(\.$revokedAt == nil).set(\.$revokedAt, to: now).update()
        return (sessions, tokens)
    }

    // MARK: Password reset links

    static func value(_ m: PasswordResetModel) -> PasswordReset {
        PasswordReset(id: m.id!, userID: m.userID, createdBy: m.createdBy, createdAt: m.createdAt, expiresAt: m.expiresAt, usedAt: m.usedAt)
    }

    /// Makes a one-time reset link's secret for the user, valid for `lifetime`; the secret is stored only as a hash,
    /// and any earlier unused link for the user stops working.
    public func createPasswordReset(userID: UUID, createdBy: UUID?, now: Date, lifetime: TimeInterval = 3600) async throws -> (PasswordReset, secret: String) {
        guard try await UserModel.find(userID, on: db) != nil else { throw StoreError.notFound("user") }
        try await PasswordResetModel.query(on: db).filter(\.$userID == userID).filter(\.$usedAt == nil).set(\.$expiresAt, to: now).update()
        let secret = ResetCode.make()
        let m = PasswordResetModel()
        m.id = UUID.random()
        m.userID = userID
        m.tokenHash = Self.hashToken(ResetCode.canonical(secret))
        m.createdBy = createdBy
        m.createdAt = now
        m.expiresAt = now.addingTimeInterval(lifetime)
        try await m.create(on: db)
        return (Self.value(m), secret)
    }

    /// The reset link and its user for a presented secret, if the link can still be used.
    public func passwordReset(secret: String, now: Date) async throws -> (PasswordReset, User)? {
        guard let m = try await PasswordResetModel.query(on: db).filter(\.$tokenHash == Self.hashToken(ResetCode.canonical(secret))).first() else { return nil }
        let reset = Self.value(m)
        guard reset.isUsable(at: now), let user = try await user(id: m.userID), !user.disabled else { return nil }
        return (reset, user)
    }

    /// Uses the link: sets the new password, marks the link used, ends the user's sessions and revokes their tokens.
    /// Refused if the link was used or ran out meanwhile.
    public func completePasswordReset(id: UUID, passwordHash: String, now: Date) async throws -> User {
        guard let r = try await PasswordResetModel.find(id, on: db), Self.value(r).isUsable(at: now),
              let m = try await UserModel.find(r.userID, on: db) else {
            throw StoreError.invalid(field: "link", message: "this link has been used or has run out: ask your admin for a new one")
        }
        r.usedAt = now
        try await r.save(on: db)
        m.passwordHash = passwordHash
        m.failedSignIns = 0
        m.lockedUntil = nil
        try await m.save(on: db)
        try await endWebSessions(userID: m.id!, reason: .passwordReset, now: now)
        try await TokenModel.query(on: db).filter(\.$userID == m.id!).filter(\.$revokedAt == nil).set(\.$revokedAt, to: now).update()
        return Self.value(m)
    }

    // MARK: Two-factor sign-in

    /// The user's TOTP secret (base32) and the last step a code matched, if they have set it up.
    public func twoFactorSecret(userID: UUID, cipher: FreeTextCipher) async throws -> (secret: String, lastStep: Int64?)? {
        guard let m = try await UserModel.find(userID, on: db), m.totpEnabledAt != nil, let secret = m.totpSecret else { return nil }
        return (try cipher.open(secret, in: .totpSecret), m.totpLastStep)
    }

    /// Turns two-factor sign-in on with a secret the user has just proved they hold (their first code's step), and
    /// replaces their recovery codes with these hashes.
    public func enableTwoFactor(userID: UUID, secret: String, step: Int64, recoveryCodeHashes: [String], now: Date,
                                cipher: FreeTextCipher) async throws -> User {
        guard let m = try await UserModel.find(userID, on: db) else { throw StoreError.notFound("user") }
        m.totpSecret = try cipher.seal(secret, in: .totpSecret) as String
        m.totpEnabledAt = now
        m.totpLastStep = step
        try await m.save(on: db)
        try await RecoveryCodeModel.query(on: db).filter(\.$userID == userID).delete()
        for hash in recoveryCodeHashes {
            let code = RecoveryCodeModel()
            code.id = UUID.random()
            code.userID = userID
            code.codeHash = hash
            try await code.create(on: db)
        }
        return Self.value(m)
    }

    /// Records the step a code matched, only if it is later than the last one: false means the code was used already
    /// (two requests racing with one code both reach here; only one wins).
    public func useTwoFactorStep(userID: UUID, step: Int64) async throws -> Bool {
        guard let m = try await UserModel.find(userID, on: db), m.totpEnabledAt != nil else { return false }
        if let last = m.totpLastStep, last >= step { return false }
        let before = m.totpLastStep
        var query = UserModel.query(on: db).filter(\.$id == userID)
        query = before == nil ? query.filter(\.$totpLastStep == nil) : query.filter(\.$totpLastStep == before)
        try await query.set(\.$totpLastStep, to: step).update()
        return try await UserModel.find(userID, on: db)?.totpLastStep == step
    }

    /// Uses one recovery code (by its hash), once; true if it was one of the user's and unused.
    public func useRecoveryCode(userID: UUID, codeHash: String, now: Date) async throws -> Bool {
        guard let m = try await RecoveryCodeModel.query(on: db).filter(\.$userID == userID).filter(\.$codeHash == codeHash)
            .filter(\.$usedAt == nil).first() else { return false }
        m.usedAt = now
        try await m.save(on: db)
        return true
    }

    /// How many recovery codes the user has left.
    public func recoveryCodesLeft(userID: UUID) async throws -> Int {
        try await RecoveryCodeModel.query(on: db).filter(\.$userID == userID).filter(\.$usedAt == nil).count()
    }

    /// An admin's reset, for a lost phone: the secret and recovery codes go, and the user's sessions end, so their
    /// next sign-in sets it up again.
    public func resetTwoFactor(userID: UUID, now: Date) async throws -> User {
        guard let m = try await UserModel.find(userID, on: db) else { throw StoreError.notFound("user") }
        m.totpSecret = nil
        m.totpEnabledAt = nil
        m.totpLastStep = nil
        try await m.save(on: db)
        try await RecoveryCodeModel.query(on: db).filter(\.$userID == userID).delete()
        try await endWebSessions(userID: userID, reason: .twoFactorReset, now: now)
        return Self.value(m)
    }

    /// Notes that the session's person just gave a second-factor code (at sign-in or to step up).
    public func markSecondFactor(sessionID: UUID, now: Date) async throws {
        try await WebSessionModel.query(on: db).filter(\.$id == sessionID).set(\.$secondFactorAt, to: now).update()
    }

    /// Sets who must use two-factor sign-in, and the case age after which opening a case asks for a fresh code.
    /// Sets how long the organisation keeps closed cases.
    public func setRetention(organisationID: UUID, _ schedule: RetentionSchedule) async throws -> Organisation {
        if let problem = schedule.problem { throw StoreError.invalid(field: problem.field, message: "give " + problem.message) }
        return try await updateOrganisation(organisationID) { m in
            m.retentionPoliceGroup = schedule.policeGroup
            m.retentionSchoolAge = schedule.schoolAge
            m.retentionSchoolYears = schedule.schoolYearsAfterClosing
        }
    }

    /// Changes the organisation's row and returns it as it is now.
    private func updateOrganisation(_ id: UUID, _ change: (OrganisationModel) -> Void) async throws -> Organisation {
        guard let m = try await OrganisationModel.find(id, on: db) else { throw StoreError.notFound("organisation") }
        change(m)
        try await m.save(on: db)
        return Self.value(m)
    }

    /// Sets when a case has gone quiet and by when MUST actions without a timescale are due.
    public func setWorkPolicy(organisationID: UUID, _ policy: WorkPolicy) async throws -> Organisation {
        guard WorkPolicy.quietRange.contains(policy.quietCaseDays) else {
            throw StoreError.invalid(field: "quietCaseDays", message: "give a number of days from \(WorkPolicy.quietRange.lowerBound) to \(WorkPolicy.quietRange.upperBound)")
        }
        guard WorkPolicy.mustRange.contains(policy.mustActionDays) else {
            throw StoreError.invalid(field: "mustActionDays", message: "give a number of days from \(WorkPolicy.mustRange.lowerBound) (the same day) to \(WorkPolicy.mustRange.upperBound)")
        }
        return try await updateOrganisation(organisationID) { m in
            m.quietCaseDays = policy.quietCaseDays
            m.mustActionDays = policy.mustActionDays
        }
    }

    /// Sets the longest an API token of the organisation lasts. Tokens made before that are older than it stop
    /// working at once (`TokenLifetime.endOf`); the rest keep their expiry.
    public func setTokenLifetime(organisationID: UUID, _ lifetime: TokenLifetime) async throws -> Organisation {
        if let problem = lifetime.problem { throw StoreError.invalid(field: problem.field, message: problem.message) }
        return try await updateOrganisation(organisationID) { m in m.apiTokenMaxDays = lifetime.maxDays }
    }

    public func setTwoFactorPolicy(organisationID: UUID, _ policy: TwoFactorPolicy) async throws -> Organisation {
        guard TwoFactorPolicy.stepUpAgeRange.contains(policy.stepUpCaseAgeDays) else {
            throw StoreError.invalid(field: "stepUpCaseAgeDays", message: "give a number of days from \(TwoFactorPolicy.stepUpAgeRange.lowerBound) to \(TwoFactorPolicy.stepUpAgeRange.upperBound)")
        }
        guard let m = try await OrganisationModel.find(organisationID, on: db) else { throw StoreError.notFound("organisation") }
        let kind = OrganisationKind(rawValue: m.kind) ?? .police
        if let wrong = policy.roles.first(where: { !$0.isAllowed(in: kind) }) {
            throw StoreError.invalid(field: "twoFactorRoles", message: "this organisation has no role \(wrong.rawValue)")
        }
        m.twoFactorRoles = policy.storedRoles
        m.stepUpCaseAgeDays = policy.stepUpCaseAgeDays
        try await m.save(on: db)
        return Self.value(m)
    }
}
