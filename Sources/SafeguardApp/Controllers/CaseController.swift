import Fluent
import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// Cases and everything on them. Every route decides by role and organisation (see `CasePolicy`), and every read
/// and write is audited by id and route, never by content.
struct CaseController: RouteCollection {
    let assessor: Assessor

    func boot(routes: any RoutesBuilder) throws {
        let cases = routes.grouped("cases")
        cases.post(use: create)
        cases.get(use: list)
        let one = cases.grouped(":caseID")
        one.get(use: read)
        one.patch(use: update)
        one.put("facts", use: updateFacts)
        one.put("people", ":ref", use: putPerson)
        one.put("imagery", ":ref", use: putImagery)
        one.put("devices", ":ref", use: putDevice)
        one.post("actions", ":actionID", use: updateAction)
        one.put("actions", ":actionID", "due", use: setActionDue)
        one.post("notes", use: addNote)
        one.get("notes", use: notes)
        one.get("assessment", use: latestAssessment)
        one.get("assessments", use: assessmentHistory)
        one.get("access", use: access)
        one.put("owner", use: setOwner)
        one.post("merge", use: merge)
    }

    /// Merges this case into another (issue 11): see `CaseService.merge`. Returns this case, now closed.
    func merge(req: Request) async throws -> CaseDTO {
        let identity = try CasePolicy.requireCaseRole(req)
        let record = try await loadCase(req, identity)
        let body = try req.content.decode(MergeRequest.self)
        let store = CaseStore(db: req.db, cipher: req.cipher)
        let wanted = body.into.trimmingCharacters(in: .whitespaces)
        var target: CaseRecord?
        if let id = UUID(text: wanted) { target = try await store.findCase(id: id, organisationID: identity.organisation.id) }
        if target == nil { target = try await store.findCase(reference: CaseStore.reference(typed: wanted), organisationID: identity.organisation.id) }
        guard let target, CasePolicy.canSee(target, identity) else {
            throw APIError.invalid("into", "no case of \(identity.organisation.name) has the reference or id \(wanted.prefix(60)): give the other case's reference, like SG-2026-000001")
        }
        let merged = try await req.caseService(assessor).merge(by: identity, record, version: body.version, into: target, reason: body.reason)
        req.auditRecorded = true
        return CaseDTO(merged, actions: try await store.actions(caseID: merged.id), assessment: try await store.latestAssessment(caseID: merged.id))
    }

    /// Gives the case to another owner (issue 11): see `CaseService.reassign`.
    func setOwner(req: Request) async throws -> CaseDTO {
        let identity = try CasePolicy.requireCaseRole(req)
        let record = try await loadCase(req, identity)
        let body = try req.content.decode(OwnerRequest.self)
        let updated = try await req.caseService(assessor).reassign(by: identity, record, to: body.ownerID, reason: body.reason)
        req.auditRecorded = true
        let store = CaseStore(db: req.db, cipher: req.cipher)
        return CaseDTO(updated, actions: try await store.actions(caseID: updated.id),
                       assessment: try await store.latestAssessment(caseID: updated.id))
    }

    // MARK: Helpers

    static let maxSummary = FieldLimits.limit(for: "summary")

    func checkSummary(_ summary: String) throws -> String {
        let trimmed = summary.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= Self.maxSummary else {
            throw APIError.invalid("summary", "give a short summary of 1–\(Self.maxSummary) characters (no names: use references)")
        }
        return trimmed
    }

    /// The case, if the caller may see it; 404 otherwise (its existence is not revealed).
    func loadCase(_ req: Request, _ identity: Identity) async throws -> CaseRecord {
        guard let id = req.parameters.get("caseID").flatMap(UUID.init(text:)),
              let record = try await CaseStore(db: req.db, cipher: req.cipher, reader: req.application.sqliteReader,
                                               views: req.application.caseViews, rowReads: req.application.caseRowReads).findCase(id: id, organisationID: identity.organisation.id),
              CasePolicy.canSee(record, identity) else {
            throw APIError.notFound("case")
        }
        try req.requireStepUp(forCase: record.status, openedAt: record.createdAt, identity)
        return record
    }

    static func prefixed(_ error: CaseFactsError, _ prefix: String) -> APIError {
        let path = error.path.isEmpty ? prefix : "\(prefix).\(error.path)"
        return APIError(.unprocessableEntity, "invalid_facts", "\(path): \(error.message)", field: path)
    }

    /// Where this organisation's cases are kept: the jurisdiction and setting their facts take from it.
    func place(of organisation: Organisation) throws -> CaseFacts.Place {
        guard let setting = organisation.kind.setting else {
            throw APIError.forbidden("a \(organisation.kind.rawValue) organisation does not keep cases of its own yet")
        }
        return CaseFacts.Place(jurisdiction: organisation.jurisdiction, setting: setting)
    }

    /// A request body whose case facts are decoded strictly in the same pass as the rest of it, at `place`: the
    /// body is read once, and a mistake in the facts names its path (e.g. `facts.people[0].age`). Call
    /// `facts(_:at:)` on what it gives, for the checks that need the whole facts.
    func decode<Body: Decodable>(_ type: Body.Type, _ req: Request, place: CaseFacts.Place) throws -> Body {
        guard let contentType = req.content.contentType else {
            throw Abort(.unsupportedMediaType, reason: "send the body as JSON, with Content-Type: application/json")
        }
        let decoder = PlacedDecoder(base: try ContentConfiguration.global.requireDecoder(for: contentType), place: place)
        do {
            return try req.content.decode(Body.self, using: decoder)
        } catch let error as CaseFactsError {
            throw Self.prefixed(error, "facts")
        }
    }

    /// Facts decoded with `decode(_:_:place:)`, their references checked; none given: the place's, with nothing known.
    func facts(_ decoded: CaseFacts?, at place: CaseFacts.Place) throws -> CaseFacts {
        guard let decoded else { return CaseFacts(at: place) }
        do { try decoded.validateReferences() } catch { throw Self.prefixed(error, "facts") }
        return decoded
    }

    /// Facts from a JSON value (a page's form, or stored facts with one entry changed), checked as strictly as a
    /// request body's: jurisdiction and setting are the organisation's.
    func facts(from value: JSONValue?, organisation: Organisation) throws -> CaseFacts {
        let place = try place(of: organisation)
        guard let value, value != .null else { return CaseFacts(at: place) }
        guard case .object = value else {
            throw APIError.invalid("facts", "facts must be a JSON object (see the case facts contract)")
        }
        do {
            return try CaseFacts.decode(json: value.data, at: place)
        } catch {
            throw Self.prefixed(error, "facts")
        }
    }

    static var today: CalendarDate { CalendarDate(utcDayOf: Date()) }

    // MARK: Routes

    func create(req: Request) async throws -> Response {
        let identity = try CasePolicy.requireCaseRole(req)
        let place = try place(of: identity.organisation)
        let body = try decode(CaseCreateRequest.self, req, place: place)
        let summary = try checkSummary(body.summary)
        let facts = try facts(body.facts, at: place)
        let opened = try await req.caseService(assessor).open(by: identity, summary: summary, facts: facts,
                                                               status: body.status ?? .open)
        guard let view = opened.view else { throw APIError(.internalServerError, "internal", "the new case could not be shown") }
        let response = try CaseReadBody.response(view, jurisdiction: place.jurisdiction, setting: place.setting, status: .created)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/cases/\(opened.record.id.uuidString.lowercased())")
        return response
    }

    struct ListQuery: Content {
        var reference: String?
        var status: String?
        var hasOpenActions: String?
        var updatedSince: String?
        var page: Int?
        var perPage: Int?
    }

    /// An RFC 3339 time, with or without fractional seconds, in either case ("2026-11-23t10:00:00.5z").
    static func instant(_ text: String) -> Date? {
        let upper = text.uppercased()
        if let date = try? Date(upper, strategy: .iso8601) { return date }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: upper)
    }

    func list(req: Request) async throws -> Response {
        let identity = try CasePolicy.requireCaseRole(req)
        let q = try req.query.decode(ListQuery.self)
        let store = CaseStore(db: req.db, cipher: req.cipher, reader: req.application.sqliteReader, counts: req.application.caseCounts)
        var filter = CaseStore.ListFilter()
        // An empty value (`?status=`, `?updatedSince=`) is no filter, as a browser's empty form field means.
        if let s = q.status, !s.isEmpty {
            guard let status = CaseStatus(rawValue: s) else {
                throw APIError.badRequest("status must be one of: \(CaseStatus.allCases.map(\.rawValue).joined(separator: ", "))", field: "status")
            }
            filter.status = status
        }
        if let open = q.hasOpenActions {
            guard open == "true" || open == "false" else { throw APIError.badRequest("hasOpenActions must be true or false", field: "hasOpenActions") }
            filter.hasOpenActions = open == "true"
        }
        if let since = q.updatedSince, !since.isEmpty {
            guard let date = Self.instant(since) ?? CalendarDate(since).flatMap({ d in
                DateComponents(calendar: Calendar(identifier: .gregorian), timeZone: TimeZone(identifier: "UTC"),
                               year: d.year, month: d.month, day: d.day).date }) else {
                throw APIError.badRequest("updatedSince must be a date or time such as 2026-11-23 or 2026-11-23T10:00:00Z", field: "updatedSince")
            }
            filter.updatedSince = date
        }
        if !CasePolicy.seesAllCases(identity.user.role) { filter.createdBy = identity.user.id }
        let page = q.page ?? 1
        let perPage = q.perPage ?? 50
        guard (1...1_000_000).contains(page) else { throw APIError.badRequest("page must be 1–1,000,000", field: "page") }
        guard (1...200).contains(perPage) else { throw APIError.badRequest("perPage must be 1–200", field: "perPage") }
        if let typed = q.reference?.trimmingCharacters(in: .whitespaces), !typed.isEmpty {
            // The reference on the paperwork, as the pages find a case: the case it names, if the caller may see it,
            // as a list of one; a reference no case of theirs has is an empty list. The other filters are checked
            // (a bad one is still 400), then not used.
            guard typed.count <= 40 else { throw APIError.badRequest("reference is at most 40 characters, like SG-2026-000001", field: "reference") }
            let found = try await store.findCase(reference: CaseStore.reference(typed: typed), organisationID: identity.organisation.id)
            let visible = found.flatMap { CasePolicy.canSee($0, identity) ? [$0.header] : nil } ?? []
            try await req.auditAlone("case.list", detail: "count=\(visible.count) via=reference")
            return CaseListBody.response(visible, page: 1, perPage: perPage, total: visible.count)
        }
        let (records, total) = try await store.listCases(organisationID: identity.organisation.id, filter: filter, page: page, perPage: perPage)
        try await req.auditAlone("case.list", detail: "count=\(records.count)")
        return CaseListBody.response(records, page: page, perPage: perPage, total: total)
    }

    func read(req: Request) async throws -> Response {
        let identity = try CasePolicy.requireCaseRole(req)
        guard let setting = identity.organisation.kind.setting,
              let id = req.parameters.get("caseID").flatMap(UUID.init(text:)),
              let view = try await req.caseService(assessor).readView(by: identity, id: id, check: { header in
                  try req.requireStepUp(forCase: header.status, openedAt: header.createdAt, identity)
              }) else {
            throw APIError.notFound("case")
        }
        req.auditRecorded = true
        if identity.user.role == .staff {
            return try CaseReadBody.response(try Self.asRaised(view), jurisdiction: identity.organisation.jurisdiction, setting: setting,
                                             asRaised: true)
        }
        return try CaseReadBody.response(view, jurisdiction: identity.organisation.jurisdiction, setting: setting)
    }

    /// A concern as the member of staff who raised it reads it (`CasePolicy.asRaised`): no `assessment`, no `actions`,
    /// and `facts` holding only what they raised.
    static func asRaised(_ view: CaseReadView) throws -> CaseReadView {
        let raised = CasePolicy.asRaised(try CaseFacts.decode(json: Data(view.factsJSON.utf8)))
        var reduced = view
        reduced.factsJSON = String(decoding: raised.jsonData(), as: UTF8.self)
        reduced.actions = []
        reduced.assessment = nil
        return reduced
    }

    /// Applies a change at `version`, re-assesses when facts changed, and audits — all in one transaction.
    func change(_ req: Request, _ identity: Identity, _ record: CaseRecord, version: Int, facts: CaseFacts?,
                summary: String? = nil, status: CaseStatus? = nil, statusReason: String? = nil, action: String) async throws -> Response {
        let detail = try await req.caseService(assessor).change(by: identity, record, version: version, facts: facts,
                                                                summary: summary, status: status, statusReason: statusReason, action: action)
        req.auditRecorded = true
        if let view = detail.view, let setting = identity.organisation.kind.setting {
            return try CaseReadBody.response(view, jurisdiction: identity.organisation.jurisdiction, setting: setting)
        }
        return try await CaseDTO(detail.record, actions: detail.actions, assessment: detail.assessment).encodeResponse(for: req)
    }

    func update(req: Request) async throws -> Response {
        let identity = try CasePolicy.requireCaseRole(req)
        let record = try await loadCase(req, identity)
        try CasePolicy.requireEditor(identity)
        let body = try req.content.decode(CaseUpdateRequest.self)
        let summary = try body.summary.map(checkSummary)
        return try await change(req, identity, record, version: body.version, facts: nil, summary: summary,
                                status: body.status, statusReason: body.reason, action: "case.update")
    }

    func updateFacts(req: Request) async throws -> Response {
        let identity = try CasePolicy.requireCaseRole(req)
        let record = try await loadCase(req, identity)
        try CasePolicy.requireEditor(identity)
        let place = try place(of: identity.organisation)
        let body = try decode(FactsUpdateRequest.self, req, place: place)
        let facts = try facts(body.facts, at: place)
        return try await change(req, identity, record, version: body.version, facts: facts, action: "case.facts.update")
    }

    /// Adds or replaces one entry (by `ref`) of a facts array, then checks the whole facts strictly.
    func put(_ req: Request, key: String, value: JSONValue, version: Int, action: String) async throws -> Response {
        let identity = try CasePolicy.requireCaseRole(req)
        let record = try await loadCase(req, identity)
        try CasePolicy.requireEditor(identity)
        guard let ref = req.parameters.get("ref"), CaseFacts.isLabel(ref) else {
            throw APIError.invalid("ref", "a reference is one to three letters, with a number if you like (A, B2, I1), never a name")
        }
        guard var entry = value.objectValue else { throw APIError.invalid(key, "\(key) must be a JSON object") }
        if let given = entry["ref"], given != .string(ref) {
            throw APIError.invalid("\(key).ref", "the ref in the body must match the ref in the path (\(ref))")
        }
        entry["ref"] = .string(ref)
        guard var object = try JSONValue.parse(record.facts.jsonData()).objectValue else {
            throw APIError(.internalServerError, "internal", "stored facts are not an object")
        }
        let arrayKey = key == "person" ? "people" : (key == "device" ? "devices" : "imagery")
        var items = object[arrayKey]?.arrayValue ?? []
        if let index = items.firstIndex(where: { $0.objectValue?["ref"] == .string(ref) }) {
            items[index] = .object(entry)
        } else {
            items.append(.object(entry))
        }
        object[arrayKey] = .array(items)
        let facts = try facts(from: .object(object), organisation: identity.organisation)
        return try await change(req, identity, record, version: version, facts: facts, action: action)
    }

    func putPerson(req: Request) async throws -> Response {
        _ = try CasePolicy.requireCaseRole(req)
        let body = try req.content.decode(PersonPutRequest.self)
        return try await put(req, key: "person", value: body.person, version: body.version, action: "case.person.put")
    }

    func putImagery(req: Request) async throws -> Response {
        _ = try CasePolicy.requireCaseRole(req)
        let body = try req.content.decode(ImageryPutRequest.self)
        return try await put(req, key: "imagery", value: body.imagery, version: body.version, action: "case.imagery.put")
    }

    func putDevice(req: Request) async throws -> Response {
        _ = try CasePolicy.requireCaseRole(req)
        let body = try req.content.decode(DevicePutRequest.self)
        return try await put(req, key: "device", value: body.device, version: body.version, action: "case.device.put")
    }

    func updateAction(req: Request) async throws -> ActionDTO {
        let identity = try CasePolicy.requireCaseRole(req)
        let record = try await loadCase(req, identity)
        try CasePolicy.requireEditor(identity)
        guard let actionID = req.parameters.get("actionID").flatMap(UUID.init(text:)) else { throw APIError.notFound("action") }
        let body = try req.content.decode(ActionUpdateRequest.self)
        if let reason = body.reason, let refusal = TextGuard.tooLong(reason, limit: FieldLimits.limit(for: "reason")) {
            throw APIError.invalid("reason", "reason: \(refusal.message)")
        }
        let service = req.caseService(assessor)
        let action = try await req.write { db in
            try await service.markAction(actionID, of: record, status: body.status, reason: body.reason, by: identity, on: db)
        }
        req.auditRecorded = true
        return ActionDTO(action)
    }

    /// Sets or clears the day an action is due by; the home page shows what is due and overdue.
    func setActionDue(req: Request) async throws -> ActionDTO {
        let identity = try CasePolicy.requireCaseRole(req)
        let record = try await loadCase(req, identity)
        try CasePolicy.requireEditor(identity)
        guard let actionID = req.parameters.get("actionID").flatMap(UUID.init(text:)) else { throw APIError.notFound("action") }
        let body = try req.content.decode(ActionDueRequest.self)
        var dueDate: CalendarDate?
        if let text = body.dueOn {
            guard let date = CalendarDate(text) else { throw APIError.invalid("dueOn", "a date written YYYY-MM-DD, or null to clear it") }
            guard date >= Self.today else { throw APIError.invalid("dueOn", "a due date is today or later") }
            dueDate = date
        }
        let due = dueDate
        let service = req.caseService(assessor)
        let action = try await req.write { db in
            try await service.setActionDue(actionID, of: record, due: due, by: identity, on: db)
        }
        req.auditRecorded = true
        return ActionDTO(action)
    }

    func addNote(req: Request) async throws -> Response {
        let identity = try CasePolicy.requireCaseRole(req)
        let record = try await loadCase(req, identity)
        let body = try req.content.decode(NoteCreateRequest.self)
        let note = try await req.caseService(assessor).addNote(body.text, to: record, by: identity)
        req.auditRecorded = true
        let response = Response(status: .created)
        try response.content.encode(NoteDTO(note))
        return response
    }

    func notes(req: Request) async throws -> [NoteDTO] {
        let identity = try CasePolicy.requireCaseRole(req)
        let record = try await loadCase(req, identity)
        let notes = CasePolicy.visibleNotes(try await CaseStore(db: req.db, cipher: req.cipher).notes(caseID: record.id), to: identity)
        try await req.auditAlone("case.notes.read", caseID: record.id)
        return notes.map(NoteDTO.init)
    }

    func latestAssessment(req: Request) async throws -> AssessmentRecordDTO {
        let identity = try CasePolicy.requireCaseRole(req)
        let record = try await loadCase(req, identity)
        try CasePolicy.requireLead(identity, "the assessment")
        guard let latest = try await CaseStore(db: req.db, cipher: req.cipher).latestAssessment(caseID: record.id) else {
            throw APIError.notFound("assessment")
        }
        try await req.auditAlone("case.assessment.read", caseID: record.id)
        return AssessmentRecordDTO(latest)
    }

    func assessmentHistory(req: Request) async throws -> [AssessmentRecordDTO] {
        let identity = try CasePolicy.requireCaseRole(req)
        let record = try await loadCase(req, identity)
        try CasePolicy.requireLead(identity, "the assessment")
        let all = try await CaseStore(db: req.db, cipher: req.cipher).assessments(caseID: record.id)
        try await req.auditAlone("case.assessments.read", caseID: record.id)
        return all.map(AssessmentRecordDTO.init)
    }

    /// Who has seen this case: every read and write of it in its organisation's audit trail, newest first (the latest
    /// `AuditStore.caseAccessLimit`, with the total). For the person who opened it, supervisors, superintendents,
    /// the DSL and auditors (`CasePolicy.seesAccess`); reading it is itself audited.
    func access(req: Request) async throws -> CaseAccessDTO {
        let identity = try CasePolicy.requireAccessRole(req)
        let record = try await loadCase(req, identity)
        guard CasePolicy.seesAccess(record.header, identity) else {
            throw APIError.forbidden("who has seen a case is for the person who opened it, supervisors, superintendents, the \(identity.organisation.jurisdiction.schoolLead) and auditors")
        }
        let history = try await AuditStore(db: req.db).caseAccess(caseID: record.id, organisationID: record.organisationID)
        try await req.auditAlone("case.access.read", caseID: record.id, detail: "count=\(history.entries.count)")
        return CaseAccessDTO(history)
    }
}

/// Who may do what with cases.
enum CasePolicy {
    static let caseRoles: Set<Role> = [.officer, .supervisor, .superintendent, .dsl, .staff]

    /// The caller, if their role works on cases; admins and auditors see no case content.
    static func requireCaseRole(_ req: Request) throws -> Identity {
        let identity = try req.requireIdentity()
        guard caseRoles.contains(identity.user.role) else {
            throw APIError.forbidden("the \(identity.user.role.rawValue) role does not see case content")
        }
        return identity
    }

    static func seesAllCases(_ role: Role) -> Bool { role != .staff }

    /// Who can own a case in an organisation of this kind: the people who lead cases there.
    static func ownerRoles(_ kind: OrganisationKind) -> [Role] {
        Role.allCases.filter { $0.isAllowed(in: kind) && mayOwn($0) }
    }

    static func mayOwn(_ role: Role) -> Bool { ![.staff, .admin, .auditor].contains(role) }

    /// Those who oversee others' cases: they may give any case on, and see the cases gone quiet.
    static let overseerRoles: Set<Role> = [.supervisor, .superintendent, .dsl]

    /// The owner may hand a case on; so may those who oversee cases.
    static func mayReassign(_ header: CaseHeader, _ identity: Identity) -> Bool {
        header.organisationID == identity.organisation.id
            && (header.ownerID == identity.user.id || overseerRoles.contains(identity.user.role))
            && mayOwn(identity.user.role)
    }

    /// Staff see only the concerns they raised.
    static func canSee(_ record: CaseRecord, _ identity: Identity) -> Bool { canSee(record.header, identity) }

    static func canSee(_ header: CaseHeader, _ identity: Identity) -> Bool {
        header.organisationID == identity.organisation.id
            && (seesAllCases(identity.user.role) || header.createdBy == identity.user.id)
    }

    /// Who may see who has read and changed a case (issue 13): the person who opened it (the case's owner until cases
    /// have owners of their own), supervisors, superintendents, the DSL and auditors, all in the case's organisation.
    /// Staff, even on a concern they raised, and admins do not; nor does an officer who did not open the case.
    static let accessRoles: Set<Role> = [.supervisor, .superintendent, .dsl, .auditor]

    /// The caller, if their role can ever see a case's access history (officers: on cases they opened); 403 otherwise.
    static func requireAccessRole(_ req: Request) throws -> Identity {
        let identity = try req.requireIdentity()
        guard accessRoles.contains(identity.user.role) || identity.user.role == .officer else {
            throw APIError.forbidden("the \(identity.user.role.rawValue) role does not see who has seen a case")
        }
        return identity
    }

    static func seesAccess(_ header: CaseHeader, _ identity: Identity) -> Bool {
        guard header.organisationID == identity.organisation.id else { return false }
        return accessRoles.contains(identity.user.role) || (identity.user.role == .officer && header.createdBy == identity.user.id)
    }

    /// What of a case's facts the member of staff who raised the concern sees, on the pages and through the API
    /// (DESIGN: staff see only what they raised): who is involved, their ages and parts, and the imagery's kind; not
    /// what the lead has learnt of each child (in care, on a plan, a risk at home), nor the circumstances or devices.
    /// A Welsh DSP's review found every teacher who raised a concern shown which children were looked after and which
    /// families a risk.
    static func asRaised(_ facts: CaseFacts) -> CaseFacts {
        CaseFacts(jurisdiction: facts.jurisdiction, setting: facts.setting, assessedOn: facts.assessedOn,
                  people: facts.people.map { Person(ref: $0.ref, age: $0.age, roles: $0.roles) },
                  imagery: facts.imagery.map { Imagery(ref: $0.ref, kind: $0.kind, depicts: $0.depicts) })
    }

    /// The notes of a case its reader sees: the lead, everyone's; staff, their own (the lead's are the lead's).
    static func visibleNotes(_ notes: [CaseNote], to identity: Identity) -> [CaseNote] {
        seesAllCases(identity.user.role) ? notes : notes.filter { $0.authorID == identity.user.id }
    }

    /// What the lead works out (the assessment and its history) is for the case leads: staff see what they raised.
    static func requireLead(_ identity: Identity, _ what: String) throws {
        guard identity.user.role != .staff else {
            throw APIError.forbidden("staff see the concern they raised and add notes; \(what) is for the \(identity.organisation.jurisdiction.schoolLead)")
        }
    }

    /// Recording facts and actions is for the case leads, not for staff who raised a concern.
    static func requireEditor(_ identity: Identity) throws {
        guard identity.user.role != .staff else {
            throw APIError.forbidden("staff raise concerns and add notes; the \(identity.organisation.jurisdiction.schoolLead) records facts and actions")
        }
    }
}

/// The guidance the server works by: the library of editions and law that records, sign-offs, referrals and
/// documents are checked against and cite, and the engine that assesses a case by it. Injected into the services, so
/// that a test (or a force trying a new edition) can run the whole procedure by other guidance.
///
/// ```swift
/// let guidance = Assessor(library: try GuidanceLibrary.load(directory: folder))
/// let pack = guidance.pack(for: record.facts, today: today)   // the edition the case is checked against
/// ```
public struct Assessor: Sendable {
    /// The editions and the law.
    public var library: GuidanceLibrary
    public var assess: @Sendable (CaseFacts, CalendarDate) -> Assessment

    /// Assesses by `library`'s own engine.
    public init(library: GuidanceLibrary) {
        self.library = library
        self.assess = { facts, today in library.assess(facts, today: today) }
    }

    /// An engine of its own beside a library (the tests use it to hold an assessment still).
    public init(library: GuidanceLibrary = .bundled, assess: @escaping @Sendable (CaseFacts, CalendarDate) -> Assessment) {
        self.library = library
        self.assess = assess
    }

    public static let bundled = Assessor(library: .bundled)

    /// The edition a case is checked against: its setting and nation, on its assessment date or `today`.
    public func pack(for facts: CaseFacts, today: CalendarDate) -> GuidancePack { library.edition(for: facts, today: today).pack }
}
