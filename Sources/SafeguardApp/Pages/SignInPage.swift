import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// `Resources/Views/sign-in.leaf`: email and password, with the CSRF token; on a problem, the error summary links to
/// the field and the email entered is kept (never the password).
struct SignInPage: PageView {
    static let template = "sign-in"
    var title = "Sign in"
    var action = PageRoute.signIn.path
    var csrf: String
    var email: String
    var emailError: String?
    var passwordError: String?
    /// What happens after wrong passwords, in the throttle's own figures.
    var backOff: String
    /// The longest password the policy takes, the form's `maxlength`.
    var passwordLimit = PasswordPolicy.maximumLength
    /// The page to go on to once signed in (a path on this site, checked), or empty for home.
    var returnTo = ""
    var hasEmailError: Bool { emailError != nil }
    var hasPasswordError: Bool { passwordError != nil }

    enum CodingKeys: String, CodingKey { case title, action, csrf, email, emailError, passwordError, backOff, passwordLimit, returnTo, hasEmailError, hasPasswordError }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(title, forKey: .title)
        try c.encode(action, forKey: .action)
        try c.encode(csrf, forKey: .csrf)
        try c.encode(email, forKey: .email)
        try c.encode(emailError ?? "", forKey: .emailError)
        try c.encode(passwordError ?? "", forKey: .passwordError)
        try c.encode(backOff, forKey: .backOff)
        try c.encode(passwordLimit, forKey: .passwordLimit)
        try c.encode(returnTo, forKey: .returnTo)
        try c.encode(hasEmailError, forKey: .hasEmailError)
        try c.encode(hasPasswordError, forKey: .hasPasswordError)
    }

    /// The problems with a submitted form before any credentials are checked.
    static func missing(email: String, password: String) -> [FieldError] {
        var errors: [FieldError] = []
        if email.trimmingCharacters(in: .whitespaces).isEmpty { errors.append(FieldError(field: "email", message: "Enter your email address")) }
        if password.isEmpty { errors.append(FieldError(field: "password", message: "Enter your password")) }
        return errors
    }

    /// A refused sign-in in plain words, against the field it concerns.
    static func error(for error: APIError) -> FieldError {
        switch error.code {
        case "invalid_credentials":
            FieldError(field: "email", message: "The email address or password is not right. Check them and try again")
        case "account_disabled":
            FieldError(field: "email", message: "This account is disabled. Ask your organisation's administrator to enable it")
        case "too_many_attempts":
            FieldError(field: "email", message: PageErrorMiddleware.sentence(error.message.replacingOccurrences(of: ": try", with: ". Try"))
                + " If you have forgotten your password, ask your organisation's administrator.")
        default:
            FieldError(field: "email", message: PageErrorMiddleware.sentence(error.message))
        }
    }

    /// Why the last session ended, for the page that follows it.
    static func notice(ended reason: WebSession.EndReason) -> String {
        switch reason {
        case .idle: "You were signed out because the page was left without activity. Sign in again to go on."
        case .lifetime: "You were signed out because your session reached the longest time your organisation allows. Sign in again to go on."
        case .signedOutEverywhere: "You were signed out everywhere. Sign in again to go on."
        case .endedByUser: "This session was ended from your list of sessions. Sign in again to go on."
        case .passwordReset: "Your password was changed, so your sessions were ended. Sign in with the new password."
        case .disabled: "Your account is disabled. Ask your organisation's administrator."
        case .twoFactorReset: "Your two-factor sign-in was reset by your administrator. Sign in and set it up again."
        case .signedOut, .hidden: "You are signed out."
        }
    }

    /// The sign-in throttle in words: the pair of one email and one address waits after `accountFailureLimit` wrong
    /// tries, longer after each, and the account itself is never locked (so nobody can lock an officer out).
    static func backOff(_ options: SafeguardOptions) -> String {
        "After \(options.accountFailureLimit) wrong passwords in a row, the next try from this place must wait "
            + "\(duration(options.firstBackOff)), and twice as long after each further wrong one, up to "
            + "\(duration(options.lockDuration)). The account itself is never locked."
    }

    /// A wait in words: "30 seconds", "1 minute", "15 minutes".
    static func duration(_ seconds: TimeInterval) -> String {
        let whole = Int(seconds.rounded())
        if whole < 90 { return whole == 1 ? "1 second" : "\(whole) seconds" }
        let minutes = (whole + 30) / 60
        return minutes == 1 ? "1 minute" : "\(minutes) minutes"
    }

    /// Where to go once signed in: a path on this site only (never another site's address), else home.
    static func returnPath(_ text: String?) -> String {
        TwoFactorPagesController.returnPath(text)
    }

    static func render(_ req: Request, email: String = "", errors: [FieldError] = [], status: HTTPStatus = .ok,
                       returnTo: String? = nil) async throws -> Response {
        let back = returnPath(returnTo ?? (try? req.query.get(String.self, at: "to")))
        let page = SignInPage(csrf: req.pageCSRFToken(), email: email,
                              emailError: errors.first { $0.field == "email" }?.message,
                              passwordError: errors.first { $0.field == "password" }?.message,
                              backOff: backOff(req.application.safeguardOptions),
                              returnTo: back == PageRoute.home.path ? "" : back)
        let ended = errors.isEmpty ? (try? req.query.get(String.self, at: "ended")).flatMap(WebSession.EndReason.init(rawValue:)) : nil
        let response = try await req.renderPage(page, status: status, errors: errors, notice: ended.map(Self.notice(ended:)), current: .signIn)
        return response
    }
}
