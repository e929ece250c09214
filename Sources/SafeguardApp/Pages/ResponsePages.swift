import Fluent
import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// The response pages: sign-offs (propose Outcome 21 or a device's return; a supervisor's or superintendent's
/// review), records, documents and referrals. Each handler authorises as the API does (`caseIdentity`, `loadCase`:
/// admins and auditors 403, other organisations 404; then `requireEditor`: staff 403) and calls the services and the
/// API's own functions (`SignOffService`, `RecordService`, `ResponseController`), so the rules live in one place; the
/// pages only ask and show.
extension PagesController {
    var response: ResponseController { ResponseController(assessor: assessor) }

    /// Proposes through `SignOffService`, as the API does; the request is audited once that has committed.
    private func proposeSignOff(_ req: Request, _ identity: Identity, _ record: CaseRecord, _ body: SignOffCreateRequest) async throws -> SignOff {
        let proposed = try await req.signOffService(assessor).propose(body, on: record, by: identity)
        req.auditRecorded = true
        return proposed
    }

    /// Decides through `SignOffService`, as the API does; the request is audited once that has committed.
    private func decideSignOff(_ req: Request, _ identity: Identity, _ record: CaseRecord, _ signOff: SignOff,
                               _ body: SignOffDecisionRequest) async throws -> SignOff {
        let decided = try await req.signOffService(assessor).decide(signOff, body, on: record, by: identity)
        req.auditRecorded = true
        return decided
    }

    func bootResponsePages(_ routes: any RoutesBuilder) {
        routes.get(.caseRecordForm(.key, .key), use: recordForm)
        routes.post(.caseRecordForm(.key, .key), use: saveRecord)
        routes.get(.caseDeletionProof(.key, .key), use: deletionProofForm)
        routes.post(.caseDeletionProof(.key, .key), use: saveDeletionProof)
        routes.get(.caseNewDevice(.key), use: newDeviceForm)
        routes.post(.caseNewDevice(.key), use: addDevice)
        routes.get(.caseProposeOutcome21(.key), use: outcome21Form)
        routes.post(.caseProposeOutcome21(.key), use: proposeOutcome21)
        routes.get(.caseProposeReturn(.key, .key), use: returnForm)
        routes.post(.caseProposeReturn(.key, .key), use: proposeReturn)
        routes.get(.caseSignOff(.key, .key), use: signOffForm)
        routes.post(.caseSignOff(.key, .key), use: decideSignOff)
        routes.get(.caseLetter(.key), use: letterForm)
        routes.post(.caseLetter(.key), use: printLetter)
        routes.get(.caseDocument(.key, .key), use: showDocument)
        routes.get(.caseSubjectAccess(.key, .key), use: showSubjectAccess)
        routes.get(.caseReferral(.key), use: referralForm)
        routes.post(.caseReferral(.key), use: sendReferral)
        routes.get(.caseReferralAnswer(.key, .key), use: referralAnswerForm)
        routes.post(.caseReferralAnswer(.key, .key), use: answerReferral)
        routes.get(.caseReferralWithdraw(.key, .key), use: referralWithdrawForm)
        routes.post(.caseReferralWithdraw(.key, .key), use: withdrawReferral)
    }

    // MARK: Shared

    /// The case for someone who leads the response, as the API's `leadCase`: 403 for admins and auditors, 404 for
    /// another organisation's case, 403 for staff.
    func leadCase(_ req: Request) async throws -> (Identity, CaseRecord) {
        let identity = try caseIdentity(req)
        let record = try await loadCase(req, identity)
        try CasePolicy.requireEditor(identity)
        return (identity, record)
    }

    /// The same, for a form: the session's CSRF token checked first.
    func leadCase(_ req: Request, posted form: PostedForm) async throws -> (Identity, CaseRecord) {
        let (identity, record) = try await leadCase(req)
        try req.checkPageCSRF(form.csrf)
        return (identity, record)
    }

    func loadResponse(_ req: Request, _ record: CaseRecord) async throws -> CaseResponse {
        let store = ResponseStore(db: req.db, cipher: req.cipher)
        var referrals: [ReferralDTO] = []
        for r in try await store.referrals(caseID: record.id) {
            referrals.append(try await response.referralDTO(r, on: record.id, db: req.db))
        }
        return CaseResponse(records: try await store.records(caseID: record.id), signOffs: try await store.signOffs(caseID: record.id),
                            referrals: referrals, chronology: try await store.fullChronology(caseID: record.id, organisationID: record.organisationID))
    }

    func userNames(_ req: Request, _ identity: Identity) async throws -> [UUID: String] {
        var names: [UUID: String] = [:]
        for user in try await AccountStore(db: req.db).users(organisationID: identity.organisation.id) {
            names[user.id] = user.named(in: identity.organisation.jurisdiction)
        }
        return names
    }

    func assessment(_ req: Request, _ record: CaseRecord) async throws -> Assessment? {
        try await CaseStore(db: req.db, cipher: req.cipher).latestAssessment(caseID: record.id)?.assessment
    }

    func auditRead(_ req: Request, _ record: CaseRecord, _ page: String) async throws {
        try await req.auditAlone("case.read", caseID: record.id, detail: "via=page.\(page)")
    }

    /// Renders a form page: 200 when first shown, 422 with each problem against its field when a save was refused.
    func renderForm(_ req: Request, _ page: FormPage, errors: [FieldError] = [], keeping form: PostedForm? = nil) async throws -> Response {
        var page = page
        // Sent with too much in it (`ContentGuardMiddleware.formAgain`): the form again, with what was typed.
        if errors.isEmpty, let problem = req.formProblem {
            page.show(problem.errors, keeping: PostedForm(pairs: problem.kept))
            return try await req.renderPage(page, status: problem.status, errors: problem.errors)
        }
        page.show(errors, keeping: form)
        return try await req.renderPage(page, status: errors.isEmpty ? .ok : .unprocessableEntity, errors: errors)
    }

    /// Runs a save; a problem the person can fix (the API's 422, or a 409 that is not a stale version) comes back as
    /// errors against the form's fields, anything else as the error page.
    func attempt<T>(_ fields: [FormField], _ body: () async throws -> T) async throws -> Result<T, FieldErrors> {
        do {
            return .success(try await body())
        } catch let error as APIError where PageErrors.isFormProblem(error) {
            return .failure(FieldErrors(errors: [PageErrors.fieldError(error, fields: fields)]))
        }
    }

    struct FieldErrors: Error { var errors: [FieldError] }

    static func today() -> String { CaseController.today.description }

    static func personOptions(_ facts: CaseFacts) -> [(value: String, label: String)] {
        facts.people.map { p in
            (p.ref, "\(p.ref)" + (p.age.map { ", aged \($0)" } ?? "") + (p.roles.isEmpty ? "" : " (" + Words.parts(p.roles) + ")"))
        }
    }

    func caseCaption(_ record: CaseRecord) -> String { "Case \(record.reference)" }

    // MARK: Outcome 21 proposal

    /// The case's facts as a reviewer reads them beside a rationale: the people, the circumstances known to be so,
    /// and those not known yet.
    static func factRows(_ facts: CaseFacts) -> [SummaryRow] {
        let circumstances = CaseDocument.circumstances(facts)
        return [SummaryRow(label: "People", value: CaseDocument.people(facts).joined(separator: "; ")),
                SummaryRow(label: "Known to be so", value: circumstances.known.isEmpty ? "None of the circumstances the guidance asks about" : Words.join(circumstances.known)),
                SummaryRow(label: "Not known yet", value: circumstances.unknown.isEmpty ? "Nothing" : Words.join(circumstances.unknown))]
    }

    func outcome21Page(_ req: Request, _ record: CaseRecord, _ assessment: Assessment?, _ response: CaseResponse) -> FormPage {
        let decision = assessment?.decisions.outcome21
        let reason = assessment?.decisionReasons.first { $0.decision == "outcome21" }
        let questions = PageGuidance.library.edition(for: record.facts.setting, in: record.facts.jurisdiction, on: assessment?.assessedOn ?? CaseController.today).pack.questions
        let because = (reason?.because ?? []).map { Words.because($0, questions: questions) }
        var page = FormPage(title: "Propose Outcome 21", caption: caseCaption(record),
                            intro: ["Outcome 21: further investigation is not in the public interest. A supervisor who did not propose it reviews it "
                                    + "before it is recorded, and the family then gets a written record."],
                            rows: [SummaryRow(label: "The guidance says", value: PageWords.value(decision?.rawValue ?? "undetermined", of: "outcome21"))],
                            because: because, citations: CitationLinker(assessment, caseID: record.id).links(reason?.citations ?? []),
                            action: PageRoute.caseProposeOutcome21(record.id).path, csrf: req.pageCSRFToken(),
                            fields: [], submitLabel: "Propose for review", backHref: PageRoute.caseDetail(record.id).path)
        // The facts are shown above in plain words; the rationale is the officer's own (issue 11, point 5).
        page.rows += Self.factRows(record.facts)
        page.fields.append(.textarea("rationale", "Why Outcome 21 is right for this case",
                                     hint: "In your own words, which the supervisor reads beside the facts above: why further investigation is not in the public interest."))
        if decision == .undetermined {
            let open = assessment?.openQuestions.filter { $0.affects.contains("outcome21") }.map(\.question) ?? []
            page.fields.append(.textarea("reasonWhileUndetermined", "Why propose it before these questions are answered?",
                                         hint: open.isEmpty ? "" : "Still open: " + open.joined(separator: "; ")))
        }
        if response.outcome21Approved {
            page.showForm = false
            page.inset = "Outcome 21 is already approved on this case."
        } else if response.latestOutcome21?.status == .pending {
            page.showForm = false
            page.inset = "Outcome 21 is already proposed and waiting for a supervisor's review."
        } else if decision == .excluded || decision == .notAvailable || decision == nil {
            page.showForm = false
            page.warning = decision == .excluded
                ? "Outcome 21 cannot be used for this case" + { why in why.isEmpty ? "." : ": " + why.joined(separator: "; ") + "." }(
                    CaseResponseView.exclusionReasons(assessment, questions: questions))
                : "Outcome 21 is not available for this case's nation or setting."
        } else if response.latestOutcome21?.status == .refused {
            page.inset = "A supervisor refused the last proposal: \(response.latestOutcome21?.review?.reason ?? "no reason recorded"). Answer those reasons in your rationale."
        }
        return page
    }

    func outcome21Form(req: Request) async throws -> Response {
        let (_, record) = try await leadCase(req)
        guard record.facts.setting == .police else { throw APIError.forbidden("sign-offs are for police cases") }
        let page = outcome21Page(req, record, try await assessment(req, record), try await loadResponse(req, record))
        try await auditRead(req, record, "outcome21")
        return try await renderForm(req, page)
    }

    func proposeOutcome21(req: Request) async throws -> Response {
        let form = PostedForm(req)
        let (identity, record) = try await leadCase(req, posted: form)
        guard record.facts.setting == .police else { throw APIError.forbidden("sign-offs are for police cases") }
        let page = outcome21Page(req, record, try await assessment(req, record), try await loadResponse(req, record))
        let body = SignOffCreateRequest(kind: .outcome21, rationale: form["rationale"] ?? "",
                                        reasonWhileUndetermined: form["reasonWhileUndetermined"], device: nil)
        switch try await attempt(page.fields, { try await proposeSignOff(req, identity, record, body) }) {
        case .success:
            req.flash("Outcome 21 proposed. It is waiting for a supervisor's review; the case shows a banner until it is decided.")
            return req.redirect(to: .caseDetail(record.id))
        case .failure(let problem):
            var shown = page
            shown.showForm = true
            shown.warning = ""
            return try await renderForm(req, shown, errors: problem.errors, keeping: form)
        }
    }

    // MARK: Device return proposal

    func returnPage(_ req: Request, _ record: CaseRecord, device: String, _ response: CaseResponse) throws -> FormPage {
        guard let d = record.facts.devices.first(where: { $0.ref == device }) else { throw APIError.notFound("device") }
        let chain = response.plainRecords.compactMap { r -> String? in
            guard case .deviceCustody(let s) = r, s.device == device else { return nil }
            return RecordText.describe(r, jurisdiction: record.facts.jurisdiction)
        }
        return FormPage(title: "Propose the return of device \(device)", caption: caseCaption(record),
                        intro: ["A device that held imagery is returned only with a superintendent's sign-off, who records whether the imagery on it was solely of its owner\(record.guidance.inBracketsWithPublisher(.deviceReturn))."],
                        rows: [SummaryRow(label: "Owner", value: d.owner ?? "Not known yet"),
                               SummaryRow(label: "Holds imagery of", value: d.containsImageryOf.isEmpty ? "Not recorded" : d.containsImageryOf.joined(separator: ", ")),
                               SummaryRow(label: "Custody so far", value: chain.isEmpty ? "No steps recorded" : chain.joined(separator: "; "))],
                        action: PageRoute.caseProposeReturn(record.id, device).path, csrf: req.pageCSRFToken(),
                        fields: [.textarea("rationale", "Why return it now", hint: "Your National Decision Model rationale, which the superintendent reads")],
                        submitLabel: "Ask a superintendent to sign off", backHref: PageRoute.caseDetail(record.id).path)
    }

    func returnForm(req: Request) async throws -> Response {
        let (_, record) = try await leadCase(req)
        guard record.facts.setting == .police else { throw APIError.forbidden("sign-offs are for police cases") }
        let page = try returnPage(req, record, device: req.parameter(.device) ?? "", try await loadResponse(req, record))
        try await auditRead(req, record, "deviceReturn")
        return try await renderForm(req, page)
    }

    func proposeReturn(req: Request) async throws -> Response {
        let form = PostedForm(req)
        let (identity, record) = try await leadCase(req, posted: form)
        let device = req.parameter(.device) ?? ""
        let page = try returnPage(req, record, device: device, try await loadResponse(req, record))
        let body = SignOffCreateRequest(kind: .deviceReturn, rationale: form["rationale"] ?? "", reasonWhileUndetermined: nil, device: device)
        switch try await attempt(page.fields, { try await proposeSignOff(req, identity, record, body) }) {
        case .success:
            req.flash("The return of device \(device) is waiting for a superintendent's sign-off.")
            return req.redirect(to: .caseDetail(record.id))
        case .failure(let problem):
            return try await renderForm(req, page, errors: problem.errors, keeping: form)
        }
    }

    // MARK: Reviewing a sign-off

    /// The sign-off on this case; 403 for a role that does not decide it. Its proposer sees it, without the form.
    func signOffPage(_ req: Request, _ identity: Identity, _ record: CaseRecord) async throws -> (SignOff, FormPage) {
        guard let id = req.parameter(.signOffID).flatMap(UUID.init(text:)),
              let signOff = try await ResponseStore(db: req.db, cipher: req.cipher).signOff(id: id, caseID: record.id) else {
            throw APIError.notFound("sign-off")
        }
        let kind = signOff.proposal.kind
        // Its proposer sees what they sent and where it stands, without the form.
        guard kind.mayBeReviewed(by: identity.user.role.rawValue) || signOff.proposedBy == identity.user.id else {
            throw APIError.forbidden("only a \(kind.reviewerRolesInWords) may \(kind.decision)\(record.guidance.inBracketsWithPublisher(kind.rule))")
        }
        let assessment = try await assessment(req, record)
        let names = try await userNames(req, identity)
        let proposer = names[signOff.proposedBy] ?? "another officer"
        var rows = [SummaryRow(label: "Case", value: "\(record.reference): \(record.summary)"),
                    SummaryRow(label: "Proposed by", value: "\(proposer) on \(PageWords.date(signOff.proposedAt))")]
        var because: [String] = []
        var citations: [CitationLink] = []
        var fields: [FormField] = []
        let title: String
        switch signOff.proposal {
        case .outcome21(let p):
            title = "Review the Outcome 21 proposal"
            rows.append(SummaryRow(label: "Rationale", value: p.rationale))
            if let why = p.reasonWhileUndetermined { rows.append(SummaryRow(label: "Proposed before the guidance could decide, because", value: why)) }
            let now = assessment?.decisions.outcome21.rawValue ?? "undetermined"
            rows.append(SummaryRow(label: "The guidance says now", value: PageWords.value(now, of: "outcome21")))
            let reason = assessment?.decisionReasons.first { $0.decision == "outcome21" }
            let questions = PageGuidance.library.edition(for: record.facts.setting, in: record.facts.jurisdiction, on: assessment?.assessedOn ?? CaseController.today).pack.questions
            because = (reason?.because ?? []).map { Words.because($0, questions: questions) }
            citations = CitationLinker(assessment, caseID: record.id).links(reason?.citations ?? [])
            let route = assessment?.decisionReasons.first { $0.decision == "route" }
            if let route { rows.append(SummaryRow(label: "Response", value: PageWords.value(route.value, of: "route"))) }
            rows += Self.factRows(record.facts)
            if assessment?.decisions.outcome21 == .undetermined {
                let open = (assessment?.openQuestions ?? []).filter { $0.affects.contains(DecisionKey.outcome21.rawValue) }.map(\.question)
                if !open.isEmpty { rows.append(SummaryRow(label: "Still to answer before the guidance can decide", value: open.joined(separator: " "))) }
                fields.append(.textarea("openQuestionsReason", "If you approve before these are answered, why",
                                        hint: "Needed to approve: the guidance cannot yet say Outcome 21 is available\(record.guidance.inBracketsWithPublisher(.outcome21Criteria)). Kept in the case's chronology."))
            }
            let openMust = SignOffService.openMustActions(try await CaseStore(db: req.db, cipher: req.cipher).actions(caseID: record.id))
            if !openMust.isEmpty {
                rows.append(SummaryRow(label: "Must-do actions still open", value: openMust.map(\.text).joined(separator: " ")))
                fields.append(.textarea("openActionsReason", "If you approve with these still open, why",
                                        hint: "Needed to approve: the must-do actions above are not done yet. Kept in the case's chronology."))
            }
        case .deviceReturn(let p):
            title = "Sign off the return of device \(p.device)"
            let device = record.facts.devices.first { $0.ref == p.device }
            rows.append(SummaryRow(label: "Owner", value: device?.owner ?? "Not known yet"))
            let holds = device?.containsImageryOf ?? []
            rows.append(SummaryRow(label: "Holds imagery of", value: holds.isEmpty ? "Not recorded" : holds.joined(separator: ", ")))
            rows.append(SummaryRow(label: "Rationale", value: p.rationale))
            fields.append(.choice(.radios, "imagerySolelyOfOwner", "Was the imagery on the device solely of its owner?",
                                  hint: "You must answer this to approve the return\(record.guidance.inBracketsWithPublisher(.deviceReturn)).",
                                  options: [("yes", "Yes, solely of the owner"), ("no", "No, it includes others")], inline: true))
            fields.append(.textarea("imageryRemoval", "If it includes others: how was that imagery removed from the device?",
                                    hint: "Needed to approve such a return: returning a device with imagery of another child on it could be supplying an indecent image of a child\(record.guidance.inBracketsWithPublisher(.deviceReturn))."))
        }
        fields.insert(.choice(.radios, "decision", "Your decision", options: [("approve", "Approve"), ("refuse", "Refuse and return it to the officer")]), at: 0)
        fields.append(.textarea("reason", "Your reasons", hint: "The officer sees them; they are kept in the case's chronology."))
        var page = FormPage(title: title, caption: caseCaption(record), rows: rows, because: because, citations: citations,
                            action: PageRoute.caseSignOff(record.id, signOff.id).path, csrf: req.pageCSRFToken(), fields: fields,
                            submitLabel: "Save the decision", backHref: PageRoute.caseDetail(record.id).path)
        if signOff.proposedBy == identity.user.id {
            page.showForm = false
            page.inset = signOff.status == .pending
                ? "You proposed this, so you cannot decide it: another \(kind.reviewerRolesInWords) must review it."
                : "You proposed this. It is \(CaseResponseView.statusLabel(signOff.status).lowercased())" + (signOff.review.map { ": \($0.reason)" } ?? ".")
        } else if signOff.status != .pending {
            page.showForm = false
            page.inset = "This proposal is \(CaseResponseView.statusLabel(signOff.status).lowercased())" + (signOff.review.map { ": \($0.reason)" } ?? ".")
        }
        return (signOff, page)
    }

    func signOffForm(req: Request) async throws -> Response {
        let (identity, record) = try await leadCase(req)
        let (_, page) = try await signOffPage(req, identity, record)
        try await auditRead(req, record, "signoff")
        return try await renderForm(req, page)
    }

    func decideSignOff(req: Request) async throws -> Response {
        let form = PostedForm(req)
        let (identity, record) = try await leadCase(req, posted: form)
        let (signOff, page) = try await signOffPage(req, identity, record)
        // The proposer and other roles are refused here, whatever the form says (403).
        try req.signOffService(assessor).checkReviewer(identity, signOff, on: record)
        guard let decision = form["decision"], ["approve", "refuse"].contains(decision) else {
            return try await renderForm(req, page, errors: [FieldError(field: "decision", message: "Select whether you approve or refuse")], keeping: form)
        }
        let solely: Bool? = form["imagerySolelyOfOwner"].map { $0 == "yes" }
        let body = SignOffDecisionRequest(approve: decision == "approve", reason: form["reason"] ?? "", imagerySolelyOfOwner: solely,
                                          imageryRemoval: form["imageryRemoval"], openActionsReason: form["openActionsReason"],
                                          openQuestionsReason: form["openQuestionsReason"])
        switch try await attempt(page.fields, { try await decideSignOff(req, identity, record, signOff, body) }) {
        case .success:
            let what = signOff.proposal.kind == .outcome21 ? "Outcome 21" : "The return of device \(signOff.proposal.subject)"
            req.flash(decision == "approve"
                      ? (signOff.proposal.kind == .outcome21 ? "Outcome 21 approved and recorded."
                         : "\(what) approved. The officer records the return when the device is handed back.")
                      : "\(what) refused. The case is back with the officer, with your reasons.")
            return req.redirect(to: .caseDetail(record.id))
        case .failure(let problem):
            return try await renderForm(req, page, errors: problem.errors, keeping: form)
        }
    }
}
