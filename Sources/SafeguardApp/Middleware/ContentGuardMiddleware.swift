import Fluent
import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// Every request, before any route sees it: a body of at most `maxBodyBytes` (else 413), never compressed and never a
/// file upload (415), a shape any parser reads in linear time (`BoundedBody`), and every text value in the body and
/// the query passed by the `TextGuard` under its field's limit. Imagery, or text shaped like encoded binary, gets 422 and is audited
/// without the payload; nothing is stored. Writes to a case count against the writer's hourly text allowance.
struct ContentGuardMiddleware: AsyncMiddleware {
    /// Fields holding secrets or form plumbing: checked for control characters and length only (a strong password
    /// or a CSRF token is as varied as encoded data), never counted as text added to a case.
    static let secrets: Set<String> = ["password", "confirm", "code", "_csrf", "token"]

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        // Bodies are taken as sent. The server does not decompress them (`configure`): a compressed body is one more
        // parser run on untrusted input, and its size on the wire says nothing of what it unpacks to. Nothing that
        // talks to Safeguard compresses what it sends, so say plainly what to do instead of failing to parse it.
        if let encoding = request.headers.first(name: .contentEncoding), encoding.lowercased() != "identity" {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "compressed request bodies are not accepted; send the body again uncompressed, without a Content-Encoding header")
        }
        let limit = request.application.safeguardOptions.maxBodyBytes
        // A page's form sent with too much in it comes back as that form, with what was typed and a message, rather
        // than a bare error page (issue 11, point 3). Up to four times the limit is read so the text can be kept.
        let pageForm = request.method == .POST && request.headers.contentType == .urlEncodedForm && !request.isForAPI
        let tooLarge = APIError(.payloadTooLarge, "too_large", "the request body is over \(limit / 1024) KiB; send less")
        let length = request.headers.first(name: .contentLength)
        let declared = length.flatMap(Int.init) ?? 0
        if declared > (pageForm ? limit * 4 : limit) { throw tooLarge }
        let buffer: ByteBuffer?
        if let collected = request.body.data {
            buffer = collected
        } else if length == nil || length == "0", !request.headers.contains(name: .transferEncoding) {
            // Neither a length nor chunks: HTTP/1.1 says there is no body (RFC 9112, 6.3), as on nearly every GET.
            // Waiting on a future that already holds nothing was a task switch on every such request.
            buffer = nil
        } else {
            do {
                buffer = try await request.body.collect(max: pageForm ? limit * 4 : limit).get()
            } catch {
                throw tooLarge
            }
        }
        if pageForm, (buffer?.readableBytes ?? 0) > limit {
            let kept = (try? BoundedBody.formPairs(buffer.map { Array($0.readableBytesView) } ?? [])) ?? []
            return try await Self.formAgain(request, status: .payloadTooLarge, kept: kept, problems: [FieldError(
                field: "", message: "What you sent is over \(limit / 1024) KiB, so nothing was saved. Shorten the longest text and send it again.")], or: tooLarge)
        }
        let bytes = buffer.map { Array($0.readableBytesView) } ?? []
        let contentType = request.headers.first(name: .contentType)?.lowercased()
        // Image bytes anywhere in the body are imagery, audited as such, whatever carries them: before the refusal of
        // a file upload, so that the most obvious attempt (a JPEG as a multipart file) is counted as one.
        if let format = TextGuard.imagery(inBody: bytes) {
            try await reject(request, format: format + (contentType?.hasPrefix("multipart/") == true ? " as a file upload" : " as raw bytes"))
        }
        if let contentType, contentType.hasPrefix("multipart/") || contentType.hasPrefix("image/") || contentType.hasPrefix("video/") {
            if contentType.hasPrefix("image/") || contentType.hasPrefix("video/") {
                try await reject(request, format: contentType.hasPrefix("image/") ? "image content type" : "video content type")
            }
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "files cannot be uploaded to Safeguard; send JSON (or a form) with facts only")
        }

        var fields = try Self.fields(of: bytes, contentType: contentType)
        if let query = request.url.query, !query.isEmpty { fields += try BoundedBody.formPairs(Array(query.utf8)) }
        var added = 0
        var text: [String] = []
        // Each refused field, and how the error names it when no page can show the form again.
        var refused: [(problem: FieldError, named: String)] = []
        for (field, value) in fields {
            let secret = Self.secrets.contains(field)
            let most = field == "field name" ? FieldLimits.fieldName : FieldLimits.limit(for: field)
            let refusal = secret ? (TextGuard.hygiene(value) ?? TextGuard.tooLong(value, limit: most)) : TextGuard.check(value, limit: most)
            if let refusal {
                if refusal.isImagery { try await reject(request, format: Self.describe(refusal)) }
                let error = APIError.invalid(field == "body" ? nil : field, "\(field == "field name" ? "a field name" : field): \(refusal.message)")
                // On a page, text the server will not store (over its field's limit, or with a control character) is
                // shown again in the form with why; nothing is saved. A review lost a whole add-user form to a
                // text-direction control in a name, on an error page that named the field "DisplayName".
                if pageForm, !secret, field != "field name", field != "body" {
                    let words = Words.of(field).capitalisedFirst
                    if case .tooLong = refusal {
                        refused.append((FieldError(field: field, message: "This is too long: " + refusal.message),
                                        "\(words) is too long: \(refusal.message). Nothing was saved: go back to the form to shorten it"))
                    } else {
                        refused.append((FieldError(field: field, message: refusal.message.capitalisedFirst),
                                        "\(words): \(refusal.message). Nothing was saved: go back to the form to change it"))
                    }
                    continue
                }
                throw error
            }
            if !secret, field != "field name" {
                added += value.count
                text.append(value)
            }
        }
        if !refused.isEmpty {
            // A form with no page to show it again names the field in its error, and how to get back to what was typed.
            return try await Self.formAgain(request, status: .unprocessableEntity, kept: fields, problems: refused.map(\.problem),
                                            or: APIError.invalid(refused[0].problem.field, refused[0].named))
        }
        let allowance = request.application.freeTextAllowance
        // What a signed-in person writes is remembered per case; writes outside a case (opening one, say) share one
        // stream per person. Reads add nothing.
        let writer = request.method == .GET || request.method == .HEAD ? nil : request.identity?.user.id
        let caseID = request.parameters.get("caseID").flatMap(UUID.init(text:))
        let joined = text.joined(separator: "\n")
        // The shape rule across fields, and across this person's last writes: pieces spread over one request's
        // fields, or sent one request at a time, are one stream.
        let previous = writer.map { allowance.tail(user: $0, caseID: caseID, now: Date()) } ?? ""
        if text.count > 1 || !previous.isEmpty, !joined.isEmpty,
           let shape = TextGuard.encodedShape(in: previous.isEmpty ? joined : previous + "\n" + joined) {
            try await reject(request, format: Self.describe(.encodedData(shape: shape + (previous.isEmpty ? " across fields" : " across requests"))))
        }
        // The API takes JSON only, as its OpenAPI document says. A form-encoded body was decoded too (Vapor follows the
        // Content-Type), so an HTML form on any site could shape an API write; say what to send instead. After every
        // check above, so imagery sent as a form is still refused and audited as imagery.
        if request.isForAPI, !bytes.isEmpty, let contentType, !contentType.hasPrefix("application/json") {
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "send the body as JSON, with Content-Type: application/json")
        }
        if let writer, let caseID, added > 0 {
            try allowance.check(user: writer, caseID: caseID, adding: added, now: Date())
        }
        let response = try await next.respond(to: request)
        if let writer, added > 0, response.status.code < 300 {
            allowance.record(user: writer, caseID: caseID, added: joined, now: Date())
        }
        return response
    }

    /// The form the person sent, shown again with what they typed and why nothing was saved: the same path asked
    /// for afresh as a page (a GET through every middleware, so the person is signed in as before), which renders its
    /// form with these errors and the posted values kept (`FormProblem`). The handler that would have saved it never
    /// runs. A path with no page of its own gets the error as before.
    static func formAgain(_ request: Request, status: HTTPStatus, kept: [(String, String)], problems: [FieldError],
                          or error: APIError) async throws -> Response {
        var headers = request.headers
        headers.remove(name: .contentType)
        headers.remove(name: .contentLength)
        let page = Request(application: request.application, method: .GET, url: request.url, version: request.version,
                           headers: headers, remoteAddress: request.remoteAddress, logger: request.logger, on: request.eventLoop)
        page.storage[FormProblemKey.self] = FormProblem(status: status, errors: problems, kept: kept)
        let response = try await request.application.responder.current.respond(to: page).get()
        guard response.status == status else { throw error }
        return response
    }

    /// The text values of a body with their field names; a body that is neither JSON nor a form is one value.
    static func fields(of bytes: [UInt8], contentType: String?) throws -> [(String, String)] {
        guard !bytes.isEmpty else { return [] }
        let type = contentType ?? ""
        if type.contains("x-www-form-urlencoded") { return try BoundedBody.formPairs(bytes) }
        let first = bytes.first { !TextGuard.isWhitespace($0) }
        if type.contains("json") || first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            try BoundedBody.checkJSON(bytes)
            if let value = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) {
                var out: [(String, String)] = []
                BoundedBody.strings(in: value, into: &out)
                return out
            }
        }
        return [("body", String(decoding: bytes, as: UTF8.self))]
    }

    static func describe(_ refusal: TextRefusal) -> String {
        switch refusal {
        case .imagery(let format, let carrier): "\(format) as \(carrier)"
        case .encodedData(let shape): "encoded data: \(shape)"
        default: "other"
        }
    }

    private func reject(_ request: Request, format: String) async throws -> Never {
        // Audit the rejection: who and what kind, never the payload.
        let identity = request.identity
        let event = AuditEvent(actorID: identity?.user.id, actorRole: identity?.auditRole ?? "anonymous",
                               organisationID: identity?.organisation.id, action: "request.rejected.imagery",
                               caseID: request.parameters.get("caseID").flatMap(UUID.init(text:)),
                               outcome: "rejected", detail: "status=422 format=\(format) \(request.routeDescription)")
        try await request.application.auditWriter.append(event)
        request.auditRecorded = true
        request.logger.warning("rejected a request carrying image or video data", metadata: ["format": .string(format)])
        throw APIError.imagery
    }
}

struct AuditRecordedKey: StorageKey { typealias Value = Bool }

extension Request {
    /// Set once the request's outcome is in the audit trail, so it is not recorded twice.
    var auditRecorded: Bool {
        get { storage[AuditRecordedKey.self] ?? false }
        set { storage[AuditRecordedKey.self] = newValue }
    }

    /// The method and route pattern (never the concrete path, which could carry text).
    var routeDescription: String {
        let pattern = route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? "(no route)"
        return "\(method.rawValue) \(pattern)"
    }

    /// Records an event by the request's identity, in the given transaction.
    func audit(_ action: String, caseID: UUID? = nil, outcome: String = "ok", detail: String = "",
               on db: any Database) async throws {
        let identity = self.identity
        let event = AuditEvent(actorID: identity?.user.id, actorRole: identity?.auditRole ?? "anonymous",
                               organisationID: identity?.organisation.id, action: action, caseID: caseID,
                               outcome: outcome, detail: detail)
        try await AuditChain.append(event, on: db)
        auditRecorded = true
    }
}

/// A page form that could not be taken as sent (text over its limit, a body over the size limit): the form is shown
/// again with these errors and what was typed.
struct FormProblem: Sendable {
    var status: HTTPStatus
    var errors: [FieldError]
    /// What was sent, to show again.
    var kept: [(String, String)]
}

struct FormProblemKey: StorageKey { typealias Value = FormProblem }

extension Request {
    var formProblem: FormProblem? { storage[FormProblemKey.self] }
}
