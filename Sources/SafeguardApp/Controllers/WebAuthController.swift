import Fluent
import Foundation
import SafeguardPersistence
import Vapor

/// The sign-in and sign-out pages (sessions stored in the database, CSRF-protected forms), rendered from
/// `Resources/Views/sign-in.leaf` (see `SignInPage`). The home page is `HomePage`.
struct WebAuthController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("sign-in", use: signInPage)
        routes.post("sign-in", use: signIn)
        routes.get(.signInCode, use: codePage)
        routes.post(.signInCode, use: signInWithCode)
        routes.post("sign-out", use: signOut)
        routes.get(PageRoute.hide, use: hide)
    }

    /// Quick-hide, for when a child walks into the room: a plain link on every signed-in page (no script needed)
    /// that puts a neutral page on the screen at once and ends the session, so Back shows only the sign-in page
    /// (every page is sent with `Cache-Control: no-store`, so the browser keeps no copy of case data).
    func hide(req: Request) async throws -> Response {
        if let identity = req.identity, identity.viaSession {
            try await req.endWebSession(identity, reason: .hidden, detail: "via=quick-hide")
        }
        let view = try await req.view.render("hide")
        return try await view.encodeResponse(status: .ok, for: req)
    }

    struct SignInForm: Content {
        var email: String
        var password: String
        var _csrf: String?
        /// The page asked for before signing in, to go on to after.
        var to: String?
    }

    struct SignOutForm: Content {
        var _csrf: String?
    }

    static func newCSRFToken() -> String {
        Data([UInt8].random(count: 24)).base64EncodedString().replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "+", with: "-")
    }

    func signInPage(req: Request) async throws -> Response {
        try await SignInPage.render(req)
    }

    func signIn(req: Request) async throws -> Response {
        let form = try req.content.decode(SignInForm.self)
        try req.checkPageCSRF(form._csrf)
        let back = SignInPage.returnPath(form.to)
        let missing = SignInPage.missing(email: form.email, password: form.password)
        guard missing.isEmpty else {
            return try await SignInPage.render(req, email: form.email, errors: missing, status: .unprocessableEntity, returnTo: back)
        }
        let user: User
        do {
            (user, _) = try await SignIn.attempt(email: form.email, password: form.password, on: req)
        } catch let error as APIError {
            let response = try await SignInPage.render(req, email: form.email, errors: [SignInPage.error(for: error)], status: error.status,
                                                       returnTo: back)
            for (name, value) in error.headers { response.headers.replaceOrAdd(name: name, value: value) }
            return response
        }
        let key = SignIn.pairKey(email: form.email, address: req.clientAddress)
        guard user.hasTwoFactor else {
            return try await startSession(req, user, key: key, secondFactor: false, detail: "via=session", to: back)
        }
        // The password was right; the session is not signed in until a code is given too.
        try await renewSession(req)
        req.session.data["pendingUserID"] = user.id.uuidString
        req.session.data["pendingAt"] = String(Date().timeIntervalSince1970)
        req.session.data["pendingKey"] = key
        req.session.data["pendingTo"] = back
        if KnownDevice.isKnown(req, as: user.id) { req.session.data["pendingKnownDevice"] = "1" }
        req.session.data["csrf"] = Self.newCSRFToken()
        _ = try await req.write { db in
            try await AuditChain.append(SignIn.event(user, action: "signIn", outcome: "password", detail: "via=session next=code"), on: db)
        }
        req.auditRecorded = true
        return req.redirect(to: .signInCode)
    }

    /// A new session id (no fixation): the old one is deleted server-side.
    func renewSession(_ req: Request) async throws {
        if let old = req.session.id {
            try await req.application.sessions.driver.deleteSession(old, for: req).get()
            req.session.id = nil
        }
        req.session.data = SessionData()
    }

    /// Signs the person in: a recorded web session, a new session id and form token, the success audited.
    func startSession(_ req: Request, _ user: User, key: String, secondFactor: Bool, detail: String,
                      to back: String = PageRoute.home.path) async throws -> Response {
        try await renewSession(req)
        let address = req.clientAddress, browser = Self.browser(from: req.headers.first(name: .userAgent))
        let session = try await req.write { db in
            try await SignIn.recordSuccess(user, key: key, detail: detail, on: db)
            return try await AccountStore(db: db).startWebSession(userID: user.id, address: address, browser: browser, now: Date(),
                                                                  secondFactor: secondFactor)
        }
        req.auditRecorded = true
        req.session.data["webSessionID"] = session.id.uuidString
        req.session.data["csrf"] = Self.newCSRFToken()
        let response = req.redirect(to: SignInPage.returnPath(back), redirectType: .normal)
        KnownDevice.remember(user.id, on: response, for: req)
        return response
    }

    // MARK: The code after the password

    /// The person whose password was just accepted, if that was within five minutes.
    func pending(_ req: Request) async throws -> (User, key: String)? {
        guard req.hasSession, let text = req.session.data["pendingUserID"], let id = UUID(text: text),
              let at = Double(req.session.data["pendingAt"] ?? ""), Date().timeIntervalSince1970 - at < 300,
              let key = req.session.data["pendingKey"],
              let user = try await AccountStore(db: req.db).user(id: id), !user.disabled else { return nil }
        return (user, key)
    }

    func codePage(req: Request) async throws -> Response {
        guard try await pending(req) != nil else { return req.redirect(to: .signIn) }
        return try await req.renderPage(CodePage.signIn(csrf: req.pageCSRFToken()))
    }

    func signInWithCode(req: Request) async throws -> Response {
        let form = try req.content.decode(CodeForm.self)
        try req.checkPageCSRF(form._csrf)
        guard let (user, key) = try await pending(req) else {
            try await renewSession(req)
            return try await SignInPage.render(req, errors: [FieldError(field: "email", message: "Signing in took more than five minutes. Enter your email address and password again")],
                                               status: .unauthorized)
        }
        var page = CodePage.signIn(csrf: req.pageCSRFToken())
        if let until = try await SignIn.waitUntil(key: key, address: req.clientAddress,
                                                  knownDevice: req.session.data["pendingKnownDevice"] == "1", on: req) {
            let error = SignIn.locked(until: until, now: Date(), what: "for this account from this address")
            let message = FieldError(field: "code", message: PageErrorMiddleware.sentence(error.message.replacingOccurrences(of: ": try", with: ". Try")))
            page.codeError = message.message
            let response = try await req.renderPage(page, status: .tooManyRequests, errors: [message])
            for (name, value) in error.headers { response.headers.replaceOrAdd(name: name, value: value) }
            return response
        }
        let code = form.code ?? ""
        guard let accepted = try await req.twoFactorService.check(user, code: code) else {
            try await SignIn.recordWrongCode(user, key: key, address: req.clientAddress, detail: "via=session", on: req)
            let message = FieldError(field: "code", message: "That code is not right, or was used already. Type the code showing now in your authenticator app, or one of your recovery codes")
            page.codeError = message.message
            return try await req.renderPage(page, status: .unauthorized, errors: [message])
        }
        return try await startSession(req, user, key: key, secondFactor: true,
                                      detail: "via=session factor=\(accepted == .code ? "code" : "recoveryCode")",
                                      to: SignInPage.returnPath(req.session.data["pendingTo"]))
    }

    func signOut(req: Request) async throws -> Response {
        let form = try req.content.decode(SignOutForm.self)
        try req.checkPageCSRF(form._csrf)
        if let identity = req.identity, identity.viaSession {
            try await req.endWebSession(identity, reason: .signedOut, detail: "via=page")
        } else {
            req.session.destroy()
        }
        return req.redirect(to: "/sign-in", redirectType: .normal)
    }

    /// A short, plain description of the browser for the list of sessions ("Firefox on Linux"): enough to
    /// recognise a session, without keeping the whole User-Agent text.
    static func browser(from agent: String?) -> String {
        guard let agent, !agent.isEmpty else { return "an unknown browser" }
        let name: String = if agent.contains("Edg/") { "Edge" }
            else if agent.contains("Firefox/") { "Firefox" }
            else if agent.contains("Chrome/") || agent.contains("Chromium/") { "Chrome" }
            else if agent.contains("Safari/") { "Safari" }
            else if agent.hasPrefix("curl/") { "curl" }
            else { "another browser" }
        let system: String? = if agent.contains("Windows") { "Windows" }
            else if agent.contains("iPhone") || agent.contains("iPad") { "iOS" }
            else if agent.contains("Android") { "Android" }
            else if agent.contains("Mac OS X") || agent.contains("Macintosh") { "macOS" }
            else if agent.contains("Linux") || agent.contains("X11") { "Linux" }
            else { nil }
        return system.map { "\(name) on \($0)" } ?? name
    }
}

extension Request {
    /// Ends the signed-in web session (recorded, audited) and the cookie with it.
    func endWebSession(_ identity: Identity, reason: WebSession.EndReason, detail: String) async throws {
        let sessionID = identity.webSession?.id
        try await write { db in
            if let sessionID { try await AccountStore(db: db).endWebSession(id: sessionID, reason: reason, now: Date()) }
            try await AuditChain.append(SignIn.event(identity.user, action: "signOut", outcome: "ok",
                                                     detail: "reason=\(reason.rawValue) \(detail)"), on: db)
        }
        auditRecorded = true
        application.identityCache.removeAll()
        session.destroy()
    }
}
