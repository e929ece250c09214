import Fluent
import Foundation
import SafeguardCore
import SafeguardPersistence
import Vapor

/// The records an officer or DSL needs most, one per page, each built as the API's JSON record and checked by the
/// same strict decoding and `ResponseRules` (through `ResponseController.apply`), so a refusal names the field and
/// cites the guidance exactly as the API does. Also: proof of deletion, adding a device, documents, the Outcome 21
/// letter and referrals.
extension PagesController {
    /// The record pages beyond the ones the case page offers first, in the order the guidance meets them.
    static let moreRecordPages: [RecordKind] = [.welfareCheck, .advice, .backgroundCheck, .meeting, .childProtectionReferral,
                                                .account, .suspectDecision, .interviewDecision, .communication, .contentRemoval,
                                                .caidLiaison, .childContactForm, .externalReport, .conversation, .supportReferral,
                                                .postIncidentReview]

    /// The form for a kind of record: its fields come from the kind's one description (`RecordKind.description`);
    /// this page adds only what the case and the engine already know (prefilled values, the case's people, devices
    /// and imagery as options) and the words that introduce it. A kind with nothing to add still gets its form.
    func recordPage(_ req: Request, _ identity: Identity, _ record: CaseRecord, kind: RecordKind) async throws -> FormPage {
        guard kind.settings.contains(record.facts.setting) else { throw APIError.notFound("page") }
        if kind == .triage && identity.user.role != .dsl { throw APIError.forbidden("the \(identity.organisation.jurisdiction.schoolLead) triages a concern") }
        let facts = record.facts
        let me = identity.user.displayName
        let police = facts.setting == .police
        let pack = record.guidance
        var form = RecordForm(kind: kind, facts: facts, today: Self.today())
        var intro: [String] = []
        var submit = "Save"
        switch kind {
        case .crimeRecord:
            let assessment = try await assessment(req, record)
            let suggested = assessment?.offences.map(\.id) ?? []
            let law = PageGuidance.library.law.law(for: facts.jurisdiction)?.offences ?? []
            intro = ["\(pack.recordingRule)\(pack.inBrackets(.recordCrime)). The offences the guidance suggests for what is known are ticked."]
            form.checkboxes("offences", options: law.map { ($0.id, $0.description) }, selected: suggested,
                            optionHints: Dictionary(uniqueKeysWithValues: law.map { ($0.id, $0.legislation + ($0.homeOfficeClassification.map { ", Home Office \($0)" } ?? "")) }))
            if CrimeRecord.mayNameNoOffence(in: facts.jurisdiction) {
                form.hints["offences"] = "Tick none where the facts disclose no crime (conduct by a child under 12, say): it is then an incident record only."
            }
            form.hints["offenceChangeReason"] = "Needed only when they differ from the guidance's suggestion ("
                + (suggested.isEmpty ? "none" : suggested.map { Words.offence($0, jurisdiction: facts.jurisdiction) }.joined(separator: "; ")) + ")"
            submit = "Record the crime"
        case .outcome:
            let homeOffice = facts.jurisdiction == .england || facts.jurisdiction == .wales
            let national = PageGuidance.library.law.law(for: facts.jurisdiction)?.outcomes ?? []
            if homeOffice {
                intro = ["Choose the Home Office outcome code\(pack.inBrackets(.outcomeCodes)). Outcome 21 is not in this list: it is recorded when a supervisor approves a proposal."]
                form.only(OutcomeCode.allCases.filter { $0 != .local && $0 != .outcome21 }.map(\.rawValue), of: "code")
                form.omit("nationalOutcome", "localDescription")
            } else {
                form.hidden["code"] = OutcomeCode.local.rawValue
                if national.isEmpty {
                    intro = ["Outside England and Wales, record the outcome under your force's own scheme."]
                    form.omit("nationalOutcome")
                    form.labels["localDescription"] = "The outcome under your force's scheme"
                } else {
                    intro = ["There is no Outcome 21 in \(facts.jurisdiction.displayName). Choose the outcome, or describe another under your force's scheme."]
                    form.radios("nationalOutcome", options: national.map { ($0.id, $0.title) },
                                optionHints: Dictionary(uniqueKeysWithValues: national.map { ($0.id, ($0.ages.map { "For \($0). " } ?? "") + $0.note) }))
                    form.hints["nationalOutcome"] = ""
                    form.hints["localDescription"] = "Only if none of the above fits"
                }
            }
        case .deletionDirection:
            let holders = facts.people.filter { $0.roles.contains(.recipient) || $0.roles.contains(.possessor) }.map(\.ref)
            intro = ["Where the risk is low and no device was seized, direct those holding copies to delete them, and record proof\(pack.inBrackets(.deletion))."]
            form.selected["holder"] = holders.count == 1 ? holders : []
            form.values["directedBy"] = me
        case .deviceCustody:
            if facts.devices.isEmpty {
                var page = FormPage(title: pack.formTitle(of: kind), caption: caseCaption(record), intro: ["No devices are recorded on this case yet. Add the device first."],
                                    action: "", csrf: req.pageCSRFToken(), fields: [], submitLabel: "", showForm: false,
                                    backHref: PageRoute.caseNewDevice(record.id).path, backLabel: "Add a device")
                page.inset = "Never look at, copy or send on any image on a device."
                return page
            }
            intro = ["One step of the device's custody chain. Decisions to leave, seize, retain, return or destroy need your National Decision Model rationale."]
            let devices = facts.devices.map(\.ref)
            form.selected["device"] = [req.query[String.self, at: "device"] ?? (devices.count == 1 ? devices[0] : "")]
            form.only(CustodyStep.allCases.filter { $0.setting == nil || $0.setting == facts.setting }.map(\.rawValue), of: "step")
            form.values["by"] = me
            form.hints["immediateRiskOfHarm"] = "A device is searched only where there is an immediate risk of harm" + pack.inBrackets(.schoolDevices)
        case .triage:
            let kindNow: ContentKind = switch facts.imagery.first?.kind {
            case .image?, .generated?: .image
            case .video?: .video
            case .message?: .message
            case nil: .notKnownYet
            }
            let ages = facts.people.map(\.age)
            let adults: Answer = ages.contains { ($0 ?? 0) >= 18 } ? .yes : (ages.allSatisfy { $0 != nil } ? .no : .notKnownYet)
            intro = ["Find these out by talking to those involved. Never look at, copy or ask to see an image\(pack.inBrackets(.gathering)). What the case already says is filled in."]
            form.selected["content"] = [kindNow.rawValue]
            form.selected["sentBy"] = facts.people.filter { $0.roles.contains(.sender) }.map(\.ref)
            form.selected["featured"] = facts.people.filter { $0.roles.contains(.depicted) }.map(\.ref)
            form.selected["adultsInvolved"] = [adults.rawValue]
            submit = "Save the triage"
        case .parentsInformed:
            intro = ["Parents and carers are involved unless that would put the child at risk. If you do not inform them, record the risk."]
            form.selected["person"] = facts.people.filter { $0.roles.contains(.depicted) }.prefix(1).map(\.ref)
        case .welfareCheck:
            intro = ["Check the current and future welfare of each child\(pack.inBrackets(.welfare, .nextSteps)). A risk of harm, such as self-harm, needs an immediate child protection referral."]
        case .advice:
            intro = ["Advise so that people are safe and do nothing unlawful, such as keeping a copy of the imagery\(pack.inBrackets(.welfare))."]
        case .backgroundCheck:
            intro = ["Check victims, suspects and locations on police systems and partners' systems, ideally before any meeting or conversation with the family\(pack.inBrackets(.checks))."]
            form.values["checkedOn"] = Self.today()
        case .meeting:
            intro = [(MeetingKind.interAgencyReferralDiscussion.isHeld(in: facts.jurisdiction) ? "An inter-agency referral discussion (IRD), a multi-agency meeting," : "A strategy or multi-agency meeting,")
                     + " or a conversation with a child or family\(pack.inBrackets(.checks, .referral)). Before everyone's background checks are done, give the safeguarding reason to go ahead."]
            form.only(MeetingKind.allCases.filter { $0.isHeld(in: facts.jurisdiction) }.map(\.rawValue), of: "meetingKind")
        case .childProtectionReferral:
            intro = police ? ["Where significant risks are found, or a child is subject to child protection activity, refer\(pack.inBrackets(.referral))."]
                : ["Refer when the guidance's criteria for a referral apply\(pack.inBrackets(.referral))."]
            // The description's example is England and Wales's; elsewhere, the nation's own service.
            if facts.jurisdiction.socialCare != GuidancePack.socialCareDefault { form.hints["to"] = "For example: \(facts.jurisdiction.socialCare)" }
        case .account:
            intro = ["Record who gave an account, when and to whom. Never record what the imagery shows\(pack.inBrackets(.accounts))."]
            form.values["takenBy"] = me
        case .suspectDecision:
            intro = ["There is local discretion not to record a suspect where there is no evidence of intention (mens rea), for example willing participation or an accident\(pack.inBrackets(.accounts))."]
        case .interviewDecision:
            intro = [(pack.recordNames[kind.rawValue]?.intro ?? "In higher-risk cases a child may need a visually recorded interview")
                     + "\(pack.inBrackets(.interview))."]
        case .communication:
            intro = ["What was explained, to whom and how: next steps\(pack.inBrackets(.nextSteps)), the outcome and what it means, including DBS\(pack.inBrackets(.communicate, .outcome21Letter)). The guidance's DBS explanation for this case's edition is added to the record."]
            // Arriving from a printed Outcome 21 letter: the letter given, to whom and about whom.
            if let letter = req.query[String.self, at: "letter"].flatMap(OutcomeLetterRequest.To.init(rawValue:)) {
                form.selected["audience"] = [letter == .parent ? Audience.parentsOrCarers.rawValue : Audience.child.rawValue]
                form.selected["method"] = [CommunicationMethod.letter.rawValue]
                form.selected["topics"] = [CommunicationTopic.outcome.rawValue]
                if let person = req.query[String.self, at: "person"], facts.people.contains(where: { $0.ref == person }) {
                    form.selected["person"] = [person]
                }
                form.values["on"] = Self.today()
            }
        case .contentRemoval:
            intro = ["Ask the service to remove it; where a site has no reporting route, report to the IWF, and young people can use Report Remove\(pack.inBrackets(.removal))."]
            form.selected["status"] = [RemovalStatus.requested.rawValue]
        case .caidLiaison:
            intro = ["Imagery shared beyond a child's control is added to the Child Abuse Image Database through your High-Tech Crime Unit\(pack.inBrackets(.caid))."]
            form.selected["status"] = [LiaisonStatus.requested.rawValue]
        case .childContactForm:
            intro = [(pack.recordNames[kind.rawValue]?.intro ?? "Raise a child contact with police form so partners know of the incident")
                     + "\(pack.inBrackets(.contactForm)). You can print the form from the case page."]
            if facts.jurisdiction.socialCare != GuidancePack.socialCareDefault {
                form.hints["sharedWith"] = "Partners, separated by commas, for example: \(facts.jurisdiction.socialCare), the school"
            }
        case .externalReport:
            intro = ["Call 999 if a child is in immediate danger; report to CEOP if a child may have been groomed or sexually abused online\(pack.inBrackets(.reporting))."]
        case .conversation:
            intro = ["Talk to each young person involved: what happened, how they feel and what support they need\(pack.inBrackets(.talking))."]
            form.values["by"] = me
        case .supportReferral:
            intro = ["Everyone involved should get ongoing support; a counselling or therapeutic referral may help\(pack.inBrackets(.supporting))."]
        case .postIncidentReview:
            intro = ["Review what happened and how it was dealt with, to learn and improve procedures, and set a date to review the policy\(pack.inBrackets(.reviewing))."]
            form.values["policyReviewBy"] = ""
        }
        return FormPage(title: pack.formTitle(of: kind), caption: caseCaption(record), intro: intro, action: PageRoute.caseRecordForm(record.id, kind).path,
                        csrf: req.pageCSRFToken(), fields: form.fields(), submitLabel: submit, backHref: PageRoute.caseDetail(record.id).path)
    }

    /// The fields the record's description says are required that the form left blank, each with what to give, in
    /// the form's order and its own words ("Choose an answer to: Whose welfare", "Enter date").
    static func blankRequired(kind: RecordKind, fields: [FormField], form: PostedForm, optional: Set<String> = []) -> [FieldError] {
        let description = kind.description
        return fields.compactMap { field -> FieldError? in
            guard field.kind != FormField.Kind.hidden.rawValue, description.field(field.name)?.required == true,
                  !optional.contains(field.name) else { return nil }
            let given = field.isChoice ? !form.all(field.name).isEmpty
                : !(form[field.name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            return given ? nil : FieldError(field: field.name, message: field.whatToGive)
        }
    }

    /// The record as the API's JSON, built by each field's description (a list, a yes or no, or text), blank fields
    /// left out so the rules say what is required. Decoded by the same strict decoder as the API.
    static func recordJSON(kind: RecordKind, fields: [FormField], form: PostedForm) throws -> Data {
        var object: [String: JSONValue] = ["kind": .string(kind.rawValue)]
        let description = kind.description
        for field in fields {
            let name = field.name
            let input = description.field(name)?.input ?? .text
            switch input {
            case _ where field.kind == FormField.Kind.checkboxes.rawValue, .choices, .people, .imagery:
                object[name] = .array(form.all(name).map(JSONValue.string))
            case .list:
                object[name] = .array((form[name] ?? "").split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) }
                    .filter { $0 != .string("") })
            case .yesNo, .filledYesNo:
                if let value = form[name] { object[name] = .bool(value == "yes") }
            default:
                if let value = form[name] { object[name] = .string(value) }
            }
        }
        return JSONValue.object(object).data
    }

    func recordForm(req: Request) async throws -> Response {
        let (identity, record) = try await leadCase(req)
        guard let kind = req.parameter(.kind).flatMap(RecordKind.init(rawValue:)) else { throw APIError.notFound("page") }
        let page = try await recordPage(req, identity, record, kind: kind)
        try await auditRead(req, record, "record.\(kind.rawValue)")
        return try await renderForm(req, page)
    }

    func saveRecord(req: Request) async throws -> Response {
        let form = PostedForm(req)
        let (identity, record) = try await leadCase(req, posted: form)
        guard let kind = req.parameter(.kind).flatMap(RecordKind.init(rawValue:)) else { throw APIError.notFound("page") }
        let page = try await recordPage(req, identity, record, kind: kind)
        // Every required field left blank is named at once, not one per try (the strict decoding stops at the first).
        let blank = Self.blankRequired(kind: kind, fields: page.fields, form: form,
                                       optional: kind == .crimeRecord && CrimeRecord.mayNameNoOffence(in: record.facts.jurisdiction) ? ["offences"] : [])
        if !blank.isEmpty {
            return try await renderForm(req, page, errors: blank, keeping: form)
        }
        let result = try await attempt(page.fields) { () -> RecordResultDTO in
            let data = try Self.recordJSON(kind: kind, fields: page.fields, form: form)
            let parsed = try ResponseController.decodeRecord(data)
            let records = req.recordService(assessor)
            let saved = try await req.write { db in try await records.add(parsed, to: record, by: identity, on: db) }
            req.auditRecorded = true
            return saved
        }
        switch result {
        case .success(let saved):
            // The model's names are common nouns ("crime recorded"); an edition's own may be a proper name
            // ("Joint Investigative Interview decision") and keeps its capitals.
            let named = record.guidance.recordNames[kind.rawValue]?.label
            var notice = "Saved: \(named ?? kind.label.lowercased())."
            if !saved.completedActions.isEmpty {
                notice += saved.completedActions.count == 1 ? " 1 action marked done." : " \(saved.completedActions.count) actions marked done."
            }
            for warning in saved.warnings { notice += " " + warning.message }
            if let decisions = saved.decisions, !decisions.isEmpty {
                notice += " What the guidance says now: " + decisions.map { "\(PageWords.decision($0.decision, in: record.guidance)): \(PageWords.value($0.value, of: $0.decision))" }
                    .joined(separator: "; ") + "."
            }
            // A welfare check that found a risk of harm goes on to that child's facts, so that the guidance weighs it
            // (Action 7: an immediate referral): a review found the risk a passing notice, the child's facts and the
            // referral untouched.
            if kind == .welfareCheck, form["concerns"] == "yes", let ref = form["person"],
               let index = record.facts.people.firstIndex(where: { $0.ref == ref }),
               record.facts.people[index].selfHarmRisk != Tri.true, record.facts.people[index].immediateDanger != Tri.true {
                req.flash(notice + " Now say what the risk to \(ref) is below (at risk of harming themselves, or in immediate danger), so that the guidance weighs it.")
                return req.redirect(to: PageRoute.caseQuestions(record.id, .people).path + "#p\(index)-selfHarmRisk-yes", redirectType: .normal)
            }
            req.flash(notice)
            return req.redirect(to: .caseDetail(record.id))
        case .failure(let problem):
            return try await renderForm(req, page, errors: problem.errors, keeping: form)
        }
    }

    // MARK: Proof of deletion

    func proofPage(_ req: Request, _ record: CaseRecord) async throws -> (StoredRecord, DeletionDirection, FormPage) {
        guard let id = req.parameter(.recordID).flatMap(UUID.init(text:)),
              let stored = try await ResponseStore(db: req.db, cipher: req.cipher).records(caseID: record.id).first(where: { $0.id == id }),
              case .deletionDirection(let direction) = stored.record else {
            throw APIError.notFound("record")
        }
        let page = FormPage(title: "Record proof of deletion", caption: caseCaption(record),
                            intro: ["Proof that \(direction.holder) deleted the copies, as directed on \(Words.day(direction.directedOn)) by \(direction.directedBy)\(record.guidance.inBrackets(.deletion))."],
                            action: PageRoute.caseDeletionProof(record.id, stored.id).path, csrf: req.pageCSRFToken(),
                            fields: [.date("deletedOn", "When the copies were deleted", value: Self.today()),
                                     .textarea("proof", "How it was proved", value: direction.proof ?? ""),
                                     .text("verifiedBy", "Who saw the proof", value: direction.verifiedBy ?? ""),
                                     .hidden("revision", "\(stored.revision)")],
                            submitLabel: "Save the proof", backHref: PageRoute.caseDetail(record.id).path)
        return (stored, direction, page)
    }

    func deletionProofForm(req: Request) async throws -> Response {
        let (_, record) = try await leadCase(req)
        let (_, _, page) = try await proofPage(req, record)
        try await auditRead(req, record, "deletionProof")
        return try await renderForm(req, page)
    }

    func saveDeletionProof(req: Request) async throws -> Response {
        let form = PostedForm(req)
        let (identity, record) = try await leadCase(req, posted: form)
        let (stored, direction, page) = try await proofPage(req, record)
        guard let revision = form["revision"].flatMap(Int.init) else { throw APIError.badRequest("the form has no revision", field: "revision") }
        var object = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(ResponseRecord.deletionDirection(direction)))) as? [String: Any] ?? [:]
        for name in ["deletedOn", "proof", "verifiedBy"] { object[name] = form[name] }
        let result = try await attempt(page.fields) { () -> RecordResultDTO in
            let parsed = try ResponseController.decodeRecord(try JSONSerialization.data(withJSONObject: object), prefix: "record")
            return try await response.replaceRecord(req, identity, record, recordID: stored.id, revision: revision, record: parsed)
        }
        switch result {
        case .success:
            req.flash("Proof of deletion by \(direction.holder) saved.")
            return req.redirect(to: .caseDetail(record.id))
        case .failure(let problem):
            return try await renderForm(req, page, errors: problem.errors, keeping: form)
        }
    }

    // MARK: Adding a device

    func devicePage(_ req: Request, _ record: CaseRecord) -> FormPage {
        let people = Self.personOptions(record.facts)
        return FormPage(title: "Add a device", caption: caseCaption(record),
                        intro: ["Record the device by who owns it and whose imagery it holds. Never look at what is on it."],
                        action: PageRoute.caseNewDevice(record.id).path, csrf: req.pageCSRFToken(),
                        fields: [.choice(.radios, "owner", "Who owns it?", options: people + [("", "Not known yet")]),
                                 .choice(.checkboxes, "containsImageryOf", "Whose imagery does it hold?", hint: "Leave all unticked if not known yet",
                                         options: people),
                                 .hidden("version", "\(record.version)")],
                        submitLabel: "Add the device", backHref: PageRoute.caseDetail(record.id).path)
    }

    func newDeviceForm(req: Request) async throws -> Response {
        let (_, record) = try await leadCase(req)
        try await auditRead(req, record, "newDevice")
        return try await renderForm(req, devicePage(req, record))
    }

    func addDevice(req: Request) async throws -> Response {
        let form = PostedForm(req)
        let (identity, record) = try await leadCase(req, posted: form)
        guard let version = form["version"].flatMap(Int.init) else { throw APIError.badRequest("the form has no version", field: "version") }
        var facts = record.facts
        let taken = Set(facts.devices.map(\.ref))
        let ref = (1...).lazy.map { "D\($0)" }.first { !taken.contains($0) }!
        facts.devices.append(Device(ref: ref, owner: form["owner"], seized: .unknown, containsImageryOf: form.all("containsImageryOf")))
        let page = devicePage(req, record)
        switch try await attempt(page.fields, { try await api.replaceFacts(req, identity, record, version: version, facts: facts) }) {
        case .success:
            req.flash("Device \(ref) added.")
            return req.redirect(to: PageRoute.caseDetail(record.id).path + "#custody", redirectType: .normal)
        case .failure(let problem):
            return try await renderForm(req, page, errors: problem.errors, keeping: form)
        }
    }

    // MARK: Documents

    func showDocument(req: Request) async throws -> Response {
        let (identity, record) = try await leadCase(req)
        guard let kind = req.parameter(.document).flatMap(CaseDocumentKind.init(rawValue:)) else { throw APIError.notFound("document") }
        let caseHref = PageRoute.caseDetail(record.id).path
        let page: DocumentPage
        switch kind {
        case .informationSheet:
            let sheet = try await response.informationSheet(req, identity, record)
            page = DocumentPage(title: "Information for you and your family", reference: record.reference,
                                sections: sheet.sections.filter { !$0.lines.isEmpty }, caseHref: caseHref, kind: kind.rawValue)
        case .childContactForm:
            let form = try await response.childContactForm(req, identity, record)
            page = DocumentPage(title: form.title, reference: form.reference, sections: form.sections, caseHref: caseHref, kind: kind.rawValue)
        case .caseRecord:
            // The whole written record is an export of the case.
            try req.requireStepUp(identity, why: "printing the written record of a case")
            let document = try await response.caseRecordDocument(req, identity, record)
            page = DocumentPage(title: document.title, reference: document.reference, sections: document.sections, caseHref: caseHref, kind: kind.rawValue)
        }
        return try await req.renderPage(page)
    }

    /// What the case holds about one person, to print for a subject access request.
    func showSubjectAccess(req: Request) async throws -> Response {
        let (identity, record) = try await leadCase(req)
        let ref = req.parameter(.ref) ?? ""
        let document = try await response.subjectAccessDocument(req, identity, record, ref: ref)
        return try await req.renderPage(DocumentPage(title: document.title, reference: document.reference, sections: document.sections,
                                                     caseHref: PageRoute.caseDetail(record.id).path, kind: "subject-access"))
    }

    // MARK: The Outcome 21 letter

    /// Whether the case's latest assessment rules Outcome 21 out (facts recorded after its approval, say).
    static func outcome21NowExcluded(_ req: Request, _ record: CaseRecord) async throws -> Bool {
        try await CaseStore(db: req.db, cipher: req.cipher).latestAssessment(caseID: record.id)?.assessment.decisions.outcome21 == .excluded
    }

    func letterPage(_ req: Request, _ record: CaseRecord, _ response: CaseResponse, nowExcluded: Bool = false) -> FormPage {
        let depicted = record.facts.people.filter { $0.roles.contains(.depicted) }.map(\.ref)
        var page = FormPage(title: "The Outcome 21 letter", caption: caseCaption(record),
                            intro: ["The family's written record that no further police action will be taken\(record.guidance.inBrackets(.outcome21Letter)). "
                                    + "The names you give are printed on the letter and never stored."],
                            action: PageRoute.caseLetter(record.id).path, csrf: req.pageCSRFToken(),
                            fields: [
                                .choice(.radios, "to", "Who is the letter to?", options: [("youngPerson", "The young person"), ("parent", "A parent or carer")], inline: true),
                                .choice(.radios, "person", "Which young person is it about?", options: Self.personOptions(record.facts),
                                        selected: depicted.count == 1 ? depicted : []),
                                .text("name", "Name of the person the letter is to", hint: "Printed, never stored"),
                                .text("childName", "The young person's name, for a letter to a parent or carer", hint: "Printed, never stored"),
                                .text("phone", "Your phone number for the family", hint: "Optional: without it the letter gives your email address"),
                            ],
                            submitLabel: "Show the letter to print", backHref: PageRoute.caseDetail(record.id).path)
        if !response.outcome21Approved {
            page.showForm = false
            page.warning = "Outcome 21 has not been approved by a supervisor on this case, so there is no letter to write yet\(record.guidance.inBrackets(.outcome21Review))."
        } else if nowExcluded {
            page.showForm = false
            page.warning = "Outcome 21 was approved, but the facts recorded since rule it out\(record.guidance.inBrackets(.outcome21Criteria)): reconsider the outcome. No Outcome 21 letter can be given."
            page.backHref = PageRoute.caseRecordForm(record.id, .outcome).path
            page.backLabel = "Record an outcome"
        } else if response.crimeRecord == nil {
            page.showForm = false
            page.warning = "Record the crime first: the letter quotes the crime type and reference\(record.guidance.inBrackets(.recordCrime))."
            page.backHref = PageRoute.caseRecordForm(record.id, .crimeRecord).path
            page.backLabel = "Record the crime"
        }
        return page
    }

    func letterForm(req: Request) async throws -> Response {
        let (_, record) = try await leadCase(req)
        guard record.facts.setting == .police else { throw APIError.notFound("page") }
        let page = letterPage(req, record, try await loadResponse(req, record), nowExcluded: try await Self.outcome21NowExcluded(req, record))
        try await auditRead(req, record, "letter")
        return try await renderForm(req, page)
    }

    /// The printable letter, shown straight from the form: it holds names that are never stored, so it is not
    /// saved anywhere to redirect to.
    func printLetter(req: Request) async throws -> Response {
        let form = PostedForm(req)
        let (identity, record) = try await leadCase(req, posted: form)
        guard record.facts.setting == .police else { throw APIError.notFound("page") }
        let state = try await loadResponse(req, record)
        let page = letterPage(req, record, state, nowExcluded: try await Self.outcome21NowExcluded(req, record))
        guard page.showForm else { return try await req.renderPage(page, status: .conflict) }
        var errors: [FieldError] = []
        let to = form["to"].flatMap(OutcomeLetterRequest.To.init(rawValue:))
        if to == nil { errors.append(FieldError(field: "to", message: "Select who the letter is to")) }
        if form["person"] == nil { errors.append(FieldError(field: "person", message: "Select the young person the letter is about")) }
        if form["name"] == nil { errors.append(FieldError(field: "name", message: "Enter the name of the person the letter is to")) }
        if to == .parent && form["childName"] == nil {
            errors.append(FieldError(field: "childName", message: "Enter the young person's name: a letter to a parent names the child"))
        }
        guard errors.isEmpty, let to else { return try await renderForm(req, page, errors: errors, keeping: form) }
        let body = OutcomeLetterRequest(to: to, person: form["person"] ?? "", name: form["name"] ?? "",
                                        childName: to == .parent ? form["childName"] : nil, phone: form["phone"], format: nil)
        switch try await attempt(page.fields, { try await response.outcome21LetterText(req, identity, record, body) }) {
        case .success(let letter):
            var document = DocumentPage(title: "Written record: no further police action", reference: state.crimeRecord?.crimeReference ?? record.reference,
                                        paragraphs: letter.paragraphs, caseHref: PageRoute.caseDetail(record.id).path, kind: "letter",
                                        letterhead: letter.letterhead, signature: letter.signature)
            // Giving it to the family is its own step, recorded as what was explained, by letter.
            document.nextHref = PageRoute.caseRecordForm(record.id, .communication).path + "?letter=\(to.rawValue)&person=\(body.person)"
            document.nextLabel = "Record that you gave this letter to the family"
            document.hasNext = true
            return try await req.renderPage(document)
        case .failure(let problem):
            return try await renderForm(req, page, errors: problem.errors, keeping: form)
        }
    }

    // MARK: Referral to the police (school → force)

    func referralPage(_ req: Request, _ identity: Identity, _ record: CaseRecord) async throws -> FormPage {
        guard identity.user.role == .dsl, record.facts.setting == .education else {
            throw APIError.forbidden("the \(identity.organisation.jurisdiction.schoolLead) refers a case to the police")
        }
        let forces = try await AccountStore(db: req.db).organisations().filter { $0.kind == .police }
        let facts = record.facts
        var share: [String] = []
        if !facts.people.isEmpty { share.append("people") }
        if !facts.imagery.isEmpty { share.append("imagery") }
        share.append("circumstances")
        if !facts.devices.isEmpty { share.append("devices") }
        let local = forces.filter { $0.jurisdiction == identity.organisation.jurisdiction }.map { $0.id.uuidString }
        return FormPage(title: "Refer the case to the police", caption: caseCaption(record),
                        intro: ["The force gets a new case holding only what you choose to share, linked to yours. You both see its status."],
                        action: PageRoute.caseReferral(record.id).path, csrf: req.pageCSRFToken(),
                        fields: [
                            .choice(.radios, "toOrganisationID", "Which police force?",
                                    options: forces.map { f in
                                        (f.id.uuidString, f.name.contains(f.jurisdiction.displayName) ? f.name : "\(f.name) (\(f.jurisdiction.displayName))")
                                    },
                                    selected: local.count == 1 ? local : []),
                            // The case's summary whole, never cut without a word: a cut one had gone to a force
                            // ending mid-word. One too long says so, and the server refuses it until shortened.
                            .textarea("summary", "What happened, for the force",
                                      hint: "No names: use the letters A, B and so on."
                                          + (record.summary.count > ReferralService.summaryLimit
                                             ? " This is the concern's summary, \(record.summary.count) characters: shorten it to \(ReferralService.summaryLimit) or fewer." : ""),
                                      value: record.summary, limit: ReferralService.summaryLimit),
                            .choice(.checkboxes, "share", "What to share", hint: "Share only what the force needs",
                                    options: ReferralService.sections.map { ($0.key, $0.offer) },
                                    selected: share),
                            .textarea("note", "Anything else the force should know", hint: "Optional"),
                        ],
                        submitLabel: "Send the referral", backHref: PageRoute.caseDetail(record.id).path)
    }

    func referralForm(req: Request) async throws -> Response {
        let (identity, record) = try await leadCase(req)
        let page = try await referralPage(req, identity, record)
        try await auditRead(req, record, "referral")
        return try await renderForm(req, page)
    }

    func sendReferral(req: Request) async throws -> Response {
        let form = PostedForm(req)
        let (identity, record) = try await leadCase(req, posted: form)
        let page = try await referralPage(req, identity, record)
        guard let force = form["toOrganisationID"].flatMap(UUID.init(text:)) else {
            return try await renderForm(req, page, errors: [FieldError(field: "toOrganisationID", message: "Select the police force")], keeping: form)
        }
        let body = ReferralCreateRequest(toOrganisationID: force, summary: form["summary"] ?? "", share: form.all("share"), note: form["note"])
        switch try await attempt(page.fields, { try await response.sendReferral(req, identity, record, body) }) {
        case .success(let referral):
            req.flash("Referred to \(referral.toOrganisation). The force's case holds only what you shared; its answer will show here.")
            return req.redirect(to: .caseDetail(record.id))
        case .failure(let problem):
            return try await renderForm(req, page, errors: problem.errors, keeping: form)
        }
    }

    func referralAnswerPage(_ req: Request, _ record: CaseRecord) async throws -> (PoliceReferral, FormPage) {
        let referral = try await response.referral(req, of: record.id, at: .receivingCase)
        let dto = try await response.referralDTO(referral, on: record.id, db: req.db)
        var page = FormPage(title: "Answer the referral from \(dto.fromOrganisation)", caption: caseCaption(record),
                            rows: [SummaryRow(label: "Sent by", value: dto.sentBy.map { "\($0.name), \($0.role), \(dto.fromOrganisation) (\($0.email))" } ?? dto.fromOrganisation),
                                   SummaryRow(label: "Sent", value: PageWords.date(dto.createdAt)),
                                   SummaryRow(label: "Risk", value: dto.risk.isEmpty ? "Nothing urgent was flagged by the school's assessment" : dto.risk.joined(separator: " ")),
                                   SummaryRow(label: "What happened", value: dto.summary),
                                   SummaryRow(label: "Shared", value: ReferralService.sharedInWords(dto.sharedSections)),
                                   SummaryRow(label: "Note", value: dto.note ?? "None"),
                                   SummaryRow(label: "Status", value: CaseResponseView.referralStatus(dto.status))],
                            action: PageRoute.caseReferralAnswer(record.id, referral.id).path, csrf: req.pageCSRFToken(),
                            fields: [.choice(.radios, "status", "Your answer", options: [("accepted", "Accept: we take the case on"), ("declined", "Decline")]),
                                     .textarea("reason", "Your reason", hint: "Needed to decline: the school sees it")],
                            submitLabel: "Send the answer", backHref: PageRoute.caseDetail(record.id).path)
        if referral.status != .sent {
            page.showForm = false
            page.inset = "This referral has been answered."
        }
        return (referral, page)
    }

    func referralAnswerForm(req: Request) async throws -> Response {
        let (_, record) = try await leadCase(req)
        let (_, page) = try await referralAnswerPage(req, record)
        try await auditRead(req, record, "referralAnswer")
        return try await renderForm(req, page)
    }

    func answerReferral(req: Request) async throws -> Response {
        let form = PostedForm(req)
        let (identity, record) = try await leadCase(req, posted: form)
        let (referral, page) = try await referralAnswerPage(req, record)
        guard let status = form["status"].flatMap(ReferralStatus.init(rawValue:)), status != .sent else {
            return try await renderForm(req, page, errors: [FieldError(field: "status", message: "Select accept or decline")], keeping: form)
        }
        let body = ReferralResponseRequest(status: status, reason: form["reason"])
        switch try await attempt(page.fields, { try await response.answerReferral(req, identity, record, referral, body) }) {
        case .success:
            req.flash(status == .accepted ? "Referral accepted. The school can see that you took it on." : "Referral declined. The school sees your reason.")
            return req.redirect(to: .caseDetail(record.id))
        case .failure(let problem):
            return try await renderForm(req, page, errors: problem.errors, keeping: form)
        }
    }

    /// The school's page to withdraw a referral its force has not answered.
    func referralWithdrawPage(_ req: Request, _ record: CaseRecord) async throws -> (PoliceReferral, FormPage) {
        let referral = try await response.referral(req, of: record.id, at: .sendingCase)
        let dto = try await response.referralDTO(referral, on: record.id, db: req.db)
        var page = FormPage(title: "Withdraw the referral to \(dto.toOrganisation)", caption: caseCaption(record),
                            rows: [SummaryRow(label: "Sent", value: PageWords.date(dto.createdAt)),
                                   SummaryRow(label: "What happened", value: dto.summary),
                                   SummaryRow(label: "Status", value: CaseResponseView.referralStatus(dto.status))],
                            action: PageRoute.caseReferralWithdraw(record.id, referral.id).path, csrf: req.pageCSRFToken(),
                            fields: [.textarea("reason", "Why you are withdrawing it",
                                               hint: "The force sees this, and the case it opened for them is closed. If it went to the wrong force, refer the case again to the right one.")],
                            submitLabel: "Withdraw the referral", backHref: PageRoute.caseDetail(record.id).path)
        if referral.status != .sent {
            page.showForm = false
            page.inset = referral.status == .withdrawn ? "This referral was withdrawn." : "The force has answered this referral: tell them directly what has changed."
        }
        return (referral, page)
    }

    func referralWithdrawForm(req: Request) async throws -> Response {
        let (identity, record) = try await leadCase(req)
        guard identity.user.role == .dsl else { throw APIError.forbidden("the \(identity.organisation.jurisdiction.schoolLead) withdraws a referral") }
        let (_, page) = try await referralWithdrawPage(req, record)
        try await auditRead(req, record, "referralWithdraw")
        return try await renderForm(req, page)
    }

    func withdrawReferral(req: Request) async throws -> Response {
        let form = PostedForm(req)
        let (identity, record) = try await leadCase(req, posted: form)
        let (referral, page) = try await referralWithdrawPage(req, record)
        switch try await attempt(page.fields, { try await response.withdrawReferral(req, identity, record, referral, reason: form["reason"]) }) {
        case .success:
            req.flash("Referral withdrawn. The force sees your reason, and the case it opened for them is closed.")
            return req.redirect(to: .caseDetail(record.id))
        case .failure(let problem):
            return try await renderForm(req, page, errors: problem.errors, keeping: form)
        }
    }
}
