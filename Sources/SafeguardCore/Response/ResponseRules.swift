import Foundation

/// A rule for recording the response, named so that each edition can say which of its sections it rests on
/// (`recordRules` in the pack). No Action or paragraph number lives in Swift: a new edition maps the rules it has.
///
/// ```yaml
/// recordRules:
///   recordCrime: Action 1      # the current College of Policing edition
///   referral: Action 4
/// ```
public enum RecordRule: String, Sendable, Hashable, CaseIterable {
    /// Record every report as a crime.
    case recordCrime
    /// Safeguard the children first, and advise so that nobody does anything unlawful.
    case welfare
    /// Check police and partners' systems before meeting the family.
    case checks
    /// Refer to children's social care or the local child protection services.
    case referral
    /// Take initial accounts; the discretion not to record a suspect.
    case accounts
    /// When devices are seized, and their custody.
    case seizure
    /// That lower-risk cases should not have devices seized as a matter of routine.
    case routineSeizure
    /// A visually recorded interview in higher-risk cases.
    case interview
    /// Tell those involved what happens next.
    case nextSteps
    /// Getting imagery taken down.
    case removal
    /// Choosing the crime outcome.
    case outcomeCodes
    /// When Outcome 21 may be used.
    case outcome21Criteria
    /// A supervisor's review of an Outcome 21 proposal.
    case outcome21Review
    /// Explaining the outcome, and what it means for disclosure.
    case communicate
    /// The written record given to the family when Outcome 21 is used.
    case outcome21Letter
    /// Directing those holding copies to delete them.
    case deletion
    /// Returning a device that held imagery, with a senior officer's sign-off.
    case deviceReturn
    /// Adding imagery to the Child Abuse Image Database.
    case caid
    /// The form that tells partners of a child's contact with police.
    case contactForm
    /// What a school finds out, and from whom.
    case gathering
    /// Talking with a young person.
    case talking
    /// Supporting the children involved, and their families.
    case supporting
    /// The written record, and the review afterwards.
    case reviewing
    /// Reporting outside the school: 999, the police, CEOP.
    case reporting
    /// What a school does with a device or image.
    case schoolDevices
}

/// What a rule needs to know about the case to check a record: its facts, latest assessment, edition and records.
public struct RecordContext: Sendable {
    public var facts: CaseFacts
    public var assessment: Assessment
    /// The records already on the case, oldest first.
    public var records: [ResponseRecord]
    public var today: CalendarDate
    public var pack: GuidancePack
    public var law: JurisdictionLaw?
    /// Who takes a child protection referral in the case's nation (``GuidanceLibrary/socialCare(in:on:)``), for the
    /// examples a refusal gives.
    public var socialCare: String
    /// The returns a superintendent has approved, oldest first: each lets the officer record one return of that device
    /// when it is handed back (Action 15). The approval is not the return (a review found it written as one).
    public var approvedReturns: [ApprovedReturn] = []

    /// A device's return, approved by a superintendent, with their answer on whether the imagery was solely of its owner.
    public struct ApprovedReturn: Sendable, Hashable {
        public var device: String
        public var imagerySolelyOfOwner: Bool?
        public init(device: String, imagerySolelyOfOwner: Bool?) {
            self.device = device
            self.imagerySolelyOfOwner = imagerySolelyOfOwner
        }
    }

    /// The approval a return of `device` recorded now would use: one approved and not yet used by a recorded return.
    public func approvedReturn(of device: String) -> ApprovedReturn? {
        let approvals = approvedReturns.filter { $0.device == device }
        let returned = records.filter { if case .deviceCustody(let r) = $0 { r.device == device && r.step == .returned } else { false } }.count
        return approvals.count > returned ? approvals[returned] : nil
    }

    public init(facts: CaseFacts, assessment: Assessment, records: [ResponseRecord], today: CalendarDate,
                pack: GuidancePack, law: JurisdictionLaw?, socialCare: String = GuidancePack.socialCareDefault,
                approvedReturns: [ApprovedReturn] = []) {
        self.approvedReturns = approvedReturns
        self.facts = facts
        self.assessment = assessment
        self.records = records
        self.today = today
        self.pack = pack
        self.law = law
        self.socialCare = socialCare
    }

    /// Who a child protection referral usually goes to, as an example: England and Wales's "children's social care
    /// or the MASH", or the nation's own service.
    public var referralExample: String {
        socialCare == GuidancePack.socialCareDefault ? "\(socialCare) or the MASH" : socialCare
    }

    /// The context for a case under the bundled guidance.
    public static func bundled(facts: CaseFacts, assessment: Assessment, records: [ResponseRecord],
                               today: CalendarDate) -> RecordContext {
        RecordContext(facts: facts, assessment: assessment, records: records, today: today, library: .bundled)
    }

    /// The context for a case under `library`'s guidance: the edition for its setting and nation on its assessment
    /// date (or `today`), and its nation's law.
    public init(facts: CaseFacts, assessment: Assessment, records: [ResponseRecord], today: CalendarDate,
                library: GuidanceLibrary) {
        self.init(facts: facts, assessment: assessment, records: records, today: today,
                  pack: library.edition(for: facts, today: today).pack, law: library.law.law(for: facts.jurisdiction),
                  socialCare: library.socialCare(in: facts.jurisdiction, on: facts.assessedOn ?? today))
    }
}

/// Something to know about an accepted record, such as a meeting held before the checks were done.
public struct RecordWarning: Sendable, Hashable, Codable {
    public var message: String
    public var citations: [Citation]
}

/// A record that passed the rules: possibly completed by Safeguard (e.g. the Home Office classification filled from
/// the offences), with warnings and the recommendations it fulfils.
public struct CheckedRecord: Sendable, Hashable {
    public var record: ResponseRecord
    public var warnings: [RecordWarning]
    /// Recommendation ids of the assessment that this record completes.
    public var fulfils: [String]
}

/// Where a device is, from its custody steps.
public enum CustodyState: String, Sendable, Hashable, Codable {
    case notRecorded, withOwner, withSchool, withPolice, returned, destroyed
}

/// The rules for recording the response. Pure: the server calls them inside its transaction.
///
/// ```swift
/// let checked = try ResponseRules.check(record, in: .bundled(facts: facts, assessment: a, records: [], today: today))
/// checked.fulfils   // ["welfareCheck"]
/// ```
public enum ResponseRules {

    /// Outcomes that end a case with no further action in the public interest, or divert it: on a case that needs a
    /// full investigation they warrant a warning and a supervisor's agreement.
    static let divertingOutcomes: Set<OutcomeCode> = [.communityResolution, .notInPublicInterestPolice, .outcome22]

    /// Checks a record. `signedOff` is true only when Safeguard itself records the result of an approved sign-off
    /// (Outcome 21, or a device's return): those records cannot be made any other way.
    public static func check(_ record: ResponseRecord, in context: RecordContext, signedOff: Bool = false) throws(RecordProblem) -> CheckedRecord {
        func cite(_ rule: RecordRule) -> Citation? { context.pack.citation(for: rule) }
        let facts = context.facts
        guard record.kind.settings.contains(facts.setting) else {
            let whose = record.kind.settings == [.police] ? "police cases" : "school and education cases"
            throw RecordProblem(field: "kind", message: "a \(record.kind.rawValue) record belongs to \(whose)")
        }
        let people = Set(facts.people.map(\.ref))
        for (field, ref) in record.personRefs where !people.contains(ref) {
            let known = people.isEmpty ? "add the person to the case's people first" :
                "people in the case: \(people.sorted().joined(separator: ", "))"
            throw RecordProblem(field: field, message: "\"\(ref)\" is not a person in the case (\(known))")
        }
        func notFuture(_ date: CalendarDate?, _ field: String) throws(RecordProblem) {
            if let date, date > context.today {
                throw RecordProblem(field: field, message: "\(Words.day(date)) is in the future: record what has happened, on the day it happened")
            }
        }
        func text(_ value: String?, _ field: String, required: Bool, why: String? = nil, source: RecordRule? = nil) throws(RecordProblem) {
            let trimmed = value?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if required && trimmed.isEmpty {
                throw RecordProblem(field: field, message: why ?? "required", citation: source.flatMap(cite))
            }
            // The request middleware has already passed every field through the guard; records made any other way
            // (a command, a test, a future import) meet the same rule here.
            if let value, let refusal = TextGuard.check(value, limit: FieldLimits.limit(for: field)) {
                throw RecordProblem(field: field, message: refusal.message)
            }
        }
        func imageryRefs(_ refs: [String], _ field: String) throws(RecordProblem) {
            let known = Set(facts.imagery.map(\.ref))
            for (i, ref) in refs.enumerated() where !known.contains(ref) {
                throw RecordProblem(field: "\(field)[\(i)]", message: "\"\(ref)\" is not imagery recorded on the case (imagery: \(known.sorted().joined(separator: ", ")))")
            }
        }

        var warnings: [RecordWarning] = []
        var out = record
        switch record {
        case .crimeRecord(var r):
            try text(r.crimeReference, "crimeReference", required: true, why: "the crime reference number from your crime recording system", source: .recordCrime)
            try notFuture(r.reportedOn, "reportedOn")
            guard !r.offences.isEmpty || CrimeRecord.mayNameNoOffence(in: facts.jurisdiction) else {
                throw RecordProblem(field: "offences", message: "name at least one offence from the jurisdiction's list", citation: cite(.recordCrime))
            }
            let list = context.law?.offences ?? []
            for (i, id) in r.offences.enumerated() where !list.contains(where: { $0.id == id }) {
                throw RecordProblem(field: "offences[\(i)]", message: "\"\(id)\" is not an offence in the list for \(facts.jurisdiction.displayName): "
                                        + list.map(\.id).joined(separator: ", "))
            }
            let suggested = Set(context.assessment.offences.map(\.id))
            if Set(r.offences) != suggested {
                try text(r.offenceChangeReason, "offenceChangeReason", required: true,
                         why: "the offences differ from those the guidance suggests ("
                             + (suggested.isEmpty ? "none" : suggested.sorted().map { Words.offence($0, in: list) }.joined(separator: "; "))
                             + "): say why", source: .recordCrime)
            }
            let classes = Set(r.offences.compactMap { id in list.first { $0.id == id }?.homeOfficeClassification })
            if let given = r.homeOfficeClassification {
                guard classes.contains(given) else {
                    throw RecordProblem(field: "homeOfficeClassification",
                                        message: classes.isEmpty ? "these offences carry no Home Office classification in this jurisdiction"
                                            : "expected one of \(classes.sorted().joined(separator: ", ")) for the offences given")
                }
            } else {
                // Take, make or distribute (86/2) is recorded ahead of possession (86/10) when both apply.
                r.homeOfficeClassification = classes.sorted { a, b in a == "86/2" || (b != "86/2" && a < b) }.first
            }
            out = .crimeRecord(r)
        case .welfareCheck(let r):
            try notFuture(r.checkedOn, "checkedOn")
            try text(r.result, "result", required: true, why: "say what the welfare check found", source: .welfare)
            if r.concerns == true {
                warnings.append(RecordWarning(message: "A risk of harm was found: make an immediate child protection referral or intervene now\(context.pack.inBrackets(.nextSteps)).",
                                              citations: [cite(.nextSteps)].compactMap { $0 }))
            }
        case .advice(let r):
            try text(r.to, "to", required: true, why: "who was advised: a person ref, or e.g. \"parents of A\"")
            try notFuture(r.givenOn, "givenOn")
            guard !r.topics.isEmpty else {
                throw RecordProblem(field: "topics", message: "choose what advice was given: " + AdviceGiven.description.optionsInWords("topics"), citation: cite(.welfare))
            }
            try text(r.note, "note", required: false)
            if r.topics.contains(.notToCopy) {
                let named = adviceRefs(r.to, facts: facts)
                if named.isEmpty {
                    warnings.append(RecordWarning(message: "Who was advised names no one in the case by their letter: write it as \"A\" or \"parents of A\", so that the advice counts for them\(context.pack.inBrackets(.welfare)).",
                                                  citations: [cite(.welfare)].compactMap { $0 }))
                }
                let left = notYetAdvisedNotToCopy(facts: facts, records: context.records + [.advice(r)])
                if !left.isEmpty {
                    warnings.append(RecordWarning(message: "Still to be told not to copy the imagery: \(Words.join(left)). The action is done once everyone involved has been\(context.pack.inBrackets(.welfare)).",
                                                  citations: [cite(.welfare)].compactMap { $0 }))
                }
            }
        case .backgroundCheck(let r):
            if (r.person == nil) == (r.location?.isEmpty ?? true) {
                throw RecordProblem(field: "person", message: "give either person (a person ref) or location (a short description of the place)", citation: cite(.checks))
            }
            try text(r.location, "location", required: false)
            if r.status == .done {
                guard let on = r.checkedOn else { throw RecordProblem(field: "checkedOn", message: "when the check was done", citation: cite(.checks)) }
                try notFuture(on, "checkedOn")
                try text(r.result, "result", required: true, why: "what the check found (e.g. \"no trace\")", source: .checks)
            }
        case .meeting(let r):
            guard r.meetingKind.isHeld(in: facts.jurisdiction) else {
                throw RecordProblem(field: "meetingKind", message: facts.jurisdiction == .scotland
                    ? "in Scotland an inter-agency referral discussion (IRD) is held, not a strategy meeting: record the IRD"
                    : "an inter-agency referral discussion (IRD) is Scotland's: in \(facts.jurisdiction.displayName) record a strategy meeting")
            }
            try text(r.outcome, "outcome", required: false)
            try text(r.proceedBeforeChecksReason, "proceedBeforeChecksReason", required: false)
            if facts.setting == .police {
                let outstanding = outstandingChecks(facts: facts, records: context.records)
                if !outstanding.isEmpty {
                    let reason = r.proceedBeforeChecksReason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                    let what = "background checks are not done for " + outstanding.joined(separator: ", ")
                    if reason.isEmpty {
                        throw RecordProblem(field: "proceedBeforeChecksReason",
                                            message: "\(what): run them before the meeting, or give the safeguarding reason to go ahead now",
                                            citation: cite(.checks))
                    }
                    warnings.append(RecordWarning(message: "This goes ahead before the checks are done (\(what)); the reason is recorded.",
                                                  citations: [cite(.checks)].compactMap { $0 }))
                }
            }
        case .childProtectionReferral(let r):
            try text(r.to, "to", required: true, why: "who the referral went to, e.g. \(context.referralExample)", source: .referral)
            try notFuture(r.referredOn, "referredOn")
        case .account(let r):
            try notFuture(r.takenOn, "takenOn")
            try text(r.takenBy, "takenBy", required: true, why: "who took the account (name or collar number)", source: .accounts)
            try text(r.summary, "summary", required: false)
        case .suspectDecision(let r):
            try notFuture(r.decidedOn, "decidedOn")
            try text(r.rationale, "rationale", required: true, why: "the rationale for the decision", source: .accounts)
            if r.recordAsSuspect && r.basis != .mensRea {
                throw RecordProblem(field: "basis", message: "recording as a suspect rests on evidence of intention (mens rea); "
                                    + "willing participation, an accident or a lack of evidence are grounds not to record", citation: cite(.accounts))
            }
            if !r.recordAsSuspect && r.basis == .mensRea {
                throw RecordProblem(field: "basis", message: "with evidence of intention (mens rea), the discretion not to record as a suspect does not apply: "
                                    + "give " + SuspectDecision.description.optionsInWords("basis", ["willingParticipation", "accident", "lackOfEvidence"])
                                    + " as the basis, or record them as a suspect", citation: cite(.accounts))
            }
        case .interviewDecision(let r):
            try notFuture(r.decidedOn, "decidedOn")
            try text(r.reason, "reason", required: true, why: "why the interview is or is not planned", source: .interview)
        case .deviceCustody(var r):
            // The officer records the return of a device whose return was approved: the superintendent's answer on
            // the imagery goes with it into the custody chain.
            if r.step == .returned, r.imagerySolelyOfOwner == nil, let approval = context.approvedReturn(of: r.device) {
                r.imagerySolelyOfOwner = approval.imagerySolelyOfOwner
                out = .deviceCustody(r)
            }
            try checkCustody(r, context: context, signedOff: signedOff, warnings: &warnings)
        case .outcome(let r):
            try notFuture(r.decidedOn, "decidedOn")
            try text(r.rationale, "rationale", required: true, why: "why this outcome", source: .outcomeCodes)
            let homeOffice = facts.jurisdiction == .england || facts.jurisdiction == .wales
            if r.code == .local {
                guard !homeOffice else {
                    throw RecordProblem(field: "code", message: "in England and Wales, record a Home Office outcome code", citation: cite(.outcomeCodes))
                }
                let national = context.law?.outcomes ?? []
                if let id = r.nationalOutcome {
                    guard let outcome = national.first(where: { $0.id == id }) else {
                        throw RecordProblem(field: "nationalOutcome", message: national.isEmpty
                            ? "\(facts.jurisdiction.displayName) has no list of outcomes: describe it in localDescription"
                            : "\"\(id)\" is not an outcome in \(facts.jurisdiction.displayName); one of " + national.map(\.id).joined(separator: ", "))
                    }
                    // It must be open to someone who did something; unknown ages are not held against it.
                    let actors = facts.people.filter(\.acted)
                    if let ages = outcome.ages, !actors.isEmpty, !actors.contains(where: { outcome.isOpen(toAge: $0.age) }) {
                        throw RecordProblem(field: "nationalOutcome", message: "\(outcome.title) is for \(ages), and nobody in the case who took, asked for, sent, shared or kept the imagery is (\(outcome.source))")
                    }
                    try text(r.localDescription, "localDescription", required: false)
                } else {
                    try text(r.localDescription, "localDescription", required: true, why: national.isEmpty
                        ? "the outcome under your force's scheme"
                        : "choose the outcome (nationalOutcome: " + national.map(\.id).joined(separator: ", ") + "), or describe one under your force's scheme")
                }
            } else {
                if r.nationalOutcome != nil {
                    throw RecordProblem(field: "nationalOutcome", message: "a national outcome goes with code \"local\" in Scotland or Northern Ireland")
                }
                guard homeOffice else {
                    // Point at the nation's own list where it has one: that is the outcome most will want.
                    let national = (context.law?.outcomes ?? []).map(\.id)
                    throw RecordProblem(field: "code", message: "Home Office outcome codes apply in England and Wales; in \(facts.jurisdiction.displayName) record code \"local\" with "
                        + (national.isEmpty ? "localDescription" : "nationalOutcome (one of \(national.joined(separator: ", "))) or localDescription"))
                }
                if r.code == .outcome21 && !signedOff {
                    throw RecordProblem(field: "code", message: "Outcome 21 is recorded when a supervisor approves it: propose it for review instead",
                                        citation: cite(.outcome21Review))
                }
                if let from = r.code.availableFrom, r.decidedOn < from {
                    throw RecordProblem(field: "code", message: "Outcome \(r.code.rawValue) could be used only from \(Words.day(from))")
                }
                // A case the guidance says needs a full investigation, closed with no further action in the public
                // interest or a diversion: Outcome 21's safeguards (a supervisor's review) could be bypassed through
                // these codes (an officer's review recorded Outcome 22 alone on a malicious sharing case).
                if Self.divertingOutcomes.contains(r.code), context.assessment.decisions.route == .fullInvestigation {
                    let route = context.assessment.decisionReasons.first { $0.decision == DecisionKey.route.rawValue }
                    warnings.append(RecordWarning(
                        message: "The guidance says this case needs a full investigation (aggravating features are present), and Outcome \(r.code.rawValue) "
                            + "ends it without one. Have a supervisor agree, and say in the rationale why it is right here.",
                        citations: route?.citations ?? []))
                }
            }
        case .communication(var r):
            try notFuture(r.on, "on")
            guard !r.topics.isEmpty else {
                throw RecordProblem(field: "topics", message: "what was explained: " + CommunicationTopic.allCases.map(\.rawValue).joined(separator: ", "), citation: cite(.communicate))
            }
            if r.audience != .school && r.person == nil {
                throw RecordProblem(field: "person", message: "which child this was about (a person ref)")
            }
            try text(r.note, "note", required: false)
            // What was explained about DBS is the edition's, not the caller's: Safeguard attaches it.
            r.dbsExplanation = r.topics.contains(.dbs) ? context.pack.letters?.dbs?.text : nil
            out = .communication(r)
        case .deletionDirection(let r):
            try notFuture(r.directedOn, "directedOn")
            try text(r.directedBy, "directedBy", required: true, why: "who gave the direction")
            let proofParts = [r.deletedOn != nil, !(r.proof ?? "").isEmpty, !(r.verifiedBy ?? "").isEmpty]
            if proofParts.contains(true) && proofParts.contains(false) {
                let missing = zip(["deletedOn", "proof", "verifiedBy"], proofParts).first { !$0.1 }!.0
                throw RecordProblem(field: missing, message: "proof of deletion needs when (deletedOn), how (proof) and who saw it (verifiedBy)", citation: cite(.deletion))
            }
            try notFuture(r.deletedOn, "deletedOn")
            if let deleted = r.deletedOn, deleted < r.directedOn {
                throw RecordProblem(field: "deletedOn", message: "deletion is proved after the direction, not before it")
            }
            try text(r.proof, "proof", required: false)
        case .contentRemoval(let r):
            try notFuture(r.requestedOn, "requestedOn")
            try imageryRefs(r.imagery, "imagery")
            if r.service == .other { try text(r.serviceName, "serviceName", required: true, why: "the service's name") }
        case .caidLiaison(let r):
            try notFuture(r.on, "on")
            try text(r.unit, "unit", required: true, why: "the High-Tech Crime Unit liaised with", source: .caid)
            try imageryRefs(r.imagery, "imagery")
        case .childContactForm(let r):
            try notFuture(r.raisedOn, "raisedOn")
            guard !r.sharedWith.isEmpty else {
                throw RecordProblem(field: "sharedWith", message: "which partners the form went to (e.g. \(context.socialCare), the school)", citation: cite(.contactForm))
            }
        case .externalReport(let r):
            try notFuture(r.on, "on")
        case .triage(let r):
            try notFuture(r.triagedOn, "triagedOn")
            warnings += triageWarnings(r, facts: facts, source: cite(.gathering))
        case .conversation(let r):
            try notFuture(r.on, "on")
            try text(r.by, "by", required: true, why: "who talked with the young person")
            try text(r.supportNeeded, "supportNeeded", required: false)
        case .parentsInformed(let r):
            try notFuture(r.on, "on")
            if !r.informed {
                try text(r.reasonNotInformed, "reasonNotInformed", required: true,
                         why: "parents and carers are involved unless that would put the child at risk: record the risk", source: .supporting)
            }
        case .supportReferral(let r):
            try notFuture(r.referredOn, "referredOn")
            if r.service == .other { try text(r.serviceName, "serviceName", required: true, why: "the service's name") }
        case .postIncidentReview(let r):
            try notFuture(r.reviewedOn, "reviewedOn")
            try text(r.whatHappened, "whatHappened", required: true, why: "what happened and how it was dealt with", source: .reviewing)
            try text(r.learned, "learned", required: true, why: "what was learned, to improve procedures", source: .reviewing)
            guard r.policyReviewBy >= r.reviewedOn else {
                throw RecordProblem(field: "policyReviewBy", message: "the policy review date is on or after the review")
            }
            warnings.append(RecordWarning(message: "Reminder: review the setting's sharing nudes policy by \(Words.day(r.policyReviewBy)).",
                                          citations: [cite(.reviewing)].compactMap { $0 }))
        }
        return CheckedRecord(record: out, warnings: warnings,
                             fulfils: fulfilled(by: out, facts: facts, records: context.records + [out]))
    }

    // MARK: Background checks (Action 3)

    /// People without a completed background check, and pending checks, in words.
    public static func outstandingChecks(facts: CaseFacts, records: [ResponseRecord]) -> [String] {
        var done = Set<String>()
        var pending = 0
        for case .backgroundCheck(let c) in records {
            if c.status == .done, let p = c.person { done.insert(p) }
            if c.status == .pending { pending += 1 }
        }
        var outstanding = facts.people.map(\.ref).filter { !done.contains($0) }
        if pending > 0 { outstanding.append("\(pending) pending check\(pending == 1 ? "" : "s")") }
        return outstanding
    }

    // MARK: Devices (Actions 5, 6, 15; NSPCC)

    /// Where a device is after its recorded steps.
    public static func custodyState(of device: String, records: [ResponseRecord]) -> CustodyState {
        var state = CustodyState.notRecorded
        for case .deviceCustody(let step) in records where step.device == device {
            switch step.step {
            case .leftWithOwner: state = .withOwner
            case .confiscated, .storedSecurely, .securedBySchool: state = .withSchool
            case .seized, .handedToPolice: state = .withPolice
            case .returned: state = .returned
            case .destroyed: state = .destroyed
            case .examined, .retained, .disconnected, .switchedOff, .searched: break
            }
        }
        return state
    }

    /// Whether returning the device needs a superintendent's sign-off: it held imagery (Action 15).
    public static func returnNeedsSignOff(device: String, facts: CaseFacts) -> Bool {
        facts.devices.first { $0.ref == device }.map { !$0.containsImageryOf.isEmpty } ?? false
    }

    static func checkCustody(_ r: DeviceCustodyStep, context: RecordContext, signedOff: Bool, warnings: inout [RecordWarning]) throws(RecordProblem) {
        func cite(_ rule: RecordRule) -> Citation? { context.pack.citation(for: rule) }
        let facts = context.facts
        guard facts.devices.contains(where: { $0.ref == r.device }) else {
            let devices = facts.devices.map(\.ref).sorted()
            throw RecordProblem(field: "device", message: "\"\(r.device)\" is not a device on the case ("
                                + (devices.isEmpty ? "it has none yet" : "devices: " + devices.joined(separator: ", ")) + "); add it first")
        }
        if let setting = r.step.setting, setting != facts.setting {
            throw RecordProblem(field: "step", message: "\(r.step.rawValue) is a \(setting == .police ? "police" : "school") step; "
                                + "steps here: " + CustodyStep.allCases.filter { $0.setting == nil || $0.setting == facts.setting }.map(\.rawValue).joined(separator: ", "))
        }
        if r.on > context.today { throw RecordProblem(field: "on", message: "\(Words.day(r.on)) is in the future: record steps when they happen") }
        if r.by.trimmingCharacters(in: .whitespaces).isEmpty { throw RecordProblem(field: "by", message: "who did it (name or collar number)") }
        let state = custodyState(of: r.device, records: context.records)
        let approval = r.step == .returned ? context.approvedReturn(of: r.device) : nil
        if r.imagerySolelyOfOwner != nil && !signedOff && (approval == nil || approval?.imagerySolelyOfOwner != r.imagerySolelyOfOwner) {
            throw RecordProblem(field: "imagerySolelyOfOwner", message: "this is recorded by the superintendent's sign-off of a return, not directly",
                                citation: cite(.deviceReturn))
        }
        func requireState(_ allowed: Set<CustodyState>, _ what: String) throws(RecordProblem) {
            guard allowed.contains(state) else {
                throw RecordProblem(field: "step", message: "the device is \(describe(state)): it cannot be \(what) now")
            }
        }
        func rationale(_ source: RecordRule) throws(RecordProblem) {
            if (r.rationale ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw RecordProblem(field: "rationale", message: "record the decision's rationale (National Decision Model)", citation: cite(source))
            }
        }
        switch r.step {
        case .leftWithOwner:
            try requireState([.notRecorded, .withOwner], "left with its owner")
            try rationale(.seizure)
        case .seized:
            try requireState([.notRecorded, .withOwner, .withSchool], "seized")
            try rationale(.seizure)
            guard let power = r.power else {
                throw RecordProblem(field: "power", message: "choose the power used: " + DeviceCustodyStep.description.optionsInWords("power")
                                    + " (without a statutory power, police rely on the owner's cooperation)", citation: cite(.seizure))
            }
            if power == .other && (r.powerDetail ?? "").isEmpty {
                throw RecordProblem(field: "powerDetail", message: "name the power used")
            }
            if context.assessment.decisions.deviceSeizure == .notRoutine {
                warnings.append(RecordWarning(message: "The guidance says lower-risk cases should not have devices seized as a matter of routine; the rationale is recorded.",
                                              citations: [cite(.routineSeizure)].compactMap { $0 }))
            }
        case .securedBySchool:
            try requireState([.notRecorded, .withOwner], "secured by the school")
            try rationale(.seizure)
        case .examined:
            try requireState([.withPolice], "examined")
        case .retained:
            try requireState([.withPolice], "retained")
            try rationale(.deviceReturn)
        case .returned:
            try requireState([.withPolice], "returned")
            try rationale(.deviceReturn)
            if returnNeedsSignOff(device: r.device, facts: facts) && !signedOff && approval == nil {
                throw RecordProblem(field: "step", message: "this device held imagery: its return needs a superintendent's sign-off; propose the return for sign-off",
                                    citation: cite(.deviceReturn))
            }
            if approval?.imagerySolelyOfOwner == false {
                warnings.append(RecordWarning(message: "The superintendent recorded that the imagery on this device was not solely of its owner: "
                                              + "the guidance says such a device is unlikely to be returned, as that could be supplying an indecent image of a child. "
                                              + "The rationale should say how the imagery was removed.",
                                              citations: [cite(.deviceReturn)].compactMap { $0 }))
            }
        case .destroyed:
            try requireState([.withPolice], "destroyed")
            try rationale(.deviceReturn)
        case .confiscated:
            try requireState([.notRecorded, .withOwner], "confiscated")
        case .disconnected, .switchedOff:
            try requireState([.withSchool], r.step == .disconnected ? "disconnected" : "switched off")
        case .storedSecurely:
            try requireState([.withSchool], "stored")
            if (r.where ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                throw RecordProblem(field: "where", message: "where it is stored, e.g. the locked safe in the \(context.pack.leadRoleShort)'s office",
                                    citation: cite(.seizure))
            }
        case .searched:
            try requireState([.withSchool, .withOwner, .notRecorded], "searched")
            if (r.immediateRiskOfHarm ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw RecordProblem(field: "immediateRiskOfHarm",
                                    message: "devices are searched only when a child is at immediate risk of harm: record that risk, or do not search",
                                    citation: context.pack.citation(for: .schoolDevices))
            }
        case .handedToPolice:
            if facts.setting == .education {
                try requireState([.withSchool], "handed to police")
                let done = Set(context.records.compactMap { record -> CustodyStep? in
                    if case .deviceCustody(let s) = record, s.device == r.device { return s.step } else { return nil }
                })
                let missing = [CustodyStep.disconnected, .switchedOff, .storedSecurely].filter { !done.contains($0) }
                if !missing.isEmpty {
                    warnings.append(RecordWarning(message: "Before hand-over the guidance says to disconnect the device from Wi-Fi and data, switch it off and store it securely; not recorded: "
                                                  + missing.map(\.rawValue).joined(separator: ", ") + ".", citations: [cite(.seizure)].compactMap { $0 }))
                }
            } else {
                try requireState([.notRecorded, .withOwner, .withSchool], "handed to police")
            }
            if (r.toWhom ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                throw RecordProblem(field: "toWhom", message: "who received the device (name or collar number)", citation: cite(.seizure))
            }
        }
    }

    static func describe(_ state: CustodyState) -> String {
        switch state {
        case .notRecorded: "not yet in any custody record"
        case .withOwner: "with its owner"
        case .withSchool: "held by the school"
        case .withPolice: "held by police"
        case .returned: "returned"
        case .destroyed: "destroyed"
        }
    }

    // MARK: Triage (NSPCC, Gathering information)

    /// Where the DSL's six answers and the case facts disagree, so the guidance may be weighing the wrong case.
    static func triageWarnings(_ t: DSLTriage, facts: CaseFacts, source: Citation?) -> [RecordWarning] {
        var messages: [String] = []
        let adults = facts.people.filter { ($0.age ?? 0) >= 18 }
        if t.adultsInvolved == .yes && adults.isEmpty {
            messages.append("An adult is involved, but no person aged 18 or over is in the case's people: add them so the guidance can weigh it (a child protection referral is needed when an adult is involved).")
        }
        if t.adultsInvolved == .no && !adults.isEmpty {
            messages.append("No adults involved, but the case's people include someone aged 18 or over: check the ages.")
        }
        if t.sharedElsewhere == .yes && !facts.imagery.contains(where: { $0.sharedBeyondControl == .true || !$0.platforms.isEmpty }) {
            messages.append("Shared elsewhere: record where on the imagery (platforms, shared beyond control) so removal and reporting can be decided.")
        }
        if t.content != .notKnownYet && t.content != .message && facts.imagery.isEmpty {
            messages.append("No imagery is recorded on the case: add an imagery record (facts only, never the image).")
        }
        return messages.map { RecordWarning(message: $0, citations: [source].compactMap { $0 }) }
    }

    // MARK: Actions done by records

    /// The recommendations of the assessment that the record completes, given every record including it.
    /// Whether every child in the case has had a communication that `matches`, to them or their parents or carers
    /// (such a communication always names the child it was about).
    static func toEveryChild(_ records: [ResponseRecord], _ matches: (CommunicationRecord) -> Bool, facts: CaseFacts) -> Bool {
        var told = Set<String>()
        for case .communication(let c) in records where c.audience != .school && matches(c) {
            if let person = c.person { told.insert(person) }
        }
        return facts.people.allSatisfy { told.contains($0.ref) }
    }

    /// The kinds of record that can complete an action, by its recommendation's id: what `fulfilled(by:)` answers,
    /// the other way round (a test holds the two to each other). The case page's next step leads to the action's
    /// record form, and marking a must-do done by hand says to record it there.
    public static func recordKinds(completing id: String) -> [RecordKind] {
        switch id {
        case "recordCrime": [.crimeRecord]
        case "welfareCheck": [.welfareCheck]
        case "adviseNotToCopy": [.advice]
        case "backgroundChecks": [.backgroundCheck]
        case "strategyMeeting", "interAgencyReferralDiscussion": [.meeting]
        case "childProtectionReferral": [.childProtectionReferral, .externalReport]
        case "initialAccounts": [.account]
        case "suspectRecordingDiscretion": [.suspectDecision]
        case "visuallyRecordedInterview", "jointInvestigativeInterview": [.interviewDecision]
        case "seizeTargetDevices", "deviceHandover": [.deviceCustody]
        case "notifyNextSteps", "communicateOutcome", "outcome21Letter", "liaiseWithSchool": [.communication]
        case "deletionDirection": [.deletionDirection]
        case "contentRemoval", "reportRemove": [.contentRemoval]
        case "caidLiaison": [.caidLiaison]
        case "childContactForm": [.childContactForm]
        // A 999 call also tells the police (`fulfilled(by:)`), but telling the police is more often a call to 101
        // or a referral through Safeguard: no one form does it.
        case "call999", "reportToCEOP", "seekAdvice": [.externalReport]
        case "gatherInformation": [.triage]
        case "talkToYoungPeople": [.conversation]
        case "involveParents", "recordWhyParentsNotInvolved": [.parentsInformed]
        case "counsellingReferral": [.supportReferral]
        case "postIncidentReview": [.postIncidentReview]
        default: []
        }
    }

    /// The people of the case that "who was advised" names by their letter: "B", "parents of A", "A's mum".
    static func adviceRefs(_ to: String, facts: CaseFacts) -> Set<String> {
        let refs = Set(facts.people.map(\.ref))
        return Set(to.split { !$0.isLetter && !$0.isNumber }.map(String.init).filter(refs.contains))
    }

    /// Everyone involved in the case who has not yet been told, or whose parents or carers have not, not to copy the
    /// imagery (Action 2), in the order of the case's people.
    public static func notYetAdvisedNotToCopy(facts: CaseFacts, records: [ResponseRecord]) -> [String] {
        var advised = Set<String>()
        for case .advice(let a) in records where a.topics.contains(.notToCopy) { advised.formUnion(adviceRefs(a.to, facts: facts)) }
        // The children involved: an adult who abused or exploited them is not asked to keep the guidance's advice.
        return facts.people.filter { $0.isInvolved && ($0.age ?? 0) < 18 && !advised.contains($0.ref) }.map(\.ref)
    }

    /// The record kind that completes an action in a setting, if one does: the form the case page leads to.
    public static func recordKind(completing id: String, in setting: Setting) -> RecordKind? {
        recordKinds(completing: id).first { $0.settings.contains(setting) }
    }

    public static func fulfilled(by record: ResponseRecord, facts: CaseFacts, records: [ResponseRecord]) -> [String] {
        switch record {
        case .crimeRecord: return ["recordCrime"]
        case .welfareCheck:
            var checked = Set<String>()
            for case .welfareCheck(let w) in records { checked.insert(w.person) }
            return facts.people.allSatisfy { checked.contains($0.ref) } ? ["welfareCheck"] : []
        case .advice(let a):
            // Action 2: everyone involved is told not to copy the imagery; one talk with A's mother had completed it,
            // and B, who held the copy, was never told (found in a hands-on review).
            return a.topics.contains(.notToCopy) && notYetAdvisedNotToCopy(facts: facts, records: records).isEmpty ? ["adviseNotToCopy"] : []
        case .backgroundCheck: return outstandingChecks(facts: facts, records: records).isEmpty ? ["backgroundChecks"] : []
        case .meeting(let m):
            // Scotland's IRD (National Guidance 3.15–3.19) completes its action as a strategy meeting does England's.
            switch m.meetingKind {
            case .strategyMeeting: return ["strategyMeeting"]
            case .interAgencyReferralDiscussion: return ["interAgencyReferralDiscussion"]
            default: return []
            }
        case .childProtectionReferral: return ["childProtectionReferral"]
        case .account:
            // Investigation (2016: para 14): each child's account, whether they took, sent or received the imagery.
            var taken = Set<String>()
            for case .account(let a) in records { taken.insert(a.person) }
            return facts.people.allSatisfy { taken.contains($0.ref) } ? ["initialAccounts"] : []
        case .suspectDecision: return ["suspectRecordingDiscretion"]
        // The College of Policing's visually recorded interview (Action 6); Scotland's Joint Investigative
        // Interview, decided at the IRD (National Guidance 3.48).
        case .interviewDecision: return ["visuallyRecordedInterview", "jointInvestigativeInterview"]
        case .deviceCustody(let d):
            switch d.step {
            case .seized: return ["seizeTargetDevices"]
            case .handedToPolice: return facts.setting == .education ? ["deviceHandover"] : []
            default: return []
            }
        case .outcome: return []
        case .communication(let c):
            var ids: [String] = []
            if c.topics.contains(.nextSteps) { ids.append("notifyNextSteps") }
            if c.topics.contains(.outcome) {
                // Action 12 (2016: para 22): the outcome explained to every child affected, or their parents or carers.
                if toEveryChild(records, { $0.topics.contains(.outcome) }, facts: facts) { ids.append("communicateOutcome") }
                // Action 13: Outcome 21's principles explained to those involved in person, every one of them, and the
                // written record given: a letter explaining the outcome (printing the letter completes nothing, issue
                // 11, point 6). One letter to A's parents had completed it with nothing in person and nothing for B.
                let letterGiven = records.contains { record in
                    guard case .communication(let x) = record else { return false }
                    return x.method == .letter && x.topics.contains(.outcome) && x.audience != .school
                }
                if letterGiven, toEveryChild(records, { $0.method == .inPerson && $0.topics.contains(.outcome) }, facts: facts) {
                    ids.append("outcome21Letter")
                }
            }
            if c.audience == .school { ids.append("liaiseWithSchool") }
            return ids
        case .deletionDirection(let d): return d.proven ? ["deletionDirection"] : []
        case .contentRemoval(let r): return r.service == .reportRemove || r.service == .iwf ? ["contentRemoval", "reportRemove"] : ["contentRemoval"]
        case .caidLiaison: return ["caidLiaison"]
        case .childContactForm: return ["childContactForm"]
        case .externalReport(let r):
            // A 999 call tells the police; a report to the local child protection services (in Wales the local
            // authority's children's services, or its emergency duty team) is the child protection referral (NSPCC:
            // "Contact your local child protection services"; Wales Safeguarding Procedures, reporting a child at
            // risk). A hands-on review found each left its must-do open, to be recorded twice.
            switch r.to {
            case .police999: return ["call999", "informPolice"]
            case .ceop: return ["reportToCEOP"]
            case .nspccHelpline: return ["seekAdvice"]
            case .localChildProtection: return ["seekAdvice", "childProtectionReferral"]
            }
        case .triage: return ["gatherInformation"]
        case .conversation: return ["talkToYoungPeople"]
        case .parentsInformed(let p): return p.informed ? ["involveParents"] : ["recordWhyParentsNotInvolved"]
        case .supportReferral: return ["counsellingReferral"]
        case .postIncidentReview: return ["postIncidentReview"]
        }
    }

    // MARK: Sign-offs (Actions 10, 11, 15)

    /// Whether Outcome 21 may be proposed on this assessment: eligible, or undetermined with a written reason.
    public static func checkOutcome21Proposal(assessment: Assessment, reasonWhileUndetermined: String?,
                                              pack: GuidancePack) throws(RecordProblem) {
        let criteria = pack.citation(for: .outcome21Criteria)
        switch assessment.decisions.outcome21 {
        case .eligible: return
        case .undetermined:
            if (reasonWhileUndetermined ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                let open = assessment.openQuestions.filter { $0.affects.contains("outcome21") }.map(\.question)
                throw RecordProblem(field: "reasonWhileUndetermined",
                                    message: "the guidance cannot yet say Outcome 21 is available" + (open.isEmpty ? "" : " (still open: " + open.joined(separator: "; ") + ")")
                                        + ": answer those questions, or write why you propose it now", citation: criteria)
            }
        case .excluded:
            let why = assessment.decisionReasons.first { $0.decision == "outcome21" }?.because ?? []
            throw RecordProblem(field: "", message: "Outcome 21 does not apply to this case" + (why.isEmpty ? "" : ": " + why.joined(separator: "; ")),
                                citation: criteria)
        case .notAvailable:
            throw RecordProblem(field: "", message: "Outcome 21 is not available for this case's jurisdiction or setting")
        }
    }
}
