import Fluent
import Foundation
import SafeguardPersistence
import Vapor

/// The audit trail, for auditors only: their organisation's entries, and a check of the whole chain.
struct AuditController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("audit", use: entries)
        routes.get("audit", "verify", use: verify)
    }

    func requireAuditor(_ req: Request) throws -> Identity {
        let identity = try req.requireIdentity()
        guard identity.user.role == .auditor else { throw APIError.forbidden("only an auditor reads the audit trail") }
        try req.requireStepUp(identity, why: "reading the audit trail")
        return identity
    }

    struct Query: Content {
        var after: Int?
        var limit: Int?
    }

    func entries(req: Request) async throws -> AuditPageDTO {
        let identity = try requireAuditor(req)
        let q = try req.query.decode(Query.self)
        let limit = q.limit ?? 100
        guard (1...1000).contains(limit) else { throw APIError.badRequest("limit must be 1–1000", field: "limit") }
        let entries = try await AuditStore(db: req.db).entries(organisationID: identity.organisation.id,
                                                               afterSequence: q.after, limit: limit)
        try await req.auditAlone("audit.read", detail: "count=\(entries.count)")
        return AuditPageDTO(entries: entries.map(AuditEntryDTO.init))
    }

    func verify(req: Request) async throws -> AuditVerifyDTO {
        let identity = try requireAuditor(req)
        // The chain is one for every organisation and is checked whole; an auditor is told only how many of its
        // entries are their own organisation's, not how busy the others are.
        let (db, reader) = (req.db, req.application.sqliteReader)
        let result = try await offTheLoop { try await AuditChain.verify(on: db, reader: reader) }
        let own = try await AuditStore(db: req.db).count(organisationID: identity.organisation.id)
        try await req.auditAlone("audit.verify", outcome: result.isValid ? "valid" : "broken")
        return AuditVerifyDTO(valid: result.isValid, entriesChecked: own,
                              firstBadSequence: result.firstBadSequence, problem: result.problem)
    }
}
