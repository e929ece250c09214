import FluentKit
import SQLKit
import Vapor
import Foundation
import SafeguardCore
import SafeguardPersistence

/// Records on a case (a triage, a crime record, a custody step, an outcome…): checked against the guidance's rules and
/// the case, stored, the actions they fulfil marked done, and the case's facts kept in step with a custody record. The
/// one path the JSON API, the pages and a sign-off's decision take.
///
/// It takes the acting user, never an HTTP request; the clock and the guidance are injected. Each call runs inside
/// the caller's transaction (`db`), which the write gate serialises, and writes its own chronology lines and audit
/// entry there, so that a refused record leaves nothing behind.
///
/// ```swift
/// let service = RecordService(cipher: app.cipher, assessor: .bundled)
/// let result = try await app.writeGate.run(app.db) { db in try await service.add(record, to: caseRecord, by: identity, on: db) }
/// ```
struct RecordService: Sendable {
    let cipher: FreeTextCipher
    let assessor: Assessor
    var clock: @Sendable () -> Date = { Date() }
    /// The day the rules are checked on, by the clock.
    var today: CalendarDate { CalendarDate(utcDayOf: clock()) }

    /// Checks a record against the guidance and the case, stores it, completes the actions it fulfils, and writes its
    /// chronology line and audit entry. `proposedBy`: whose record it is when not the actor's (an approved proposal).
    func add(_ record: ResponseRecord, to caseRecord: CaseRecord, by actor: Identity, on db: any Database,
             proposedBy: UUID? = nil, signedOff: Bool = false, auditAction: String = "case.record.add") async throws -> RecordResultDTO {
        let store = CaseStore(db: db, cipher: cipher)
        let response = ResponseStore(db: db, cipher: cipher)
        let (caseRecord, context, checked) = try await Self.check(record, on: caseRecord, others: response.records(caseID: caseRecord.id),
                                                                  signedOff: signedOff, today: today, library: assessor.library, db: db, cipher: cipher)
        let now = clock()
        let stored = try await response.addRecord(caseID: caseRecord.id, record: checked.record, by: proposedBy ?? actor.user.id, now: now)
        try await chronicle(caseRecord.id, "record.added", "\(record.kind.label): \(RecordText.describe(checked.record, jurisdiction: caseRecord.facts.jurisdiction))",
                            by: actor, on: db)
        let completed = try await completeActions(checked.fulfils, because: record.kind, caseID: caseRecord.id, by: actor, on: db)
        // Triage makes the DSL who answered it the case's owner: the actions it raises land on their home, not on
        // the home of the member of staff who raised the concern and cannot act on them.
        if record.kind == .triage, actor.user.role == .dsl, caseRecord.ownerID != actor.user.id {
            try await CaseService.recordOwner(actor.user, of: caseRecord.id, previous: try await AccountStore(db: db).user(id: caseRecord.ownerID),
                                              by: actor, why: "triaged", via: "triage", cipher: cipher, on: db, now: now)
        }
        try await syncSeizure(checked.record, caseRecord, by: actor, on: db)
        try await store.touch(id: caseRecord.id, now: now)
        try await AuditChain.append(CaseService.event(actor, auditAction, caseID: caseRecord.id,
                                                      detail: "kind=\(record.kind.rawValue) record=\(stored.sequence) completed=\(completed.count)"), on: db)
        var result = RecordResultDTO(record: RecordDTO(stored), warnings: checked.warnings, completedActions: completed)
        if record.kind == .triage {
            let keys = ["emergency", "childProtectionReferral", "policeReferral", "ceopReport"]
            result.decisions = context.assessment.decisionReasons.filter { keys.contains($0.decision) }
        }
        return result
    }

    /// Replaces a record at `revision` with a checked new version: custody steps are a chain and never replaced; the
    /// rules see the case's other records.
    func replace(_ recordID: UUID, at revision: Int, with record: ResponseRecord, on caseRecord: CaseRecord, by actor: Identity,
                 on db: any Database) async throws -> RecordResultDTO {
        let response = ResponseStore(db: db, cipher: cipher)
        let all = try await response.records(caseID: caseRecord.id)
        guard let current = all.first(where: { $0.id == recordID }) else { throw APIError.notFound("record") }
        if case .deviceCustody = current.record {
            throw APIError(.conflict, "custody_is_append_only", "custody steps are a chain: record a new step instead of changing one")
        }
        let (_, _, checked) = try await Self.check(record, on: caseRecord, others: all.filter { $0.id != recordID },
                                                   fieldPrefix: "record", today: today, library: assessor.library, db: db, cipher: cipher)
        let now = clock()
        let stored = try await response.replaceRecord(id: recordID, caseID: caseRecord.id, expectedRevision: revision,
                                                      record: checked.record, by: actor.user.id, now: now)
        try await chronicle(caseRecord.id, "record.changed", "\(record.kind.label) changed: \(RecordText.describe(checked.record, jurisdiction: caseRecord.facts.jurisdiction))",
                            by: actor, on: db)
        let completed = try await completeActions(checked.fulfils, because: record.kind, caseID: caseRecord.id, by: actor, on: db)
        try await CaseStore(db: db, cipher: cipher).touch(id: caseRecord.id, now: now)
        try await AuditChain.append(CaseService.event(actor, "case.record.replace", caseID: caseRecord.id,
                                                      detail: "kind=\(record.kind.rawValue) record=\(stored.sequence) revision=\(stored.revision)"), on: db)
        return RecordResultDTO(record: RecordDTO(stored), warnings: checked.warnings, completedActions: completed)
    }

    /// Checks a record by the guidance's rules against the case as it is now (read again inside the caller's
    /// transaction) and the case's other records. Adding and replacing a record both check through here.
    static func check(_ record: ResponseRecord, on caseRecord: CaseRecord, others: [StoredRecord], signedOff: Bool = false,
                      fieldPrefix: String = "", today: CalendarDate, library: GuidanceLibrary, db: any Database,
                      cipher: FreeTextCipher) async throws
        -> (CaseRecord, RecordContext, CheckedRecord) {
        let store = CaseStore(db: db, cipher: cipher)
        guard let current = try await store.findCase(id: caseRecord.id, organisationID: caseRecord.organisationID) else {
            throw APIError.notFound("case")
        }
        var context = RecordContext(facts: current.facts, assessment: try await store.assessed(current.id),
                                    records: others.map(\.record), today: today, library: library)
        // The returns a superintendent approved, each of which lets one return of that device be recorded (Action 15).
        context.approvedReturns = try await ResponseStore(db: db, cipher: cipher).signOffs(caseID: current.id)
            .filter { $0.status == .approved }.sorted { ($0.reviewedAt ?? .distantPast) < ($1.reviewedAt ?? .distantPast) }
            .compactMap { s in
                guard case .deviceReturn(let p) = s.proposal else { return nil }
                return RecordContext.ApprovedReturn(device: p.device, imagerySolelyOfOwner: s.review?.imagerySolelyOfOwner)
            }
        // One crime, one case: a crime reference already on another case of the force names that case.
        if case .crimeRecord(let crime) = record,
           let other = try await ResponseStore(db: db, cipher: cipher).caseReference(withCrimeReference: crime.crimeReference,
                                                                                     organisationID: current.organisationID, excluding: current.id) {
            throw duplicateCrimeReference(crime.crimeReference, other: other,
                                          field: fieldPrefix.isEmpty ? "crimeReference" : "\(fieldPrefix).crimeReference")
        }
        do {
            return (current, context, try ResponseRules.check(record, in: context, signedOff: signedOff))
        } catch {
            throw APIError.record(error, prefix: fieldPrefix)
        }
    }

    /// Marks done the case's open actions for these recommendations, each with a chronology line; returns their ids.
    func completeActions(_ recommendations: [String], because kind: RecordKind, caseID: UUID, by actor: Identity,
                         on db: any Database) async throws -> [String] {
        let store = CaseStore(db: db, cipher: cipher)
        var completed: [String] = []
        for action in try await store.actions(caseID: caseID) where action.status == .open && recommendations.contains(action.recommendationID) {
            _ = try await store.setAction(id: action.id, caseID: caseID, status: .done, reason: "Recorded: \(kind.label)",
                                          by: actor.user.id, now: clock())
            try await chronicle(caseID, "action.done", "\(action.text) — done, by the record \u{201C}\(kind.label)\u{201D}", by: actor, on: db)
            completed.append(action.recommendationID)
        }
        return completed
    }

    /// A police custody step that seizes a device, or leaves it with its owner, changes the case facts the guidance
    /// weighs (e.g. deletion directions apply only where no device was seized): the facts follow the
    /// custody chain, at a new version, and the case is re-assessed in the same transaction.
    func syncSeizure(_ record: ResponseRecord, _ caseRecord: CaseRecord, by actor: Identity, on db: any Database) async throws {
        guard case .deviceCustody(let step) = record, caseRecord.facts.setting == .police else { return }
        let seized: Tri
        switch step.step {
        case .seized, .handedToPolice: seized = .true
        case .leftWithOwner: seized = .false
        default: return
        }
        var facts = caseRecord.facts
        guard let index = facts.devices.firstIndex(where: { $0.ref == step.device }), facts.devices[index].seized != seized else { return }
        facts.devices[index].seized = seized
        // The same change a route makes (`CaseService.Change`), read and written in this record's transaction.
        guard let sql = db as? any SQLDatabase else { throw APIError(.internalServerError, "internal", "the database does not take SQL") }
        let previous = try await CaseStore(db: db, cipher: cipher).latestDecisions(caseID: caseRecord.id, on: sql)
        let change = try CaseService.Change(by: actor, caseRecord, version: caseRecord.version, facts: facts,
                                            factChanges: ["device \(step.device) \(seized == .true ? "seized" : "not seized"), from the custody record"],
                                            previous: previous, assessor: assessor, now: clock())
        _ = try await change.write(by: actor, cipher: cipher, db: db, on: sql)
    }

    /// The edition a case is checked against today, by the service's clock and guidance.
    func guidance(for caseRecord: CaseRecord) -> GuidancePack { assessor.pack(for: caseRecord.facts, today: today) }

    /// A line of the case's chronology, by the actor, on the service's clock, in the caller's transaction.
    func chronicle(_ caseID: UUID, _ kind: String, _ summary: String, by actor: Identity, on db: any Database) async throws {
        try await ResponseStore(db: db, cipher: cipher).chronicle(caseID, kind, summary, by: actor, at: clock())
    }
}

extension ResponseStore {
    /// A line of the case's chronology by the acting user (their id and role), in this store's transaction.
    func chronicle(_ caseID: UUID, _ kind: String, _ summary: String, by actor: Identity, at time: Date) async throws {
        try await appendEvent(caseID: caseID, actorID: actor.user.id, actorRole: actor.auditRole, kind: kind, summary: summary, at: time)
    }
}

extension RecordService {
    /// A crime reference already on another case of the force: one crime, one case.
    static func duplicateCrimeReference(_ reference: String, other: String, field: String = "crimeReference") -> APIError {
        APIError(.conflict, "duplicate_crime_reference",
                 "the crime reference \(reference) is already on case \(other): check the number, or carry on with that case",
                 field: field)
    }
}

extension APIError {
    /// A record the guidance's rules refuse (`RecordProblem`), as a 422 naming the field (under `prefix` when the
    /// record was sent inside another object) and citing the rule's source.
    static func record(_ p: RecordProblem, prefix: String = "") -> APIError {
        let field = prefix.isEmpty ? p.field : (p.field.isEmpty ? prefix : "\(prefix).\(p.field)")
        let cited = p.citation.map { " (\($0.document), \($0.section))" } ?? ""
        return APIError(.unprocessableEntity, "invalid_record", (field.isEmpty ? "" : "\(field): ") + p.message + cited,
                        field: field.isEmpty ? nil : field)
    }
}

extension CaseStore {
    /// The case's latest assessment, which records, sign-offs, referrals and documents are all checked against; a
    /// case with none is a conflict.
    func assessed(_ caseID: UUID) async throws -> Assessment {
        guard let latest = try await latestAssessment(caseID: caseID) else {
            throw APIError(.conflict, "not_assessed", "the case has no assessment yet")
        }
        return latest.assessment
    }
}

extension Request {
    /// The record workflow, with this application's cipher.
    func recordService(_ assessor: Assessor) -> RecordService {
        RecordService(cipher: application.cipher, assessor: assessor)
    }
}
