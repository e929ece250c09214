import Fluent
import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// The response to a case, end to end: records checked by the guidance's rules, sign-offs (Outcome 21 by a
/// supervisor, a device's return by a superintendent), referrals from schools to forces, the chronology and the
/// documents. Every write runs in one transaction with its chronology event and its audit entry.
struct ResponseController: RouteCollection {
    let assessor: Assessor
    let cases: CaseController

    init(assessor: Assessor) {
        self.assessor = assessor
        self.cases = CaseController(assessor: assessor)
    }

    func boot(routes: any RoutesBuilder) throws {
        let one = routes.grouped("cases", ":caseID")
        one.get("records", use: records)
        one.post("records", use: addRecord)
        one.put("records", ":recordID", use: replaceRecord)
        one.get("chronology", use: chronology)
        one.get("sign-offs", use: signOffs)
        one.post("sign-offs", use: propose)
        one.post("sign-offs", ":signOffID", "decision", use: decide)
        one.get("referrals", use: referrals)
        one.post("referrals", use: refer)
        one.post("referrals", ":referralID", "response", use: respond)
        one.post("referrals", ":referralID", "withdraw", use: withdraw)
        one.post("documents", "outcome21-letter", use: outcome21Letter)
        one.get("documents", "information-sheet", use: informationSheet)
        one.get("documents", "child-contact-form", use: childContactForm)
        one.get("documents", "case-record", use: caseRecord)
        one.get("documents", "subject-access", ":ref", use: subjectAccess)
        routes.get("inbox", use: inbox)
        routes.get("organisations", use: organisations)
    }

    // MARK: Shared

    /// The case for a lead (not staff): records, sign-offs and documents are for those who run the response.
    func leadCase(_ req: Request) async throws -> (Identity, CaseRecord) {
        let identity = try CasePolicy.requireCaseRole(req)
        let record = try await cases.loadCase(req, identity)
        try CasePolicy.requireEditor(identity)
        return (identity, record)
    }

    static func decodeRecord(_ data: Data, prefix: String = "") throws -> ResponseRecord {
        do { return try ResponseRecord.decode(json: data) } catch { throw APIError.record(error, prefix: prefix) }
    }

    // MARK: Records

    func records(req: Request) async throws -> [RecordDTO] {
        let (_, record) = try await leadCase(req)
        var all = try await ResponseStore(db: req.db, cipher: req.cipher).records(caseID: record.id)
        if let kind = req.query[String.self, at: "kind"] {
            guard let k = RecordKind(rawValue: kind) else {
                throw APIError.badRequest("kind must be one of: " + RecordKind.allCases.map(\.rawValue).joined(separator: ", "), field: "kind")
            }
            all = all.filter { $0.record.kind == k }
        }
        try await req.auditAlone("case.records.read", caseID: record.id)
        return all.map(RecordDTO.init)
    }

    func addRecord(req: Request) async throws -> Response {
        let (_, caseRecord) = try await leadCase(req)
        let record = try Self.decodeRecord(Data(buffer: req.body.data ?? ByteBuffer()))
        let identity = try req.requireIdentity()
        let service = req.recordService(assessor)
        let result = try await req.write { db in try await service.add(record, to: caseRecord, by: identity, on: db) }
        req.auditRecorded = true
        let response = Response(status: .created)
        try response.content.encode(result)
        return response
    }

    /// Replaces a record at its revision, e.g. to add proof of deletion or a removal request's new status.
    func replaceRecord(req: Request) async throws -> RecordResultDTO {
        let (identity, caseRecord) = try await leadCase(req)
        guard let recordID = req.parameters.get("recordID").flatMap(UUID.init(text:)) else { throw APIError.notFound("record") }
        let data = Data(buffer: req.body.data ?? ByteBuffer())
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw APIError.badRequest("send {\"revision\": n, \"record\": {…}}")
        }
        guard let revision = object["revision"] as? Int else { throw APIError.invalid("revision", "the revision you read (a whole number)") }
        guard let inner = object["record"] as? [String: Any], let innerData = try? JSONSerialization.data(withJSONObject: inner) else {
            throw APIError.invalid("record", "the record, as an object with its kind")
        }
        let record = try Self.decodeRecord(innerData, prefix: "record")
        return try await replaceRecord(req, identity, caseRecord, recordID: recordID, revision: revision, record: record)
    }

    /// Replaces a record at `revision` with a checked new version (shared by the API and the pages): custody steps
    /// are a chain and never replaced; the rules see the case's other records.
    func replaceRecord(_ req: Request, _ identity: Identity, _ caseRecord: CaseRecord, recordID: UUID, revision: Int,
                       record: ResponseRecord) async throws -> RecordResultDTO {
        let service = req.recordService(assessor)
        let result = try await req.write { db in
            try await service.replace(recordID, at: revision, with: record, on: caseRecord, by: identity, on: db)
        }
        req.auditRecorded = true
        return result
    }

    func chronology(req: Request) async throws -> [CaseEventDTO] {
        let (_, record) = try await leadCase(req)
        let events = try await ResponseStore(db: req.db, cipher: req.cipher).fullChronology(caseID: record.id, organisationID: record.organisationID)
        try await req.auditAlone("case.chronology.read", caseID: record.id)
        return events.map(CaseEventDTO.init)
    }

    // MARK: Sign-offs

    func signOffs(req: Request) async throws -> [SignOffDTO] {
        let (_, record) = try await leadCase(req)
        let all = try await ResponseStore(db: req.db, cipher: req.cipher).signOffs(caseID: record.id)
        try await req.auditAlone("case.signoffs.read", caseID: record.id)
        return all.map { SignOffDTO($0, caseReference: record.reference) }
    }

    func propose(req: Request) async throws -> Response {
        let (identity, caseRecord) = try await leadCase(req)
        guard caseRecord.facts.setting == .police else { throw APIError.forbidden("sign-offs are for police cases") }
        let body = try req.content.decode(SignOffCreateRequest.self)
        let signOff = try await req.signOffService(assessor).propose(body, on: caseRecord, by: identity)
        req.auditRecorded = true
        let response = Response(status: .created)
        try response.content.encode(SignOffDTO(signOff, caseReference: caseRecord.reference))
        return response
    }

    func decide(req: Request) async throws -> SignOffDTO {
        let (identity, caseRecord) = try await leadCase(req)
        guard let id = req.parameters.get("signOffID").flatMap(UUID.init(text:)) else { throw APIError.notFound("sign-off") }
        let existing = try await reviewableSignOff(req, identity, caseRecord, id: id)
        let body = try req.content.decode(SignOffDecisionRequest.self)
        let decided = try await req.signOffService(assessor).decide(existing, body, on: caseRecord, by: identity)
        req.auditRecorded = true
        return SignOffDTO(decided, caseReference: caseRecord.reference)
    }

    /// The sign-off if this person may decide it: 404 if it is not on the case; 403 for the wrong role (a supervisor
    /// decides Outcome 21, a superintendent a device's return) and for the person who proposed it.
    func reviewableSignOff(_ req: Request, _ identity: Identity, _ caseRecord: CaseRecord, id: UUID) async throws -> SignOff {
        guard let existing = try await ResponseStore(db: req.db, cipher: req.cipher).signOff(id: id, caseID: caseRecord.id) else {
            throw APIError.notFound("sign-off")
        }
        try req.signOffService(assessor).checkReviewer(identity, existing, on: caseRecord)
        return existing
    }

    // MARK: Referrals (school → police force)

    func referralDTO(_ r: PoliceReferral, on caseID: UUID, db: any Database) async throws -> ReferralDTO {
        let accounts = AccountStore(db: db)
        let outgoing = r.fromCaseID == caseID
        return ReferralDTO(id: r.id, direction: outgoing ? "outgoing" : "incoming", status: r.status,
                           fromOrganisation: try await accounts.organisation(id: r.fromOrganisationID)?.name ?? "",
                           toOrganisation: try await accounts.organisation(id: r.toOrganisationID)?.name ?? "",
                           fromCaseID: outgoing ? r.fromCaseID : nil, toCaseID: outgoing ? nil : r.toCaseID,
                           summary: r.shared.summary, sharedSections: r.shared.sections, note: r.shared.note,
                           responseReason: r.responseReason, sentBy: r.shared.sentBy, risk: r.shared.risk ?? [],
                           createdAt: r.createdAt, updatedAt: r.updatedAt)
    }

    func referrals(req: Request) async throws -> [ReferralDTO] {
        let (_, record) = try await leadCase(req)
        let all = try await ResponseStore(db: req.db, cipher: req.cipher).referrals(caseID: record.id)
        var result: [ReferralDTO] = []
        for r in all { result.append(try await referralDTO(r, on: record.id, db: req.db)) }
        try await req.auditAlone("case.referrals.read", caseID: record.id)
        return result
    }

    func refer(req: Request) async throws -> Response {
        let (identity, schoolCase) = try await leadCase(req)
        guard identity.user.role == .dsl else {
            throw APIError.forbidden("the \(identity.organisation.jurisdiction.schoolLead) refers a case to the police")
        }
        let body = try req.content.decode(ReferralCreateRequest.self)
        let dto = try await sendReferral(req, identity, schoolCase, body)
        let response = Response(status: .created)
        try response.content.encode(dto)
        return response
    }

    /// A DSL's referral of a school's case to a police force, through `ReferralService` (shared by the API and the
    /// pages); the request is audited once it has committed.
    func sendReferral(_ req: Request, _ identity: Identity, _ schoolCase: CaseRecord, _ body: ReferralCreateRequest) async throws -> ReferralDTO {
        let referral = try await req.referralService(assessor).send(body, from: schoolCase, by: identity)
        req.auditRecorded = true
        return try await referralDTO(referral, on: schoolCase.id, db: req.db)
    }

    /// Which case of a referral a request comes through: the school's case that sent it, or the case it opened at
    /// the force.
    enum ReferralEnd { case sendingCase, receivingCase }

    /// The referral named in the path (API and pages alike), if `caseID` is its case at `end`; otherwise 404: a
    /// referral of another case is not said to exist.
    func referral(_ req: Request, of caseID: UUID, at end: ReferralEnd) async throws -> PoliceReferral {
        guard let id = req.parameters.get(PageRoute.Key.referralID.rawValue).flatMap(UUID.init(text:)),
              let referral = try await ResponseStore(db: req.db, cipher: req.cipher).referral(id: id),
              (end == .sendingCase ? referral.fromCaseID : referral.toCaseID) == caseID else {
            throw APIError.notFound("referral")
        }
        return referral
    }

    func respond(req: Request) async throws -> ReferralDTO {
        let (identity, policeCase) = try await leadCase(req)
        let referral = try await referral(req, of: policeCase.id, at: .receivingCase)
        let body = try req.content.decode(ReferralResponseRequest.self)
        return try await answerReferral(req, identity, policeCase, referral, body)
    }

    /// The force's answer to a referral it received, through `ReferralService` (shared by the API and the pages); the
    /// request is audited once it has committed.
    func answerReferral(_ req: Request, _ identity: Identity, _ policeCase: CaseRecord, _ referral: PoliceReferral,
                        _ body: ReferralResponseRequest) async throws -> ReferralDTO {
        let updated = try await req.referralService(assessor).answer(referral, body, on: policeCase, by: identity)
        req.auditRecorded = true
        return try await referralDTO(updated, on: policeCase.id, db: req.db)
    }

    func withdraw(req: Request) async throws -> ReferralDTO {
        let (identity, schoolCase) = try await leadCase(req)
        let referral = try await referral(req, of: schoolCase.id, at: .sendingCase)
        let body = try req.content.decode(ReferralWithdrawRequest.self)
        return try await withdrawReferral(req, identity, schoolCase, referral, reason: body.reason)
    }

    /// The school's withdrawal of a referral, through `ReferralService` (shared by the API and the pages); the request
    /// is audited once it has committed.
    func withdrawReferral(_ req: Request, _ identity: Identity, _ schoolCase: CaseRecord, _ referral: PoliceReferral,
                          reason: String?) async throws -> ReferralDTO {
        let updated = try await req.referralService(assessor).withdraw(referral, reason: reason, from: schoolCase, by: identity)
        req.auditRecorded = true
        return try await referralDTO(updated, on: schoolCase.id, db: req.db)
    }

    // MARK: Documents

    static func document(_ html: String, _ text: String, format: String?) throws -> Response {
        let response = Response(status: .ok)
        switch format ?? "html" {
        case "html":
            response.headers.contentType = .html
            response.body = .init(string: html)
        case "text":
            response.headers.contentType = .plainText
            response.body = .init(string: text)
        default:
            throw APIError.badRequest("format is html or text", field: "format")
        }
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    func outcome21Letter(req: Request) async throws -> Response {
        let (identity, caseRecord) = try await leadCase(req)
        let body = try req.content.decode(OutcomeLetterRequest.self)
        guard [nil, "html", "text"].contains(body.format) else { throw APIError.badRequest("format is html or text", field: "format") }
        let rendered = try await outcome21LetterText(req, identity, caseRecord, body)
        return try Self.document(rendered.html, rendered.plainText, format: body.format)
    }

    /// The family's Outcome 21 letter, through `DocumentService` (shared by the API and the pages); the request is
    /// audited once that has committed.
    func outcome21LetterText(_ req: Request, _ identity: Identity, _ caseRecord: CaseRecord,
                             _ body: OutcomeLetterRequest) async throws -> Outcome21Letter.Rendered {
        let rendered = try await req.documentService(assessor).outcome21Letter(body, for: caseRecord, by: identity)
        req.auditRecorded = true
        return rendered
    }

    func informationSheet(req: Request) async throws -> Response {
        let (identity, caseRecord) = try await leadCase(req)
        let format = req.query[String.self, at: "format"]
        guard [nil, "html", "text"].contains(format) else { throw APIError.badRequest("format is html or text", field: "format") }
        let rendered = try await informationSheet(req, identity, caseRecord).render()
        return try Self.document(rendered.html, rendered.plainText, format: format)
    }

    /// The family's information sheet, through `DocumentService` (shared by the API and the pages); the request is
    /// audited once that has committed.
    func informationSheet(_ req: Request, _ identity: Identity, _ caseRecord: CaseRecord) async throws -> InformationSheet {
        let sheet = try await req.documentService(assessor).informationSheet(for: caseRecord, by: identity)
        req.auditRecorded = true
        return sheet
    }

    func childContactForm(req: Request) async throws -> Response {
        let (identity, caseRecord) = try await leadCase(req)
        let format = req.query[String.self, at: "format"]
        guard [nil, "html", "text"].contains(format) else { throw APIError.badRequest("format is html or text", field: "format") }
        let form = try await childContactForm(req, identity, caseRecord)
        return try Self.document(form.html, form.plainText, format: format)
    }

    /// The child contact with police form (shared by the API and the pages); police cases only; audited.
    func childContactForm(_ req: Request, _ identity: Identity, _ caseRecord: CaseRecord) async throws -> CaseDocument {
        guard caseRecord.facts.setting == .police else { throw APIError.forbidden("the child contact with police form is a police document") }
        let assessment = try await CaseStore(db: req.db, cipher: req.cipher).assessed(caseRecord.id)
        let records = try await ResponseStore(db: req.db, cipher: req.cipher).records(caseID: caseRecord.id).map(\.record)
        let crime = records.compactMap { r -> CrimeRecord? in if case .crimeRecord(let c) = r { return c } else { return nil } }.last
        let form = CaseDocument.childContactForm(reference: caseRecord.reference, organisation: identity.organisation.name,
                                                 crimeReference: crime?.crimeReference, facts: caseRecord.facts, assessment: assessment,
                                                 records: records, officer: identity.user.displayName, date: CaseController.today,
                                                 title: caseRecord.guidance.recordNames[RecordKind.childContactForm.rawValue]?.label,
                                                 pack: caseRecord.guidance)
        try await req.auditAlone("case.document.childContactForm", caseID: caseRecord.id)
        return form
    }

    func caseRecord(req: Request) async throws -> Response {
        let (identity, caseRecord) = try await leadCase(req)
        let format = req.query[String.self, at: "format"]
        guard [nil, "html", "text"].contains(format) else { throw APIError.badRequest("format is html or text", field: "format") }
        let document = try await caseRecordDocument(req, identity, caseRecord)
        return try Self.document(document.html, document.plainText, format: format)
    }

    /// What the case holds about one person, as a printable document or JSON (`format=json`).
    func subjectAccess(req: Request) async throws -> Response {
        let (identity, caseRecord) = try await leadCase(req)
        let format = req.query[String.self, at: "format"]
        guard [nil, "html", "text", "json"].contains(format) else { throw APIError.badRequest("format is html, text or json", field: "format") }
        let document = try await subjectAccessDocument(req, identity, caseRecord, ref: req.parameters.get("ref") ?? "")
        guard format == "json" else { return try Self.document(document.html, document.plainText, format: format) }
        let response = try await SubjectAccessDTO(document, person: req.parameters.get("ref") ?? "").encodeResponse(for: req)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    /// A case's records and chronology, read for a subject access request about `ref` (the API, the pages and the
    /// command line); throws `SubjectAccess.UnknownPerson` for a ref not in the case.
    static func subjectAccess(_ db: any Database, cipher: FreeTextCipher, _ record: CaseRecord, ref: String) async throws -> SubjectAccess {
        let store = ResponseStore(db: db, cipher: cipher)
        let chronology = try await store.chronology(caseID: record.id).map { (at: PageWords.date($0.at), summary: $0.summary) }
        return try SubjectAccess(ref: ref, facts: record.facts, records: try await store.records(caseID: record.id).map(\.record),
                                 chronology: chronology)
    }

    /// What the case holds about one person, others redacted (shared by the API and the pages). An export of what
    /// is known about someone: a fresh second factor is asked of a signed-in page, and it is audited.
    func subjectAccessDocument(_ req: Request, _ identity: Identity, _ caseRecord: CaseRecord, ref: String) async throws -> CaseDocument {
        try req.requireStepUp(identity, why: "producing what a case holds about a person")
        let access: SubjectAccess
        do {
            access = try await Self.subjectAccess(req.db, cipher: req.cipher, caseRecord, ref: ref)
        } catch let unknown as SubjectAccess.UnknownPerson {
            throw APIError(.notFound, "not_found", "\(unknown)")
        }
        let document = access.document(reference: caseRecord.reference, organisation: identity.organisation.name, producedOn: CaseController.today)
        // The ref is a short reference such as "A", never a name.
        try await req.auditAlone("case.document.subjectAccess", caseID: caseRecord.id, detail: "ref=\(ref)")
        return document
    }

    /// The written record of the incident and every action (shared by the API and the pages); audited.
    func caseRecordDocument(_ req: Request, _ identity: Identity, _ caseRecord: CaseRecord) async throws -> CaseDocument {
        let store = CaseStore(db: req.db, cipher: req.cipher)
        let response = ResponseStore(db: req.db, cipher: req.cipher)
        let assessment = try await store.assessed(caseRecord.id)
        // As the case page lists them: an open action the guidance no longer asks for is left out (it read "— open"
        // under a decision that had moved on); each with its note, in words.
        let actions = try await store.actions(caseID: caseRecord.id).filter { $0.recommended || $0.status != .open }.map { a in
            let note = (a.reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let status = switch a.status {
            case .done: note.isEmpty ? "done" : "done: \(note)"
            case .notApplicable: "does not apply: \(note)"
            case .open: "still to do"
            }
            return (text: a.text, status: status)
        }
        let events = try await response.fullChronology(caseID: caseRecord.id, organisationID: caseRecord.organisationID).map { e in (at: PageWords.date(e.at), summary: e.summary) }
        let organisations = Dictionary(try await AccountStore(db: req.db).organisations().map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let referrals = try await response.referrals(caseID: caseRecord.id).map { r -> String in
            let incoming = r.toCaseID == caseRecord.id
            let other = organisations[incoming ? r.fromOrganisationID : r.toOrganisationID] ?? "another organisation"
            let status = CaseResponseView.referralStatus(r.status).lowercased()
            return (incoming ? "Referred by \(other)" : "Referred to \(other)") + " on \(PageWords.date(r.createdAt)) (\(status)). "
                + "What happened, for the force: \(r.shared.summary)" + (r.shared.note.map { " Also: \($0)" } ?? "")
                + (r.responseReason.map { " Answer: \($0)" } ?? "")
        }
        let document = CaseDocument.caseRecord(reference: caseRecord.reference, organisation: identity.organisation.name,
                                               summary: caseRecord.summary, facts: caseRecord.facts, assessment: assessment,
                                               records: try await response.records(caseID: caseRecord.id).map(\.record),
                                               actions: actions, referrals: referrals, chronology: events, pack: caseRecord.guidance)
        try await req.auditAlone("case.document.caseRecord", caseID: caseRecord.id)
        return document
    }

    // MARK: Inbox and directory

    func inbox(req: Request) async throws -> InboxDTO {
        let identity = try CasePolicy.requireCaseRole(req)
        let inbox = try await inbox(req, identity)
        try await req.auditAlone("inbox.read")
        return inbox
    }

    /// Each role's work (shared by the API's inbox and the home page): concerns to triage and policy reviews due
    /// (DSL), sign-offs to decide (supervisor, superintendent), refused proposals and referrals to answer (police).
    func inbox(_ req: Request, _ identity: Identity) async throws -> InboxDTO {
        let org = identity.organisation.id
        let response = ResponseStore(db: req.db, cipher: req.cipher)
        var inbox = InboxDTO(awaitingTriage: [], signOffs: [], refusedProposals: [], referralsToAnswer: [], policyReviewsDue: [])
        switch identity.user.role {
        case .dsl:
            let store = CaseStore(db: req.db, cipher: req.cipher)
            for id in try await response.casesAwaitingTriage(organisationID: org) {
                if let c = try await store.findCase(id: id, organisationID: org) { inbox.awaitingTriage.append(CaseSummaryDTO(c)) }
            }
            inbox.policyReviewsDue = try await response.policyReviews(organisationID: org)
                .map { .init(caseID: $0.caseID, caseReference: $0.caseReference, due: $0.due) }
        case .supervisor, .superintendent:
            // A superintendent may decide Outcome 21 too, but is asked only where no other supervisor can be: for a
            // supervisor's own proposal. Other supervisors see those as well.
            let accounts = AccountStore(db: req.db)
            for kind in SignOffKind.allCases where kind.mayBeReviewed(by: identity.user.role.rawValue) {
                for pending in try await response.pendingSignOffs(organisationID: org, kind: kind) where pending.signOff.proposedBy != identity.user.id {
                    if identity.user.role == .superintendent, kind.reviewerRole != Role.superintendent.rawValue,
                       try await accounts.user(id: pending.signOff.proposedBy)?.role == .officer { continue }
                    inbox.signOffsToReview.append(SignOffDTO(pending.signOff, caseReference: pending.caseReference))
                }
            }
        default: break
        }
        if identity.organisation.kind == .police {
            for r in try await response.referralsAwaiting(toOrganisationID: org) {
                inbox.referralsToAnswer.append(try await referralDTO(r, on: r.toCaseID, db: req.db))
            }
            inbox.refusedProposals = try await response.refusedProposals(proposedBy: identity.user.id)
                .map { SignOffDTO($0.signOff, caseReference: $0.caseReference) }
        }
        return inbox
    }

    func organisations(req: Request) async throws -> [OrganisationEntryDTO] {
        _ = try req.requireIdentity()
        var kind: OrganisationKind?
        if let text = req.query[String.self, at: "kind"] {
            guard let k = OrganisationKind(rawValue: text) else {
                throw APIError.badRequest("kind must be one of: " + OrganisationKind.allCases.map(\.rawValue).joined(separator: ", "), field: "kind")
            }
            kind = k
        }
        return try await AccountStore(db: req.db).organisations().filter { kind == nil || $0.kind == kind }.map {
            OrganisationEntryDTO(id: $0.id, name: $0.name, kind: $0.kind, jurisdiction: $0.jurisdiction)
        }
    }
}

extension InboxDTO {
    init(awaitingTriage: [CaseSummaryDTO], signOffs: [SignOffDTO], refusedProposals: [SignOffDTO], referralsToAnswer: [ReferralDTO],
         policyReviewsDue: [PolicyReview]) {
        self.awaitingTriage = awaitingTriage
        self.signOffsToReview = signOffs
        self.refusedProposals = refusedProposals
        self.referralsToAnswer = referralsToAnswer
        self.policyReviewsDue = policyReviewsDue
    }
}
