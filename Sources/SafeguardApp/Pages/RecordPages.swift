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
    /// The record kinds with a page, and what each page is called.
    static let recordPages: [RecordKind: String] = [
        .crimeRecord: "Record the crime",
        .outcome: "Record the outcome",
        .deletionDirection: "Direct the deletion of copies",
        .deviceCustody: "Record a device custody step",
        .triage: "Triage: the six questions",
        .parentsInformed: "Parents or carers",
        .welfareCheck: "Record a welfare check",
        .advice: "Record advice given",
        .backgroundCheck: "Record a background check",
        .meeting: "Record a meeting or conversation",
        .childProtectionReferral: "Record a child protection referral",
        .account: "Record an account taken",
        .suspectDecision: "Decide whether to record a suspect",
        .interviewDecision: "Decide on a visually recorded interview",
        .communication: "Record what was explained",
        .contentRemoval: "Request removal of content",
        .caidLiaison: "Record CAID / High-Tech Crime Unit liaison",
        .childContactForm: "Record the child contact with police form",
        .externalReport: "Record a report to 999 or CEOP",
        .conversation: "Record a talk with a young person",
        .supportReferral: "Record a support referral",
        .postIncidentReview: "Record the post-incident review",
    ]

    /// The record pages beyond the ones the case page offers first, in the order the guidance meets them.
    static let moreRecordPages: [RecordKind] = [.welfareCheck, .advice, .backgroundCheck, .meeting, .childProtectionReferral,
                                                .account, .suspectDecision, .interviewDecision, .communication, .contentRemoval,
                                                .caidLiaison, .childContactForm, .externalReport, .conversation, .supportReferral,
                                                .postIncidentReview]

    static func custodyLabel(_ step: CustodyStep) -> String {
        switch step {
        case .leftWithOwner: "Left with its owner"
        case .securedBySchool: "Secured by the school under its own powers"
        case .seized: "Seized by police"
        case .examined: "Examined"
        case .retained: "Retained"
        case .returned: "Returned to its owner"
        case .destroyed: "Destroyed"
        case .confiscated: "Confiscated"
        case .disconnected: "Disconnected from the internet"
        case .switchedOff: "Switched off"
        case .storedSecurely: "Stored securely"
        case .searched: "Searched (only with an immediate risk of harm)"
        case .handedToPolice: "Handed to police"
        }
    }

    static func answerLabel(_ answer: Answer) -> String {
        switch answer {
        case .yes: "Yes"
        case .no: "No"
        case .notKnownYet: "Not known yet"
        }
    }

    /// The form for a kind of record, pre-filled with what the case and the engine already know.
    func recordPage(_ req: Request, _ identity: Identity, _ record: CaseRecord, kind: RecordKind) async throws -> FormPage {
        guard let title = Self.recordPages[kind] else { throw APIError.notFound("page") }
        guard kind.settings.contains(record.facts.setting) else { throw APIError.notFound("page") }
        if kind == .triage && identity.user.role != .dsl { throw APIError.forbidden("the \(identity.organisation.jurisdiction.schoolLead) triages a concern") }
        let facts = record.facts
        let today = Self.today()
        let me = identity.user.displayName
        let people = Self.personOptions(facts)
        let police = facts.setting == .police
        let pack = record.guidance
        var intro: [String] = []
        var fields: [FormField] = []
        var submit = "Save"
        switch kind {
        case .crimeRecord:
            let assessment = try await assessment(req, record)
            let suggested = assessment?.offences.map(\.id) ?? []
            let law = GuidanceLibrary.bundled.law.law(for: facts.jurisdiction)?.offences ?? []
            intro = ["Every report is recorded as a crime\(pack.inBrackets(.recordCrime)). The offences the guidance suggests for what is known are ticked."]
            fields = [
                .text("crimeReference", "Crime reference number", hint: "From your crime recording system"),
                .date("reportedOn", "Date reported", value: today),
                .choice(.checkboxes, "offences", "Offences", options: law.map { ($0.id, $0.description) }, selected: suggested,
                        optionHints: Dictionary(uniqueKeysWithValues: law.map { ($0.id, $0.legislation + ($0.homeOfficeClassification.map { ", Home Office \($0)" } ?? "")) })),
                .textarea("offenceChangeReason", "If you change the offences, say why",
                          hint: "Needed only when they differ from the guidance's suggestion (" + (suggested.isEmpty ? "none" : suggested.joined(separator: ", ")) + ")"),
            ]
            submit = "Record the crime"
        case .outcome:
            let homeOffice = facts.jurisdiction == .england || facts.jurisdiction == .wales
            let codes = OutcomeCode.allCases.filter { homeOffice ? ($0 != .local && $0 != .outcome21) : $0 == .local }
            let national = GuidanceLibrary.bundled.law.law(for: facts.jurisdiction)?.outcomes ?? []
            if homeOffice {
                intro = ["Choose the Home Office outcome code\(pack.inBrackets(.outcomeCodes)). Outcome 21 is not in this list: it is recorded when a supervisor approves a proposal."]
                fields = [.choice(.radios, "code", "Outcome", options: codes.map { ($0.rawValue, "\($0.rawValue): \($0.title)") })]
            } else if national.isEmpty {
                intro = ["Outside England and Wales, record the outcome under your force's own scheme."]
                fields = [.hidden("code", OutcomeCode.local.rawValue), .text("localDescription", "The outcome under your force's scheme")]
            } else {
                intro = ["There is no Outcome 21 in \(facts.jurisdiction.displayName). Choose the outcome, or describe another under your force's scheme."]
                fields = [
                    .hidden("code", OutcomeCode.local.rawValue),
                    .choice(.radios, "nationalOutcome", "Outcome", options: national.map { ($0.id, $0.title) },
                            optionHints: Dictionary(uniqueKeysWithValues: national.map { ($0.id, ($0.ages.map { "For \($0). " } ?? "") + $0.note) })),
                    .text("localDescription", "Or another outcome under your force's scheme", hint: "Only if none of the above fits"),
                ]
            }
            fields += [.date("decidedOn", "Date decided", value: today), .textarea("rationale", "Why this outcome")]
        case .deletionDirection:
            let holders = facts.people.filter { $0.roles.contains(.recipient) || $0.roles.contains(.possessor) }.map(\.ref)
            intro = ["Where the risk is low and no device was seized, direct those holding copies to delete them, and record proof\(pack.inBrackets(.deletion))."]
            fields = [
                .choice(.radios, "holder", "Who holds copies?", options: people, selected: holders.count == 1 ? holders : []),
                .date("directedOn", "Date of the direction", value: today),
                .text("directedBy", "Who gave the direction", value: me),
                .date("deletedOn", "If the deletion is already proved: when", hint: "Leave empty until you have proof", value: ""),
                .textarea("proof", "How it was proved", hint: "For example: the holder showed the officer the chat and the deleted items folder"),
                .text("verifiedBy", "Who saw the proof"),
            ]
        case .deviceCustody:
            let devices = facts.devices.map { d in (d.ref, "\(d.ref)" + (d.owner.map { ", owned by \($0)" } ?? "")) }
            if devices.isEmpty {
                var page = FormPage(title: title, caption: caseCaption(record), intro: ["No devices are recorded on this case yet. Add the device first."],
                                    action: "", csrf: req.pageCSRFToken(), fields: [], submitLabel: "", showForm: false,
                                    backHref: PageRoute.caseNewDevice(record.id).path, backLabel: "Add a device")
                page.inset = "Never look at, copy or send on any image on a device."
                return page
            }
            let steps = CustodyStep.allCases.filter { $0.setting == nil || $0.setting == facts.setting }
            intro = ["One step of the device's custody chain. Decisions to leave, seize, retain, return or destroy need your National Decision Model rationale."]
            fields = [
                .choice(.radios, "device", "Which device?", options: devices, selected: [req.query[String.self, at: "device"] ?? (devices.count == 1 ? devices[0].0 : "")]),
                .choice(.radios, "step", "What happened to it?", options: steps.map { ($0.rawValue, Self.custodyLabel($0)) }),
                .date("on", "Date", value: today),
                .text("by", "By whom", hint: "A name or collar number", value: me),
            ]
            if facts.setting == .police {
                fields.append(.choice(.radios, "power", "Power used, for a seizure",
                                      options: [("pace32", "PACE section 32"), ("pace54", "PACE section 54"), ("pace19", "PACE section 19"),
                                                ("consent", "With the owner's consent"), ("warrant", "Under a warrant"), ("other", "Another power")]))
            }
            fields.append(.textarea("rationale", "Why (National Decision Model rationale)"))
            if facts.setting == .education {
                fields.append(.text("where", "Where it is stored", hint: "For a device stored securely"))
                fields.append(.textarea("immediateRiskOfHarm", "The immediate risk of harm that justifies a search",
                                        hint: "A device is searched only where there is an immediate risk of harm (NSPCC)"))
            }
            fields.append(.text("toWhom", "Handed to whom", hint: "For a device handed to police"))
        case .triage:
            let kindNow: ContentKind = switch facts.imagery.first?.kind {
            case .image?, .generated?: .image
            case .video?: .video
            case .message?: .message
            case nil: .notKnownYet
            }
            let ages = facts.people.map(\.age)
            let adults: Answer = ages.contains { ($0 ?? 0) >= 18 } ? .yes : (ages.allSatisfy { $0 != nil } ? .no : .notKnownYet)
            let senders = facts.people.filter { $0.roles.contains(.sender) }.map(\.ref)
            let featured = facts.people.filter { $0.roles.contains(.depicted) }.map(\.ref)
            let answers = Answer.allCases.map { ($0.rawValue, Self.answerLabel($0)) }
            intro = ["Find these out by talking to those involved. Never look at, copy or ask to see an image (NSPCC: gathering information). What the case already says is filled in."]
            fields = [
                .choice(.radios, "content", "Is it an image, a video or a message?",
                        options: [("image", "An image"), ("video", "A video"), ("message", "A message"), ("notKnownYet", "Not known yet")],
                        selected: [kindNow.rawValue]),
                .choice(.checkboxes, "sentBy", "Who sent it?", hint: "Leave all unticked if not known yet", options: people, selected: senders),
                .choice(.checkboxes, "featured", "Who is in it?", hint: "Leave all unticked if not known yet", options: people, selected: featured),
                .choice(.radios, "adultsInvolved", "Are any adults involved?", options: answers, selected: [adults.rawValue], inline: true),
                .choice(.radios, "device", "Was it on an organisational or a personal device?",
                        options: [("organisational", "Organisational (the school's)"), ("personal", "Personal"), ("notKnownYet", "Not known yet")]),
                .choice(.radios, "sharedElsewhere", "Has it been shared further, for example online?", options: answers, inline: true),
                .date("triagedOn", "Date", value: today),
            ]
            submit = "Save the triage"
        case .parentsInformed:
            intro = ["Parents and carers are involved unless that would put the child at risk. If you do not inform them, record the risk."]
            fields = [
                .choice(.radios, "person", "Whose parents or carers?", options: people,
                        selected: facts.people.filter { $0.roles.contains(.depicted) }.prefix(1).map(\.ref)),
                .choice(.radios, "informed", "Were they informed?", options: [("yes", "Yes"), ("no", "No")], inline: true),
                .date("on", "Date", value: today),
                .textarea("reasonNotInformed", "If not, the risk to the child that informing them would pose"),
            ]
        case .welfareCheck:
            intro = ["Check the current and future welfare of each child\(pack.inBrackets(.welfare, .nextSteps)). A risk of harm, such as self-harm, needs an immediate child protection referral."]
            fields = [
                .choice(.radios, "person", "Whose welfare?", options: people),
                .date("checkedOn", "Date", value: today),
                .textarea("result", "What the check found"),
                .choice(.radios, "concerns", "Did it find a risk of harm?", options: [("yes", "Yes"), ("no", "No")], inline: true),
            ]
        case .advice:
            intro = ["Advise so that people are safe and do nothing unlawful, such as keeping a copy of the imagery\(pack.inBrackets(.welfare))."]
            fields = [
                .text("to", "Who was advised?", hint: "A person's letter, or for example \"parents of A\""),
                .date("givenOn", "Date", value: today),
                .choice(.checkboxes, "topics", "What advice was given?", options: [
                    ("notToCopy", "Not to copy, keep or pass on the imagery"), ("deleteImagery", "To delete the imagery"),
                    ("whereToFindSupport", "Where to find support"), ("reportRemove", "How to use Report Remove"),
                    ("nextSteps", "What happens next")]),
                .textarea("note", "Anything else to note", hint: "Optional"),
            ]
        case .backgroundCheck:
            intro = ["Check victims, suspects and locations on police systems and partners' systems, ideally before any meeting or conversation with the family\(pack.inBrackets(.checks))."]
            fields = [
                .choice(.radios, "person", "Which person? (or give a location below)", options: people),
                .text("location", "Or a location", hint: "A short description, no address needed"),
                .choice(.radios, "system", "Which system?", options: [("pnc", "Police National Computer"), ("pnd", "Police National Database"),
                                                                      ("localPoliceSystems", "Local police systems"), ("mash", "MASH"),
                                                                      ("partnerAgency", "A partner agency")]),
                .choice(.radios, "status", "Done or pending?", options: [("done", "Done"), ("pending", "Pending")], inline: true),
                .date("checkedOn", "Date done", value: today),
                .textarea("result", "What it found", hint: "For example: no trace"),
            ]
        case .meeting:
            intro = ["A strategy or multi-agency meeting, or a conversation with a child or family\(pack.inBrackets(.checks, .referral)). Before everyone's background checks are done, give the safeguarding reason to go ahead."]
            fields = [
                .choice(.radios, "meetingKind", "What kind?", options: [("strategyMeeting", "Strategy meeting"), ("multiAgencyMeeting", "Multi-agency meeting"),
                                                                        ("conversationWithFamily", "Conversation with the family"),
                                                                        ("conversationWithChild", "Conversation with the child")]),
                .date("on", "Date (held or planned)", value: today),
                .text("with", "With whom", hint: "Agencies or people's letters, separated by commas"),
                .text("reference", "Reference", hint: "Optional"),
                .textarea("outcome", "What was agreed", hint: "Optional"),
                .textarea("proceedBeforeChecksReason", "If the background checks are not done: the safeguarding reason to go ahead now"),
            ]
        case .childProtectionReferral:
            intro = police ? ["Where significant risks are found, or a child is subject to child protection activity, refer\(pack.inBrackets(.referral))."]
                : ["Refer when any of the five NSPCC criteria applies (NSPCC: when to make a child protection referral)."]
            fields = [
                .text("to", "Referred to", hint: "For example: children's social care, or the MASH"),
                .date("referredOn", "Date", value: today),
                .text("reference", "Reference", hint: "Optional"),
                .choice(.checkboxes, "people", "About whom?", options: people),
            ]
        case .account:
            intro = ["Record who gave an account, when and to whom. Never record what the imagery shows\(pack.inBrackets(.accounts))."]
            fields = [
                .choice(.radios, "person", "Whose account?", options: people),
                .date("takenOn", "Date", value: today),
                .text("takenBy", "Taken by", value: me),
                .textarea("summary", "Notes", hint: "Optional; no description of the imagery"),
            ]
        case .suspectDecision:
            intro = ["There is local discretion not to record a suspect where there is no evidence of intention (mens rea), for example willing participation or an accident\(pack.inBrackets(.accounts))."]
            fields = [
                .choice(.radios, "person", "About whom?", options: people),
                .choice(.radios, "recordAsSuspect", "Record them as a suspect?", options: [("yes", "Yes"), ("no", "No")], inline: true),
                .choice(.radios, "basis", "On what basis?", options: [("mensRea", "Evidence of intention (mens rea)"), ("willingParticipation", "Willing participation"),
                                                                      ("accident", "An accident"), ("lackOfEvidence", "Lack of evidence")]),
                .textarea("rationale", "Your rationale"),
                .date("decidedOn", "Date", value: today),
            ]
        case .interviewDecision:
            intro = ["In higher-risk cases a child may need a visually recorded interview\(pack.inBrackets(.interview))."]
            fields = [
                .choice(.radios, "person", "About whom?", options: people),
                .choice(.radios, "planned", "Is a visually recorded interview planned?", options: [("yes", "Yes"), ("no", "No")], inline: true),
                .textarea("reason", "Why"),
                .date("decidedOn", "Date", value: today),
            ]
        case .communication:
            intro = ["What was explained, to whom and how: next steps\(pack.inBrackets(.nextSteps)), the outcome and what it means, including DBS\(pack.inBrackets(.communicate, .outcome21Letter)). The guidance's DBS explanation for this case's edition is added to the record."]
            fields = [
                .choice(.radios, "audience", "To whom?", options: [("child", "The young person"), ("parentsOrCarers", "Their parents or carers"), ("school", "The school")]),
                .choice(.radios, "person", "About which young person?", options: people),
                .date("on", "Date", value: today),
                .choice(.radios, "method", "How?", options: [("inPerson", "In person"), ("phone", "By phone"), ("letter", "By letter"), ("email", "By email")], inline: true),
                .choice(.checkboxes, "topics", "What was explained?", options: [("nextSteps", "What happens next"), ("outcome", "The outcome"),
                                                                                 ("dbs", "What it means for DBS checks"), ("contactDetails", "The officer's contact details"),
                                                                                 ("support", "Where to find support")]),
                .textarea("note", "Anything else to note", hint: "Optional"),
            ]
        case .contentRemoval:
            let imagery = facts.imagery.map { ($0.ref, "\($0.ref), \($0.kind.rawValue)") }
            intro = ["Ask the service to remove it; where a site has no reporting route, report to the IWF, and young people can use Report Remove\(pack.inBrackets(.removal))."]
            fields = [
                .choice(.radios, "service", "Which service?", options: [("snapchat", "Snapchat"), ("whatsapp", "WhatsApp"), ("instagram", "Instagram"),
                                                                        ("facebook", "Facebook"), ("youtube", "YouTube"), ("tiktok", "TikTok"),
                                                                        ("google", "Google"), ("iwf", "Internet Watch Foundation"),
                                                                        ("reportRemove", "Report Remove (Childline and IWF)"), ("other", "Another service")]),
                .text("serviceName", "If another service, its name"),
                .choice(.checkboxes, "imagery", "Which imagery?", options: imagery),
                .date("requestedOn", "Date requested", value: today),
                .text("reference", "Reference", hint: "Optional"),
                .choice(.radios, "status", "Status", options: [("requested", "Requested"), ("acknowledged", "Acknowledged"), ("removed", "Removed"),
                                                               ("refused", "Refused"), ("noResponse", "No response")], selected: ["requested"]),
            ]
        case .caidLiaison:
            let imagery = facts.imagery.map { ($0.ref, "\($0.ref), \($0.kind.rawValue)") }
            intro = ["Imagery shared beyond a child's control is added to the Child Abuse Image Database through your High-Tech Crime Unit\(pack.inBrackets(.caid))."]
            fields = [
                .text("unit", "High-Tech Crime Unit"),
                .date("on", "Date", value: today),
                .text("reference", "Reference", hint: "Optional"),
                .choice(.radios, "status", "Status", options: [("requested", "Requested"), ("addedToCAID", "Added to CAID"), ("notSuitable", "Not suitable")],
                        selected: ["requested"]),
                .choice(.checkboxes, "imagery", "Which imagery?", options: imagery),
            ]
        case .childContactForm:
            intro = ["Raise a child contact with police form so partners know of the incident\(pack.inBrackets(.contactForm)). You can print the form from the case page."]
            fields = [
                .date("raisedOn", "Date raised", value: today),
                .text("sharedWith", "Shared with", hint: "Partners, separated by commas, for example: children's social care, the school"),
                .text("reference", "Reference", hint: "Optional"),
            ]
        case .externalReport:
            intro = ["Call 999 if a child is in immediate danger; report to CEOP if a child may have been groomed or sexually abused online (NSPCC: reporting)."]
            fields = [
                .choice(.radios, "to", "Reported to", options: [("police999", "The police on 999"), ("ceop", "CEOP"),
                                                                ("nspccHelpline", "The NSPCC Helpline"), ("localChildProtection", "Local child protection services")]),
                .date("on", "Date", value: today),
                .text("reference", "Reference", hint: "Optional"),
            ]
        case .conversation:
            intro = ["Talk to each young person involved: what happened, how they feel and what support they need (NSPCC: talking to a young person)."]
            fields = [
                .choice(.radios, "person", "With whom?", options: people),
                .date("on", "Date", value: today),
                .text("by", "Who talked with them", value: me),
                .textarea("supportNeeded", "The support they need", hint: "Optional"),
            ]
        case .supportReferral:
            intro = ["Everyone involved should get ongoing support; a counselling or therapeutic referral may help (NSPCC: supporting children and young people)."]
            fields = [
                .choice(.radios, "person", "For whom?", options: people),
                .choice(.radios, "service", "To what service?", options: [("counselling", "Counselling"), ("therapeutic", "Therapeutic support"),
                                                                          ("harmfulSexualBehaviour", "Harmful sexual behaviour support"), ("other", "Another service")]),
                .text("serviceName", "If another service, its name"),
                .date("referredOn", "Date", value: today),
            ]
        case .postIncidentReview:
            intro = ["Review what happened and how it was dealt with, to learn and improve procedures, and set a date to review the policy (NSPCC: recording and reviewing)."]
            fields = [
                .date("reviewedOn", "Date of the review", value: today),
                .textarea("whatHappened", "What happened and how it was dealt with"),
                .textarea("learned", "What was learned"),
                .date("policyReviewBy", "Review the sharing nudes policy by", value: ""),
            ]
        default:
            throw APIError.notFound("page")
        }
        return FormPage(title: title, caption: caseCaption(record), intro: intro, action: PageRoute.caseRecordForm(record.id, kind).path,
                        csrf: req.pageCSRFToken(), fields: fields, submitLabel: submit, backHref: PageRoute.caseDetail(record.id).path)
    }

    /// The record as the API's JSON: one key per field, blank fields left out so the rules say what is required.
    static func recordJSON(kind: RecordKind, fields: [FormField], form: PostedForm) -> [String: Any] {
        var object: [String: Any] = ["kind": kind.rawValue]
        let lists: Set<String> = ["offences", "sentBy", "featured", "topics", "people", "imagery"]
        let commaLists: Set<String> = ["with", "sharedWith"]
        let bools: Set<String> = ["informed", "concerns", "recordAsSuspect", "planned"]
        for field in fields {
            let name = field.name
            if lists.contains(name) {
                object[name] = form.all(name)
            } else if commaLists.contains(name) {
                object[name] = (form[name] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            } else if let value = form[name] {
                object[name] = bools.contains(name) ? (value == "yes") as Any : value
            }
        }
        return object
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
        let object = Self.recordJSON(kind: kind, fields: page.fields, form: form)
        let result = try await attempt(page.fields) { () -> RecordResultDTO in
            let data = try JSONSerialization.data(withJSONObject: object)
            let parsed = try ResponseController.decodeRecord(data)
            return try await req.write { db in
                try await ResponseController.apply(parsed, to: record, req: req, db: db, assessor: assessor)
            }
        }
        switch result {
        case .success(let saved):
            var notice = "Saved: \(kind.label.lowercased())."
            if !saved.completedActions.isEmpty { notice += " \(saved.completedActions.count) action(s) marked done." }
            for warning in saved.warnings { notice += " " + warning.message }
            if let decisions = saved.decisions, !decisions.isEmpty {
                notice += " What the guidance says now: " + decisions.map { "\(PageWords.decision($0.decision)): \(PageWords.value($0.value, of: $0.decision))" }
                    .joined(separator: "; ") + "."
            }
            req.flash(notice)
            return req.redirect(to: .caseDetail(record.id))
        case .failure(let problem):
            return try await renderForm(req, page, errors: problem.errors, keeping: form)
        }
    }

    // MARK: Proof of deletion

    func proofPage(_ req: Request, _ record: CaseRecord) async throws -> (StoredRecord, DeletionDirection, FormPage) {
        guard let id = req.parameter(.recordID).flatMap(UUID.init(uuidString:)),
              let stored = try await ResponseStore(db: req.db).records(caseID: record.id).first(where: { $0.id == id }),
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

    // MARK: The Outcome 21 letter

    func letterPage(_ req: Request, _ record: CaseRecord, _ response: CaseResponse) -> FormPage {
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
        let page = letterPage(req, record, try await loadResponse(req, record))
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
        let page = letterPage(req, record, state)
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
            let document = DocumentPage(title: "Written record: no further police action", reference: state.crimeRecord?.crimeReference ?? record.reference,
                                        paragraphs: letter.paragraphs, caseHref: PageRoute.caseDetail(record.id).path, kind: "letter")
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
                            .textarea("summary", "What happened, for the force", hint: "Up to 400 characters. No names: use the letters A, B and so on.",
                                      value: String(record.summary.prefix(400))),
                            .choice(.checkboxes, "share", "What to share", hint: "Share only what the force needs",
                                    options: [("people", "The young people: ages and welfare facts, by letter"), ("imagery", "Facts about the imagery (never the imagery)"),
                                              ("circumstances", "How it happened and any signs of harm"), ("devices", "Devices")],
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
        guard let force = form["toOrganisationID"].flatMap(UUID.init(uuidString:)) else {
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
        guard let id = req.parameter(.referralID).flatMap(UUID.init(uuidString:)),
              let referral = try await ResponseStore(db: req.db).referral(id: id), referral.toCaseID == record.id else {
            throw APIError.notFound("referral")
        }
        let dto = try await response.referralDTO(referral, on: record.id, db: req.db)
        var page = FormPage(title: "Answer the referral from \(dto.fromOrganisation)", caption: caseCaption(record),
                            rows: [SummaryRow(label: "What happened", value: dto.summary),
                                   SummaryRow(label: "Shared", value: dto.sharedSections.isEmpty ? "The summary only" : dto.sharedSections.joined(separator: ", ")),
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
}
