import FluentKit
import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// Retention for an organisation's admin: closed cases with the day each may be erased, legal holds, and what has
/// been erased. Admins see references and dates only, never case content.
struct RetentionController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("retention", use: overview)
        routes.post("retention", "run", use: run)
        routes.put("retention", "holds", ":reference", use: setHold)
        routes.post("retention", "holds", ":reference", "lift", use: liftHold)
    }

    static func requireAdmin(_ req: Request) throws -> Identity {
        let identity = try req.requireIdentity()
        guard identity.user.role == .admin else { throw APIError.forbidden("only an admin manages retention and legal holds") }
        return identity
    }

    func overview(req: Request) async throws -> RetentionDTO {
        let identity = try Self.requireAdmin(req)
        let dto = try await RetentionDTO.make(req.retentionService, identity.organisation, db: req.db)
        try await req.auditAlone("retention.read")
        return dto
    }

    func run(req: Request) async throws -> RetentionRunDTO {
        let identity = try Self.requireAdmin(req)
        let body = try req.content.decode(RetentionRunRequest.self)
        let erased = try await req.retentionService.run(dryRun: body.dryRun, by: identity, only: identity.organisation)
        if body.dryRun { try await req.auditAlone("retention.dryRun", detail: "due=\(erased.count)") } else { req.auditRecorded = true }
        return RetentionRunDTO(dryRun: body.dryRun, erased: erased.map { .init(reference: $0.reference, rule: $0.rule) })
    }

    func setHold(req: Request) async throws -> LegalHoldDTO { try await changeHold(req, hold: true) }
    func liftHold(req: Request) async throws -> LegalHoldDTO { try await changeHold(req, hold: false) }

    func changeHold(_ req: Request, hold: Bool) async throws -> LegalHoldDTO {
        let identity = try Self.requireAdmin(req)
        let body = try req.content.decode(LegalHoldRequest.self)
        let changed = try await req.retentionService.setHold(reference: req.parameters.get("reference") ?? "", reason: body.reason, hold: hold, by: identity)
        req.auditRecorded = true
        return LegalHoldDTO(changed)
    }
}

struct RetentionRunRequest: Content {
    /// True to list what would be erased without erasing it.
    var dryRun: Bool
}

struct LegalHoldRequest: Content {
    var reason: String
}

struct LegalHoldDTO: Content {
    var reference: String
    var onHold: Bool
    var reason: String?
    var since: Date?
    init(_ c: RetentionCase) {
        reference = c.reference
        onHold = c.hold != nil
        reason = c.hold?.reason
        since = c.hold?.at
    }
}

struct RetentionRunDTO: Content {
    struct Erased: Content {
        var reference: String
        var rule: String
    }
    var dryRun: Bool
    var erased: [Erased]
}

/// The organisation's schedule, its closed cases with their dates, and what has been erased.
struct RetentionDTO: Content {
    struct CaseRow: Content {
        var reference: String
        var closedOn: String?
        var eraseOn: String?
        var rule: String
        var due: Bool
        var legalHold: LegalHoldDTO?
    }
    struct ErasedRow: Content {
        var reference: String
        var openedOn: String
        var closedOn: String?
        var erasedOn: String
        var rule: String
        /// "schedule" for the daily run or the command line; otherwise the admin who ran it.
        var erasedBy: String
    }
    var retentionPoliceGroup: Int
    var retentionSchoolAge: Int
    var retentionSchoolYears: Int
    var cases: [CaseRow]
    /// Cases not yet closed that are on legal hold.
    var heldOpen: [LegalHoldDTO]
    var erased: [ErasedRow]

    static func make(_ service: RetentionService, _ organisation: Organisation, db: any Database) async throws -> RetentionDTO {
        let reviews = try await service.review(organisation)
        let store = RetentionStore(db: db, cipher: service.cipher)
        let tombstones = try await store.tombstones(organisationID: organisation.id)
        let heldOpen = try await store.heldOpenCases(organisationID: organisation.id)
        return RetentionDTO(retentionPoliceGroup: organisation.retention.policeGroup, retentionSchoolAge: organisation.retention.schoolAge,
                            retentionSchoolYears: organisation.retention.schoolYearsAfterClosing ?? 0,
                            cases: reviews.map { r in
                                CaseRow(reference: r.candidate.reference, closedOn: r.candidate.closedAt.map { CalendarDate(utcDayOf: $0).description },
                                        eraseOn: r.eraseOn?.description, rule: r.rule, due: r.isDue,
                                        legalHold: r.candidate.hold == nil ? nil : LegalHoldDTO(r.candidate))
                            },
                            heldOpen: heldOpen.map(LegalHoldDTO.init),
                            erased: tombstones.map { t in
                                ErasedRow(reference: t.reference, openedOn: CalendarDate(utcDayOf: t.openedAt).description,
                                          closedOn: t.closedAt.map { CalendarDate(utcDayOf: $0).description },
                                          erasedOn: CalendarDate(utcDayOf: t.erasedAt).description, rule: t.rule,
                                          erasedBy: t.erasedBy == nil ? "schedule" : t.erasedBy!.uuidString.lowercased())
                            })
    }
}
