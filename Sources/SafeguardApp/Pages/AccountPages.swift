import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// A person's own account page (their sessions and tokens, each of which they can end, and "sign out
/// everywhere"), the admin's organisation settings (how long sessions last), and password reset links: an admin
/// makes one on a user's page; the person opens it, signed out, and chooses a new password. All of it goes
/// through `AccountService`, as the API does.
struct AccountPagesController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(.account, use: account)
        routes.post(.accountEndSession(.key), use: endSession)
        routes.post(.accountRevokeToken(.key), use: revokeToken)
        routes.post(.accountSignOutEverywhere, use: signOutEverywhere)
        routes.post(.accountSignature, use: saveSignature)
        routes.get(.settings, use: settings)
        routes.post(.settings, use: saveSettings)
        routes.get(.retention, use: retention)
        routes.post(.retention, use: saveRetention)
        routes.post(.retentionHold(.key), use: hold)
        routes.post(.retentionHoldByReference, use: holdByReference)
        routes.post(.userResetLink(.key), use: makeResetLink)
        routes.get(.passwordResetCode, use: resetCodeForm)
        routes.post(.passwordResetCode, use: resetCode)
        routes.get(.passwordReset(.key), use: resetForm)
        routes.post(.passwordReset(.key), use: reset)
    }

    struct CSRFForm: Content { var _csrf: String? }

    // MARK: Your account

    func account(req: Request) async throws -> Response {
        let identity = try req.requirePageIdentity()
        let (sessions, tokens) = try await req.accountService.sessions(of: identity)
        try await req.auditAlone("session.list", detail: "sessions=\(sessions.count) tokens=\(tokens.count) via=page")
        let notice = req.session.data["notice"]
        req.session.data["notice"] = nil
        return try await req.renderPage(AccountPage(identity: identity, sessions: sessions, tokens: tokens, csrf: req.pageCSRFToken()),
                                        notice: notice, current: .account)
    }

    func endSession(req: Request) async throws -> Response {
        let identity = try req.requirePageIdentity()
        try req.checkPageCSRF(try req.content.decode(CSRFForm.self)._csrf)
        guard let id = req.parameter(.sessionID).flatMap(UUID.init(text:)) else { throw APIError.notFound("session") }
        let ended = try await req.accountService.endSession(id, by: identity)
        req.auditRecorded = true
        if ended.id == identity.webSession?.id {
            req.session.destroy()
            return req.redirect(to: PageRoute.signIn.path + "?ended=" + WebSession.EndReason.endedByUser.rawValue, redirectType: .normal)
        }
        req.session.data["notice"] = "The session in \(ended.browser) is ended: it is signed out."
        return req.redirect(to: .account)
    }

    func revokeToken(req: Request) async throws -> Response {
        let identity = try req.requirePageIdentity()
        try req.checkPageCSRF(try req.content.decode(CSRFForm.self)._csrf)
        guard let id = req.parameter(.tokenID).flatMap(UUID.init(text:)) else { throw APIError.notFound("token") }
        let token = try await req.accountService.revokeToken(id, by: identity, via: " via=page")
        req.auditRecorded = true
        req.session.data["notice"] = "The token \u{201C}\(token.name)\u{201D} is revoked: nothing can use it any more."
        return req.redirect(to: .account)
    }

    func signOutEverywhere(req: Request) async throws -> Response {
        let identity = try req.requirePageIdentity()
        try req.checkPageCSRF(try req.content.decode(CSRFForm.self)._csrf)
        _ = try await req.accountService.signOutEverywhere(identity)
        req.auditRecorded = true
        req.session.destroy()
        return req.redirect(to: PageRoute.signIn.path + "?ended=" + WebSession.EndReason.signedOutEverywhere.rawValue, redirectType: .normal)
    }

    struct SignatureForm: Content { var _csrf: String?; var rank: String?; var collarNumber: String? }

    func saveSignature(req: Request) async throws -> Response {
        let identity = try req.requirePageIdentity()
        let form = try req.content.decode(SignatureForm.self)
        try req.checkPageCSRF(form._csrf)
        do {
            _ = try await req.accountService.setSignature(identity, rank: form.rank, collarNumber: form.collarNumber)
        } catch let error as APIError where error.status == .unprocessableEntity {
            req.auditRecorded = true
            let (sessions, tokens) = try await req.accountService.sessions(of: identity)
            var page = AccountPage(identity: identity, sessions: sessions, tokens: tokens, csrf: req.pageCSRFToken())
            page.rank = form.rank ?? ""
            page.collarNumber = form.collarNumber ?? ""
            let field = error.field ?? "rank"
            let message = (field == "rank" ? "Rank: " : "Collar number: ") + error.message
            page.rankError = field == "rank" ? message : ""
            page.collarNumberError = field == "collarNumber" ? message : ""
            return try await req.renderPage(page, status: .unprocessableEntity, errors: [FieldError(field: field, message: message)], current: .account)
        }
        req.auditRecorded = true
        req.session.data["notice"] = "Saved: your letters are signed that way from now on."
        return req.redirect(to: .account)
    }

    // MARK: Organisation settings

    func admin(_ req: Request) throws -> Identity {
        let identity = try req.requirePageIdentity()
        guard identity.user.role == .admin else { throw APIError.forbidden("only an admin changes the organisation's settings") }
        return identity
    }

    func settings(req: Request) async throws -> Response {
        let identity = try admin(req)
        let notice = req.session.data["notice"]
        req.session.data["notice"] = nil
        return try await req.renderPage(SettingsPage(identity.organisation, csrf: req.pageCSRFToken()), notice: notice, current: .settings)
    }

    func saveSettings(req: Request) async throws -> Response {
        let identity = try admin(req)
        // A dictionary: the role boxes are one field each (`twoFactor-dsl=on`), and unticked ones are not sent.
        let form = try req.content.decode([String: String].self)
        try req.checkPageCSRF(form["_csrf"])
        var page = SettingsPage(identity.organisation, csrf: req.pageCSRFToken())
        page.idleMinutes = form["sessionIdleMinutes"] ?? ""
        page.lifetimeHours = form["sessionLifetimeHours"] ?? ""
        page.stepUpDays = form["stepUpCaseAgeDays"] ?? ""
        // A form from before these two fields leaves them as they are.
        let workSent = form["quietCaseDays"] != nil || form["mustActionDays"] != nil
        page.quietDays = form["quietCaseDays"] ?? page.quietDays
        page.mustDays = form["mustActionDays"] ?? page.mustDays
        // Likewise the token lifetime.
        let tokensSent = form["apiTokenMaxDays"] != nil
        page.tokenDays = form["apiTokenMaxDays"] ?? page.tokenDays
        let roles = Set(page.roles.map(\.role).filter { form["twoFactor-\($0.rawValue)"] == "on" })
        for i in page.roles.indices { page.roles[i].checked = roles.contains(page.roles[i].role) }
        var errors: [FieldError] = []
        let idle = Int(page.idleMinutes.trimmingCharacters(in: .whitespaces))
        let lifetime = Int(page.lifetimeHours.trimmingCharacters(in: .whitespaces))
        let days = Int(page.stepUpDays.trimmingCharacters(in: .whitespaces))
        if idle == nil || !SessionPolicy.idleRange.contains(idle!) {
            errors.append(.init(field: "sessionIdleMinutes", message: "Enter a number of minutes from \(SessionPolicy.idleRange.lowerBound) to \(SessionPolicy.idleRange.upperBound)"))
        }
        if lifetime == nil || !SessionPolicy.lifetimeRange.contains(lifetime!) {
            errors.append(.init(field: "sessionLifetimeHours", message: "Enter a number of hours from \(SessionPolicy.lifetimeRange.lowerBound) to \(SessionPolicy.lifetimeRange.upperBound)"))
        }
        if days == nil || !TwoFactorPolicy.stepUpAgeRange.contains(days!) {
            errors.append(.init(field: "stepUpCaseAgeDays", message: "Enter a number of days from \(TwoFactorPolicy.stepUpAgeRange.lowerBound) to \(TwoFactorPolicy.stepUpAgeRange.upperBound)"))
        }
        let quiet = Int(page.quietDays.trimmingCharacters(in: .whitespaces))
        let must = Int(page.mustDays.trimmingCharacters(in: .whitespaces))
        if quiet == nil || !WorkPolicy.quietRange.contains(quiet!) {
            errors.append(.init(field: "quietCaseDays", message: "Enter a number of days from \(WorkPolicy.quietRange.lowerBound) to \(WorkPolicy.quietRange.upperBound)"))
        }
        if must == nil || !WorkPolicy.mustRange.contains(must!) {
            errors.append(.init(field: "mustActionDays", message: "Enter a number of days from 0 (the same day) to \(WorkPolicy.mustRange.upperBound)"))
        }
        let tokenDays = Int(page.tokenDays.trimmingCharacters(in: .whitespaces))
        if tokenDays == nil || !TokenLifetime.range.contains(tokenDays!) {
            errors.append(.init(field: "apiTokenMaxDays", message: "Enter a number of days from \(TokenLifetime.range.lowerBound) to \(TokenLifetime.range.upperBound)"))
        }
        if errors.isEmpty, let idle, let lifetime, let problem = SessionPolicy(idleMinutes: idle, lifetimeHours: lifetime).problem {
            errors.append(.init(field: problem.field, message: problem.message.capitalisedFirst))
        }
        guard errors.isEmpty, let idle, let lifetime, let days, let quiet, let must, let tokenDays else {
            page.setErrors(errors)
            return try await req.renderPage(page, status: .unprocessableEntity, errors: errors, current: .settings)
        }
        _ = try await req.accountService.setSettings(session: SessionPolicy(idleMinutes: idle, lifetimeHours: lifetime),
                                                     twoFactor: TwoFactorPolicy(roles: roles, stepUpCaseAgeDays: days),
                                                     work: workSent ? WorkPolicy(quietCaseDays: quiet, mustActionDays: must) : nil,
                                                     tokens: tokensSent ? TokenLifetime(maxDays: tokenDays) : nil, by: identity)
        req.auditRecorded = true
        req.session.data["notice"] = Self.settingsSaved(idle: idle, lifetime: lifetime, roles: roles, stepUpDays: days,
                                                        work: workSent ? WorkPolicy(quietCaseDays: quiet, mustActionDays: must) : nil,
                                                        tokens: tokensSent ? TokenLifetime(maxDays: tokenDays) : nil,
                                                        in: identity.organisation)
        return req.redirect(to: .settings)
    }

    /// What a settings save says: everything it saved, in words, and a caution when the roles that manage accounts
    /// and read the trail no longer need two-factor sign-in (a review saved that with no word said).
    static func settingsSaved(idle: Int, lifetime: Int, roles: Set<Role>, stepUpDays: Int, work: WorkPolicy?,
                              tokens: TokenLifetime? = nil, in organisation: Organisation) -> String {
        let who = SettingsPage(organisation, csrf: "").roles.map(\.role).filter(roles.contains)
            .map { $0.inSentence(in: organisation.jurisdiction) }
        var said = "Saved: sessions end after \(PageWords.count(idle, "minute")) without activity, and \(PageWords.count(lifetime, "hour")) after sign-in at the latest. "
            + (who.isEmpty ? "Nobody is required to use two-factor sign-in." : "Two-factor sign-in is required of: \(who.joined(separator: ", ")).")
            + " A case opened more than \(PageWords.count(stepUpDays, "day")) ago asks for a fresh code."
        if let work {
            said += " A case is quiet after \(PageWords.count(work.quietCaseDays, "day")) with nothing recorded; a must-do is due "
                + (work.mustActionDays == 0 ? "the day it is raised." : "within \(PageWords.count(work.mustActionDays, "day")).")
        }
        if let tokens {
            said += " API tokens last at most \(PageWords.count(tokens.maxDays, "day"))"
                + (tokens.maxDays < organisation.tokenLifetime.maxDays ? ": any token older than that has stopped working." : ".")
        }
        let unguarded = [Role.admin, .auditor].filter { $0.isAllowed(in: organisation.kind) && !roles.contains($0) }
        if !unguarded.isEmpty {
            said += " Caution: \(unguarded.map { $0.inSentence(in: organisation.jurisdiction) }.joined(separator: " and ")) "
                + (unguarded.count == 1 ? "does" : "do") + " not need two-factor sign-in, though "
                + (unguarded.count == 1 ? "that role manages" : "those roles manage") + " accounts or read the audit trail: a stolen password is then enough."
        }
        return said
    }

    // MARK: Password reset links

    func makeResetLink(req: Request) async throws -> Response {
        let identity = try admin(req)
        try req.checkPageCSRF(try req.content.decode(CSRFForm.self)._csrf)
        guard let id = req.parameter(.userID).flatMap(UUID.init(text:)) else { throw APIError.notFound("user") }
        let (reset, secret, user) = try await req.accountService.createResetLink(for: id, by: identity)
        req.auditRecorded = true
        let scheme = req.application.safeguardOptions.secureCookies || req.headers.first(name: "X-Forwarded-Proto") == "https" ? "https" : "http"
        let host = req.headers.first(name: .host) ?? "localhost"
        let link = "\(scheme)://\(host)\(PageRoute.passwordReset(.value(secret)).path)"
        return try await req.renderPage(ResetLinkPage(name: user.displayName, link: link, code: secret,
                                                      codePage: "\(scheme)://\(host)\(PageRoute.passwordResetCode.path)",
                                                      until: PageWords.date(reset.expiresAt),
                                                      backPath: PageRoute.user(user.id).path), current: .users)
    }

    /// Where someone types the code their admin read out over the phone.
    func resetCodeForm(req: Request) async throws -> Response {
        try await req.renderPage(ResetCodePage(csrf: req.pageCSRFToken()))
    }

    /// A code that works goes on to its link's page, where the new password is chosen; one that does not is refused
    /// in words (sixty random bits: guessing is hopeless, so nothing more is counted here than everywhere else).
    func resetCode(req: Request) async throws -> Response {
        let form = try req.content.decode(CodeForm.self)
        try req.checkPageCSRF(form._csrf)
        let typed = (form.code ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var page = ResetCodePage(csrf: req.pageCSRFToken())
        page.code = String(typed.prefix(40))
        let error: FieldError
        if typed.isEmpty {
            error = FieldError(field: "code", message: "Enter the reset code your administrator gave you")
        } else if typed.count <= 40, try await req.accountService.resetLink(typed) != nil {
            return req.redirect(to: PageRoute.passwordReset(.value(ResetCode.formatted(typed))).path)
        } else {
            error = FieldError(field: "code", message: "That code does not work: check it with your administrator, or ask for a new one (a code works once, for an hour)")
        }
        page.codeError = error.message
        return try await req.renderPage(page, status: .unprocessableEntity, errors: [error])
    }

    func resetForm(req: Request) async throws -> Response {
        guard let secret = req.parameter(.secret), let (_, user) = try await req.accountService.resetLink(secret) else {
            return try await req.renderPage(ResetPasswordPage.expired(), status: .gone)
        }
        return try await req.renderPage(ResetPasswordPage(name: user.displayName, action: PageRoute.passwordReset(.value(secret)).path,
                                                          csrf: req.pageCSRFToken()))
    }

    struct ResetForm: Content {
        var password: String?
        var confirm: String?
        var _csrf: String?
    }

    func reset(req: Request) async throws -> Response {
        let form = try req.content.decode(ResetForm.self)
        try req.checkPageCSRF(form._csrf)
        guard let secret = req.parameter(.secret), let (_, user) = try await req.accountService.resetLink(secret) else {
            return try await req.renderPage(ResetPasswordPage.expired(), status: .gone)
        }
        var page = ResetPasswordPage(name: user.displayName, action: PageRoute.passwordReset(.value(secret)).path, csrf: req.pageCSRFToken())
        let password = form.password ?? ""
        var errors: [FieldError] = []
        if let problem = PasswordPolicy.problem(with: password, email: user.email) {
            errors.append(.init(field: "password", message: PageErrorMiddleware.sentence(problem)))
        } else if password != (form.confirm ?? "") {
            errors.append(.init(field: "confirm", message: "Type the same password again: the two did not match"))
        }
        guard errors.isEmpty else {
            page.setErrors(errors)
            return try await req.renderPage(page, status: .unprocessableEntity, errors: errors)
        }
        let hasher = req.password.async
        _ = try await req.accountService.completeReset(secret, password: password) { try await hasher.hash($0).get() }
        req.auditRecorded = true
        return req.redirect(to: PageRoute.signIn.path + "?ended=" + WebSession.EndReason.passwordReset.rawValue, redirectType: .normal)
    }
}

// MARK: View models

/// `Resources/Views/account.leaf`: where you are signed in, your tokens, and "sign out everywhere".
struct AccountPage: PageView {
    static let template = "account"
    struct SessionRow: Encodable, Sendable {
        var browser: String
        var address: String
        var signedIn: String
        var lastUsed: String
        var isThis: Bool
        var endPath: String
    }
    var title = "Your account"
    var name: String
    var email: String
    var role: String
    var idleMinutes: Int
    var lifetimeHours: Int
    var sessions: [SessionRow]
    var tokens: [TokenRow]
    var tokensCaption = "Your API tokens"
    var hasTokens: Bool
    var csrf: String
    var signOutEverywherePath = PageRoute.accountSignOutEverywhere.path
    var signaturePath = PageRoute.accountSignature.path
    var rank: String
    var collarNumber: String
    var rankError = ""
    var collarNumberError = ""

    init(identity: Identity, sessions: [WebSession], tokens: [APIToken], csrf: String) {
        name = identity.user.displayName
        email = identity.user.email
        rank = identity.user.rank ?? ""
        collarNumber = identity.user.collarNumber ?? ""
        role = identity.user.role.label(in: identity.organisation.jurisdiction)
        idleMinutes = identity.organisation.sessionPolicy.idleMinutes
        lifetimeHours = identity.organisation.sessionPolicy.lifetimeHours
        self.sessions = sessions.map {
            SessionRow(browser: $0.browser, address: $0.address, signedIn: PageWords.date($0.signedInAt), lastUsed: PageWords.date($0.lastSeenAt),
                       isThis: $0.id == identity.webSession?.id, endPath: PageRoute.accountEndSession(.id($0.id)).path)
        }
        self.tokens = tokens.map { TokenRow($0, revokePath: PageRoute.accountRevokeToken(.id($0.id)).path, isThis: $0.id == identity.tokenID) }
        hasTokens = !tokens.isEmpty
        self.csrf = csrf
    }
}

/// An API token in use, as a person's account page and an admin's page of a user list it: its name, when it was made,
/// until when it works, and where to revoke it.
struct TokenRow: Encodable, Sendable {
    var name: String
    var created: String
    var expires: String
    var isThis: Bool
    var revokePath: String

    init(_ token: APIToken, revokePath: String, isThis: Bool = false) {
        name = token.name
        created = PageWords.date(token.createdAt)
        expires = PageWords.date(token.expiresAt)
        self.isThis = isThis
        self.revokePath = revokePath
    }
}

/// `Resources/Views/settings.leaf`: the organisation's session limits and who needs two-factor sign-in.
struct SettingsPage: PageView {
    static let template = "settings"
    struct RoleChoice: Encodable, Sendable {
        var role: Role
        var id: String
        var label: String
        var checked: Bool
    }
    var title = "Organisation settings"
    var organisation: String
    var idleMinutes: String
    var lifetimeHours: String
    var stepUpDays: String
    var roles: [RoleChoice]
    var idleRange: String
    var lifetimeRange: String
    var stepUpRange: String
    var csrf: String
    var action = PageRoute.settings.path
    var idleError = ""
    var lifetimeError = ""
    var stepUpError = ""
    /// Watching open work (issue 11): when a case has gone quiet, and by when MUST actions are due.
    var quietDays: String
    var mustDays: String
    var quietRange: String
    var mustRange: String
    var quietError = ""
    var mustError = ""
    /// The longest an API token lasts (`TokenLifetime`).
    var tokenDays: String
    var tokenDaysRange: String
    var tokenDaysError = ""

    init(_ organisation: Organisation, csrf: String) {
        self.organisation = organisation.name
        idleMinutes = String(organisation.sessionPolicy.idleMinutes)
        lifetimeHours = String(organisation.sessionPolicy.lifetimeHours)
        stepUpDays = String(organisation.twoFactorPolicy.stepUpCaseAgeDays)
        roles = Role.allCases.filter { $0.isAllowed(in: organisation.kind) }.map {
            RoleChoice(role: $0, id: "twoFactor-\($0.rawValue)", label: $0.label(in: organisation.jurisdiction), checked: organisation.twoFactorPolicy.requires($0))
        }
        idleRange = "From \(SessionPolicy.idleRange.lowerBound) to \(SessionPolicy.idleRange.upperBound) minutes. The usual is \(SessionPolicy.standard.idleMinutes)."
        lifetimeRange = "From \(SessionPolicy.lifetimeRange.lowerBound) to \(SessionPolicy.lifetimeRange.upperBound) hours. The usual is \(SessionPolicy.standard.lifetimeHours)."
        quietDays = String(organisation.workPolicy.quietCaseDays)
        mustDays = String(organisation.workPolicy.mustActionDays)
        quietRange = "Supervisors, superintendents and the \(organisation.jurisdiction.schoolLead) see these on their home page. From \(WorkPolicy.quietRange.lowerBound) to \(WorkPolicy.quietRange.upperBound) days; the usual is \(WorkPolicy.standard.quietCaseDays)."
        mustRange = "Where the guidance gives no timescale of its own. 0 means the same day; up to \(WorkPolicy.mustRange.upperBound). The usual is \(WorkPolicy.standard.mustActionDays)."
        stepUpRange = "A closed case always needs one. From \(TwoFactorPolicy.stepUpAgeRange.lowerBound) to \(TwoFactorPolicy.stepUpAgeRange.upperBound) days; the usual is \(TwoFactorPolicy.standard.stepUpCaseAgeDays)."
        tokenDays = String(organisation.tokenLifetime.maxDays)
        tokenDaysRange = "For the programs that use the API. A token older than this stops working at once, even one made to last longer. From \(TokenLifetime.range.lowerBound) to \(TokenLifetime.range.upperBound) days; the usual is \(TokenLifetime.standard.maxDays)."
        self.csrf = csrf
    }

    mutating func setErrors(_ errors: [FieldError]) {
        for error in errors {
            if error.field == "sessionIdleMinutes" { idleError = error.message }
            if error.field == "quietCaseDays" { quietError = error.message }
            if error.field == "mustActionDays" { mustError = error.message }
            if error.field == "sessionLifetimeHours" { lifetimeError = error.message }
            if error.field == "stepUpCaseAgeDays" { stepUpError = error.message }
            if error.field == "apiTokenMaxDays" { tokenDaysError = error.message }
        }
    }
}

/// `Resources/Views/reset-link.leaf`: the one-time link an admin has just made, shown once.
struct ResetLinkPage: PageView {
    static let template = "reset-link"
    var title = "Password reset link"
    var name: String
    var link: String
    /// The same, to read out over the phone, and the page where it is typed.
    var code: String
    var codePage: String
    var until: String
    var backPath: String
}

/// `Resources/Views/reset-password.leaf`: choosing a new password from a reset link.
/// A form of one code and the page's CSRF token: a second factor's code at sign-in, a password reset code.
struct CodeForm: Content {
    var code: String?
    var _csrf: String?
}

/// `Resources/Views/reset-code.leaf`: where a reset code read out over the phone is typed.
struct ResetCodePage: PageView {
    static let template = "reset-code"
    var title = "Reset your password"
    var csrf: String
    var action = PageRoute.passwordResetCode.path
    var code = ""
    var codeError = ""
}

struct ResetPasswordPage: PageView {
    static let template = "reset-password"
    var title = "Choose a new password"
    var name: String
    var action: String
    var csrf: String
    var expired = false
    var signInPath = PageRoute.signIn.path
    var minimum = PasswordPolicy.minimumLength
    var maximum = PasswordPolicy.maximumLength
    var passwordError = ""
    var confirmError = ""

    static func expired() -> ResetPasswordPage {
        var page = ResetPasswordPage(name: "", action: "", csrf: "")
        page.title = "This link no longer works"
        page.expired = true
        return page
    }

    mutating func setErrors(_ errors: [FieldError]) {
        for error in errors {
            if error.field == "password" { passwordError = error.message }
            if error.field == "confirm" { confirmError = error.message }
        }
    }
}

// MARK: Retention

extension AccountPagesController {
    func retention(req: Request) async throws -> Response {
        let identity = try admin(req)
        let page = try await RetentionPage.make(req, identity.organisation)
        try await req.auditAlone("retention.read", detail: "via=page")
        let notice = req.session.data["notice"]
        req.session.data["notice"] = nil
        return try await req.renderPage(page, notice: notice, current: .retention)
    }

    /// The schedule: police choose a MoPI group; schools an age, or their own years after closing.
    func saveRetention(req: Request) async throws -> Response {
        let identity = try admin(req)
        let form = try req.content.decode([String: String].self)
        try req.checkPageCSRF(form["_csrf"])
        var schedule = identity.organisation.retention
        var errors: [FieldError] = []
        if identity.organisation.kind == .police {
            guard let group = form["retentionPoliceGroup"].flatMap(Int.init), RetentionSchedule.groups.contains(group) else {
                errors.append(.init(field: "retentionPoliceGroup", message: "Select the MoPI group"))
                return try await renderRetention(req, identity, errors: errors)
            }
            schedule.policeGroup = group
        } else {
            let age = Int((form["retentionSchoolAge"] ?? "").trimmingCharacters(in: .whitespaces))
            let yearsText = (form["retentionSchoolYears"] ?? "").trimmingCharacters(in: .whitespaces)
            let years = yearsText.isEmpty ? 0 : Int(yearsText)
            if age == nil || !RetentionSchedule.schoolAges.contains(age!) {
                errors.append(.init(field: "retentionSchoolAge", message: "Enter an age from \(RetentionSchedule.schoolAges.lowerBound) to \(RetentionSchedule.schoolAges.upperBound)"))
            }
            if years == nil || !(0...RetentionSchedule.schoolYears.upperBound).contains(years!) {
                errors.append(.init(field: "retentionSchoolYears", message: "Enter a number of years from 1 to \(RetentionSchedule.schoolYears.upperBound), or leave it empty"))
            }
            guard errors.isEmpty, let age, let years else { return try await renderRetention(req, identity, errors: errors) }
            schedule.schoolAge = age
            schedule.schoolYearsAfterClosing = years == 0 ? nil : years
        }
        // A schedule that would erase closed cases at the next run is saved only once that is confirmed, by number.
        let due = try await req.retentionService.newlyDue(identity.organisation, under: schedule)
        if !due.isEmpty && form["confirmErasure"] != String(due.count) {
            var page = try await RetentionPage.make(req, identity.organisation)
            page.keep(schedule)
            page.confirmCount = String(due.count)
            page.confirmLabel = due.count == 1 ? "Yes: erase this closed case, for good, at the next run"
                : "Yes: erase these \(due.count) closed cases, for good, at the next run"
            page.confirmWarning = RetentionService.erasureWarning(due) + ". Tick the box to confirm, or put the cases to keep on legal hold first."
            let error = FieldError(field: "confirmErasure", message: RetentionService.erasureWarning(due) + ": confirm it, or put the cases to keep on legal hold first")
            page.errors = [error.message]
            page.hasErrors = true
            return try await req.renderPage(page, status: .conflict, errors: [error], current: .retention)
        }
        _ = try await req.accountService.setSettings(session: nil, twoFactor: nil, retention: schedule, by: identity)
        req.auditRecorded = true
        req.session.data["notice"] = "Saved: the retention schedule." + (due.isEmpty ? "" : " \(due.count == 1 ? "1 closed case is" : "\(due.count) closed cases are") due for erasure at the next run.")
        return req.redirect(to: .retention)
    }

    /// Puts a case on legal hold, or lifts it, with a reason.
    func hold(req: Request) async throws -> Response {
        let identity = try admin(req)
        let form = try req.content.decode([String: String].self)
        try req.checkPageCSRF(form["_csrf"])
        let reference = req.parameter(.reference) ?? ""
        let hold = form["action"] != "lift"
        do {
            _ = try await req.retentionService.setHold(reference: reference, reason: form["reason"] ?? "", hold: hold, by: identity)
        } catch let error as APIError where error.status == .unprocessableEntity || error.status == .conflict {
            return try await renderRetention(req, identity, errors: [.init(field: "reason-\(reference)", message: error.message.prefix(1).uppercased() + error.message.dropFirst())])
        }
        req.auditRecorded = true
        req.session.data["notice"] = hold ? "Case \(reference) is on legal hold: it is kept whatever its date." : "The legal hold on case \(reference) is lifted."
        return req.redirect(to: .retention)
    }

    /// Puts any case, open or closed, on legal hold by the reference typed: a complaint or claim usually arrives while
    /// a case is still open, and the closed cases' list offered no way to hold one.
    func holdByReference(req: Request) async throws -> Response {
        let identity = try admin(req)
        let form = try req.content.decode([String: String].self)
        try req.checkPageCSRF(form["_csrf"])
        let typed = (form["reference"] ?? "").trimmingCharacters(in: .whitespaces)
        let reference = CaseStore.reference(typed: typed)
        var errors: [FieldError] = []
        if reference.isEmpty || reference.count > 40 {
            errors.append(.init(field: "holdReference", message: "Enter the case's reference, like SG-2026-000001"))
        }
        if errors.isEmpty {
            do {
                _ = try await req.retentionService.setHold(reference: reference, reason: form["reason"] ?? "", hold: true, by: identity)
                req.auditRecorded = true
                req.session.data["notice"] = "Case \(reference) is on legal hold: it is kept whatever its date, now and once it is closed."
                return req.redirect(to: .retention)
            } catch let error as APIError where error.status == .notFound {
                errors.append(.init(field: "holdReference", message: "No case of your organisation has the reference \(reference): check it against the case page"))
            } catch let error as APIError where error.status == .conflict {
                errors.append(.init(field: "holdReference", message: "Case \(reference) is already on legal hold"))
            } catch let error as APIError where error.status == .unprocessableEntity {
                errors.append(.init(field: "holdReason", message: error.message.capitalisedFirst))
            }
        }
        var page = try await RetentionPage.make(req, identity.organisation)
        page.holdReference = typed
        page.holdReason = form["reason"] ?? ""
        page.errors = errors.map(\.message)
        page.hasErrors = true
        for error in errors {
            if error.field == "holdReference" { page.holdReferenceError = error.message } else { page.holdReasonError = error.message }
        }
        return try await req.renderPage(page, status: .unprocessableEntity, errors: errors, current: .retention)
    }

    func renderRetention(_ req: Request, _ identity: Identity, errors: [FieldError]) async throws -> Response {
        var page = try await RetentionPage.make(req, identity.organisation)
        page.errors = errors.map(\.message)
        page.hasErrors = true
        return try await req.renderPage(page, status: .unprocessableEntity, errors: errors, current: .retention)
    }
}

/// `Resources/Views/retention.leaf`: the schedule, closed cases with the day each may be erased and any legal hold,
/// and what has been erased. References and dates only: an admin never sees case content.
struct RetentionPage: PageView {
    static let template = "retention"
    struct Row: Encodable, Sendable {
        var reference: String
        var closedOn: String
        var eraseOn: String
        var rule: String
        var due: Bool
        var onHold: Bool
        var hold: String
        var action: String
        var reasonID: String
    }
    struct Erased: Encodable, Sendable {
        var reference: String
        var opened: String
        var closed: String
        var erased: String
        var rule: String
    }
    var title = "Retention"
    var organisation: String
    var isPolice: Bool
    var groups: [Choice]
    var schoolAge: String
    var schoolYears: String
    var rows: [Row]
    var hasRows: Bool
    /// Cases not yet closed that are on legal hold, each with its lift form (the same row as a closed case's).
    var heldOpen: [Row]
    var hasHeldOpen: Bool
    var holdAction = PageRoute.retentionHoldByReference.path
    var holdReference = ""
    var holdReason = ""
    var holdReferenceError = ""
    var holdReasonError = ""
    var erased: [Erased]
    var hasErased: Bool
    var csrf: String
    var action = PageRoute.retention.path
    var errors: [String] = []
    var hasErrors = false
    /// A change that would erase closed cases at once: the number to confirm, and what it would erase.
    var confirmCount = ""
    var confirmWarning = ""
    var confirmLabel = ""

    /// The schedule as the admin chose it, shown again with the confirmation.
    mutating func keep(_ schedule: RetentionSchedule) {
        groups = groups.map { var g = $0; g.checked = g.value == String(schedule.policeGroup); return g }
        schoolAge = String(schedule.schoolAge)
        schoolYears = schedule.schoolYearsAfterClosing.map(String.init) ?? ""
    }

    struct Choice: Encodable, Sendable {
        var value: String
        var label: String
        var id: String
        var checked: Bool
    }

    static func make(_ req: Request, _ organisation: Organisation) async throws -> RetentionPage {
        let reviews = try await req.retentionService.review(organisation)
        let store = RetentionStore(db: req.db, cipher: req.cipher)
        let tombstones = try await store.tombstones(organisationID: organisation.id)
        let heldOpen = try await store.heldOpenCases(organisationID: organisation.id)
        let groupLabels = [1: "Group 1: certain public protection matters, kept until the youngest person involved is 100",
                           2: "Group 2: other sexual, violent or serious offences, 10 years after closing",
                           3: "Group 3: all other offences, 6 years after closing"]
        return RetentionPage(
            organisation: organisation.name, isPolice: organisation.kind == .police,
            groups: RetentionSchedule.groups.map { Choice(value: "\($0)", label: groupLabels[$0]!, id: $0 == 1 ? "retentionPoliceGroup" : "retentionPoliceGroup-\($0)",
                                                          checked: organisation.retention.policeGroup == $0) },
            schoolAge: String(organisation.retention.schoolAge),
            schoolYears: organisation.retention.schoolYearsAfterClosing.map(String.init) ?? "",
            rows: reviews.map { r in
                Row(reference: r.candidate.reference, closedOn: r.candidate.closedAt.map { Words.day(CalendarDate(utcDayOf: $0)) } ?? "",
                    eraseOn: r.eraseOn.map(Words.day) ?? "Kept for review", rule: r.rule, due: r.isDue, onHold: r.candidate.hold != nil,
                    hold: r.candidate.hold.map { "On legal hold since \(PageWords.date($0.at)): \($0.reason)" } ?? "",
                    action: PageRoute.retentionHold(.value(r.candidate.reference)).path, reasonID: "reason-\(r.candidate.reference)")
            },
            hasRows: !reviews.isEmpty,
            heldOpen: heldOpen.map { c in
                Row(reference: c.reference, closedOn: "", eraseOn: "", rule: "", due: false, onHold: true,
                    hold: c.hold.map { "On legal hold since \(PageWords.date($0.at)): \($0.reason)" } ?? "",
                    action: PageRoute.retentionHold(.value(c.reference)).path, reasonID: "reason-\(c.reference)")
            },
            hasHeldOpen: !heldOpen.isEmpty,
            erased: tombstones.map { t in
                Erased(reference: t.reference, opened: Words.day(CalendarDate(utcDayOf: t.openedAt)),
                       closed: t.closedAt.map { Words.day(CalendarDate(utcDayOf: $0)) } ?? "", erased: Words.day(CalendarDate(utcDayOf: t.erasedAt)),
                       rule: t.rule)
            },
            hasErased: !tombstones.isEmpty, csrf: req.pageCSRFToken())
    }
}
