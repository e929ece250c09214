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
            try await req.auditAlone("signOut", detail: "via=quick-hide")
            req.session.destroy()
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
        req.session.data = SessionData()
        req.session.data["userID"] = user.id.uuidString
        req.session.data["signedInAt"] = String(Date().timeIntervalSince1970)
        req.session.data["csrf"] = Self.newCSRFToken()
        try await req.write { db in
            try await SignIn.recordSuccess(user, email: form.email, address: req.clientAddress, detail: "via=session", on: db)
        }
        return req.redirect(to: "/", redirectType: .normal)
    }

    func signOut(req: Request) async throws -> Response {
        let form = try req.content.decode(SignOutForm.self)
        try checkCSRF(req, form._csrf)
        if let identity = req.identity {
            try await req.write { db in
                try await AuditChain.append(AuditEvent(actorID: identity.user.id, actorRole: identity.auditRole,
                                                       organisationID: identity.organisation.id, action: "signOut"), on: db)
            }
        }
        // Ends the session server-side: the middleware deletes its record and expires the cookie.
        req.session.destroy()
        return req.redirect(to: "/sign-in", redirectType: .normal)
    }
}
