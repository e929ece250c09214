import Fluent
import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// Tokens, the caller's own account, and (for admins) the organisation's users.
struct AccountController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("tokens", use: createToken)
        routes.get("tokens", use: listTokens)
        routes.delete("tokens", ":tokenID", use: revokeToken)
        routes.get("me", use: me)
        routes.get("users", use: listUsers)
        routes.post("users", use: createUser)
        routes.patch("users", ":userID", use: updateUser)
        routes.post("users", ":userID", "password-reset", use: createResetLink)
        routes.get("users", ":userID", "tokens", use: userTokens)
        routes.get("me", "sessions", use: mySessions)
        routes.delete("me", "sessions", ":sessionID", use: endMySession)
        routes.post("me", "sign-out-everywhere", use: signOutEverywhere)
        routes.put("me", "signature", use: setSignature)
        routes.get("organisation", "settings", use: settings)
        routes.patch("organisation", "settings", use: updateSettings)
        routes.post("users", ":userID", "two-factor", "reset", use: resetTwoFactor)
    }

    func createToken(req: Request) async throws -> Response {
        let body = try req.decodeKnown(TokenCreateRequest.self)
        let options = req.application.safeguardOptions
        if let asked = body.expiresInDays, !(1...options.maxTokenLifetimeDays).contains(asked) {
            throw APIError.invalid("expiresInDays", "give a number of days from 1 to \(options.maxTokenLifetimeDays)")
        }
        let name = (body.name ?? "api").trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...80).contains(name.count) else { throw APIError.invalid("name", "give the token a name of 1–80 characters") }
        let (user, organisation) = try await SignIn.attempt(email: body.email, password: body.password, on: req)
        req.identity = Identity(user: user, organisation: organisation, tokenID: nil, viaSession: false)
        // Within the organisation's own limit, which its admin may have set below the server's; asked for nothing, a
        // token lasts the server's default or that limit, whichever is shorter.
        let days = body.expiresInDays ?? min(options.defaultTokenLifetimeDays, organisation.tokenLifetime.maxDays)
        guard days <= organisation.tokenLifetime.maxDays else {
            throw APIError.invalid("expiresInDays", TokenLifetime.tooLong(organisation.tokenLifetime.maxDays, of: organisation.name))
        }
        // A token stands in for a signed-in session: whoever needs a second factor to sign in needs it here.
        if user.hasTwoFactor || organisation.twoFactorPolicy.requires(user.role) {
            guard user.hasTwoFactor else {
                throw APIError(.forbidden, "two_factor_required", "your organisation requires two-factor sign-in for your role: set it up on the pages (Your account, Two-factor sign-in), then send its code as \"code\"")
            }
            let key = SignIn.pairKey(email: body.email, address: req.clientAddress)
            if let until = try await SignIn.waitUntil(key: key, address: req.clientAddress, on: req) {
                throw SignIn.locked(until: until, now: Date(), what: "for this email from this address")
            }
            guard let code = body.code, try await req.twoFactorService.check(user, code: code, recoveryCodes: false) != nil else {
                try await SignIn.recordWrongCode(user, key: key, address: req.clientAddress, detail: "via=token", on: req)
                throw APIError(.unauthorized, "invalid_code", body.code == nil
                    ? "send the code from your authenticator app as \"code\""
                    : "that code is not right, or was used already: send the code showing now", field: "code")
            }
        }
        let expires = Date().addingTimeInterval(TimeInterval(days) * 86_400)
        let created = try await req.write { db in
            try await SignIn.recordSuccess(user, email: body.email, address: req.clientAddress, detail: "via=token", on: db)
            let (token, secret) = try await AccountStore(db: db).createToken(userID: user.id, name: name, expiresAt: expires)
            try await AuditChain.append(SignIn.event(user, action: "token.create", outcome: "ok", detail: "token=\(token.id.uuidString.lowercased())"), on: db)
            return TokenCreatedDTO(token: secret, id: token.id, name: token.name, expiresAt: token.expiresAt)
        }
        req.auditRecorded = true
        let response = Response(status: .created)
        try response.content.encode(created)
        return response
    }

    func listTokens(req: Request) async throws -> [TokenDTO] {
        let identity = try req.requireIdentity()
        return try await AccountStore(db: req.db).tokens(userID: identity.user.id).map { TokenDTO($0) }
    }

    /// A user's API tokens still in use (admin, own organisation): each can be revoked with `DELETE /tokens/{id}`.
    func userTokens(req: Request) async throws -> [TokenDTO] {
        let identity = try requireAdmin(req, "sees another person's API tokens")
        guard let id = req.parameters.get("userID").flatMap(UUID.init(text:)) else { throw APIError.notFound("user") }
        let access = try await req.accountService.access(of: id, by: identity)
        try await req.auditAlone("user.tokens.list", detail: "user=\(access.user.id.uuidString.lowercased()) tokens=\(access.tokens.count)")
        return access.tokens.map { TokenDTO($0) }
    }

    /// Revokes a token: your own, or (as an admin) one of your organisation's users'.
    func revokeToken(req: Request) async throws -> TokenDTO {
        let identity = try req.requireIdentity()
        guard let id = req.parameters.get("tokenID").flatMap(UUID.init(text:)) else { throw APIError.notFound("token") }
        let revoked = try await req.accountService.revokeToken(id, by: identity)
        req.auditRecorded = true
        return TokenDTO(revoked)
    }

    func me(req: Request) async throws -> Response {
        let identity = try req.requireIdentity()
        return MeDTO(user: UserDTO(identity.user), organisation: OrganisationDTO(identity.organisation)).response
    }

    /// Your rank and collar number, printed in the signature block of the letters you produce (issue 11).
    func setSignature(req: Request) async throws -> UserDTO {
        let identity = try req.requireIdentity()
        let body = try req.decodeKnown(SignatureRequest.self)
        let user = try await req.accountService.setSignature(identity, rank: body.rank, collarNumber: body.collarNumber)
        req.auditRecorded = true
        return UserDTO(user)
    }

    /// The caller, if an admin; `what` says what only an admin does, for the refusal ("manages users", "changes the
    /// organisation's settings").
    func requireAdmin(_ req: Request, _ what: String = "manages users") throws -> Identity {
        let identity = try req.requireIdentity()
        guard identity.user.role == .admin else { throw APIError.forbidden("only an admin \(what)") }
        return identity
    }

    func listUsers(req: Request) async throws -> [UserDTO] {
        let identity = try requireAdmin(req)
        return try await AccountStore(db: req.db).users(organisationID: identity.organisation.id).map(UserDTO.init)
    }

    /// Refuses a password the NCSC's guidance would (too short, too common, a run of keys, their own email).
    static func checkPassword(_ password: String, email: String?) throws {
        if let problem = PasswordPolicy.problem(with: password, email: email) { throw APIError.invalid("password", problem) }
    }

    func createUser(req: Request) async throws -> Response {
        let identity = try requireAdmin(req)
        let body = try req.decodeKnown(UserCreateRequest.self)
        try Self.checkPassword(body.password, email: body.email)
        let team = try TeamChange(body.team)
        let hash = try await req.password.async.hash(body.password).get()
        let user = try await req.accountService.createUser(by: identity, email: body.email, displayName: body.displayName,
                                                           role: body.role, passwordHash: hash, team: team)
        req.auditRecorded = true
        let response = Response(status: .created)
        try response.content.encode(UserDTO(user))
        return response
    }

    func updateUser(req: Request) async throws -> UserDTO {
        let identity = try requireAdmin(req)
        guard let id = req.parameters.get("userID").flatMap(UUID.init(text:)),
              let existing = try await AccountStore(db: req.db).user(id: id),
              existing.organisationID == identity.organisation.id else { throw APIError.notFound("user") }
        let body = try req.decodeKnown(UserUpdateRequest.self)
        if let password = body.password { try Self.checkPassword(password, email: existing.email) }
        let team = try TeamChange(body.team)
        let hash: String? = if let password = body.password { try await req.password.async.hash(password).get() } else { nil }
        let user = try await req.accountService.updateUser(existing, by: identity, role: body.role, disabled: body.disabled,
                                                           displayName: body.displayName, passwordHash: hash, team: team)
        req.auditRecorded = true
        return UserDTO(user)
    }

    // MARK: Sessions, settings and reset links

    func mySessions(req: Request) async throws -> SessionsDTO {
        let identity = try req.requireIdentity()
        let (sessions, tokens) = try await req.accountService.sessions(of: identity)
        try await req.auditAlone("session.list", detail: "sessions=\(sessions.count) tokens=\(tokens.count)")
        return SessionsDTO(sessions: sessions.map { WebSessionDTO($0, current: $0.id == identity.webSession?.id) },
                           tokens: tokens.map { TokenDTO($0, current: $0.id == identity.tokenID) })
    }

    func endMySession(req: Request) async throws -> WebSessionDTO {
        let identity = try req.requireIdentity()
        guard let id = req.parameters.get("sessionID").flatMap(UUID.init(text:)) else { throw APIError.notFound("session") }
        let ended = try await req.accountService.endSession(id, by: identity)
        req.auditRecorded = true
        return WebSessionDTO(ended, current: ended.id == identity.webSession?.id)
    }

    func signOutEverywhere(req: Request) async throws -> SignedOutEverywhereDTO {
        let identity = try req.requireIdentity()
        let counts = try await req.accountService.signOutEverywhere(identity)
        req.auditRecorded = true
        if identity.viaSession { req.session.destroy() }
        return SignedOutEverywhereDTO(sessionsEnded: counts.sessions, tokensRevoked: counts.tokens)
    }

    func settings(req: Request) async throws -> OrganisationSettingsDTO {
        let identity = try requireAdmin(req, "sees and changes the organisation's settings")
        try await req.auditAlone("organisation.settings.read")
        return OrganisationSettingsDTO(identity.organisation)
    }

    func updateSettings(req: Request) async throws -> OrganisationSettingsDTO {
        let identity = try requireAdmin(req, "sees and changes the organisation's settings")
        let body = try req.decodeKnown(OrganisationSettingsUpdate.self)
        let current = identity.organisation
        let session = body.sessionIdleMinutes == nil && body.sessionLifetimeHours == nil ? nil
            : SessionPolicy(idleMinutes: body.sessionIdleMinutes ?? current.sessionPolicy.idleMinutes,
                            lifetimeHours: body.sessionLifetimeHours ?? current.sessionPolicy.lifetimeHours)
        let twoFactor = body.twoFactorRoles == nil && body.stepUpCaseAgeDays == nil ? nil
            : TwoFactorPolicy(roles: body.twoFactorRoles.map(Set.init) ?? current.twoFactorPolicy.roles.filter { $0.isAllowed(in: current.kind) },
                              stepUpCaseAgeDays: body.stepUpCaseAgeDays ?? current.twoFactorPolicy.stepUpCaseAgeDays)
        let retention = body.retentionPoliceGroup == nil && body.retentionSchoolAge == nil && body.retentionSchoolYears == nil ? nil
            : RetentionSchedule(policeGroup: body.retentionPoliceGroup ?? current.retention.policeGroup,
                                schoolAge: body.retentionSchoolAge ?? current.retention.schoolAge,
                                schoolYearsAfterClosing: body.retentionSchoolYears.map { $0 == 0 ? nil : $0 } ?? current.retention.schoolYearsAfterClosing)
        let work = body.quietCaseDays == nil && body.mustActionDays == nil ? nil
            : WorkPolicy(quietCaseDays: body.quietCaseDays ?? current.workPolicy.quietCaseDays,
                         mustActionDays: body.mustActionDays ?? current.workPolicy.mustActionDays)
        if let retention {
            try await req.retentionService.checkConfirmed(current, under: retention, confirmed: body.confirmErasure)
        }
        let tokens = body.apiTokenMaxDays.map(TokenLifetime.init(maxDays:))
        let organisation = try await req.accountService.setSettings(session: session, twoFactor: twoFactor, retention: retention,
                                                                    work: work, tokens: tokens, by: identity)
        req.auditRecorded = true
        return OrganisationSettingsDTO(organisation)
    }

    func resetTwoFactor(req: Request) async throws -> UserDTO {
        let identity = try requireAdmin(req)
        guard let id = req.parameters.get("userID").flatMap(UUID.init(text:)) else { throw APIError.notFound("user") }
        let user = try await req.twoFactorService.reset(id, by: identity)
        req.auditRecorded = true
        return UserDTO(user)
    }

    func createResetLink(req: Request) async throws -> Response {
        let identity = try requireAdmin(req)
        guard let id = req.parameters.get("userID").flatMap(UUID.init(text:)) else { throw APIError.notFound("user") }
        let (reset, secret, _) = try await req.accountService.createResetLink(for: id, by: identity)
        req.auditRecorded = true
        let response = Response(status: .created)
        try response.content.encode(ResetLinkDTO(path: PageRoute.passwordReset(.value(secret)).path, code: secret, expiresAt: reset.expiresAt))
        return response
    }
}
