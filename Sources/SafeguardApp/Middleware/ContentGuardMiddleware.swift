import Fluent
import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// Every request, before any route sees it: a body of at most `maxBodyBytes` (else 413), never a file upload (415),
/// a shape any parser reads in linear time (`BoundedBody`), and every text value in the body and the query passed by
/// the `TextGuard` under its field's limit. Imagery, or text shaped like encoded binary, gets 422 and is audited
/// without the payload; nothing is stored. Writes to a case count against the writer's hourly text allowance.
struct ContentGuardMiddleware: AsyncMiddleware {
    /// Fields holding secrets or form plumbing: checked for control characters and length only (a strong password
    /// or a CSRF token is as varied as encoded data), never counted as text added to a case.
    static let secrets: Set<String> = ["password", "confirm", "code", "_csrf", "token"]

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let limit = request.application.safeguardOptions.maxBodyBytes
        if let length = request.headers.first(name: .contentLength).flatMap(Int.init), length > limit {
            throw APIError(.payloadTooLarge, "too_large", "the request body is over \(limit / 1024) KiB; send less")
        }
        let buffer: ByteBuffer?
        do {
            buffer = try await request.body.collect(max: limit).get()
        } catch {
            throw APIError(.payloadTooLarge, "too_large", "the request body is over \(limit / 1024) KiB; send less")
        }
        let bytes = buffer.map { Array($0.readableBytesView) } ?? []
        let contentType = request.headers.first(name: .contentType)?.lowercased()
        if let contentType, contentType.hasPrefix("multipart/") || contentType.hasPrefix("image/") || contentType.hasPrefix("video/") {
            if contentType.hasPrefix("image/") || contentType.hasPrefix("video/") {
                try await reject(request, format: contentType.hasPrefix("image/") ? "image content type" : "video content type")
            }
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "files cannot be uploaded to Safeguard; send JSON (or a form) with facts only")
        }
        if let format = TextGuard.imagery(inBody: bytes) { try await reject(request, format: format + " as raw bytes") }

        var fields = try Self.fields(of: bytes, contentType: contentType)
        if let query = request.url.query, !query.isEmpty { fields += try BoundedBody.formPairs(Array(query.utf8)) }
        var added = 0
        var text: [String] = []
        for (field, value) in fields {
            let secret = Self.secrets.contains(field)
            let most = field == "field name" ? FieldLimits.fieldName : FieldLimits.limit(for: field)
            let refusal = secret ? (TextGuard.hygiene(value) ?? TextGuard.tooLong(value, limit: most)) : TextGuard.check(value, limit: most)
            if let refusal {
                if refusal.isImagery { try await reject(request, format: Self.describe(refusal)) }
                throw APIError.invalid(field == "body" ? nil : field, "\(field == "field name" ? "a field name" : field): \(refusal.message)")
            }
            if !secret, field != "field name" {
                added += value.count
                text.append(value)
            }
        }
        let allowance = request.application.freeTextAllowance
        // What a signed-in person writes is remembered per case; writes outside a case (opening one, say) share one
        // stream per person. Reads add nothing.
        let writer = request.method == .GET || request.method == .HEAD ? nil : request.identity?.user.id
        let caseID = request.parameters.get("caseID").flatMap(UUID.init(uuidString:))
        let joined = text.joined(separator: "\n")
        // The shape rule across fields, and across this person's last writes: pieces spread over one request's
        // fields, or sent one request at a time, are one stream.
        let previous = writer.map { allowance.tail(user: $0, caseID: caseID, now: Date()) } ?? ""
        if text.count > 1 || !previous.isEmpty, !joined.isEmpty,
           let shape = TextGuard.encodedShape(in: previous.isEmpty ? joined : previous + "\n" + joined) {
            try await reject(request, format: Self.describe(.encodedData(shape: shape + (previous.isEmpty ? " across fields" : " across requests"))))
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

    /// The text values of a body with their field names; a body that is neither JSON nor a form is one value.
    static func fields(of bytes: [UInt8], contentType: String?) throws -> [(String, String)] {
        guard !bytes.isEmpty else { return [] }
        let type = contentType ?? ""
        if type.contains("x-www-form-urlencoded") { return try BoundedBody.formPairs(bytes) }
        let first = bytes.first { !TextGuard.whitespace.contains($0) }
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
                               caseID: request.parameters.get("caseID").flatMap(UUID.init(uuidString:)),
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
