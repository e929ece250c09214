import Fluent
import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// The pages for people, server-rendered from `Resources/Views`. Every page that shows case data authorises
/// exactly as the API does (`CasePolicy`: role, organisation, staff only their own, other organisations 404) and
/// audits the read by id, never by content.
struct PagesController: RouteCollection {
    let assessor: Assessor
    var api: CaseController { CaseController(assessor: assessor) }

    func boot(routes: any RoutesBuilder) throws {
        routes.get(.asset(.key)) { req in req.application.assets.serve(req) }
        routes.get(.home, use: home)
        routes.get(.cases, use: caseList)
        routes.get(.newCase, use: newCaseForm)
        routes.post(.newCase, use: createCase)
        routes.get(.caseDetail(.key), use: showCase)
        routes.post(.caseAction(.key, .key), use: updateAction)
        routes.post(.caseStatus(.key), use: changeStatus)
        routes.post(.caseNotes(.key), use: addNote)
        routes.post(.caseOwner(.key), use: changeOwner)
        routes.post(.caseMerge(.key), use: mergeCase)
        routes.get(.caseQuestions(.key, .key), use: questionsForm)
        routes.post(.caseQuestions(.key, .key), use: saveQuestions)
        routes.get(.guidanceSection(.key, .key, .key), use: guidanceSection)
        bootResponsePages(routes)
    }

    /// The signed-in person if their role works on cases: anonymous people are sent to sign in; admins and
    /// auditors are refused (403), as by the API.
    func caseIdentity(_ req: Request) throws -> Identity {
        _ = try req.requirePageIdentity()
        return try CasePolicy.requireCaseRole(req)
    }

    // MARK: Home and the case list

    func home(req: Request) async throws -> Response {
        let identity = try req.requirePageIdentity()
        var page = HomePage(identity: identity)
        if page.seesCases {
            let store = CaseStore(db: req.db, cipher: req.cipher, reader: req.application.sqliteReader, counts: req.application.caseCounts)
            // A case lead's cases are the ones they own; staff see the concerns they raised, whose actions are the
            // DSL's to do, not theirs.
            let isStaff = identity.user.role == .staff
            let mine = try await store.firstCases(organisationID: identity.organisation.id,
                                                  filter: isStaff ? .init(status: .open, createdBy: identity.user.id)
                                                                  : .init(status: .open, ownerID: identity.user.id),
                                                  limit: HomePage.myCasesShown)
            page.myCases = mine.map(CaseRow.init)
            // The actions of every case they own, not only of the cases listed: a due action on their 51st case is
            // still theirs to do today.
            var actions = isStaff ? [] : try await store.openActions(ownedBy: identity.user.id, organisationID: identity.organisation.id)
                .map { ActionRow($0.header, $0.action) }
            // Overdue first, then by the day they are due, then by importance; what is due by today comes first.
            actions.sort { ($0.overdue ? 0 : 1, $0.dueOn, $0.severityRank, $0.caseReference) < ($1.overdue ? 0 : 1, $1.dueOn, $1.severityRank, $1.caseReference) }
            page.today = actions.filter(\.dueByToday)
            page.actions = actions.filter { !$0.dueByToday }
            // Cases nobody has touched for the organisation's quiet period: for those who oversee cases.
            if CasePolicy.overseerRoles.contains(identity.user.role) {
                let days = identity.organisation.workPolicy.quietCaseDays
                // Those untouched longest first, and one more than are shown, to say when there are more.
                let quiet = try await store.firstCases(organisationID: identity.organisation.id,
                                                       filter: .init(status: .open, updatedBefore: Date().addingTimeInterval(-Double(days) * 86_400)),
                                                       limit: HomePage.quietShown + 1, longestUntouchedFirst: true)
                let people = try await AccountStore(db: req.db).users(organisationID: identity.organisation.id)
                let names = Dictionary(uniqueKeysWithValues: people.map { ($0.id, $0.displayName) })
                page.quiet = quiet.prefix(HomePage.quietShown).map { QuietCaseRow($0, owner: names[$0.ownerID] ?? "someone no longer here") }
                page.moreQuiet = quiet.count > HomePage.quietShown
                page.quietDays = days
                // Their team's open cases: the others in their team, or in the organisation when they have none.
                let me = people.first { $0.id == identity.user.id }
                let myTeam = me?.team.map(AccountService.teamKey)
                let others = people.filter { $0.id != identity.user.id && (myTeam == nil || $0.team.map(AccountService.teamKey) == myTeam) }.map(\.id)
                let teamCases = try await store.firstCases(organisationID: identity.organisation.id,
                                                           filter: .init(status: .open, ownerIDs: others), limit: HomePage.teamShown + 1)
                page.team = teamCases.prefix(HomePage.teamShown).map { QuietCaseRow($0, owner: names[$0.ownerID] ?? "someone no longer here") }
                page.moreTeam = teamCases.count > HomePage.teamShown
                page.teamHeading = me?.team.map { "Open cases of your team, \($0)" } ?? "Open cases of others in \(identity.organisation.name)"
                let teamOpen = try await store.openActions(ownedByAnyOf: others, organisationID: identity.organisation.id)
                page.teamOverdue = OverdueCaseRow.rows(teamOpen, owners: names, today: CaseController.today)
            }
            var listed = mine.count + page.quiet.count + page.team.count
            // The same query as the API's inbox: concerns to triage (DSL), sign-offs to decide (supervisor,
            // superintendent), proposals refused and returned, and referrals to answer (police).
            let inbox = try await response.inbox(req, identity)
            if identity.user.role != .staff {
                // A concern saying a child is in immediate danger comes first, marked urgent.
                let store = CaseStore(db: req.db, cipher: req.cipher)
                var triage: [CaseRow] = []
                for concern in inbox.awaitingTriage {
                    var row = CaseRow(concern)
                    row.urgent = try await store.latestAssessment(caseID: concern.id)?.assessment.decisions.emergency == true
                    triage.append(row)
                }
                page.triage = triage.filter(\.urgent) + triage.filter { !$0.urgent }
                page.approvals = inbox.signOffsToReview.map(InboxRow.init)
                page.returned = inbox.refusedProposals.map(InboxRow.init)
                page.referrals = inbox.referralsToAnswer.compactMap(InboxRow.init)
                listed += inbox.awaitingTriage.count + inbox.signOffsToReview.count + inbox.refusedProposals.count + inbox.referralsToAnswer.count
            }
            let count = listed
            try await req.write { db in
                try await req.audit("case.list", detail: "count=\(count) via=page.home", on: db)
                try await req.audit("inbox.read", detail: "via=page.home", on: db)
            }
        }
        return try await req.renderPage(page, current: .home)
    }

    /// The organisation's cases a page at a time, most recently changed first, and a case found by its reference:
    /// with thousands of cases, the older ones are reached by paging or by the reference on the paperwork.
    func caseList(req: Request) async throws -> Response {
        let identity = try caseIdentity(req)
        let store = CaseStore(db: req.db, cipher: req.cipher, reader: req.application.sqliteReader, counts: req.application.caseCounts)
        let typed = String((req.query[String.self, at: "reference"] ?? "").prefix(40))
        let wanted = CaseStore.reference(typed: typed)
        var notFound: String?
        if !wanted.isEmpty {
            if let found = try await store.findCase(reference: wanted, organisationID: identity.organisation.id),
               CasePolicy.canSee(found, identity) {
                return req.redirect(to: .caseDetail(found.id))
            }
            notFound = "No case you can see has the reference \(wanted). A reference looks like SG-2026-000001."
        }
        var filter = CaseStore.ListFilter()
        if !CasePolicy.seesAllCases(identity.user.role) { filter.createdBy = identity.user.id }
        let number = max(1, min(req.query[Int.self, at: "page"] ?? 1, 1_000_000))
        let (records, total) = try await store.listCases(organisationID: identity.organisation.id, filter: filter, page: number,
                                                         perPage: CaseListPage.perPage)
        try await req.auditAlone("case.list", detail: "count=\(records.count) page=\(number) via=page.cases")
        var page = CaseListPage(identity: identity, cases: records.map(CaseRow.init), total: total, page: number)
        let errors = notFound.map { [FieldError(field: "reference", message: $0)] } ?? []
        page.referenceError = notFound ?? ""
        page.reference = typed
        return try await req.renderPage(page, status: notFound == nil ? .ok : .notFound, errors: errors, current: .cases)
    }

    // MARK: The case page

    /// The case if the caller may see it; 404 otherwise, as the API.
    func loadCase(_ req: Request, _ identity: Identity) async throws -> CaseRecord {
        try await api.loadCase(req, identity)
    }

    func showCase(req: Request) async throws -> Response {
        let identity = try caseIdentity(req)
        let record = try await loadCase(req, identity)
        let seesAccess = CasePolicy.seesAccess(record.header, identity)
        let response = try await renderCase(req, identity, record, withAccess: seesAccess)
        // One entry for the view, saying when it showed who has seen the case: a second entry at every view had filled
        // the very list of who has seen it with "Looked at who has seen the case" (found in a hands-on review).
        let read = req.auditEvent("case.read", caseID: record.id, detail: seesAccess ? "via=page seen=shown" : "via=page")
        try await req.application.auditWriter.append(read)
        req.auditRecorded = true
        return response
    }

    /// The case page. `withAccess` adds "Who has seen this case" (only for those `CasePolicy.seesAccess` allows, and
    /// only on a plain view, whose caller audits that read).
    func renderCase(_ req: Request, _ identity: Identity, _ record: CaseRecord, errors: [FieldError] = [],
                    notice: String? = nil, status: HTTPStatus = .ok, withAccess: Bool = false, kept: KeptAction? = nil,
                    noteKept: String = "") async throws -> Response {
        let store = CaseStore(db: req.db, cipher: req.cipher)
        let actions = try await store.actions(caseID: record.id)
        let stored = try await store.latestAssessment(caseID: record.id)
        // Staff see the facts they raised, as the API gives them (`CasePolicy.asRaised`).
        var shown = record
        if identity.user.role == .staff { shown.facts = CasePolicy.asRaised(record.facts) }
        var page = CasePage(record: shown, actions: actions, assessment: stored?.assessment, identity: identity,
                            csrf: req.pageCSRFToken(), errors: errors, kept: kept)
        if withAccess && CasePolicy.seesAccess(record.header, identity) {
            page.access = CaseAccessView(try await AuditStore(db: req.db).caseAccess(caseID: record.id, organisationID: record.organisationID),
                                         jurisdiction: identity.organisation.jurisdiction)
        }
        let people = try await AccountStore(db: req.db).users(organisationID: identity.organisation.id)
        page.owner = people.first { $0.id == record.ownerID }
            .map { $0.named(in: identity.organisation.jurisdiction) } ?? "someone no longer here"
        if CasePolicy.mayReassign(record.header, identity) {
            page.canReassign = true
            page.ownerPath = PageRoute.caseOwner(.id(record.id)).path
            page.ownerOptions = people.filter { CasePolicy.mayOwn($0.role) && !$0.disabled && $0.id != record.ownerID }
                .sorted { $0.displayName < $1.displayName }
                .map { OwnerOption(value: $0.id.uuidString.lowercased(), label: $0.named(in: identity.organisation.jurisdiction)) }
        }
        let links = try await store.mergeLinks(caseID: record.id, organisationID: record.organisationID)
        if let into = links.into {
            page.isMerged = true
            page.mergedIntoReference = into.reference
            page.mergedIntoHref = PageRoute.caseDetail(into.id).path
        }
        page.mergedFrom = links.from.map { MergeLink(reference: $0.reference, href: PageRoute.caseDetail($0.id).path) }
        page.hasMergedFrom = !page.mergedFrom.isEmpty
        if identity.user.role != .staff && links.into == nil {
            page.canMerge = true
            page.mergePath = PageRoute.caseMerge(.id(record.id)).path
        }
        // Notes: staff see their own on a concern they raised (the lead's are the lead's, as in the API); the lead, all.
        let notes = CasePolicy.visibleNotes(try await store.notes(caseID: record.id), to: identity)
        page.caseNotes = notes.map { n in
            NoteRow(by: people.first { $0.id == n.authorID }.map { $0.named(in: identity.organisation.jurisdiction) } ?? "someone no longer here",
                    at: PageWords.date(n.createdAt), text: n.text)
        }
        page.hasCaseNotes = !notes.isEmpty
        page.noteError = errors.first { $0.field == "noteText" }?.message ?? ""
        page.noteText = noteKept
        if identity.user.role != .staff {
            // Staff see what they raised; the response is for those who lead it, as in the API.
            let response = try await loadResponse(req, record)
            page.response = CaseResponseView(record: record, response: response, assessment: stored?.assessment, identity: identity,
                                             names: Dictionary(uniqueKeysWithValues: people.map {
                                                 ($0.id, $0.named(in: identity.organisation.jurisdiction)) }))
        }
        return try await req.renderPage(page, status: status, errors: errors, notice: notice ?? req.takeFlash())
    }

    /// A form posted from the case page: each carries the page's CSRF token.
    protocol CaseForm: Content { var _csrf: String? { get } }

    /// What every form posted from the case page starts with: who is asking, the case (404 if they may not see it),
    /// the form decoded and its CSRF token checked, and, when `editing`, that they may change the case.
    func posted<Form: CaseForm>(_ req: Request, _ type: Form.Type, editing: Bool = true) async throws
        -> (identity: Identity, record: CaseRecord, form: Form) {
        let identity = try caseIdentity(req)
        let record = try await loadCase(req, identity)
        let form = try req.content.decode(Form.self)
        try req.checkPageCSRF(form._csrf)
        if editing { try CasePolicy.requireEditor(identity) }
        return (identity, record, form)
    }

    /// The case page again, with one problem the person can fix shown against its field (422).
    func again(_ req: Request, _ identity: Identity, _ record: CaseRecord, field: String, _ message: String) async throws -> Response {
        try await renderCase(req, identity, record, errors: [FieldError(field: field, message: message)], status: .unprocessableEntity)
    }

    /// Back to the case as it is now, saying why nothing was done (someone changed it first).
    func afresh(_ req: Request, _ record: CaseRecord, _ notice: String) -> Response {
        req.flash(notice)
        return req.redirect(to: .caseDetail(record.id))
    }

    struct ActionForm: CaseForm {
        var _csrf: String?
        var status: String?
        var reason: String?
        var dueOn: String?
    }

    struct NoteForm: CaseForm {
        var _csrf: String?
        var text: String?
    }

    /// A note on the case: the lead's working note, or what staff learn after raising a concern ("he has messaged
    /// her again"), which the DSL then sees on the case. A review found no way for staff to add anything.
    func addNote(req: Request) async throws -> Response {
        let (identity, record, form) = try await posted(req, NoteForm.self, editing: false)
        let text = form.text ?? ""
        do {
            _ = try await req.caseService(assessor).addNote(text, to: record, by: identity)
        } catch let error as APIError where error.status == .unprocessableEntity {
            return try await renderCase(req, identity, record, errors: [FieldError(field: "noteText", message: error.message.capitalisedFirst)],
                                        status: .unprocessableEntity, noteKept: text)
        }
        req.auditRecorded = true
        req.flash(identity.user.role == .staff ? "Your note is added to the concern: the \(record.guidance.leadRoleName) sees it there."
                                               : "The note is added, and the chronology says so.")
        return req.redirect(to: PageRoute.caseDetail(record.id).path + "#notes")
    }

    struct StatusForm: CaseForm {
        var status: String?
        var reason: String?
        var version: Int?
        var _csrf: String?
    }

    struct OwnerForm: CaseForm {
        var ownerID: String?
        var reason: String?
        var _csrf: String?
    }

    /// Gives the case to someone else, through the same service as the API (a chronology line naming both, audited).
    func changeOwner(req: Request) async throws -> Response {
        let (identity, record, form) = try await posted(req, OwnerForm.self, editing: false)
        guard let ownerID = form.ownerID.flatMap(UUID.init(text:)) else {
            return try await again(req, identity, record, field: "ownerID", "Choose who the case goes to")
        }
        do {
            let updated = try await req.caseService(assessor).reassign(by: identity, record, to: ownerID, reason: form.reason)
            req.auditRecorded = true
            let owner = try await AccountStore(db: req.db).user(id: updated.ownerID)
            req.flash("The case is now \(owner?.displayName ?? "theirs")'s: its actions are on their home page.")
        } catch let error as APIError where error.status == .unprocessableEntity {
            return try await again(req, identity, record, field: "ownerID", error.message)
        }
        return req.redirect(to: .caseDetail(record.id))
    }

    struct MergeForm: CaseForm {
        var into: String?
        var reason: String?
        var version: Int?
        var _csrf: String?
    }

    /// Merges this case into another of the organisation by its reference (`CaseService.merge`, as the API does).
    func mergeCase(req: Request) async throws -> Response {
        let (identity, record, form) = try await posted(req, MergeForm.self)
        let wanted = CaseStore.reference(typed: form.into ?? "")
        guard !wanted.isEmpty else {
            return try await again(req, identity, record, field: "into", "Enter the reference of the case to merge this one into, like SG-2026-000001")
        }
        guard let target = try await CaseStore(db: req.db, cipher: req.cipher).findCase(reference: wanted, organisationID: identity.organisation.id),
              CasePolicy.canSee(target, identity) else {
            return try await again(req, identity, record, field: "into", "No case of \(identity.organisation.name) has the reference \(wanted.prefix(40))")
        }
        do {
            _ = try await req.caseService(assessor).merge(by: identity, record, version: form.version ?? -1, into: target, reason: form.reason)
            req.auditRecorded = true
        } catch let error as APIError where error.status == .unprocessableEntity || error.status == .conflict {
            return try await again(req, identity, record, field: error.field == "reason" ? "mergeReason" : "into", error.message.capitalisedFirst)
        } catch StoreError.conflict {
            return afresh(req, record, "Someone changed this case while you were writing, so it was not merged. Here it is as it is now.")
        }
        req.flash("Case \(record.reference) is merged into this one. Its chronology is shown with this case's; it is closed.")
        return req.redirect(to: .caseDetail(target.id))
    }

    /// Closes or reopens the case with a reason, through the same change as the API (a chronology line, audited).
    func changeStatus(req: Request) async throws -> Response {
        let (identity, record, form) = try await posted(req, StatusForm.self)
        guard let status = form.status.flatMap(CaseStatus.init(rawValue:)) else { throw APIError.invalid("status", "choose open or closed") }
        let reason = form.reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard !reason.isEmpty else {
            return try await again(req, identity, record, field: "statusReason",
                                   status == .closed ? "Say why the case is being closed" : "Say why the case is being reopened")
        }
        do {
            _ = try await api.change(req, identity, record, version: form.version ?? -1, facts: nil, status: status, statusReason: reason,
                                     action: "case.update")
        } catch StoreError.conflict {
            return afresh(req, record, "Someone changed this case while you were writing, so it was not \(status == .closed ? "closed" : "reopened"). Here it is as it is now; your reason was: \(reason)")
        } catch let error as APIError where error.code == "merged" {
            return afresh(req, record, PageErrorMiddleware.sentence(error.message))
        }
        req.flash(status == .closed ? "The case is closed. The reason is in the chronology." : "The case is reopened. The reason is in the chronology.")
        return req.redirect(to: .caseDetail(record.id))
    }

    func updateAction(req: Request) async throws -> Response {
        let (identity, record, form) = try await posted(req, ActionForm.self)
        guard let actionID = req.parameter(.actionID).flatMap(UUID.init(text:)),
              let current = try await CaseStore(db: req.db, cipher: req.cipher).actions(caseID: record.id).first(where: { $0.id == actionID }) else {
            throw APIError.notFound("action")
        }
        let reason = form.reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let field = CasePage.fieldID(actionID)
        var errors: [FieldError] = []
        let status: ActionStatus? = switch form.status {
        case "done": .done
        case "notApplicable": .notApplicable
        case "open": .open
        default: nil
        }
        let dueText = form.dueOn?.trimmingCharacters(in: .whitespaces) ?? ""
        let due = CalendarDate(dueText)
        if !dueText.isEmpty && due == nil {
            errors.append(FieldError(field: field + "-due", message: "Enter the due date as a date, for example 30 November 2026"))
        } else if let due, due < CaseController.today, due != current.dueOn {
            // A date already set may have passed since; only a new one must be today or later.
            errors.append(FieldError(field: field + "-due", message: "A due date is today or later"))
        }
        if status == nil && dueText.isEmpty {
            errors.append(FieldError(field: field + "-done", message: "Select whether the action is done or does not apply, or give a due date"))
        } else if status == .notApplicable && reason.isEmpty {
            errors.append(FieldError(field: field + "-reason", message: "Say why the action does not apply"))
        } else if let status, let missing = CaseService.missingNote(current, status: status, reason: reason, in: record.facts.setting) {
            errors.append(FieldError(field: field + "-reason", message: PageErrorMiddleware.sentence(missing)))
        } else if reason.count > FieldLimits.limit(for: "reason") {
            errors.append(FieldError(field: field + "-reason", message: "Keep the reason to \(FieldLimits.limit(for: "reason").withThousands) characters or fewer"))
        }
        if !errors.isEmpty {
            return try await renderCase(req, identity, record, errors: errors, status: .unprocessableEntity,
                                        kept: KeptAction(id: actionID, status: form.status ?? "", reason: reason))
        }
        let service = req.caseService(assessor)
        try await req.write { db in
            if let due, due != current.dueOn {
                _ = try await service.setActionDue(actionID, of: record, due: due, by: identity, on: db, via: " via=page")
            }
            if let status {
                _ = try await service.markAction(actionID, of: record, status: status, reason: reason.isEmpty ? nil : reason,
                                                 by: identity, on: db, via: " via=page")
            }
        }
        req.auditRecorded = true
        let said = switch status {
        case .done: "is done"
        case .notApplicable: "does not apply"
        case .open: "is open again"
        case nil: due.map { "is due by \(Words.day($0))" } ?? "is saved"
        }
        req.flash("Saved: \u{201C}\(current.text)\u{201D} \(said).")
        return req.redirect(to: PageRoute.caseDetail(record.id).path + "#actions", redirectType: .normal)
    }

    // MARK: Guidance

    /// A cited section: its summary, its numbered parts (the five referral criteria where the section is cited),
    /// the published document, and, followed from a case (`?case=`), what that case's assessment says under it and
    /// the way back.
    func guidanceSection(req: Request) async throws -> Response {
        let identity = try req.requirePageIdentity()
        guard let packID = req.parameter(.pack), let edition = req.parameter(.edition), let sectionID = req.parameter(.section),
              let pack = PageGuidance.library.pack(id: packID, edition: edition),
              let section = pack.sections.first(where: { $0.id == sectionID }) else {
            throw APIError.notFound("guidance section")
        }
        var page = GuidanceSectionPage(pack: pack, section: section)
        // Only a case this person may see, and only what its latest assessment says: nothing else of the case.
        if let caseID = req.query[String.self, at: "case"].flatMap(UUID.init(text:)),
           let record = try await CaseStore(db: req.db, cipher: req.cipher).findCase(id: caseID, organisationID: identity.organisation.id),
           CasePolicy.canSee(record.header, identity) {
            let assessment = try await CaseStore(db: req.db, cipher: req.cipher).latestAssessment(caseID: record.id)?.assessment
            page.addCase(record, assessment: assessment)
            try await req.auditAlone("case.guidanceSection.read", caseID: record.id)
        }
        return try await req.renderPage(page)
    }
}
