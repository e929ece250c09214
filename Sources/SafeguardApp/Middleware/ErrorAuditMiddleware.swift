import Fluent
import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// The outermost middleware: turns every error into `{"error":{"code","message","field"}}` with the right status,
/// and records every rejected request (status 400 and over) in the audit trail — route pattern and status only.
struct ErrorAuditMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let anonymous = !Self.presentsCredentials(request)
        let tally = request.application.anonymousRejections
        if anonymous, tally.isThrottled(request.clientAddress, now: Date()) {
            // Refused before any other work: counted in the interval's summary, nothing durable of its own. The
            // answer is held back a moment (a tarpit), so that a flood waits on timers rather than taking the CPU
            // that signed-in users need.
            let delay = request.application.safeguardOptions.anonymousThrottleDelay
            if delay > 0 { try? await Task.sleep(for: .milliseconds(Int(delay * 1_000))) }
            var error = APIError(.tooManyRequests, "too_many_requests",
                                 "too many refused requests from this address; wait a minute, then sign in or send a valid token")
            error.headers.replaceOrAdd(name: .retryAfter, value: String(Int(tally.window)))
            let response = Self.response(for: error, request: request)
            tally.count(address: request.clientAddress, route: "(throttled)", status: response.status.code, now: Date())
            return response
        }
        var response: Response
        do {
            response = try await next.respond(to: request)
        } catch let error as RouteNotFound {
            // A path that exists with another method (TRACE, or DELETE on a list): 405 naming what is allowed.
            let allowed = Self.allowedMethods(request)
            if allowed.isEmpty {
                response = Self.response(for: error, request: request)
            } else {
                var notAllowed = APIError(.methodNotAllowed, "method_not_allowed",
                                          "\(request.method.rawValue) is not allowed here; use \(allowed.joined(separator: " or "))")
                notAllowed.headers.replaceOrAdd(name: .allow, value: allowed.joined(separator: ", "))
                response = Self.response(for: notAllowed, request: request)
            }
        } catch {
            response = Self.response(for: error, request: request)
        }
        if response.status.code >= 400, !request.auditRecorded {
            if request.identity == nil && anonymous {
                tally.count(address: request.clientAddress, route: request.routeDescription, status: response.status.code, now: Date())
            } else {
                do {
                    // The case the refused request named, when its route has one, so that "did anyone try to read
                    // case X?" can be answered (a review found the case left blank).
                    try await request.auditAlone("request.rejected", caseID: request.parameters.get("caseID").flatMap(UUID.init(text:)),
                                                 outcome: "rejected", detail: "status=\(response.status.code) \(request.routeDescription)")
                } catch {
                    request.logger.error("could not audit a rejected request: \(LoggedError(error))")
                }
            }
        }
        return response
    }

    /// The methods registered for the request's path, matching parameters to any value; empty when none.
    static func allowedMethods(_ request: Request) -> [String] {
        let parts = request.url.path.split(separator: "/", omittingEmptySubsequences: true)
        var methods = Set<String>()
        for route in request.application.routes.all where route.path.count == parts.count {
            let matches = zip(route.path, parts).allSatisfy { component, part in
                switch component {
                case .constant(let value): value == part
                case .parameter: true
                default: false
                }
            }
            if matches { methods.insert(route.method.rawValue) }
        }
        if methods.contains("GET") { methods.insert("HEAD") }
        return methods.sorted()
    }

    /// Whether the request carries a bearer token or a session cookie: a request that does is audited one by
    /// one when refused, even if the credentials turn out not to be valid.
    static func presentsCredentials(_ request: Request) -> Bool {
        request.headers.bearerToken != nil || request.cookies[sessionCookieName] != nil
    }

    static func apiError(for error: any Error) -> APIError {
        switch error {
        case let e as APIError: return e
        case let e as StoreError: return .from(e)
        case let e as CaseFactsError: return APIError(.unprocessableEntity, "invalid_facts", e.description, field: e.path.isEmpty ? nil : e.path)
        case let e as DecodingError: return decodingError(e)
        case let e as any AbortError:
            let code: String = switch e.status {
            case .notFound: "not_found"
            case .payloadTooLarge: "too_large"
            case .unsupportedMediaType: "unsupported_media_type"
            case .methodNotAllowed: "method_not_allowed"
            case .unauthorized: "unauthorised"
            case .forbidden: "forbidden"
            default: e.status.code >= 500 ? "internal" : "bad_request"
            }
            // Vapor's only words for a request with no body to decode are the status's own.
            if e.status == .unprocessableEntity, e.reason == HTTPResponseStatus.unprocessableEntity.reasonPhrase {
                return APIError(e.status, code, "the request has no body: send the JSON this route takes, with Content-Type: application/json")
            }
            return APIError(e.status, code, e.status == .notFound ? "no such route or resource" : e.reason)
        default:
            return APIError(.internalServerError, "internal", "something went wrong on the server; it has been logged")
        }
    }

    /// A type the JSON decoder expected, in JSON's words: "text", "a whole number", "a JSON object" (never
    /// `Dictionary<String, Any>`).
    static func words(for type: Any.Type) -> String {
        let name = String(describing: type)
        switch name {
        case "String", "Substring", "Character": return "text"
        case "Int", "Int8", "Int16", "Int32", "Int64", "UInt", "UInt8", "UInt16", "UInt32", "UInt64": return "a whole number"
        case "Double", "Float", "Decimal": return "a number"
        case "Bool": return "true or false"
        case "UUID": return "an id (text such as 9f1c3b2e-…)"
        case "Date": return "a date and time"
        default:
            if name.hasPrefix("Dictionary<") || name.hasPrefix("[") && name.contains(":") { return "a JSON object" }
            if name.hasPrefix("Array<") || name.hasPrefix("[") { return "a list" }
            return "a JSON object"
        }
    }

    /// The values each of the API's closed lists takes, by the type's name, for saying what is allowed when a value
    /// is not one of them.
    static let allowedValues: [String: [String]] = {
        func values<T: CaseIterable & RawRepresentable>(_ type: T.Type) -> (String, [String]) where T.RawValue == String {
            (String(describing: type), type.allCases.map(\.rawValue))
        }
        return Dictionary(uniqueKeysWithValues: [
            values(Role.self), values(ReferralStatus.self), values(SignOffKind.self), values(SignOffStatus.self),
            values(CaseStatus.self), values(ActionStatus.self), values(OrganisationKind.self), values(Jurisdiction.self),
            values(Setting.self), values(OutcomeLetterRequest.To.self),
        ])
    }()

    /// Foundation's words for a value outside a closed list, or text that is not an id, in the API's words: never
    /// "Cannot initialize Role from invalid String value teacher".
    static func valueWords(_ description: String) -> String? {
        if description.hasPrefix("Attempted to decode UUID from invalid UUID string") {
            return "should be an id (text such as 9f1c3b2e-…)"
        }
        let prefix = "Cannot initialize ", middle = " from invalid String value "
        guard description.hasPrefix(prefix), let split = description.range(of: middle) else { return nil }
        let type = String(description[description.index(description.startIndex, offsetBy: prefix.count)..<split.lowerBound])
        let value = String(description[split.upperBound...])
        let allowed = allowedValues[type].map { ": one of " + $0.joined(separator: ", ") } ?? ""
        return "\"\(value)\" is not allowed here" + allowed
    }

    static func decodingError(_ error: DecodingError) -> APIError {
        func path(_ context: DecodingError.Context, _ key: (any CodingKey)? = nil) -> String {
            (context.codingPath + (key.map { [$0] } ?? [])).map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }
                .joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
                .replacingOccurrences(of: ".[", with: "[")
        }
        // The value, or the body itself when the mismatch is at the top.
        func what(_ context: DecodingError.Context) -> String {
            let p = path(context)
            return p.isEmpty ? "the body" : p
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .badRequest("\(path(context, key)) is required", field: path(context, key))
        case .typeMismatch(let type, let context):
            return .badRequest("\(what(context)) should be \(words(for: type))", field: path(context).isEmpty ? nil : path(context))
        case .valueNotFound(let type, let context):
            return .badRequest("\(what(context)) should be \(words(for: type)), not null", field: path(context).isEmpty ? nil : path(context))
        case .dataCorrupted(let context):
            if let facts = context.underlyingError as? CaseFactsError {
                return APIError(.unprocessableEntity, "invalid_facts", facts.description, field: facts.path)
            }
            let p = path(context)
            if !p.isEmpty, let said = valueWords(context.debugDescription) {
                return .badRequest("\(p): \(said)", field: p)
            }
            return .badRequest(p.isEmpty ? "the body is not valid JSON" : "\(p): \(context.debugDescription)", field: p.isEmpty ? nil : p)
        @unknown default:
            return .badRequest("the body could not be read")
        }
    }

    static func response(for error: any Error, request: Request) -> Response {
        let apiError = apiError(for: error)
        if apiError.status.code >= 500 {
            // Never the error's own message, which can quote request content (see `LoggedError`).
            request.logger.error("request failed: \(LoggedError(error))")
        }
        let body = ErrorBody(error: .init(code: apiError.code, message: apiError.message, field: apiError.field))
        let response = Response(status: apiError.status, headers: apiError.headers)
        // Too much sent, or too many refusals: close the connection rather than read what else the client sends.
        if apiError.status == .payloadTooLarge || apiError.status == .tooManyRequests {
            response.headers.replaceOrAdd(name: .connection, value: "close")
        }
        do {
            try response.content.encode(body, as: .json)
        } catch {
            response.body = .init(string: "{\"error\":{\"code\":\"internal\",\"message\":\"error\"}}")
        }
        return response
    }
}
