import FluentKit
import Vapor
import Foundation
import SafeguardCore
import SafeguardPersistence

/// Referrals from a school to a police force: the DSL sends what they choose to share, which opens a linked case at
/// the force; the force accepts or declines it. The one path the JSON API and the pages take.
///
/// It takes the acting user, never an HTTP request; the clock (the records service's) and the guidance are injected.
/// Each call is one transaction through the write gate, with both sides' chronology lines and audit entries.
///
/// ```swift
/// let service = ReferralService(db: app.db, cipher: app.cipher, gate: app.writeGate, records: records, assessor: .bundled)
/// let referral = try await service.send(body, from: schoolCase, by: dsl)
/// _ = try await service.answer(referral, ReferralResponseRequest(status: .accepted, reason: nil), on: policeCase, by: officer)
/// ```
struct ReferralService: Sendable {
    var db: any Database { database() }
    private let database: @Sendable () -> any Database
    let cipher: FreeTextCipher
    let gate: WriteGate
    /// Writes the chronology lines, on its clock.
    let records: RecordService
    let assessor: Assessor
    var clock: @Sendable () -> Date { records.clock }

    /// The parts of a case's facts a school may share with a force (the rest is left out of the force's case), each
    /// with what the referral form offers and how a page says it was shared.
    static let sections: [(key: String, offer: String, words: String)] = [
        ("people", "The young people: ages and welfare facts, by letter", "the young people"),
        ("imagery", "Facts about the imagery (never the imagery)", "facts about the imagery"),
        ("circumstances", "How it happened and any signs of harm", "how it happened and any signs of harm"),
        ("devices", "Devices", "devices"),
    ]
    static var shareable: [String] { sections.map(\.key) }

    /// The parts shared, in words: "The young people and facts about the imagery", or "The summary only".
    static func sharedInWords(_ shared: [String]) -> String {
        let text = Words.join(shared.map { key in sections.first { $0.key == key }?.words ?? Words.of(key) })
        return text.isEmpty ? "The summary only" : text.capitalisedFirst
    }

    /// The most characters a referral's summary for the force may have: shorter than a case's own summary, since it is
    /// what the force reads first.
    static let summaryLimit = 400

    /// What makes a referral urgent, in words, from the school's assessment: immediate danger, an immediate risk of
    /// harm, why a child protection referral is needed (also when it is not yet decided but every answer still open
    /// leads to one), and that the police must be told. Empty only when none of these holds: the force's page then says
    /// nothing urgent was flagged, so it must never be empty for a case the school had to refer.
    static func referralRisk(_ assessment: Assessment, questions: [String: String]) -> [String] {
        var risk: [String] = []
        func because(_ key: DecisionKey) -> String {
            let reasons = (assessment.decisionReasons.first { $0.decision == key.rawValue }?.because ?? [])
                .filter { !Words.isNotKnown($0) }.map { Words.because($0, questions: questions) }
            // The guidance's questions with their answers, after the sentence: "… Why: Was anyone coerced? Yes."
            return reasons.isEmpty ? "." : ". Why: " + reasons.joined(separator: "; ") + "."
        }
        if assessment.decisions.emergency { risk.append("A child is in immediate danger.") }
        let referral = assessment.decisions.childProtectionReferral
        let possible = Set(assessment.decisionReasons.first { $0.decision == DecisionKey.childProtectionReferral.rawValue }?.possible ?? [])
        switch referral {
        case .immediate:
            risk.append("A child is at immediate risk of harm: a child protection referral is needed at once" + because(.childProtectionReferral))
        case .required:
            risk.append("A child protection referral is needed" + because(.childProtectionReferral))
        case .undetermined where !possible.isEmpty && possible.isSubset(of: [ReferralDecision.immediate.rawValue, ReferralDecision.required.rawValue]):
            risk.append("A child protection referral is needed whatever the questions still open find"
                        + (possible.contains(ReferralDecision.immediate.rawValue) ? ", perhaps at once" : "") + ".")
        default:
            break
        }
        if assessment.decisions.policeReferral == .required {
            risk.append("The school's assessment says the police must be told" + because(.policeReferral))
        }
        return risk
    }

    init(db: @autoclosure @escaping @Sendable () -> any Database, cipher: FreeTextCipher, gate: WriteGate, records: RecordService,
         assessor: Assessor) {
        database = db
        self.cipher = cipher
        self.gate = gate
        self.records = records
        self.assessor = assessor
    }

    /// A DSL's referral of a school's case to a police force (shared by the API and the pages): opens a case at the
    /// force holding only what was chosen to share, linked to the school's case, each side audited.
    func send(_ body: ReferralCreateRequest, from schoolCase: CaseRecord, by identity: Identity) async throws -> PoliceReferral {
        guard identity.user.role == .dsl else {
            throw APIError.forbidden("the \(identity.organisation.jurisdiction.schoolLead) refers a case to the police")
        }
        let summary = body.summary.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !summary.isEmpty, summary.count <= Self.summaryLimit else {
            throw APIError.invalid("summary", "tell the force what happened in 1–\(Self.summaryLimit) characters (no names: use references)")
        }
        if let note = body.note, let refusal = TextGuard.tooLong(note, limit: FieldLimits.limit(for: "note")) {
            throw APIError.invalid("note", "note: \(refusal.message)")
        }
        for (i, section) in body.share.enumerated() where !Self.shareable.contains(section) {
            throw APIError.invalid("share[\(i)]", "share any of: " + Self.shareable.joined(separator: ", "))
        }
        guard let force = try await AccountStore(db: self.db).organisation(id: body.toOrganisationID), force.kind == .police else {
            throw APIError.invalid("toOrganisationID", "a police force in Safeguard (see GET /api/v1/organisations?kind=police)")
        }
        // The force's case holds only what the school chose to share, under the force's jurisdiction.
        guard var object = try JSONValue.parse(schoolCase.facts.jsonData()).objectValue else {
            throw APIError(.internalServerError, "internal", "stored facts are not an object")
        }
        for section in Self.shareable where !body.share.contains(section) {
            object[section] = section == "circumstances" ? .object([:]) : .array([])
        }
        object["jurisdiction"] = .string(force.jurisdiction.rawValue)
        object["setting"] = .string(Setting.police.rawValue)
        object["assessedOn"] = nil
        let facts: CaseFacts
        do { facts = try CaseFacts.decode(json: JSONValue.object(object).data) } catch {
            throw APIError.invalid("share", "what is shared must stand on its own: \(error) (share people too when sharing imagery or devices)")
        }
        let assessment = assessor.assess(facts, CalendarDate(utcDayOf: clock()))
        let school = identity.organisation
        let risk = Self.referralRisk(try await CaseStore(db: self.db, cipher: cipher).assessed(schoolCase.id), questions: assessor.pack(for: schoolCase.facts, today: CalendarDate(utcDayOf: clock())).questions)
        let contact = ReferralContact(name: identity.user.displayName, role: identity.user.role.inSentence(in: school.jurisdiction),
                                      email: identity.user.email)
        return try await gate.run(db) { db in
            let store = CaseStore(db: db, cipher: cipher)
            // One referral of a case to a force at a time: a second (a double click, or a second try) opened a second
            // case at the force for the same children. A declined one may be sent again.
            if let earlier = try await ResponseStore(db: db, cipher: cipher).referrals(caseID: schoolCase.id)
                .last(where: { $0.fromCaseID == schoolCase.id && $0.toOrganisationID == force.id && ![.declined, .withdrawn].contains($0.status) }),
               let theirs = try await store.findCase(id: earlier.toCaseID, organisationID: force.id) {
                throw APIError(.conflict, "already_referred", "case \(schoolCase.reference) was referred to \(force.name) on \(Words.day(CalendarDate(utcDayOf: earlier.createdAt))) "
                    + (earlier.status == .sent ? "and is waiting for them to accept it" : "and they accepted it")
                    + " (their case \(theirs.reference)): tell them what is new directly, quoting that reference, rather than referring it again")
            }
            // Opened as every case is (`CaseStore.open`): the case, its assessment, its actions and its first line.
            let policeCase = try await store.open([store.opening(
                organisationID: force.id, createdBy: identity.user.id,
                summary: String("Referred by \(school.name): \(summary)".prefix(CaseController.maxSummary)), status: .open,
                facts: facts, assessment: assessment,
                chronology: ("case.created", "Case opened from a referral by \(school.name), case \(schoolCase.reference)", identity.auditRole),
                mustActionDays: force.workPolicy.mustActionDays, now: clock())])[0].record
            let referral = try await ResponseStore(db: db, cipher: cipher).addReferral(
                fromOrganisationID: school.id, fromCaseID: schoolCase.id, toOrganisationID: force.id, toCaseID: policeCase.id,
                shared: ReferralShare(summary: summary, sections: body.share.sorted(), note: body.note, sentBy: contact, risk: risk),
                by: identity.user.id, now: clock())
            try await records.chronicle(schoolCase.id, "referral.sent", "Referred to \(force.name), sharing \(Self.sharedInWords(body.share.sorted()).lowercasedFirst)", by: identity, on: db)
            // The force's own trail records that the case arrived, so its auditors see it.
            try await Self.audit(identity, "case.referral.send", caseID: schoolCase.id, detail: "referral=\(referral.id.uuidString.lowercased())",
                                 andTheirs: "case.referral.receive", organisationID: force.id, caseID: policeCase.id, on: db)
            for action in try await store.actions(caseID: schoolCase.id) where action.status == .open && action.recommendationID == "informPolice" {
                _ = try await store.setAction(id: action.id, caseID: schoolCase.id, status: .done, reason: "Referred to \(force.name) in Safeguard",
                                              by: identity.user.id, now: clock())
                try await records.chronicle(schoolCase.id, "action.done", "\(action.text) — done (referral sent)", by: identity, on: db)
            }
            return referral
        }
    }

    /// The force accepts or declines a referral it received (shared by the API and the pages); declining needs a
    /// reason, which the school sees.
    func answer(_ referral: PoliceReferral, _ body: ReferralResponseRequest, on policeCase: CaseRecord, by identity: Identity) async throws -> PoliceReferral {
        let id = referral.id
        guard referral.toCaseID == policeCase.id else { throw APIError.notFound("referral") }
        guard body.status == .accepted || body.status == .declined else { throw APIError.invalid("status", "accepted or declined") }
        guard referral.status == .sent else {
            throw APIError(.conflict, "already_answered", referral.status == .withdrawn
                ? "the school withdrew this referral: there is nothing to answer"
                : "this referral was already \(referral.status.rawValue)")
        }
        let reason = body.reason?.trimmingCharacters(in: .whitespacesAndNewlines)
        if body.status == .declined && (reason ?? "").isEmpty {
            throw APIError.invalid("reason", "say why the referral is declined: the school sees it")
        }
        return try await gate.run(db) { db in
            let updated = try await ResponseStore(db: db, cipher: cipher).respondToReferral(id: id, status: body.status, reason: reason, now: clock())
            let line = "Referral \(body.status.rawValue) by \(identity.organisation.name)" + (reason.map { ": \($0)" } ?? "")
            try await records.chronicle(policeCase.id, "referral.\(body.status.rawValue)", line, by: identity, on: db)
            // The officer who accepts a referral owns the case it opened (until then it is the school's DSL's, and
            // sits in the force's referrals to answer).
            if body.status == .accepted, CasePolicy.mayOwn(identity.user.role) {
                try await CaseService.recordOwner(identity.user, of: policeCase.id, previous: nil, by: identity, why: "accepted the referral",
                                                  via: "referral", cipher: cipher, on: db, now: clock())
            }
            try await records.chronicle(referral.fromCaseID, "referral.\(body.status.rawValue)", line, by: identity, on: db)
            try await Self.audit(identity, "case.referral.respond", caseID: policeCase.id, detail: "status=\(body.status.rawValue)",
                                 andTheirs: "case.referral.answered", organisationID: referral.fromOrganisationID, caseID: referral.fromCaseID, on: db)
            return updated
        }
    }
}

extension ReferralService {
    /// The school takes back a referral the force has not answered (sent to the wrong force, or no longer needed), with
    /// a reason the force sees. The case the referral opened at the force, still the school's until the force accepts
    /// it, is closed with that reason, so it does not sit in the force's open cases. An answered referral cannot be
    /// withdrawn: the force has decided, and is told directly.
    func withdraw(_ referral: PoliceReferral, reason: String?, from schoolCase: CaseRecord, by identity: Identity) async throws -> PoliceReferral {
        guard identity.user.role == .dsl else {
            throw APIError.forbidden("the \(identity.organisation.jurisdiction.schoolLead) withdraws a referral")
        }
        guard referral.fromCaseID == schoolCase.id else { throw APIError.notFound("referral") }
        let reason = (reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw APIError.invalid("reason", "say why the referral is withdrawn: the force sees it") }
        if let refusal = TextGuard.tooLong(reason, limit: FieldLimits.limit(for: "reason")) {
            throw APIError.invalid("reason", "reason: \(refusal.message)")
        }
        let force = try await AccountStore(db: db).organisation(id: referral.toOrganisationID)
        let forceName = force?.name ?? "the force"
        guard referral.status == .sent else {
            throw APIError(.conflict, "already_answered", referral.status == .withdrawn
                ? "this referral was already withdrawn"
                : "\(forceName) has already \(referral.status.rawValue) this referral: tell them directly what has changed")
        }
        let school = identity.organisation
        return try await gate.run(db) { db in
            let store = CaseStore(db: db, cipher: cipher)
            let updated = try await ResponseStore(db: db, cipher: cipher).respondToReferral(id: referral.id, status: .withdrawn, reason: reason, now: clock())
            if let theirs = try await store.findCase(id: referral.toCaseID, organisationID: referral.toOrganisationID), theirs.status == .open {
                _ = try await store.updateCase(id: theirs.id, organisationID: referral.toOrganisationID, expectedVersion: theirs.version,
                                               facts: nil, summary: nil, status: .closed, now: clock())
                try await records.chronicle(theirs.id, "referral.withdrawn", "Referral withdrawn by \(school.name), so the case is closed: \(reason)", by: identity, on: db)
            }
            try await records.chronicle(schoolCase.id, "referral.withdrawn", "Referral to \(forceName) withdrawn: \(reason)", by: identity, on: db)
            try await Self.audit(identity, "case.referral.withdraw", caseID: schoolCase.id, detail: "referral=\(referral.id.uuidString.lowercased())",
                                 andTheirs: "case.referral.withdrawn", organisationID: referral.toOrganisationID, caseID: referral.toCaseID, on: db)
            return updated
        }
    }
}

extension ReferralService {
    /// A referral step's two audit entries, one on each side's trail: `action` on the actor's organisation's case, and
    /// `theirs` on the other organisation's case, with the same detail, so that each organisation's auditors see it.
    static func audit(_ identity: Identity, _ action: String, caseID: UUID, detail: String,
                      andTheirs theirs: String, organisationID: UUID, caseID theirCase: UUID, on db: any Database) async throws {
        _ = try await AuditChain.append([CaseService.event(identity, action, caseID: caseID, detail: detail),
                                     AuditEvent(actorID: identity.user.id, actorRole: identity.auditRole, organisationID: organisationID,
                                                action: theirs, caseID: theirCase, detail: detail)], on: db)
    }
}

extension Request {
    /// The referral workflow, with this application's database, cipher and write gate.
    func referralService(_ assessor: Assessor) -> ReferralService {
        ReferralService(db: self.db, cipher: application.cipher, gate: application.writeGate, records: recordService(assessor), assessor: assessor)
    }
}
