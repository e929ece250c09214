import Fluent
import Foundation
import SafeguardPersistence
import Vapor

/// The sign-in and sign-out pages (sessions stored in the database, CSRF-protected forms).
/// The full pages for people come later; these are enough to sign in and out safely.
struct WebAuthController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("sign-in", use: signInPage)
        routes.post("sign-in", use: signIn)
        routes.post("sign-out", use: signOut)
        routes.get(use: home)
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

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func page(_ title: String, _ body: String, status: HTTPStatus = .ok) -> Response {
        let html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) – Safeguard</title></head>
        <body><main><h1>\(escape(title))</h1>
        \(body)
        </main></body></html>
        """
        var headers = HTTPHeaders()
        headers.contentType = .html
        headers.replaceOrAdd(name: "Content-Security-Policy", value: "default-src 'self'; form-action 'self'; frame-ancestors 'none'")
        headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
        return Response(status: status, headers: headers, body: .init(string: html))
    }

    func csrfToken(_ req: Request) -> String {
        if let token = req.session.data["csrf"] { return token }
        let token = Self.newCSRFToken()
        req.session.data["csrf"] = token
        return token
    }

    func signInPage(req: Request) async throws -> Response {
        Self.page("Sign in", signInFormHTML(csrf: csrfToken(req), error: nil))
    }

    func signInFormHTML(csrf: String, error: String?) -> String {
        let summary = error.map {
            "<div role=\"alert\" aria-labelledby=\"error-title\"><h2 id=\"error-title\">There is a problem</h2><p>\(Self.escape($0))</p></div>"
        } ?? ""
        return """
        \(summary)
        <form method="post" action="/sign-in">
        <input type="hidden" name="_csrf" value="\(Self.escape(csrf))">
        <p><label for="email">Email address</label><br><input id="email" name="email" type="email" autocomplete="username" required></p>
        <p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
        <p><button type="submit">Sign in</button></p>
        </form>
        """
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
        let user: User
        do {
            (user, _) = try await SignIn.attempt(email: form.email, password: form.password, on: req)
        } catch let error as APIError {
            return Self.page("Sign in", signInFormHTML(csrf: csrfToken(req), error: error.message), status: error.status)
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
        try await req.write { db in try await SignIn.recordSuccess(user, detail: "via=session", on: db) }
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

    func home(req: Request) async throws -> Response {
        guard let identity = req.identity else { return req.redirect(to: "/sign-in") }
        return Self.page("Safeguard", """
        <p>Signed in as \(Self.escape(identity.user.displayName)) (\(identity.user.role.rawValue)),
        \(Self.escape(identity.organisation.name)).</p>
        <form method="post" action="/sign-out"><input type="hidden" name="_csrf" value="\(Self.escape(csrfToken(req)))">
        <button type="submit">Sign out</button></form>
        """)
    }
}
