import FluentKit
import Foundation
import SafeguardCore
import SQLKit

// MARK: Models (internal)

final class RecordModel: Model, @unchecked Sendable {
    static let schema = "case_records"
    @ID(key: .id) var id: UUID?
    @Field(key: "case_id") var caseID: UUID
    @Field(key: "sequence") var sequence: Int
    @Field(key: "kind") var kind: String
    @Field(key: "body_json") var bodyJSON: String
    @Field(key: "revision") var revision: Int
    @Field(key: "created_by") var createdBy: UUID
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_by") var updatedBy: UUID
    @Field(key: "updated_at") var updatedAt: Date
    @OptionalField(key: "crime_reference") var crimeReference: String?
    init() {}
}

final class SignOffModel: Model, @unchecked Sendable {
    static let schema = "sign_offs"
    @ID(key: .id) var id: UUID?
    @Field(key: "case_id") var caseID: UUID
    @Field(key: "kind") var kind: String
    @Field(key: "subject") var subject: String
    @Field(key: "proposal_json") var proposalJSON: String
    @Field(key: "status") var status: String
    @Field(key: "proposed_by") var proposedBy: UUID
    @Field(key: "proposed_at") var proposedAt: Date
    @OptionalField(key: "reviewed_by") var reviewedBy: UUID?
    @OptionalField(key: "reviewed_at") var reviewedAt: Date?
    @OptionalField(key: "review_json") var reviewJSON: String?
    init() {}
}

final class EventModel: Model, @unchecked Sendable {
    static let schema = "case_events"
    @ID(key: .id) var id: UUID?
    @Field(key: "case_id") var caseID: UUID
    @Field(key: "sequence") var sequence: Int
    @Field(key: "at") var at: Date
    @OptionalField(key: "actor_id") var actorID: UUID?
    @Field(key: "actor_role") var actorRole: String
    @Field(key: "kind") var kind: String
    @Field(key: "summary") var summary: String
    init() {}
}

final class ReferralModel: Model, @unchecked Sendable {
    static let schema = "police_referrals"
    @ID(key: .id) var id: UUID?
    @Field(key: "from_organisation_id") var fromOrganisationID: UUID
    @Field(key: "from_case_id") var fromCaseID: UUID
    @Field(key: "to_organisation_id") var toOrganisationID: UUID
    @Field(key: "to_case_id") var toCaseID: UUID
    @Field(key: "status") var status: String
    @Field(key: "shared_json") var sharedJSON: String
    @OptionalField(key: "response_reason") var responseReason: String?
    @Field(key: "created_by") var createdBy: UUID
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    init() {}
}

// MARK: Values

/// A response record as stored on a case.
public struct StoredRecord: Sendable, Hashable {
    public var id: UUID
    public var caseID: UUID
    public var sequence: Int
    public var revision: Int
    public var record: ResponseRecord
    public var createdBy: UUID
    public var createdAt: Date
    public var updatedBy: UUID
    public var updatedAt: Date
}

public struct SignOff: Sendable, Hashable {
    public var id: UUID
    public var caseID: UUID
    public var proposal: SignOffProposal
    public var status: SignOffStatus
    public var proposedBy: UUID
    public var proposedAt: Date
    public var reviewedBy: UUID?
    public var reviewedAt: Date?
    public var review: SignOffReview?
}

/// One line of a case's chronology.
public struct CaseEvent: Sendable, Hashable, Codable {
    public var sequence: Int
    public var at: Date
    public var actorID: UUID?
    public var actorRole: String
    /// E.g. `case.created`, `facts.changed`, `assessment.changed`, `record.added`, `action.done`, `signoff.approved`.
    public var kind: String
    public var summary: String
}

public enum ReferralStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case sent, accepted, declined
    /// Taken back by the school before the force answered it (sent to the wrong force, or no longer needed).
    case withdrawn
}

/// What a school chose to share with a force.
public struct ReferralShare: Sendable, Hashable, Codable {
    public var summary: String
    public var sections: [String]
    public var note: String?
    /// Who sent it and how to reach them (a referral made before this was kept has none).
    public var sentBy: ReferralContact?
    /// Why it is urgent, in words, from the school's assessment when it was sent; empty when nothing was flagged.
    public var risk: [String]?

    public init(summary: String, sections: [String], note: String?, sentBy: ReferralContact? = nil, risk: [String]? = nil) {
        self.summary = summary
        self.sections = sections
        self.note = note
        self.sentBy = sentBy
        self.risk = risk
    }
}

/// The person who sent a referral, as the receiving force sees them.
public struct ReferralContact: Sendable, Hashable, Codable {
    public var name: String
    public var role: String
    public var email: String

    public init(name: String, role: String, email: String) {
        self.name = name
        self.role = role
        self.email = email
    }
}

public struct PoliceReferral: Sendable, Hashable {
    public var id: UUID
    public var fromOrganisationID: UUID
    public var fromCaseID: UUID
    public var toOrganisationID: UUID
    public var toCaseID: UUID
    public var status: ReferralStatus
    public var shared: ReferralShare
    public var responseReason: String?
    public var createdBy: UUID
    public var createdAt: Date
    public var updatedAt: Date
}

// MARK: Store

/// Records, sign-offs, the chronology and referrals of cases. Call its writes inside the change's transaction.
public struct ResponseStore: Sendable {
    let db: any Database
    /// Seals the records, proposals, reviews, referral notes and chronology lines; see `EncryptedColumn`.
    let cipher: FreeTextCipher
    public init(db: any Database, cipher: FreeTextCipher) {
        self.db = db
        self.cipher = cipher
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    static func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try JSONDecoder().decode(T.self, from: Data(text.utf8)) }

    // MARK: Records

    func value(_ m: RecordModel) throws -> StoredRecord {
        StoredRecord(id: m.id!, caseID: m.caseID, sequence: m.sequence, revision: m.revision,
                     record: try Self.decode(ResponseRecord.self, try cipher.open(m.bodyJSON, in: .recordBody)), createdBy: m.createdBy, createdAt: m.createdAt,
                     updatedBy: m.updatedBy, updatedAt: m.updatedAt)
    }

    /// A crime reference as compared: without spaces and case (`np/26/4411 ` is `NP/26/4411`).
    public static func normalise(crimeReference: String) -> String {
        crimeReference.filter { !$0.isWhitespace }.uppercased()
    }

    static func crimeReference(of record: ResponseRecord) -> String? {
        if case .crimeRecord(let crime) = record { return normalise(crimeReference: crime.crimeReference) }
        return nil
    }

    /// The reference of another case of the organisation whose crime record has this crime reference, if any.
    public func caseReference(withCrimeReference crimeReference: String, organisationID: UUID, excluding caseID: UUID?) async throws -> String? {
        var query = RecordModel.query(on: db)
            .join(CaseModel.self, on: \RecordModel.$caseID == \CaseModel.$id)
            .filter(\RecordModel.$crimeReference == Self.normalise(crimeReference: crimeReference))
            .filter(CaseModel.self, \.$organisationID == organisationID)
        if let caseID { query = query.filter(\RecordModel.$caseID != caseID) }
        guard let found = try await query.first() else { return nil }
        return try found.joined(CaseModel.self).reference
    }

    public func records(caseID: UUID) async throws -> [StoredRecord] {
        try await RecordModel.query(on: db).filter(\.$caseID == caseID).sort(\.$sequence).all().map(value)
    }

    public func addRecord(caseID: UUID, record: ResponseRecord, by userID: UUID, now: Date) async throws -> StoredRecord {
        let last = try await RecordModel.query(on: db).filter(\.$caseID == caseID).max(\.$sequence) ?? 0
        let m = RecordModel()
        m.id = UUID.timeOrdered()
        m.caseID = caseID
        m.sequence = last + 1
        m.kind = record.kind.rawValue
        m.bodyJSON = try cipher.seal(try Self.json(record), in: .recordBody)
        m.crimeReference = Self.crimeReference(of: record)
        m.revision = 1
        m.createdBy = userID
        m.createdAt = now
        m.updatedBy = userID
        m.updatedAt = now
        try await m.create(on: db)
        return try value(m)
    }

    /// Replaces a record's content if it is still at `expectedRevision`; its kind cannot change.
    public func replaceRecord(id: UUID, caseID: UUID, expectedRevision: Int, record: ResponseRecord, by userID: UUID,
                              now: Date) async throws -> StoredRecord {
        guard let m = try await RecordModel.query(on: db).filter(\.$id == id).filter(\.$caseID == caseID).first() else {
            throw StoreError.notFound("record")
        }
        guard m.kind == record.kind.rawValue else {
            throw StoreError.invalid(field: "kind", message: "this record is a \(m.kind); its kind cannot change")
        }
        guard m.revision == expectedRevision else {
            throw StoreError.conflict("the record is at revision \(m.revision), not \(expectedRevision): read it again and reapply your change")
        }
        m.bodyJSON = try cipher.seal(try Self.json(record), in: .recordBody)
        m.crimeReference = Self.crimeReference(of: record)
        m.revision += 1
        m.updatedBy = userID
        m.updatedAt = now
        try await m.save(on: db)
        return try value(m)
    }

    // MARK: Sign-offs

    func value(_ m: SignOffModel) throws -> SignOff {
        SignOff(id: m.id!, caseID: m.caseID, proposal: try Self.decode(SignOffProposal.self, try cipher.open(m.proposalJSON, in: .signOffProposal)),
                status: SignOffStatus(rawValue: m.status) ?? .pending, proposedBy: m.proposedBy, proposedAt: m.proposedAt,
                reviewedBy: m.reviewedBy, reviewedAt: m.reviewedAt,
                review: try cipher.open(optional: m.reviewJSON, in: .signOffReview).map { try Self.decode(SignOffReview.self, $0) })
    }

    public func signOffs(caseID: UUID) async throws -> [SignOff] {
        try await SignOffModel.query(on: db).filter(\.$caseID == caseID).sort(\.$proposedAt).all().map(value)
    }

    public func signOff(id: UUID, caseID: UUID) async throws -> SignOff? {
        try await SignOffModel.query(on: db).filter(\.$id == id).filter(\.$caseID == caseID).first().map(value)
    }

    /// Pending sign-offs of a kind across an organisation's cases, oldest first, with each case's reference.
    public func pendingSignOffs(organisationID: UUID, kind: SignOffKind) async throws -> [(signOff: SignOff, caseReference: String)] {
        let pending = try await SignOffModel.query(on: db).filter(\.$kind == kind.rawValue)
            .filter(\.$status == SignOffStatus.pending.rawValue).sort(\.$proposedAt).all()
        var result: [(SignOff, String)] = []
        for m in pending {
            guard let c = try await CaseModel.query(on: db).filter(\.$id == m.caseID)
                .filter(\.$organisationID == organisationID).first() else { continue }
            result.append((try value(m), c.reference))
        }
        return result
    }

    public func propose(caseID: UUID, proposal: SignOffProposal, by userID: UUID, now: Date) async throws -> SignOff {
        let open = try await SignOffModel.query(on: db).filter(\.$caseID == caseID).filter(\.$kind == proposal.kind.rawValue)
            .filter(\.$subject == proposal.subject).filter(\.$status == SignOffStatus.pending.rawValue).count()
        guard open == 0 else {
            throw StoreError.duplicate("a \(proposal.kind.label) proposal is already waiting for review on this case")
        }
        let m = SignOffModel()
        m.id = UUID.timeOrdered()
        m.caseID = caseID
        m.kind = proposal.kind.rawValue
        m.subject = proposal.subject
        m.proposalJSON = try cipher.seal(try Self.json(proposal), in: .signOffProposal)
        m.status = SignOffStatus.pending.rawValue
        m.proposedBy = userID
        m.proposedAt = now
        try await m.create(on: db)
        return try value(m)
    }

    /// Decides a pending sign-off. Refuses if it is no longer pending (someone else decided first).
    public func decide(id: UUID, caseID: UUID, review: SignOffReview, by userID: UUID, now: Date) async throws -> SignOff {
        guard let m = try await SignOffModel.query(on: db).filter(\.$id == id).filter(\.$caseID == caseID).first() else {
            throw StoreError.notFound("sign-off")
        }
        guard m.status == SignOffStatus.pending.rawValue else {
            throw StoreError.conflict("this sign-off was already \(m.status)")
        }
        m.status = (review.approve ? SignOffStatus.approved : .refused).rawValue
        m.reviewedBy = userID
        m.reviewedAt = now
        m.reviewJSON = try cipher.seal(try Self.json(review), in: .signOffReview)
        try await m.save(on: db)
        return try value(m)
    }

    public func withdraw(id: UUID, caseID: UUID, now: Date) async throws -> SignOff {
        guard let m = try await SignOffModel.query(on: db).filter(\.$id == id).filter(\.$caseID == caseID).first() else {
            throw StoreError.notFound("sign-off")
        }
        guard m.status == SignOffStatus.pending.rawValue else { throw StoreError.conflict("this sign-off was already \(m.status)") }
        m.status = SignOffStatus.withdrawn.rawValue
        try await m.save(on: db)
        return try value(m)
    }

    // MARK: Chronology

    /// The most characters a chronology line keeps: a longer one (a reason quoted into it, say) is cut there, on every
    /// path that writes lines, so no caller need remember to.
    public static let lineLimit = 2_000

    /// A line as it is stored: cut at `lineLimit`, then sealed.
    static func sealedLine(_ summary: String, cipher: FreeTextCipher) throws -> String {
        try cipher.seal(String(summary.prefix(lineLimit)), in: .chronologyLine)
    }

    public func appendEvent(caseID: UUID, actorID: UUID?, actorRole: String, kind: String, summary: String, at: Date) async throws {
        try await appendEvents(caseID: caseID, actorID: actorID, actorRole: actorRole, [(kind, summary)], at: at)
    }

    /// Chronology lines of one case by one person, in order, numbered on from the case's last. SQLKit only, so that it
    /// can run on `sql` (a SQLite file's own write connection) as well as on the store's database.
    ///
    /// On PostgreSQL it is one statement (`chronologyInsertion`). On SQLite, where a statement is a call, not a round trip, the
    /// case's last number is read first and the lines go in a plain INSERT: the one statement cost more there (SQLite
    /// runs it through a temporary table, as it reads the table it writes), measured both ways.
    public func appendEvents(caseID: UUID, actorID: UUID?, actorRole: String, _ lines: [(kind: String, summary: String)],
                             at: Date, on sql: (any SQLDatabase)? = nil) async throws {
        guard !lines.isEmpty else { return }
        let sql = sql ?? (db as! any SQLDatabase)
        if let insertion = try chronologyInsertion(caseID: caseID, actorID: actorID, actorRole: actorRole, lines, at: at, on: sql) {
            return try await sql.execute(sql: insertion) { _ in }
        }
        let last = try await sql.select().column(SQLFunction("MAX", args: SQLIdentifier("sequence")), as: "last").from(EventModel.schema)
            .where("case_id", .equal, SQLBind(caseID)).first()?.decode(column: "last", as: Int?.self) ?? 0
        var insert = sql.insert(into: EventModel.schema, columns: ["id", "case_id", "sequence", "at", "actor_id", "actor_role", "kind", "summary"])
        for (offset, line) in lines.enumerated() {
            insert = insert.values(SQLBind(UUID.timeOrdered()), SQLBind(caseID), SQLBind(last + 1 + offset), SQLBind(at),
                                   SQLBind(actorID), SQLBind(actorRole), SQLBind(line.kind),
                                   SQLBind(try Self.sealedLine(line.summary, cipher: cipher)))
        }
        try await insert.run()
    }

    /// On PostgreSQL, `appendEvents`'s lines as one statement, to run or to send with other writes (`StatementBatch`):
    /// it numbers them on from the case's last line, which it reads itself (it reads the table as it was before its own
    /// rows), where reading the number first was a round trip of its own inside the serialised write. Nil on SQLite
    /// (see `appendEvents`) and when there are no lines.
    public func chronologyInsertion(caseID: UUID, actorID: UUID?, actorRole: String, _ lines: [(kind: String, summary: String)],
                          at: Date, on sql: any SQLDatabase) throws -> (any SQLExpression)? {
        guard !lines.isEmpty, sql.dialect.name == "postgresql" else { return nil }
        // The lines' own values, each bound with its type; what they share is bound once, in the outer SELECT, where
        // PostgreSQL takes a value's type from the column it goes into (the actor may be nil, which has no type).
        let rows = try lines.enumerated().map { offset, line -> SQLQueryString in
            "SELECT \(bind: UUID.timeOrdered()) AS id, \(bind: offset + 1) AS n, \(bind: line.kind) AS kind, \(bind: try Self.sealedLine(line.summary, cipher: cipher)) AS summary"
        }
        return SQLQueryString("""
            INSERT INTO case_events (id, case_id, sequence, at, actor_id, actor_role, kind, summary) \
            SELECT v.id, \(bind: caseID), m.last + v.n, \(bind: at), \(bind: actorID), \(bind: actorRole), v.kind, v.summary \
            FROM (\(rows.joined(separator: " UNION ALL "))) AS v, \
            (SELECT COALESCE(MAX(sequence), 0) AS last FROM case_events WHERE case_id = \(bind: caseID)) AS m \
            ORDER BY v.n
            """)
    }


    public func chronology(caseID: UUID) async throws -> [CaseEvent] {
        try await EventModel.query(on: db).filter(\.$caseID == caseID).sort(\.$sequence).all().map {
            CaseEvent(sequence: $0.sequence, at: $0.at, actorID: $0.actorID, actorRole: $0.actorRole, kind: $0.kind,
                      summary: try cipher.open($0.summary, in: .chronologyLine))
        }
    }

    /// A case's chronology with those of the cases merged into it, oldest first: each merged line begins "From case
    /// SG-…:", so both chronologies are kept and read together (issue 11, point 3).
    public func fullChronology(caseID: UUID, organisationID: UUID) async throws -> [CaseEvent] {
        let merged = try await CaseStore(db: db, cipher: cipher).mergeLinks(caseID: caseID, organisationID: organisationID).from
        var events = try await chronology(caseID: caseID)
        guard !merged.isEmpty else { return events }
        for (id, reference) in merged {
            events += try await chronology(caseID: id).map { e in
                var e = e
                e.summary = "From case \(reference): " + e.summary
                return e
            }
        }
        return events.sorted { ($0.at, $0.sequence) < ($1.at, $1.sequence) }
    }

    // MARK: Referrals

    func value(_ m: ReferralModel) throws -> PoliceReferral {
        PoliceReferral(id: m.id!, fromOrganisationID: m.fromOrganisationID, fromCaseID: m.fromCaseID,
                       toOrganisationID: m.toOrganisationID, toCaseID: m.toCaseID,
                       status: ReferralStatus(rawValue: m.status) ?? .sent, shared: try Self.decode(ReferralShare.self, try cipher.open(m.sharedJSON, in: .referralShared)),
                       responseReason: try cipher.open(optional: m.responseReason, in: .referralReason), createdBy: m.createdBy, createdAt: m.createdAt, updatedAt: m.updatedAt)
    }

    public func addReferral(fromOrganisationID: UUID, fromCaseID: UUID, toOrganisationID: UUID, toCaseID: UUID,
                            shared: ReferralShare, by userID: UUID, now: Date) async throws -> PoliceReferral {
        let m = ReferralModel()
        m.id = UUID.timeOrdered()
        m.fromOrganisationID = fromOrganisationID
        m.fromCaseID = fromCaseID
        m.toOrganisationID = toOrganisationID
        m.toCaseID = toCaseID
        m.status = ReferralStatus.sent.rawValue
        m.sharedJSON = try cipher.seal(try Self.json(shared), in: .referralShared)
        m.createdBy = userID
        m.createdAt = now
        m.updatedAt = now
        try await m.create(on: db)
        return try value(m)
    }

    /// Referrals made from, or received on, a case.
    public func referrals(caseID: UUID) async throws -> [PoliceReferral] {
        try await ReferralModel.query(on: db).group(.or) { $0.filter(\.$fromCaseID == caseID).filter(\.$toCaseID == caseID) }
            .sort(\.$createdAt).all().map(value)
    }

    public func referral(id: UUID) async throws -> PoliceReferral? {
        try await ReferralModel.find(id, on: db).map(value)
    }

    public func respondToReferral(id: UUID, status: ReferralStatus, reason: String?, now: Date) async throws -> PoliceReferral {
        guard let m = try await ReferralModel.find(id, on: db) else { throw StoreError.notFound("referral") }
        guard m.status == ReferralStatus.sent.rawValue else { throw StoreError.conflict("this referral was already \(m.status)") }
        m.status = status.rawValue
        m.responseReason = try cipher.seal(optional: reason, in: .referralReason)
        m.updatedAt = now
        try await m.save(on: db)
        return try value(m)
    }

    /// Referrals waiting for a force to accept or decline them.
    public func referralsAwaiting(toOrganisationID: UUID) async throws -> [PoliceReferral] {
        try await ReferralModel.query(on: db).filter(\.$toOrganisationID == toOrganisationID)
            .filter(\.$status == ReferralStatus.sent.rawValue).sort(\.$createdAt).all().map(value)
    }

    // MARK: Inbox

    /// The organisation's open cases with no triage record yet, oldest first: a DSL's concerns to triage.
    public func casesAwaitingTriage(organisationID: UUID) async throws -> [UUID] {
        let sql = db as! any SQLDatabase
        return try await sql.raw("""
            SELECT id FROM cases WHERE organisation_id = \(bind: organisationID) AND status = 'open'
            AND NOT EXISTS (SELECT 1 FROM case_records r WHERE r.case_id = cases.id AND r.kind = 'triage')
            ORDER BY created_at
            """).all().map { try $0.decode(column: "id", as: UUID.self) }
    }

    /// The day each post-incident review of the organisation's cases says the policy is to be reviewed by, soonest first.
    public func policyReviews(organisationID: UUID) async throws -> [(caseID: UUID, caseReference: String, due: CalendarDate)] {
        let rows = try await RecordModel.query(on: db).join(CaseModel.self, on: \RecordModel.$caseID == \CaseModel.$id)
            .filter(CaseModel.self, \.$organisationID == organisationID)
            .filter(\RecordModel.$kind == RecordKind.postIncidentReview.rawValue).all()
        var reviews: [(caseID: UUID, caseReference: String, due: CalendarDate)] = []
        for m in rows {
            if case .postIncidentReview(let review) = try value(m).record {
                reviews.append((m.caseID, try m.joined(CaseModel.self).reference, review.policyReviewBy))
            }
        }
        return reviews.sorted { $0.due < $1.due }
    }

    /// Proposals this person made that were refused, on cases still open, with each case's reference, in the order
    /// they were refused.
    public func refusedProposals(proposedBy userID: UUID) async throws -> [(signOff: SignOff, caseReference: String)] {
        try await SignOffModel.query(on: db).join(CaseModel.self, on: \SignOffModel.$caseID == \CaseModel.$id)
            .filter(\SignOffModel.$proposedBy == userID).filter(\SignOffModel.$status == SignOffStatus.refused.rawValue)
            .filter(CaseModel.self, \.$status == CaseStatus.open.rawValue)
            .sort(\SignOffModel.$reviewedAt).all()
            .map { (try value($0), try $0.joined(CaseModel.self).reference) }
    }
}
