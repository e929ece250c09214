import Foundation
import SafeguardCore
import SafeguardPersistence

/// The documents a case page links to, by their name in the path.
enum CaseDocumentKind: String, CaseIterable, Sendable {
    case informationSheet = "information-sheet"
    case childContactForm = "child-contact-form"
    case caseRecord = "case-record"

    var label: String {
        switch self {
        case .informationSheet: "Information sheet for the family"
        case .childContactForm: "Child contact with police form"
        case .caseRecord: "Written record of the case"
        }
    }
}

/// Everything recorded in response to a case, as the stores hold it.
struct CaseResponse: Sendable {
    var records: [StoredRecord]
    var signOffs: [SignOff]
    var referrals: [ReferralDTO]
    var chronology: [CaseEvent]

    var plainRecords: [ResponseRecord] { records.map(\.record) }
    /// Whether Outcome 21 is still the case's outcome: approved, and no other outcome recorded since.
    var outcome21Stands: Bool {
        guard outcome21Approved else { return false }
        let last = plainRecords.compactMap { r -> OutcomeRecord? in if case .outcome(let o) = r { return o } else { return nil } }.last
        return last == nil || last?.code == .outcome21
    }

    /// The latest proposal of Outcome 21, which says where the process stands.
    var latestOutcome21: SignOff? { signOffs.filter { $0.proposal.kind == .outcome21 }.max { $0.proposedAt < $1.proposedAt } }
    var outcome21Approved: Bool { signOffs.contains { $0.proposal.kind == .outcome21 && $0.status == .approved } }

    func latestReturn(of device: String) -> SignOff? {
        signOffs.filter { $0.proposal.kind == .deviceReturn && $0.proposal.subject == device }.max { $0.proposedAt < $1.proposedAt }
    }

    var crimeRecord: CrimeRecord? {
        plainRecords.compactMap { r -> CrimeRecord? in if case .crimeRecord(let c) = r { return c } else { return nil } }.last
    }
}

struct BannerView: Encodable, Sendable {
    var title: String
    var lines: [String]
    var returned: Bool
    var linkLabel: String
    var href: String
    var hasLink: Bool
}

struct LinkItem: Encodable, Sendable {
    var label: String
    var href: String
    var hint: String
    var hasHint: Bool

    init(_ label: String, _ route: PageRoute, hint: String = "", query: String = "") {
        self.label = label
        href = route.path + query
        self.hint = hint
        hasHint = !hint.isEmpty
    }
}

struct RecordRow: Encodable, Sendable {
    var label: String
    var text: String
    var when: String
    var hasAction: Bool
    var actionLabel: String
    var actionHref: String
}

struct CustodyView: Encodable, Sendable {
    var device: String
    var state: String
    var steps: [String]
    var hasSteps: Bool
    var links: [LinkItem]
    var hasLinks: Bool
}

struct SignOffRow: Encodable, Sendable {
    var label: String
    var status: String
    var proposed: String
    var rationale: String
    var review: String
    var hasReview: Bool
    var href: String
    var hasHref: Bool
}

struct ReferralRow: Encodable, Sendable {
    var heading: String
    var status: String
    var summary: String
    var shared: String
    var reason: String
    var hasReason: Bool
    var href: String
    var hasHref: Bool
    /// The school's DSL may withdraw a referral the force has not answered.
    var withdrawHref: String
    var hasWithdrawHref: Bool
}

struct EventRow: Encodable, Sendable {
    var at: String
    var who: String
    var summary: String
}

/// The response half of the case page: what blocks the process, what can be recorded next, the records, devices with
/// their custody chain, sign-offs, referrals, documents and the chronology (newest last).
struct CaseResponseView: Encodable, Sendable {
    var banners: [BannerView] = []
    var respond: [LinkItem] = []
    var outcome21Note: String = ""
    var records: [RecordRow] = []
    var custody: [CustodyView] = []
    var signOffs: [SignOffRow] = []
    var referrals: [ReferralRow] = []
    var documents: [LinkItem] = []
    var chronology: [EventRow] = []
    /// What closing the case would leave behind besides open must-dos, said beside the close form: a device still
    /// held, a referral with no answer, a sign-off waiting for review (a review closed a case with a phone still in a
    /// school's safe, and nothing said so).
    var closingCautions: [String] = []

    enum CodingKeys: String, CodingKey {
        case banners, respond, outcome21Note, records, custody, signOffs, referrals, documents, chronology, closingCautions, hasClosingCautions, hasBanners, hasRespond,
             hasOutcome21Note, hasRecords, hasCustody, hasSignOffs, hasReferrals, hasDocuments, hasChronology, recordCount, chronologyCount
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(banners, forKey: .banners)
        try c.encode(respond, forKey: .respond)
        try c.encode(outcome21Note, forKey: .outcome21Note)
        try c.encode(records, forKey: .records)
        try c.encode(custody, forKey: .custody)
        try c.encode(signOffs, forKey: .signOffs)
        try c.encode(referrals, forKey: .referrals)
        try c.encode(documents, forKey: .documents)
        try c.encode(chronology, forKey: .chronology)
        try c.encode(closingCautions, forKey: .closingCautions)
        try c.encode(!closingCautions.isEmpty, forKey: .hasClosingCautions)
        try c.encode(!banners.isEmpty, forKey: .hasBanners)
        try c.encode(!respond.isEmpty, forKey: .hasRespond)
        try c.encode(!outcome21Note.isEmpty, forKey: .hasOutcome21Note)
        try c.encode(!records.isEmpty, forKey: .hasRecords)
        try c.encode(!custody.isEmpty, forKey: .hasCustody)
        try c.encode(!signOffs.isEmpty, forKey: .hasSignOffs)
        try c.encode(!referrals.isEmpty, forKey: .hasReferrals)
        try c.encode(!documents.isEmpty, forKey: .hasDocuments)
        try c.encode(!chronology.isEmpty, forKey: .hasChronology)
        // The folded sections say how much is in them (issue 11, point 7).
        // The folded lists' summaries, counted as a person writes them: "Show the record", "Show the 2 records, oldest
        // first" (not "Show the 1 entries").
        try c.encode(records.count == 1 ? "Show the record" : "Show the \(records.count.withThousands) records, oldest first", forKey: .recordCount)
        try c.encode(chronology.count == 1 ? "Show the entry" : "Show the \(chronology.count.withThousands) entries, oldest first",
                     forKey: .chronologyCount)
    }

    static func statusLabel(_ status: SignOffStatus) -> String {
        switch status {
        case .pending: "Waiting for review"
        case .approved: "Approved"
        case .refused: "Refused"
        case .withdrawn: "Withdrawn"
        }
    }

    static func custodyLabel(_ state: CustodyState) -> String {
        switch state {
        case .notRecorded: "No custody steps recorded"
        case .withOwner: "With its owner"
        case .withSchool: "Held by the school"
        case .withPolice: "Held by police"
        case .returned: "Returned"
        case .destroyed: "Destroyed"
        }
    }

    /// Why the facts rule Outcome 21 out, in the guidance's questions, without the nation the case is in: that says
    /// where Outcome 21 may be used at all, not why this case cannot use it.
    static func exclusionReasons(_ assessment: Assessment?, questions: [String: String]) -> [String] {
        (assessment?.decisionReasons.first { $0.decision == DecisionKey.outcome21.rawValue }?.because ?? [])
            .filter { !$0.hasPrefix("jurisdiction ") }
            .map { Words.because($0, questions: questions) }
    }

    /// What is still under way on a case, in words, for whoever is about to close it.
    static func closingCautions(record: CaseRecord, response: CaseResponse) -> [String] {
        var cautions: [String] = []
        for device in record.facts.devices {
            let owner = device.owner.map { ", owned by \($0)," } ?? ""
            switch ResponseRules.custodyState(of: device.ref, records: response.plainRecords) {
            case .withPolice: cautions.append("Device \(device.ref)\(owner) is still held by police: record its return or what was done with it.")
            case .withSchool: cautions.append("Device \(device.ref)\(owner) is still held by the school: record its return or hand-over.")
            default: break
            }
        }
        for r in response.referrals where r.status == .sent {
            cautions.append(r.direction == "incoming"
                ? "The referral from \(r.fromOrganisation) has not been accepted or declined: answer it, so they know."
                : "The referral to \(r.toOrganisation) has no answer yet.")
        }
        for s in response.signOffs where s.status == .pending {
            let subject = s.proposal.subject.isEmpty ? "" : " of \(s.proposal.subject)"
            cautions.append("Still waiting for review: \(s.proposal.kind.label)\(subject).")
        }
        return cautions
    }

    static func referralStatus(_ status: ReferralStatus) -> String {
        switch status {
        case .sent: "Sent: waiting for the force to accept it"
        case .accepted: "Accepted"
        case .declined: "Declined"
        case .withdrawn: "Withdrawn by the school"
        }
    }

    init() {}

    init(record: CaseRecord, response: CaseResponse, assessment: Assessment?, identity: Identity, names: [UUID: String]) {
        let id = record.id
        let role = identity.user.role
        let police = record.facts.setting == .police
        let editor = role != .staff
        func who(_ user: UUID?) -> String { user.flatMap { names[$0] } ?? "someone" }

        // What blocks the process.
        if let latest = response.latestOutcome21 {
            switch latest.status {
            case .pending:
                let mayReview = SignOffKind.outcome21.mayBeReviewed(by: role.rawValue) && latest.proposedBy != identity.user.id
                banners.append(BannerView(
                    title: "Waiting for a supervisor",
                    lines: ["Outcome 21 was proposed by \(who(latest.proposedBy)) on \(PageWords.date(latest.proposedAt)). A supervisor or superintendent who did not propose it must review it before it is recorded\(record.guidance.inBracketsWithPublisher(.outcome21Review))."],
                    returned: false, linkLabel: mayReview ? "Review the proposal" : "See the proposal", href: PageRoute.caseSignOff(id, latest.id).path,
                    hasLink: mayReview || latest.proposedBy == identity.user.id))
            case .refused:
                banners.append(BannerView(
                    title: "Outcome 21 was refused: the case is back with the officer",
                    lines: ["The supervisor gave these reasons: \(latest.review?.reason ?? "none recorded")",
                            "Decide the next step: record another outcome, or answer the reasons and propose again."],
                    returned: true, linkLabel: "Record an outcome", href: PageRoute.caseRecordForm(id, .outcome).path, hasLink: editor && police))
            case .approved where assessment?.decisions.outcome21 == .excluded && response.outcome21Stands:
                let questions = PageGuidance.library.edition(for: record.facts.setting, in: record.facts.jurisdiction,
                                                             on: assessment?.assessedOn ?? CaseController.today).pack.questions
                let why = CaseResponseView.exclusionReasons(assessment, questions: questions)
                banners.append(BannerView(
                    title: "Outcome 21 was approved, but the facts now rule it out",
                    lines: ["Facts recorded since it was approved exclude it" + (why.isEmpty ? "" : ": " + why.joined(separator: "; "))
                            + "\(record.guidance.inBracketsWithPublisher(.outcome21Criteria)).",
                            "Reconsider the outcome and record it. No Outcome 21 letter can be given while the facts rule it out."],
                    returned: true, linkLabel: "Record an outcome", href: PageRoute.caseRecordForm(id, .outcome).path, hasLink: editor && police))
            default: break
            }
        }
        for device in record.facts.devices {
            guard let latest = response.latestReturn(of: device.ref) else { continue }
            if latest.status == .pending {
                banners.append(BannerView(
                    title: "Waiting for a superintendent",
                    lines: ["The return of device \(device.ref) needs a superintendent's sign-off, who must record whether the imagery on it was solely of its owner\(record.guidance.inBracketsWithPublisher(.deviceReturn))."],
                    returned: false, linkLabel: "Sign off the return", href: PageRoute.caseSignOff(id, latest.id).path,
                    hasLink: role == .superintendent && latest.proposedBy != identity.user.id))
            } else if latest.status == .refused, ResponseRules.custodyState(of: device.ref, records: response.plainRecords) == .withPolice {
                banners.append(BannerView(
                    title: "The return of device \(device.ref) was refused",
                    lines: ["The superintendent gave these reasons: \(latest.review?.reason ?? "none recorded")"],
                    returned: true, linkLabel: "", href: "", hasLink: false))
            }
        }
        for referral in response.referrals where referral.status == .sent {
            if referral.direction == "incoming" {
                banners.append(BannerView(
                    title: "A referral from \(referral.fromOrganisation) is waiting for an answer",
                    lines: ["Accept it to take the case on, or decline it with a reason the school will see."],
                    returned: false, linkLabel: "Answer the referral", href: PageRoute.caseReferralAnswer(id, referral.id).path, hasLink: editor))
            } else {
                banners.append(BannerView(
                    title: "Waiting for \(referral.toOrganisation)",
                    lines: ["The referral was sent on \(PageWords.date(referral.createdAt)); the force has not answered yet."],
                    returned: false, linkLabel: "", href: "", hasLink: false))
            }
        }

        // What can be recorded next.
        if editor {
            if police {
                respond.append(LinkItem(response.crimeRecord == nil ? "Record the crime" : "Record the crime again", .caseRecordForm(id, .crimeRecord),
                                        hint: "Crime reference and offences\(record.guidance.inBrackets(.recordCrime))"))
                let decision = assessment?.decisions.outcome21
                let latest = response.latestOutcome21
                if response.outcome21Approved && !response.outcome21Stands {
                    outcome21Note = "Outcome 21 was approved, and another outcome has been recorded since."
                } else if response.outcome21Approved && decision == .excluded {
                    outcome21Note = "Outcome 21 was approved, but the facts recorded since rule it out: reconsider the outcome."
                } else if response.outcome21Approved {
                    outcome21Note = "Outcome 21 is approved and recorded."
                } else if latest?.status == .pending {
                    outcome21Note = "Outcome 21 is waiting for review by a supervisor or superintendent."
                } else if decision == .eligible || decision == .undetermined {
                    respond.append(LinkItem("Propose Outcome 21", .caseProposeOutcome21(id),
                                            hint: decision == .eligible ? "The guidance says it can be considered; a supervisor reviews it"
                                                : "Not decided yet: you will be asked why you propose it now"))
                } else if decision == .excluded {
                    let questions = PageGuidance.library.edition(for: record.facts.setting, in: record.facts.jurisdiction,
                                                                 on: assessment?.assessedOn ?? CaseController.today).pack.questions
                    let why = CaseResponseView.exclusionReasons(assessment, questions: questions)
                    outcome21Note = "Outcome 21 cannot be used for this case" + (why.isEmpty ? "." : ": " + why.joined(separator: "; ") + ".")
                }
                respond.append(LinkItem("Record the outcome", .caseRecordForm(id, .outcome), hint: (record.facts.jurisdiction == .england || record.facts.jurisdiction == .wales ? "The Home Office outcome code" : "The outcome, from \(record.facts.jurisdiction.displayName)'s options") + record.guidance.inBrackets(.outcomeCodes)))
                respond.append(LinkItem("Direct the deletion of copies", .caseRecordForm(id, .deletionDirection), hint: "Who holds copies, and proof\(record.guidance.inBrackets(.deletion))"))
            } else if role == .dsl {
                respond.append(LinkItem("Triage: the six questions", .caseRecordForm(id, .triage), hint: "What happened, who is involved and where the image is" + record.guidance.inBrackets(.gathering)))
                respond.append(LinkItem("Refer the case to the police", .caseReferral(id), hint: "Share only what the force needs"))
            }
            respond.append(LinkItem("Parents or carers informed, or not", .caseRecordForm(id, .parentsInformed)))
            respond.append(LinkItem("Record a device custody step", .caseRecordForm(id, .deviceCustody)))
            respond.append(LinkItem("Add a device", .caseNewDevice(id)))
            for kind in PagesController.moreRecordPages where kind.settings.contains(police ? .police : .education) {
                if kind == .triage && role != .dsl { continue }
                respond.append(LinkItem(record.guidance.formTitle(of: kind), .caseRecordForm(id, kind)))
            }

            for stored in response.records {
                guard case .deletionDirection(let d) = stored.record, !d.proven else { continue }
                respond.append(LinkItem("Record proof of deletion by \(d.holder)", .caseDeletionProof(id, stored.id)))
            }
        }

        // The records, oldest first.
        self.records = response.records.map { stored in
            var row = RecordRow(label: record.guidance.label(of: stored.record.kind), text: RecordText.describe(stored.record, jurisdiction: record.facts.jurisdiction),
                                when: PageWords.date(stored.createdAt), hasAction: false, actionLabel: "", actionHref: "")
            if editor, case .deletionDirection(let d) = stored.record, !d.proven {
                row.hasAction = true
                row.actionLabel = "Record proof of deletion"
                row.actionHref = PageRoute.caseDeletionProof(id, stored.id).path
            }
            return row
        }

        // Devices and their custody chains.
        custody = record.facts.devices.map { device in
            let state = ResponseRules.custodyState(of: device.ref, records: response.plainRecords)
            let steps = response.plainRecords.compactMap { r -> String? in
                guard case .deviceCustody(let step) = r, step.device == device.ref else { return nil }
                return RecordText.describe(r, jurisdiction: record.facts.jurisdiction) + (step.rationale.map { ". Why: \($0)" } ?? "")
            }
            var links: [LinkItem] = []
            if editor {
                links.append(LinkItem("Record a custody step for \(device.ref)", .caseRecordForm(id, .deviceCustody), query: "?device=\(device.ref)"))
                let pending = response.latestReturn(of: device.ref)?.status == .pending
                if police && state == .withPolice && !pending && ResponseRules.returnNeedsSignOff(device: device.ref, facts: record.facts) {
                    links.append(LinkItem("Propose the return of \(device.ref)", .caseProposeReturn(id, device.ref),
                                          hint: "A superintendent signs it off\(record.guidance.inBrackets(.deviceReturn))"))
                }
            }
            let owner = device.owner.map { "owned by \($0)" } ?? "owner not known yet"
            return CustodyView(device: "Device \(device.ref), \(owner)", state: Self.custodyLabel(state), steps: steps,
                               hasSteps: !steps.isEmpty, links: links, hasLinks: !links.isEmpty)
        }

        signOffs = response.signOffs.map { s in
            let subject = s.proposal.subject.isEmpty ? "" : " of \(s.proposal.subject)"
            let rationale: String = switch s.proposal {
            case .outcome21(let p): p.rationale + (p.reasonWhileUndetermined.map { " Proposed while undetermined because: \($0)" } ?? "")
            case .deviceReturn(let p): p.rationale
            }
            let review = s.review.map { r in
                "\(r.approve ? "Approved" : "Refused") by \(who(s.reviewedBy)) on \(PageWords.date(s.reviewedAt)): \(r.reason)"
                    + (r.imagerySolelyOfOwner.map { $0 ? " The imagery was solely of the owner." : " The imagery was not solely of the owner." } ?? "")
            } ?? ""
            let mayReview = s.status == .pending && s.proposal.kind.mayBeReviewed(by: role.rawValue) && s.proposedBy != identity.user.id
            return SignOffRow(label: s.proposal.kind.label + subject, status: Self.statusLabel(s.status),
                              proposed: "Proposed by \(who(s.proposedBy)) on \(PageWords.date(s.proposedAt))", rationale: rationale,
                              review: review, hasReview: !review.isEmpty, href: PageRoute.caseSignOff(id, s.id).path, hasHref: mayReview)
        }

        referrals = response.referrals.map { r in
            let incoming = r.direction == "incoming"
            return ReferralRow(heading: incoming ? "Referred by \(r.fromOrganisation)" : "Referred to \(r.toOrganisation)",
                               status: Self.referralStatus(r.status), summary: r.summary,
                               shared: ReferralService.sharedInWords(r.sharedSections),
                               reason: r.responseReason ?? "", hasReason: r.responseReason != nil,
                               href: PageRoute.caseReferralAnswer(id, r.id).path, hasHref: incoming && r.status == .sent && editor,
                               withdrawHref: PageRoute.caseReferralWithdraw(id, r.id).path,
                               hasWithdrawHref: !incoming && r.status == .sent && role == .dsl)
        }

        closingCautions = Self.closingCautions(record: record, response: response)

        if editor {
            if police && response.outcome21Stands && assessment?.decisions.outcome21 != .excluded {
                documents.append(LinkItem("Outcome 21 letter for the family", .caseLetter(id), hint: "You give the names to print; they are never stored"))
            }
            for kind in CaseDocumentKind.allCases where police || kind != .childContactForm {
                documents.append(LinkItem(kind == .childContactForm ? record.guidance.label(of: .childContactForm) : kind.label, .caseDocument(id, kind)))
            }
            for person in record.facts.people {
                documents.append(LinkItem("What the case holds about \(person.ref)", .caseSubjectAccess(id, person.ref),
                                          hint: "For a subject access request: others are redacted"))
            }
        }

        // Someone of another organisation (the school's DSL who referred the case) is not among `names`: their role in
        // words, never the code the entry keeps ("dsl").
        let jurisdiction = identity.organisation.jurisdiction
        chronology = response.chronology.map { e in
            let who = e.actorID.flatMap { names[$0] }
                ?? Role(rawValue: e.actorRole).map { $0.label(in: jurisdiction) }
                ?? (e.actorRole == "system" ? "Safeguard" : "Someone")
            return EventRow(at: PageWords.date(e.at), who: who, summary: e.summary)
        }
    }
}
