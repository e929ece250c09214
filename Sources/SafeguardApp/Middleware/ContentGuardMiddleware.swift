import Fluent
import Foundation
import SafeguardPersistence
import Vapor

/// Every request that carries a body: at most `maxBodyBytes` (else 413), never a file upload (415), never image or
/// video data (422, audited without the payload, nothing stored). Runs before any route sees the body.
struct ContentGuardMiddleware: AsyncMiddleware {
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
        let query = request.url.query ?? ""
        if let format = ImageryScreen.scan(body: bytes, contentType: contentType)
            ?? (query.isEmpty ? nil : ImageryScreen.scan(body: Array(query.utf8), contentType: "application/x-www-form-urlencoded")) {
            try await reject(request, format: format)
        }
        return try await next.respond(to: request)
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
