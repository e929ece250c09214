import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// Setting up two-factor sign-in (a QR code drawn on the server as SVG, the secret as text, a first code, then the
/// recovery codes shown once), step-up (a fresh code before opening what needs one, then back to where the person
/// was), and an admin's reset for a lost phone. No script is needed anywhere.
struct TwoFactorPagesController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(.twoFactor, use: setUpPage)
        routes.post(.twoFactor, use: setUp)
        routes.get(.stepUp, use: stepUpPage)
        routes.post(.stepUp, use: stepUp)
        routes.post(.userResetTwoFactor(.key), use: reset)
    }

    /// A path on this site to come back to: anything else (another site, `//host`) goes home.
    ///
    /// Only printable ASCII other than a backslash is taken: browsers drop tabs and newlines from an address and read
    /// a backslash as a slash, so `/<tab>/evil.example` or `/\\evil.example` would leave the site once followed.
    static func returnPath(_ text: String?) -> String {
        guard let text, text.hasPrefix("/"), !text.hasPrefix("//"), text.utf8.count <= 500,
              text.utf8.allSatisfy({ (0x21...0x7E).contains($0) && $0 != UInt8(ascii: "\\") }) else { return PageRoute.home.path }
        return text
    }

    // MARK: Setting it up

    func setUpPage(req: Request) async throws -> Response {
        let identity = try req.requirePageIdentity()
        let back = Self.returnPath(try? req.query.get(String.self, at: "to"))
        if identity.user.hasTwoFactor {
            let left = try await AccountStore(db: req.db).recoveryCodesLeft(userID: identity.user.id)
            return try await req.renderPage(SetUpPage.on(since: PageWords.date(identity.user.twoFactorSince), recoveryCodesLeft: left),
                                            current: .account)
        }
        // The secret waits in the session until a first code proves the app has it.
        let secret: [UInt8]
        if let pending = req.session.data["totpPending"].flatMap(Base32.decode), pending.count == 20 {
            secret = pending
        } else {
            secret = TOTP.newSecret()
            req.session.data["totpPending"] = Base32.encode(secret)
        }
        return try await req.renderPage(try SetUpPage.new(identity: identity, secret: secret, csrf: req.pageCSRFToken(), back: back),
                                        current: .account)
    }

    struct SetUpForm: Content {
        var code: String?
        var to: String?
        var _csrf: String?
    }

    func setUp(req: Request) async throws -> Response {
        let identity = try req.requirePageIdentity()
        let form = try req.content.decode(SetUpForm.self)
        try req.checkPageCSRF(form._csrf)
        guard !identity.user.hasTwoFactor else { return req.redirect(to: .twoFactor) }
        guard let secret = req.session.data["totpPending"].flatMap(Base32.decode), secret.count == 20 else {
            return req.redirect(to: .twoFactor)
        }
        let back = Self.returnPath(form.to)
        let codes: [String]
        do {
            codes = try await req.twoFactorService.enable(for: identity.user, secret: secret, firstCode: form.code ?? "")
        } catch let error as APIError where error.code == "invalid" {
            let message = FieldError(field: "code", message: PageErrorMiddleware.sentence(error.message))
            var page = try SetUpPage.new(identity: identity, secret: secret, csrf: req.pageCSRFToken(), back: back)
            page.codeError = message.message
            return try await req.renderPage(page, status: .unprocessableEntity, errors: [message], current: .account)
        }
        req.auditRecorded = true
        req.session.data["totpPending"] = nil
        // The first code was given in this session: it counts as a fresh one for step-up.
        if let session = identity.webSession { try await req.twoFactorService.stepUp(session: session.id) }
        return try await req.renderPage(RecoveryCodesPage(codes: codes, continuePath: back), current: .account)
    }

    // MARK: Step-up

    func stepUpPage(req: Request) async throws -> Response {
        let identity = try req.requirePageIdentity()
        let back = Self.returnPath(try? req.query.get(String.self, at: "to"))
        guard identity.user.hasTwoFactor else { throw PageRedirect(to: .twoFactor, returnTo: back) }
        return try await req.renderPage(CodePage.stepUp(csrf: req.pageCSRFToken(), back: back))
    }

    func stepUp(req: Request) async throws -> Response {
        let identity = try req.requirePageIdentity()
        let form = try req.content.decode(SetUpForm.self)
        try req.checkPageCSRF(form._csrf)
        let back = Self.returnPath(form.to)
        guard identity.user.hasTwoFactor, let session = identity.webSession else { throw PageRedirect(to: .twoFactor, returnTo: back) }
        let key = "stepup:" + identity.user.id.uuidString
        if let until = try await SignIn.waitUntil(key: key, address: req.clientAddress, on: req) {
            let error = SignIn.locked(until: until, now: Date(), what: "for this account from this address")
            var page = CodePage.stepUp(csrf: req.pageCSRFToken(), back: back)
            page.codeError = PageErrorMiddleware.sentence(error.message.replacingOccurrences(of: ": try", with: ". Try"))
            return try await req.renderPage(page, status: .tooManyRequests, errors: [FieldError(field: "code", message: page.codeError)])
        }
        guard try await req.twoFactorService.check(identity.user, code: form.code ?? "", recoveryCodes: false) != nil else {
            try await SignIn.recordWrongCode(identity.user, key: key, address: req.clientAddress, detail: "via=step-up", on: req)
            var page = CodePage.stepUp(csrf: req.pageCSRFToken(), back: back)
            page.codeError = "That code is not right, or was used already. Type the code showing now in your authenticator app"
            return try await req.renderPage(page, status: .unauthorized, errors: [FieldError(field: "code", message: page.codeError)])
        }
        try await req.twoFactorService.stepUp(session: session.id)
        try await req.auditAlone("twoFactor.stepUp", detail: "via=page")
        return req.redirect(to: back, redirectType: .normal)
    }

    // MARK: An admin's reset

    func reset(req: Request) async throws -> Response {
        let identity = try req.requirePageIdentity()
        guard identity.user.role == .admin else { throw APIError.forbidden("only an admin resets two-factor sign-in") }
        try req.checkPageCSRF(try req.content.decode(AccountPagesController.CSRFForm.self)._csrf)
        guard let id = req.parameter(.userID).flatMap(UUID.init(text:)) else { throw APIError.notFound("user") }
        let user: User
        do {
            user = try await req.twoFactorService.reset(id, by: identity)
        } catch let error as APIError where error.code == "nothing_to_reset" {
            // A page opened before another admin reset it: say so, as the API does, rather than an error page.
            req.session.data["notice"] = error.message
            return req.redirect(to: .users)
        }
        req.auditRecorded = true
        req.session.data["notice"] = "Two-factor sign-in is reset for \(user.displayName): their sessions have ended, and they will set it up again when they next sign in."
        return req.redirect(to: .users)
    }
}

extension Request {
    /// A closed case, or one opened longer ago than the organisation's step-up age, needs a fresh code.
    func requireStepUp(forCase status: CaseStatus, openedAt: Date?, _ identity: Identity) throws {
        let days = identity.organisation.twoFactorPolicy.stepUpCaseAgeDays
        if status == .closed {
            try requireStepUp(identity, why: "opening a closed case")
        } else if let openedAt, Date().timeIntervalSince(openedAt) > TimeInterval(days) * 86_400 {
            try requireStepUp(identity, why: "opening a case opened more than \(days) days ago")
        }
    }

    /// Opening what needs a fresh code (a closed case, an old one, the audit trail, a case's written record): a web
    /// session must have given a code within 15 minutes, or the person is sent to give one and brought back.
    /// API tokens are not asked: for roles that need two-factor sign-in, a token is only made with a code.
    func requireStepUp(_ identity: Identity, why: String) throws {
        guard identity.viaSession, !identity.isSteppedUp(at: Date(), lifetime: application.safeguardOptions.stepUpLifetime) else { return }
        if isForAPI {
            throw APIError(.forbidden, "step_up_required", "\(why) needs a fresh two-factor code: give one on the pages (/step-up), then try again within 15 minutes")
        }
        var back = url.path
        if let query = url.query, !query.isEmpty { back += "?" + query }
        if method != .GET { back = PageRoute.home.path }
        // Say why a code is asked for: someone who has just closed a case, or has no authenticator set up yet, was
        // otherwise taken to a code or set-up page with no word of what it was for. After any notice already waiting
        // ("The case is closed.").
        let reason = why.capitalisedFirst + " needs a fresh two-factor code"
            + (identity.user.hasTwoFactor ? "." : ": set up two-factor sign-in here first, and you will be taken back.")
        flash([session.data["notice"], reason].compactMap { $0 }.joined(separator: " "))
        throw PageRedirect(to: .stepUp, returnTo: back)
    }
}

// MARK: View models

/// `Resources/Views/code.leaf`: a six-digit code, at sign-in (where a recovery code also works) or to step up.
struct CodePage: PageView {
    static let template = "code"
    var title: String
    var lead: String
    var action: String
    var csrf: String
    var back = ""
    var allowsRecoveryCode: Bool
    var codeError = ""
    var submitLabel: String

    static func signIn(csrf: String) -> CodePage {
        CodePage(title: "Enter your code", lead: "Open your authenticator app and type the six-digit code it shows for Safeguard.",
                 action: PageRoute.signInCode.path, csrf: csrf, allowsRecoveryCode: true, submitLabel: "Sign in")
    }

    static func stepUp(csrf: String, back: String) -> CodePage {
        CodePage(title: "Confirm it is you", lead: "What you are opening needs a fresh code. Type the six-digit code your authenticator app shows for Safeguard; it lasts 15 minutes.",
                 action: PageRoute.stepUp.path, csrf: csrf, back: back, allowsRecoveryCode: false, submitLabel: "Continue")
    }
}

/// `Resources/Views/two-factor.leaf`: setting up two-factor sign-in, or its state once it is on.
struct SetUpPage: PageView {
    static let template = "two-factor"
    var title = "Two-factor sign-in"
    var isOn: Bool
    var since = ""
    var recoveryCodesLeft = 0
    var required = false
    /// The QR code, drawn by the template as one SVG path (so Leaf escapes it like everything else).
    var qrPath = ""
    var qrSize = 0
    var qrPixels = 0
    var secret = ""
    var account = ""
    var action = PageRoute.twoFactor.path
    var csrf = ""
    var back = ""
    var codeError = ""

    static func on(since: String, recoveryCodesLeft: Int) -> SetUpPage {
        SetUpPage(isOn: true, since: since, recoveryCodesLeft: recoveryCodesLeft)
    }

    static func new(identity: Identity, secret: [UInt8], csrf: String, back: String) throws -> SetUpPage {
        let totp = TOTP(secret: secret)
        let qr = try QRCode(text: totp.uri(account: identity.user.email))
        return SetUpPage(isOn: false, required: identity.mustSetUpTwoFactor, qrPath: qr.pathData(quietZone: 4), qrSize: qr.size + 8,
                         qrPixels: (qr.size + 8) * 5, secret: Base32.grouped(Base32.encode(secret)), account: identity.user.email,
                         csrf: csrf, back: back)
    }
}

/// `Resources/Views/recovery-codes.leaf`: the ten recovery codes, shown once.
struct RecoveryCodesPage: PageView {
    static let template = "recovery-codes"
    var title = "Your recovery codes"
    var codes: [String]
    var continuePath: String
}
