import Foundation
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
    var hasEmailError: Bool { emailError != nil }
    var hasPasswordError: Bool { passwordError != nil }

    enum CodingKeys: String, CodingKey { case title, action, csrf, email, emailError, passwordError, hasEmailError, hasPasswordError }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(title, forKey: .title)
        try c.encode(action, forKey: .action)
        try c.encode(csrf, forKey: .csrf)
        try c.encode(email, forKey: .email)
        try c.encode(emailError ?? "", forKey: .emailError)
        try c.encode(passwordError ?? "", forKey: .passwordError)
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

    static func render(_ req: Request, email: String = "", errors: [FieldError] = [], status: HTTPStatus = .ok) async throws -> Response {
        let page = SignInPage(csrf: req.pageCSRFToken(), email: email,
                              emailError: errors.first { $0.field == "email" }?.message,
                              passwordError: errors.first { $0.field == "password" }?.message)
        let response = try await req.renderPage(page, status: status, errors: errors, current: .signIn)
        return response
    }
}
