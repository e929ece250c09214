import Foundation
import Vapor

/// The form token of a page shown to someone not signed in (the sign-in page, a password reset link's page), kept
/// in a cookie of its own rather than a stored session.
///
/// The sign-in form needs a token against cross-site forms (a site that signs a visitor in as someone else). Kept in
/// a session, every visit to the sign-in page wrote a row to the database that stayed there: anyone could fill the
/// table by asking for the page. Here the token is a random value both in an HttpOnly cookie and in the form, and a
/// post is taken only when the two are the same (the "double-submit cookie" of OWASP's cheat sheet): another site can
/// neither read the cookie nor set it. A session is stored only once a password has been accepted.
///
/// ```swift
/// let token = AnonymousFormToken.token(for: req)      // into the form; the cookie is set by `renderPage`
/// AnonymousFormToken.matches(req, presented: form._csrf)
/// ```
enum AnonymousFormToken {
    static let cookieName = "safeguard-form"
    /// Long enough to type a password after a coffee; a form older than this is refused as expired.
    static let lifetime = 2 * 3600

    /// The token to put in the form: the browser's own, if it sent one, else a new one to be set on the response.
    static func token(for request: Request) -> String {
        if let kept = request.storage[Issued.self] { return kept }
        if let sent = request.cookies[cookieName]?.string, isWellFormed(sent) { return sent }
        let token = WebAuthController.newCSRFToken()
        request.storage[Issued.self] = token
        return token
    }

    /// Whether the form's token is the one in the browser's cookie.
    static func matches(_ request: Request, presented: String?) -> Bool {
        guard let presented, let sent = request.cookies[cookieName]?.string, isWellFormed(sent) else { return false }
        return constantTimeEqual(presented, sent)
    }

    /// Sets the cookie for a token made in this request.
    static func setCookie(on response: Response, for request: Request) {
        guard let token = request.storage[Issued.self] else { return }
        response.cookies[cookieName] = HTTPCookies.Value(string: token, expires: nil, maxAge: lifetime, domain: nil, path: "/",
                                                         isSecure: request.application.cookiesAreSecure, isHTTPOnly: true,
                                                         sameSite: .strict)
    }

    /// 32 characters of URL-safe base64, as `WebAuthController.newCSRFToken` makes them.
    static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)
            || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    struct Issued: StorageKey { typealias Value = String }
}
