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

    func checkCSRF(_ req: Request, _ presented: String?) throws {
        guard let expected = req.hasSession ? req.session.data["csrf"] : nil, let presented,
              constantTimeEqual(presented, expected) else {
            throw APIError(.forbidden, "csrf", "the form has expired or did not come from Safeguard; reload the page and try again")
        }
    }

    func signIn(req: Request) async throws -> Response {
        let form = try req.content.decode(SignInForm.self)
        try checkCSRF(req, form._csrf)
        let missing = SignInPage.missing(email: form.email, password: form.password)
        guard missing.isEmpty else {
            return try await SignInPage.render(req, email: form.email, errors: missing, status: .unprocessableEntity)
        }
        let user: User
        do {
            (user, _) = try await SignIn.attempt(email: form.email, password: form.password, on: req)
        } catch let error as APIError {
            let response = try await SignInPage.render(req, email: form.email, errors: [SignInPage.error(for: error)], status: error.status)
            for (name, value) in error.headers { response.headers.replaceOrAdd(name: name, value: value) }
            return response
        }
        // A new session id at sign-in (no fixation); the old one is deleted server-side.
        if let old = req.session.id {
            try await req.application.sessions.driver.deleteSession(old, for: req).get()
            req.session.id = nil
        }
        let address = req.clientAddress, browser = Self.browser(from: req.headers.first(name: .userAgent))
        let session = try await req.write { db in
            try await SignIn.recordSuccess(user, email: form.email, address: address, detail: "via=session", on: db)
            return try await AccountStore(db: db).startWebSession(userID: user.id, address: address, browser: browser, now: Date())
        }
        req.session.data = SessionData()
        req.session.data["webSessionID"] = session.id.uuidString
        req.session.data["csrf"] = Self.newCSRFToken()
        return req.redirect(to: "/", redirectType: .normal)
    }

    func signOut(req: Request) async throws -> Response {
        let form = try req.content.decode(SignOutForm.self)
        try checkCSRF(req, form._csrf)
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
