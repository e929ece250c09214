import Fluent
import Foundation
import SafeguardPersistence
import Vapor

/// An error the API reports as `{"error":{"code","message","field"}}`.
public struct APIError: Error, AbortError, Sendable {
    public var status: HTTPResponseStatus
    public var code: String
    public var message: String
    public var field: String?
    public var headers: HTTPHeaders = [:]

    public init(_ status: HTTPResponseStatus, _ code: String, _ message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    public var reason: String { message }

    static func unauthorised(_ message: String = "sign in first: send `Authorization: Bearer <token>` (see POST /api/v1/tokens)") -> APIError {
        APIError(.unauthorized, "unauthorised", message)
    }
    static func forbidden(_ message: String) -> APIError { APIError(.forbidden, "forbidden", message) }
    static func notFound(_ what: String) -> APIError { APIError(.notFound, "not_found", "no such \(what)") }
    static func invalid(_ field: String?, _ message: String) -> APIError {
        APIError(.unprocessableEntity, "invalid", message, field: field)
    }
    static func badRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(.badRequest, "bad_request", message, field: field)
    }
    static let imagery = APIError(.unprocessableEntity, "imagery_not_allowed",
        "This request carries image or video data. Imagery must never be uploaded to Safeguard: record facts about it "
        + "(its kind, who it depicts, where it went) instead. Nothing from this request was stored.")

    static func from(_ error: StoreError) -> APIError {
        switch error {
        case .notFound(let what): .notFound(what)
        case .conflict(let message): APIError(.conflict, "version_conflict", message, field: "version")
        case .duplicate(let message): APIError(.conflict, "duplicate", message)
        case .invalid(let field, let message): .invalid(field, message)
        }
    }
}

/// The wire shape of an error.
struct ErrorBody: Content {
    struct Detail: Codable {
        var code: String
        var message: String
        var field: String?

        // `field` is always present: null when the error is not about one field.
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(code, forKey: .code)
            try c.encode(message, forKey: .message)
            try c.encode(field, forKey: .field)
        }
    }
    var error: Detail
}
