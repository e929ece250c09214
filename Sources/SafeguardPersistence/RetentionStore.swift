import FluentKit
import Foundation
import SafeguardCore
import SQLKit

/// A closed case as retention sees it: when it opened and closed, its facts (for the ages a schedule reads) and any
/// legal hold. Never its summary or records.
public struct RetentionCase: Sendable, Hashable {
    public var id: UUID
    public var reference: String
    public var facts: CaseFacts
    public var openedAt: Date
    public var closedAt: Date?
    public var hold: LegalHold?
}

/// Why a case is kept whatever its date, who said so and when.
public struct LegalHold: Sendable, Hashable, Codable {
    public var reason: String
    public var by: UUID?
    public var at: Date

    public init(reason: String, by: UUID?, at: Date) {
        self.reason = reason
        self.by = by
        self.at = at
    }
}

/// What is left of an erased case: its reference, its dates and who or which rule erased it.
public struct Tombstone: Sendable, Hashable, Codable {
    public var caseID: UUID
    public var reference: String
    public var openedAt: Date
    public var closedAt: Date?
    public var erasedAt: Date
    /// The person who ran it, or nil for the server's daily run.
    public var erasedBy: UUID?
    public var rule: String
}

/// Retention's reads and writes: closed cases, legal holds, erasure and tombstones. Erasure deletes a case and
/// everything recorded on it in one transaction (the caller's) and leaves a tombstone; the audit trail, which holds
/// no case text, is untouched, so it still verifies.
///
/// ```swift
/// let store = RetentionStore(db: db, cipher: cipher)
/// for candidate in try await store.closedCases(organisationID: org.id) { … }
/// ```
public struct RetentionStore: Sendable {
    public let db: any Database
    /// Seals a legal hold's reason.
    let cipher: FreeTextCipher
    public init(db: any Database, cipher: FreeTextCipher) {
        self.db = db
        self.cipher = cipher
    }

    var sql: any SQLDatabase { db as! any SQLDatabase }

    public func closedCases(organisationID: UUID) async throws -> [RetentionCase] {
        let rows = try await sql.raw("""
            SELECT id, reference, facts_json, created_at, closed_at, legal_hold_reason, legal_hold_by, legal_hold_at
            FROM cases WHERE organisation_id = \(bind: organisationID) AND status = 'closed' ORDER BY closed_at, reference
            """).all()
        return try rows.map(candidate)
    }

    /// The organisation's cases not yet closed that are on legal hold: a complaint or claim usually arrives before a
    /// case closes, and a hold on an open case was otherwise shown nowhere.
    public func heldOpenCases(organisationID: UUID) async throws -> [RetentionCase] {
        let rows = try await sql.raw("""
            SELECT id, reference, facts_json, created_at, closed_at, legal_hold_reason, legal_hold_by, legal_hold_at
            FROM cases WHERE organisation_id = \(bind: organisationID) AND status <> 'closed' AND legal_hold_reason IS NOT NULL
            ORDER BY legal_hold_at, reference
            """).all()
        return try rows.map(candidate)
    }

    public func find(reference: String, organisationID: UUID) async throws -> RetentionCase? {
        try await sql.raw("""
            SELECT id, reference, facts_json, created_at, closed_at, legal_hold_reason, legal_hold_by, legal_hold_at
            FROM cases WHERE organisation_id = \(bind: organisationID) AND reference = \(bind: reference)
            """).first().map(candidate)
    }

    func candidate(_ row: any SQLRow) throws -> RetentionCase {
        let reference = try row.decode(column: "reference", as: String.self)
        let facts: CaseFacts
        do { facts = try CaseFacts.decode(json: Data(try row.decode(column: "facts_json", as: String.self).utf8)) } catch {
            throw StoreError.invalid(field: "facts", message: "stored facts of case \(reference) no longer decode: \(error)")
        }
        let reason = try cipher.open(optional: try row.decodeNil(column: "legal_hold_reason") ? nil : try row.decode(column: "legal_hold_reason", as: String.self), in: .legalHoldReason)
        let hold = try reason.map { reason in
            LegalHold(reason: reason, by: try row.decodeNil(column: "legal_hold_by") ? nil : try row.decode(column: "legal_hold_by", as: UUID.self),
                      at: try row.decode(column: "legal_hold_at", as: Date.self))
        }
        return RetentionCase(id: try row.decode(column: "id", as: UUID.self), reference: reference, facts: facts,
                             openedAt: try row.decode(column: "created_at", as: Date.self),
                             closedAt: try row.decodeNil(column: "closed_at") ? nil : try row.decode(column: "closed_at", as: Date.self),
                             hold: hold)
    }

    /// Puts a case on legal hold, or lifts it (`reason` nil); the reason for lifting goes to the audit trail.
    public func setHold(caseID: UUID, hold: LegalHold?) async throws {
        try await sql.update("cases")
            .set("legal_hold_reason", to: SQLBind(try cipher.seal(optional: hold?.reason, in: .legalHoldReason)))
            .set("legal_hold_by", to: SQLBind(hold?.by))
            .set("legal_hold_at", to: SQLBind(hold?.at))
            .where("id", .equal, SQLBind(caseID)).run()
    }

    /// Erases a case and everything recorded on it, leaving a tombstone. Returns the cases of other organisations
    /// that were linked to it by a referral, so their chronologies can say so.
    public func erase(_ candidate: RetentionCase, organisationID: UUID, rule: String, by: UUID?, now: Date) async throws -> [(caseID: UUID, organisationID: UUID)] {
        let id = candidate.id
        let linked = try await sql.raw("""
            SELECT from_case_id, from_organisation_id, to_case_id, to_organisation_id FROM police_referrals
            WHERE from_case_id = \(bind: id) OR to_case_id = \(bind: id)
            """).all().map { row -> (caseID: UUID, organisationID: UUID) in
                let from = try row.decode(column: "from_case_id", as: UUID.self)
                return from == id
                    ? (try row.decode(column: "to_case_id", as: UUID.self), try row.decode(column: "to_organisation_id", as: UUID.self))
                    : (from, try row.decode(column: "from_organisation_id", as: UUID.self))
            }
        try await sql.raw("DELETE FROM police_referrals WHERE from_case_id = \(bind: id) OR to_case_id = \(bind: id)").run()
        for table in ["case_actions", "case_assessments", "case_records", "sign_offs", "case_events", "case_notes"] {
            try await sql.raw("DELETE FROM \(unsafeRaw: table) WHERE case_id = \(bind: id)").run()
        }
        try await sql.raw("DELETE FROM cases WHERE id = \(bind: id) AND organisation_id = \(bind: organisationID)").run()
        try await sql.insert(into: "case_tombstones")
            .columns("id", "organisation_id", "case_id", "reference", "opened_at", "closed_at", "erased_at", "erased_by", "rule")
            .values(SQLBind(UUID.timeOrdered()), SQLBind(organisationID), SQLBind(id), SQLBind(candidate.reference), SQLBind(candidate.openedAt),
                    SQLBind(candidate.closedAt), SQLBind(now), SQLBind(by), SQLBind(rule))
            .run()
        return linked
    }

    public func tombstones(organisationID: UUID) async throws -> [Tombstone] {
        try await sql.raw("""
            SELECT case_id, reference, opened_at, closed_at, erased_at, erased_by, rule FROM case_tombstones
            WHERE organisation_id = \(bind: organisationID) ORDER BY erased_at DESC, reference
            """).all().map { row in
                Tombstone(caseID: try row.decode(column: "case_id", as: UUID.self), reference: try row.decode(column: "reference", as: String.self),
                          openedAt: try row.decode(column: "opened_at", as: Date.self),
                          closedAt: try row.decodeNil(column: "closed_at") ? nil : try row.decode(column: "closed_at", as: Date.self),
                          erasedAt: try row.decode(column: "erased_at", as: Date.self),
                          erasedBy: try row.decodeNil(column: "erased_by") ? nil : try row.decode(column: "erased_by", as: UUID.self),
                          rule: try row.decode(column: "rule", as: String.self))
            }
    }
}
