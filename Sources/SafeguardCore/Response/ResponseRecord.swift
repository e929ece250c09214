import Foundation

/// One thing done in response to a case, recorded in the shape the guidance asks for: the crime record (Action 1),
/// a welfare check (Action 2), a background check (Action 3), a device's custody step (Actions 6 and 15), a DSL's
/// triage (NSPCC, "Gathering information"), and so on. Records hold facts about the response, never imagery.
///
/// Each record is a JSON object whose `kind` names its shape; unknown keys are refused with the path and the keys
/// allowed there.
///
/// ```swift
/// let record = try ResponseRecord.decode(json: Data(#"{"kind":"welfareCheck","person":"A","checkedOn":"2026-11-20","result":"safe at home"}"#.utf8))
/// if case .welfareCheck(let check) = record { print(check.person) }   // "A"
/// ```
public enum ResponseRecord: Sendable, Hashable {
    case crimeRecord(CrimeRecord)
    case welfareCheck(WelfareCheck)
    case advice(AdviceGiven)
    case backgroundCheck(BackgroundCheck)
    case meeting(MeetingRecord)
    case childProtectionReferral(ChildProtectionReferralRecord)
    case account(AccountTaken)
    case suspectDecision(SuspectDecision)
    case interviewDecision(InterviewDecision)
    case deviceCustody(DeviceCustodyStep)
    case outcome(OutcomeRecord)
    case communication(CommunicationRecord)
    case deletionDirection(DeletionDirection)
    case contentRemoval(ContentRemovalRequest)
    case caidLiaison(CAIDLiaison)
    case childContactForm(ChildContactForm)
    case externalReport(ExternalReport)
    case triage(DSLTriage)
    case conversation(YoungPersonConversation)
    case parentsInformed(ParentsInformed)
    case supportReferral(SupportReferral)
    case postIncidentReview(PostIncidentReview)

    public var kind: RecordKind { type(of: payload).kind }

    var payload: any RecordPayload {
        switch self {
        case .crimeRecord(let p): p
        case .welfareCheck(let p): p
        case .advice(let p): p
        case .backgroundCheck(let p): p
        case .meeting(let p): p
        case .childProtectionReferral(let p): p
        case .account(let p): p
        case .suspectDecision(let p): p
        case .interviewDecision(let p): p
        case .deviceCustody(let p): p
        case .outcome(let p): p
        case .communication(let p): p
        case .deletionDirection(let p): p
        case .contentRemoval(let p): p
        case .caidLiaison(let p): p
        case .childContactForm(let p): p
        case .externalReport(let p): p
        case .triage(let p): p
        case .conversation(let p): p
        case .parentsInformed(let p): p
        case .supportReferral(let p): p
        case .postIncidentReview(let p): p
        }
    }

    /// The person references the record names, for checking against the case's people.
    public var personRefs: [(field: String, ref: String)] { payload.personRefs }

    /// What was written in the record's free-text fields (those its description marks long text), in order.
    public var freeText: [String] {
        let values = payload.fieldValues
        return kind.description.fields.filter { $0.input == .longText }.compactMap { field in
            (values[field.name] as? String).flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        }
    }
}

/// The shapes of record, by the name used as `kind` on the wire.
public enum RecordKind: String, Sendable, Hashable, Codable, CaseIterable {
    case crimeRecord, welfareCheck, advice, backgroundCheck, meeting, childProtectionReferral, account, suspectDecision,
         interviewDecision, deviceCustody, outcome, communication, deletionDirection, contentRemoval, caidLiaison,
         childContactForm, externalReport, triage, conversation, parentsInformed, supportReferral, postIncidentReview

    /// The kind's one description: label, form title, settings and fields (declared beside its record type).
    public var description: RecordDescription { payloadType.description }

    /// The settings whose cases may hold this kind of record.
    public var settings: Set<Setting> { description.settings }

    /// How the record reads in a chronology, e.g. "Welfare check".
    public var label: String { description.label }

    /// The record type of each kind: the one switch that names them all, beside `ResponseRecord.payload`.
    var payloadType: any RecordPayload.Type {
        switch self {
        case .crimeRecord: CrimeRecord.self
        case .welfareCheck: WelfareCheck.self
        case .advice: AdviceGiven.self
        case .backgroundCheck: BackgroundCheck.self
        case .meeting: MeetingRecord.self
        case .childProtectionReferral: ChildProtectionReferralRecord.self
        case .account: AccountTaken.self
        case .suspectDecision: SuspectDecision.self
        case .interviewDecision: InterviewDecision.self
        case .deviceCustody: DeviceCustodyStep.self
        case .outcome: OutcomeRecord.self
        case .communication: CommunicationRecord.self
        case .deletionDirection: DeletionDirection.self
        case .contentRemoval: ContentRemovalRequest.self
        case .caidLiaison: CAIDLiaison.self
        case .childContactForm: ChildContactForm.self
        case .externalReport: ExternalReport.self
        case .triage: DSLTriage.self
        case .conversation: YoungPersonConversation.self
        case .parentsInformed: ParentsInformed.self
        case .supportReferral: SupportReferral.self
        case .postIncidentReview: PostIncidentReview.self
        }
    }
}

/// What every record shape has: its wire keys (for strict decoding) and the people it names.
protocol RecordPayload: Codable, Sendable, Hashable {
    static var kind: RecordKind { get }
    /// The kind's fields, label, form title and settings, declared once.
    static var description: RecordDescription { get }
    /// The record holding this value.
    var record: ResponseRecord { get }
}

extension RecordPayload {
    static var keys: [String] { description.keys }

    /// The record's stored values by field name, read once by reflection so that what the description says of a
    /// field (it holds a person, it is free text) can be asked of any record without a switch over the kinds.
    var fieldValues: [String: Any] {
        var values: [String: Any] = [:]
        for child in Mirror(reflecting: self).children {
            if let label = child.label { values[label.trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = child.value }
        }
        return values
    }

    /// The people the record names: the values of the fields its description says hold a person or people, in the
    /// description's order, each with its path (`people[1]`) for error messages.
    var personRefs: [(field: String, ref: String)] {
        let values = fieldValues
        var refs: [(field: String, ref: String)] = []
        for field in Self.description.fields {
            switch field.input {
            case .person:
                if let ref = values[field.name] as? String { refs.append((field.name, ref)) }
            case .people:
                for (i, ref) in (values[field.name] as? [String] ?? []).enumerated() { refs.append(("\(field.name)[\(i)]", ref)) }
            default: break
            }
        }
        return refs
    }
}

/// Yes, no or not known yet, as a form asks it.
let answerLabels: [Answer: String] = [.yes: "Yes", .no: "No", .notKnownYet: "Not known yet"]

// MARK: Police (College of Policing)

/// Action 1 (2016: para 9): the crime recorded under the Home Office Crime Recording Rules.
public struct CrimeRecord: RecordPayload {
    static let kind = RecordKind.crimeRecord
    static let description = RecordDescription(
        label: "Crime recorded", formTitle: "Record the crime", settings: [.police], fields: [
            .text("crimeReference", "Crime reference number", hint: "From your crime recording system", required: true),
            .date("reportedOn", "Date reported", required: true),
            // Every offence the law pack names, in any nation; the rules refuse one not of the case's nation.
            RecordField("offences", .choices(GuidanceLibrary.bundled.law.jurisdictions.keys.sorted().flatMap { nation in
                GuidanceLibrary.bundled.law.jurisdictions[nation]!.offences.map { RecordField.Option(value: $0.id, label: $0.description) } }
                .reduce(into: [RecordField.Option]()) { all, o in if !all.contains(where: { $0.value == o.value }) { all.append(o) } }),
                        "Offences", required: true),
            .longText("offenceChangeReason", "If you change the offences, say why"),
            RecordField("homeOfficeClassification", .filledText, "Home Office classification"),
        ], line: "{offences?crime reference|incident reference} {crimeReference}, reported {reportedOn}, {offences?offences: {offences:offence}|no crime disclosed, so an incident record only}{homeOfficeClassification?; Home Office classification {homeOfficeClassification}}")
    var record: ResponseRecord { .crimeRecord(self) }
    public var crimeReference: String
    public var reportedOn: CalendarDate

    /// Whether a crime record in `nation` may name no offence. The College of Policing records every report as a crime;
    /// the Scottish Crime Recording Standard (Section B) makes an incident record of every report and a crime report
    /// only where the facts disclose a crime, so a Scottish record naming no offence (conduct by a child under 12, say)
    /// is an incident record. The rules and the form both ask this.
    public static func mayNameNoOffence(in nation: Jurisdiction) -> Bool { nation == .scotland }
    /// Offence ids from the jurisdiction's list (see `safeguard guidance show law`).
    public var offences: [String]
    /// Required when the offences differ from those the engine suggests.
    public var offenceChangeReason: String?
    /// England and Wales: 86/2 (take, make or distribute) or 86/10 (possession). Filled from the offences when left out.
    public var homeOfficeClassification: String?
}

/// Action 2 (2016: para 10): a welfare check and its result.
public struct WelfareCheck: RecordPayload {
    static let kind = RecordKind.welfareCheck
    static let description = RecordDescription(
        label: "Welfare check", formTitle: "Record a welfare check", settings: [.police], fields: [
            .person("person", "Whose welfare?", required: true),
            .date("checkedOn", "Date", required: true),
            .longText("result", "What the check found", required: true),
            .yesNo("concerns", "Did it find a risk of harm?"),
        ], line: "{person} checked on {checkedOn}{concerns?, concerns found}")
    var record: ResponseRecord { .welfareCheck(self) }
    public var person: String
    public var checkedOn: CalendarDate
    public var result: String
    /// Whether the check found a risk of harm (e.g. self-harm) that needs immediate referral (Action 7).
    public var concerns: Bool?
}

public enum AdviceTopic: String, Sendable, Hashable, Codable, CaseIterable {
    /// Not to copy, keep or pass on the imagery: doing so could break the law.
    case notToCopy
    case deleteImagery
    case whereToFindSupport
    case reportRemove
    case nextSteps
}

/// Action 2 (2016: para 10): advice given, and to whom.
public struct AdviceGiven: RecordPayload {
    static let kind = RecordKind.advice
    static let description = RecordDescription(
        label: "Advice given", formTitle: "Record advice given", settings: [.police], fields: [
            .text("to", "Who was advised?", hint: "A person's letter, or for example \"parents of A\"", required: true),
            .date("givenOn", "Date", required: true),
            .choices("topics", "What advice was given?", AdviceTopic.self, labels: [
                .notToCopy: "Not to copy, keep or pass on the imagery", .deleteImagery: "To delete the imagery",
                .whereToFindSupport: "Where to find support", .reportRemove: "How to use Report Remove", .nextSteps: "What happens next"],
                required: true),
            .longText("note", "Anything else to note", hint: "Optional"),
        ], line: "to {to} on {givenOn}: {topics}")
    var record: ResponseRecord { .advice(self) }
    /// A person ref, or "parents of A".
    public var to: String
    public var givenOn: CalendarDate
    public var topics: [AdviceTopic]
    public var note: String?
}

public enum CheckSystem: String, Sendable, Hashable, Codable, CaseIterable {
    case pnc, pnd, localPoliceSystems, mash, partnerAgency
}

public enum CheckStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case pending, done
}

/// Action 3 (2016: para 11): a background check on a person or a location.
public struct BackgroundCheck: RecordPayload {
    static let kind = RecordKind.backgroundCheck
    static let description = RecordDescription(
        label: "Background check", formTitle: "Record a background check", settings: [.police], fields: [
            .person("person", "Which person? (or give a location below)"),
            .text("location", "Or a location", hint: "A short description, no address needed"),
            .choice("system", "Which system?", CheckSystem.self, labels: [
                .pnc: "Police National Computer", .pnd: "Police National Database", .localPoliceSystems: "Local police systems",
                .mash: "MASH", .partnerAgency: "A partner agency"], required: true),
            .choice("status", "Done or pending?", CheckStatus.self, labels: [.done: "Done", .pending: "Pending"], required: true),
            .date("checkedOn", "Date done"),
            .longText("result", "What it found", hint: "For example: no trace"),
        ], line: "{person?{person}|{location}} on {system}: {status}{checkedOn?, {checkedOn}}")
    var record: ResponseRecord { .backgroundCheck(self) }
    /// The person checked, or nil when the subject is a location.
    public var person: String?
    /// A location's short description (no address needed), when the subject is a place.
    public var location: String?
    public var system: CheckSystem
    public var status: CheckStatus
    public var result: String?
    public var checkedOn: CalendarDate?
}

public enum MeetingKind: String, Sendable, Hashable, Codable, CaseIterable {
    case strategyMeeting, multiAgencyMeeting, conversationWithFamily, conversationWithChild
    /// Scotland's inter-agency referral discussion (National Guidance 2021, 3.15–3.19): police, social work and
    /// health decide together what happens next. Scottish cases only.
    case interAgencyReferralDiscussion

    /// Whether a case in `nation` holds this kind of meeting: Scotland an IRD where England, Wales and Northern
    /// Ireland hold a strategy meeting. The rules refuse, and the form does not offer, the other nation's.
    public func isHeld(in nation: Jurisdiction) -> Bool {
        switch self {
        case .interAgencyReferralDiscussion: nation == .scotland
        case .strategyMeeting: nation != .scotland
        default: true
        }
    }
}

/// Actions 3–4 (2016: paras 11–12): a strategy or multi-agency meeting, or a conversation with a child or family,
/// held or scheduled. Scheduling one before the background checks are done needs a safeguarding reason.
public struct MeetingRecord: RecordPayload {
    static let kind = RecordKind.meeting
    static let description = RecordDescription(
        label: "Meeting or conversation", formTitle: "Record a meeting or conversation", settings: [.police, .education], fields: [
            .choice("meetingKind", "What kind?", MeetingKind.self, labels: [
                .strategyMeeting: "Strategy meeting", .multiAgencyMeeting: "Multi-agency meeting",
                .conversationWithFamily: "Conversation with the family", .conversationWithChild: "Conversation with the child",
                .interAgencyReferralDiscussion: "Inter-agency referral discussion (IRD)"],
                required: true),
            .date("on", "Date (held or planned)", required: true),
            .list("with", "With whom", hint: "Agencies or people's letters, separated by commas", required: true),
            .text("reference", "Reference", hint: "Optional"),
            .longText("outcome", "What was agreed", hint: "Optional"),
            .longText("proceedBeforeChecksReason", "If the background checks are not done: the safeguarding reason to go ahead now"),
        ], line: "{meetingKind} on {on}{proceedBeforeChecksReason? (before checks were complete, with a recorded reason)}")
    var record: ResponseRecord { .meeting(self) }
    public var meetingKind: MeetingKind
    public var on: CalendarDate
    /// Who takes part: agencies, or person refs.
    public var with: [String]
    public var reference: String?
    public var outcome: String?
    /// Why it cannot wait for the background checks (Action 3: "safeguarding concerns may require immediate action").
    public var proceedBeforeChecksReason: String?
}

/// Action 4 (2016: para 12), NSPCC "When to make a child protection referral": to whom, when, reference.
public struct ChildProtectionReferralRecord: RecordPayload {
    static let kind = RecordKind.childProtectionReferral
    static let description = RecordDescription(
        label: "Child protection referral", formTitle: "Record a child protection referral", settings: [.police, .education], fields: [
            .text("to", "Who it was referred to", hint: "For example: children's social care, or the MASH", required: true),
            .date("referredOn", "Date", required: true),
            .text("reference", "Reference", hint: "Optional"),
            .people("people", "About whom?", required: true),
        ], line: "to {to} on {referredOn}{reference?, reference {reference}}")
    var record: ResponseRecord { .childProtectionReferral(self) }
    public var to: String
    public var referredOn: CalendarDate
    public var reference: String?
    public var people: [String]
}

/// Action 5 (2016: para 14): an account taken. It says who and when, never what the imagery shows.
public struct AccountTaken: RecordPayload {
    static let kind = RecordKind.account
    static let description = RecordDescription(
        label: "Account taken", formTitle: "Record an account taken", settings: [.police], fields: [
            .person("person", "Whose account?", required: true),
            .date("takenOn", "Date", required: true),
            .text("takenBy", "Taken by", required: true),
            .longText("summary", "Notes", hint: "Optional; no description of the imagery"),
        ], line: "from {person} on {takenOn} by {takenBy}")
    var record: ResponseRecord { .account(self) }
    public var person: String
    public var takenOn: CalendarDate
    public var takenBy: String
    public var summary: String?
}

public enum SuspectBasis: String, Sendable, Hashable, Codable, CaseIterable {
    /// Evidence of intention (mens rea): record as a suspect.
    case mensRea
    /// Willing participation: local discretion not to record as a suspect.
    case willingParticipation
    case accident
    case lackOfEvidence
}

/// Action 5: whether to record a person as a suspect, and why (mens rea; willing participation or accident).
public struct SuspectDecision: RecordPayload {
    static let kind = RecordKind.suspectDecision
    static let description = RecordDescription(
        label: "Suspect recording decision", formTitle: "Decide whether to record a suspect", settings: [.police], fields: [
            .person("person", "About whom?", required: true),
            .yesNo("recordAsSuspect", "Record them as a suspect?", required: true),
            .choice("basis", "On what basis?", SuspectBasis.self, labels: [
                .mensRea: "Evidence of intention (mens rea)", .willingParticipation: "Willing participation",
                .accident: "An accident", .lackOfEvidence: "Lack of evidence"], required: true),
            .longText("rationale", "Your rationale", required: true),
            .date("decidedOn", "Date", required: true),
        ], line: "{person}: {recordAsSuspect?recorded as a suspect|not recorded as a suspect} ({basis})")
    var record: ResponseRecord { .suspectDecision(self) }
    public var person: String
    public var recordAsSuspect: Bool
    public var basis: SuspectBasis
    public var rationale: String
    public var decidedOn: CalendarDate
}

/// Action 6 (2016: para 16): a visually recorded interview planned or not, and why.
public struct InterviewDecision: RecordPayload {
    static let kind = RecordKind.interviewDecision
    static let description = RecordDescription(
        label: "Visually recorded interview decision", formTitle: "Decide on a visually recorded interview", settings: [.police], fields: [
            .person("person", "About whom?", required: true),
            // Worded for any edition's interview (Scotland's is the Joint Investigative Interview): the form's title
            // and the record's name come from the edition (`GuidancePack.recordNames`).
            .yesNo("planned", "Is the interview planned?", required: true),
            .longText("reason", "Why", required: true),
            .date("decidedOn", "Date", required: true),
        ], line: "{person}: interview {planned?planned|not planned}")
    var record: ResponseRecord { .interviewDecision(self) }
    public var person: String
    public var planned: Bool
    public var reason: String
    public var decidedOn: CalendarDate
}

/// The power under which police seized a device (Action 5: PACE s32 or s54, or the owner's cooperation).
public enum SeizurePower: String, Sendable, Hashable, Codable, CaseIterable {
    case pace32, pace54, pace19, consent, warrant, other
}

/// One step of a device's custody chain. Police steps follow Actions 5, 6 and 15; school steps follow NSPCC
/// "What to do with a sexting image".
public enum CustodyStep: String, Sendable, Hashable, Codable, CaseIterable {
    // Police (`securedBySchool`: the school holds it under its own powers, without a police seizure; Action 5)
    case leftWithOwner, securedBySchool, seized, examined, retained, returned, destroyed
    // School
    case confiscated, disconnected, switchedOff, storedSecurely, searched
    // Both
    case handedToPolice

    public var setting: Setting? {
        switch self {
        case .leftWithOwner, .securedBySchool, .seized, .examined, .retained, .returned, .destroyed: .police
        case .confiscated, .disconnected, .switchedOff, .storedSecurely, .searched: .education
        case .handedToPolice: nil
        }
    }
}

/// A step in a device's custody chain, with the National Decision Model rationale where a decision was made.
public struct DeviceCustodyStep: RecordPayload {
    static let kind = RecordKind.deviceCustody
    static let description = RecordDescription(
        label: "Device custody", formTitle: "Record a device custody step", settings: [.police, .education], fields: [
            RecordField("device", .device, "Which device?", required: true),
            .choice("step", "What happened to it?", CustodyStep.self, labels: [
                .leftWithOwner: "Left with its owner", .securedBySchool: "Secured by the school under its own powers",
                .seized: "Seized by police", .examined: "Examined", .retained: "Retained", .returned: "Returned to its owner",
                .destroyed: "Destroyed", .confiscated: "Confiscated", .disconnected: "Disconnected from the internet",
                .switchedOff: "Switched off", .storedSecurely: "Stored securely",
                .searched: "Searched (only with an immediate risk of harm)", .handedToPolice: "Handed to police"], required: true),
            .date("on", "Date", required: true),
            .text("by", "By whom", hint: "A name or collar number", required: true),
            .choice("power", "Power used, for a seizure", SeizurePower.self, labels: [
                .pace32: "PACE section 32", .pace54: "PACE section 54", .pace19: "PACE section 19",
                .consent: "With the owner's consent", .warrant: "Under a warrant", .other: "Another power"], settings: [.police]),
            .text("powerDetail", "If another power, which", settings: [.police]),
            .longText("rationale", "Why (National Decision Model rationale)"),
            .text("where", "Where it is stored", hint: "For a device stored securely", settings: [.education]),
            .longText("immediateRiskOfHarm", "The immediate risk of harm that justifies a search",
                      hint: "A device is searched only where there is an immediate risk of harm", settings: [.education]),
            .text("toWhom", "Handed to whom", hint: "For a device handed to police, or returned: to whom"),
            RecordField("imagerySolelyOfOwner", .filledYesNo, "Was the imagery on it solely of its owner?"),
        ], line: "{device} {step} on {on} by {by}{power? under {power}}{imagerySolelyOfOwner=true? (imagery solely of the owner)}{imagerySolelyOfOwner=false? (imagery not solely of the owner)}")
    var record: ResponseRecord { .deviceCustody(self) }
    public var device: String
    public var step: CustodyStep
    public var on: CalendarDate
    /// Who did it (a name or collar number).
    public var by: String
    public var power: SeizurePower?
    public var powerDetail: String?
    /// Why (National Decision Model): required for decisions to leave, seize, retain, return or destroy.
    public var rationale: String?
    /// Where it is kept (stored securely).
    public var `where`: String?
    /// Who received it (handed to police).
    public var toWhom: String?
    /// The immediate risk of harm that justifies a school search (NSPCC: search only then).
    public var immediateRiskOfHarm: String?
    /// Set by a superintendent's sign-off on return (Action 15).
    public var imagerySolelyOfOwner: Bool?

    public init(device: String, step: CustodyStep, on: CalendarDate, by: String, power: SeizurePower? = nil,
                powerDetail: String? = nil, rationale: String? = nil, where: String? = nil, toWhom: String? = nil,
                immediateRiskOfHarm: String? = nil, imagerySolelyOfOwner: Bool? = nil) {
        self.device = device
        self.step = step
        self.on = on
        self.by = by
        self.power = power
        self.powerDetail = powerDetail
        self.rationale = rationale
        self.where = `where`
        self.toWhom = toWhom
        self.immediateRiskOfHarm = immediateRiskOfHarm
        self.imagerySolelyOfOwner = imagerySolelyOfOwner
    }
}

/// Action 9: the outcome code, from the Home Office list (England and Wales) or a local scheme elsewhere.
public struct OutcomeRecord: RecordPayload {
    static let kind = RecordKind.outcome
    static let description = RecordDescription(
        label: "Outcome recorded", formTitle: "Record the outcome", settings: [.police], fields: [
            RecordField("code", .choice(OutcomeCode.allCases.map { RecordField.Option(value: $0.rawValue, label: $0 == .local ? $0.title : "\($0.rawValue): \($0.title)") }),
                        "Outcome", required: true),
            RecordField("nationalOutcome", .choice(GuidanceLibrary.bundled.law.jurisdictions.keys.sorted().flatMap { nation in
                GuidanceLibrary.bundled.law.jurisdictions[nation]!.outcomes.map { RecordField.Option(value: $0.id, label: $0.title) } }),
                        "Outcome", hint: "Scotland and Northern Ireland: the outcome from the nation's list"),
            .text("localDescription", "Or another outcome under your force's scheme"),
            .date("decidedOn", "Date decided", required: true),
            .longText("rationale", "Why this outcome", required: true),
        ], line: "{code=local?{nationalOutcome?outcome: {nationalOutcome:label}|local outcome} on {decidedOn}|Outcome {code:label}, decided on {decidedOn}}")
    var record: ResponseRecord { .outcome(self) }
    public var code: OutcomeCode
    public var decidedOn: CalendarDate
    public var rationale: String
    /// For `local`: the outcome under the force's own scheme (Scotland, Northern Ireland), in words.
    public var localDescription: String?
    /// For `local` in Scotland or Northern Ireland: the outcome from the nation's list in the law pack, by id
    /// (e.g. `recordedPoliceWarning`, `youthEngagementClinic`).
    public var nationalOutcome: String?

    public init(code: OutcomeCode, decidedOn: CalendarDate, rationale: String, localDescription: String? = nil,
                nationalOutcome: String? = nil) {
        self.code = code
        self.decidedOn = decidedOn
        self.rationale = rationale
        self.localDescription = localDescription
        self.nationalOutcome = nationalOutcome
    }
}

public enum Audience: String, Sendable, Hashable, Codable, CaseIterable {
    case child, parentsOrCarers, school
}

public enum CommunicationTopic: String, Sendable, Hashable, Codable, CaseIterable {
    case nextSteps, outcome, dbs, contactDetails, support
}

public enum CommunicationMethod: String, Sendable, Hashable, Codable, CaseIterable {
    case inPerson, phone, letter, email
}

/// Actions 7, 12 and 13 (2016: paras 17, 22): what was explained, to whom and how. When `dbs` is a topic, the
/// edition's DBS explanation is attached to the stored record.
public struct CommunicationRecord: RecordPayload {
    static let kind = RecordKind.communication
    static let description = RecordDescription(
        label: "Communication", formTitle: "Record what was explained", settings: [.police, .education], fields: [
            .choice("audience", "To whom?", Audience.self, labels: [.child: "The young person", .parentsOrCarers: "Their parents or carers", .school: "The school"],
                    required: true),
            .person("person", "About which young person?"),
            .date("on", "Date", required: true),
            .choice("method", "How?", CommunicationMethod.self, labels: [.inPerson: "In person", .phone: "By phone", .letter: "By letter", .email: "By email"],
                    required: true),
            .choices("topics", "What was explained?", CommunicationTopic.self, labels: [
                .nextSteps: "What happens next", .outcome: "The outcome", .dbs: "What it means for DBS checks",
                .contactDetails: "The officer's contact details", .support: "Where to find support"], required: true),
            .longText("note", "Anything else to note", hint: "Optional"),
            RecordField("dbsExplanation", .filledText, "The guidance's DBS explanation"),
        ], line: "to {audience}{person? of {person}} on {on} ({method}): {topics}")
    var record: ResponseRecord { .communication(self) }
    public var audience: Audience
    /// The child concerned (for the child or their parents).
    public var person: String?
    public var on: CalendarDate
    public var method: CommunicationMethod
    public var topics: [CommunicationTopic]
    public var note: String?
    /// Filled by Safeguard from the edition in force: what the guidance says to explain about DBS.
    public var dbsExplanation: String?
}

/// Action 14 (2016: para 23): a direction to delete copies, and the proof that they were deleted.
public struct DeletionDirection: RecordPayload {
    static let kind = RecordKind.deletionDirection
    static let description = RecordDescription(
        label: "Deletion direction", formTitle: "Direct the deletion of copies", settings: [.police], fields: [
            .person("holder", "Who holds copies?", required: true),
            .date("directedOn", "Date of the direction", required: true),
            .text("directedBy", "Who gave the direction", required: true),
            .date("deletedOn", "If the deletion is already proved: when", hint: "Leave empty until you have proof"),
            .longText("proof", "How it was proved", hint: "For example: the holder showed the officer the chat and the deleted items folder"),
            .text("verifiedBy", "Who saw the proof"),
        ], line: "{holder} directed on {directedOn}{deletedOn&proof&verifiedBy?; deletion proved on {deletedOn}|; proof of deletion awaited}")
    var record: ResponseRecord { .deletionDirection(self) }
    /// Who holds copies (a person ref).
    public var holder: String
    public var directedOn: CalendarDate
    public var directedBy: String
    /// Proof of deletion: when, how, and who saw it. All three, or none yet.
    public var deletedOn: CalendarDate?
    public var proof: String?
    public var verifiedBy: String?

    public var proven: Bool { deletedOn != nil && proof != nil && verifiedBy != nil }
}

public enum RemovalService: String, Sendable, Hashable, Codable, CaseIterable {
    case snapchat, whatsapp, instagram, facebook, youtube, tiktok, google, other, iwf, reportRemove
}

public enum RemovalStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case requested, acknowledged, removed, refused, noResponse
}

/// Action 8 (2016: para 18, Appendix B); NSPCC "Getting an explicit image removed": a request to a platform or to the
/// IWF / Report Remove, with its status.
public struct ContentRemovalRequest: RecordPayload {
    static let kind = RecordKind.contentRemoval
    static let description = RecordDescription(
        label: "Content removal request", formTitle: "Request removal of content", settings: [.police, .education], fields: [
            .choice("service", "Which service?", RemovalService.self, labels: [
                .snapchat: "Snapchat", .whatsapp: "WhatsApp", .instagram: "Instagram", .facebook: "Facebook", .youtube: "YouTube",
                .tiktok: "TikTok", .google: "Google", .iwf: "Internet Watch Foundation", .reportRemove: "Report Remove (Childline and IWF)",
                .other: "Another service"], required: true),
            .text("serviceName", "If another service, its name"),
            RecordField("imagery", .imagery, "Which imagery?", required: true),
            .date("requestedOn", "Date requested", required: true),
            .text("reference", "Reference", hint: "Optional"),
            .choice("status", "Status", RemovalStatus.self, labels: [
                .requested: "Requested", .acknowledged: "Acknowledged", .removed: "Removed", .refused: "Refused", .noResponse: "No response"],
                required: true),
        ], line: "{serviceName?{serviceName}|{service}} on {requestedOn}: {status}")
    var record: ResponseRecord { .contentRemoval(self) }
    public var service: RemovalService
    /// For `other`: the service's name.
    public var serviceName: String?
    /// Imagery refs.
    public var imagery: [String]
    public var requestedOn: CalendarDate
    public var reference: String?
    public var status: RemovalStatus
}

public enum LiaisonStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case requested, addedToCAID, notSuitable
}

/// Action 16 (2016: para 25): liaison with the High-Tech Crime Unit so that imagery shared beyond a child's control
/// is added to the Child Abuse Image Database.
public struct CAIDLiaison: RecordPayload {
    static let kind = RecordKind.caidLiaison
    static let description = RecordDescription(
        label: "CAID / High-Tech Crime Unit liaison", formTitle: "Record CAID / High-Tech Crime Unit liaison", settings: [.police], fields: [
            .text("unit", "High-Tech Crime Unit", required: true),
            .date("on", "Date", required: true),
            .text("reference", "Reference", hint: "Optional"),
            .choice("status", "Status", LiaisonStatus.self, labels: [.requested: "Requested", .addedToCAID: "Added to CAID", .notSuitable: "Not suitable"],
                    required: true),
            RecordField("imagery", .imagery, "Which imagery?", required: true),
        ], line: "{unit} on {on}: {status}")
    var record: ResponseRecord { .caidLiaison(self) }
    public var unit: String
    public var on: CalendarDate
    public var reference: String?
    public var status: LiaisonStatus
    public var imagery: [String]
}

/// Action 17 (2016: para 26): the child contact with police form, raised to tell partners.
public struct ChildContactForm: RecordPayload {
    static let kind = RecordKind.childContactForm
    static let description = RecordDescription(
        label: "Child contact with police form", formTitle: "Record the child contact with police form", settings: [.police], fields: [
            .date("raisedOn", "Date raised", required: true),
            .list("sharedWith", "Shared with", hint: "Partners, separated by commas, for example: children's social care, the school", required: true),
            .text("reference", "Reference", hint: "Optional"),
        ], line: "raised {raisedOn}, shared with {sharedWith}")
    var record: ResponseRecord { .childContactForm(self) }
    public var raisedOn: CalendarDate
    public var sharedWith: [String]
    public var reference: String?
}

public enum ReportedTo: String, Sendable, Hashable, Codable, CaseIterable {
    case police999, ceop, nspccHelpline, localChildProtection
}

/// NSPCC "Reporting": a call to 999, a report to CEOP, or advice sought.
public struct ExternalReport: RecordPayload {
    static let kind = RecordKind.externalReport
    static let description = RecordDescription(
        label: "Report to another agency", formTitle: "Record a report to 999 or CEOP", settings: [.education], fields: [
            .choice("to", "Reported to", ReportedTo.self, labels: [
                .police999: "The police on 999", .ceop: "CEOP", .nspccHelpline: "The NSPCC Helpline",
                .localChildProtection: "Local child protection services"], required: true),
            .date("on", "Date", required: true),
            .text("reference", "Reference", hint: "Optional"),
        ], line: "{to} on {on}")
    var record: ResponseRecord { .externalReport(self) }
    public var to: ReportedTo
    public var on: CalendarDate
    public var reference: String?
}

// MARK: Schools (NSPCC / UKCIS)

public enum ContentKind: String, Sendable, Hashable, Codable, CaseIterable {
    case image, video, message, notKnownYet
}

public enum Answer: String, Sendable, Hashable, Codable, CaseIterable {
    case yes, no, notKnownYet
}

public enum DeviceOwnership: String, Sendable, Hashable, Codable, CaseIterable {
    case organisational, personal, notKnownYet
}

/// NSPCC "Gathering information": the six things the DSL finds out, without viewing any image.
public struct DSLTriage: RecordPayload {
    static let kind = RecordKind.triage
    static let description = RecordDescription(
        label: "Triage", formTitle: "Triage: the six questions", settings: [.education], fields: [
            .choice("content", "Is it an image, a video or a message?", ContentKind.self, labels: [
                .image: "An image", .video: "A video", .message: "A message", .notKnownYet: "Not known yet"], required: true),
            .people("sentBy", "Who sent it?", hint: "Leave all unticked if not known yet", required: true),
            .people("featured", "Who is in it?", hint: "Leave all unticked if not known yet", required: true),
            .choice("adultsInvolved", "Are any adults involved?", Answer.self, labels: answerLabels, required: true),
            .choice("device", "Was it on an organisational or a personal device?", DeviceOwnership.self, labels: [
                .organisational: "Organisational (the school's)", .personal: "Personal", .notKnownYet: "Not known yet"], required: true),
            .choice("sharedElsewhere", "Has it been shared further, for example online?", Answer.self, labels: answerLabels, required: true),
            .date("triagedOn", "Date", required: true),
        ], line: "{content}; adults involved: {adultsInvolved}; device: {device}; shared elsewhere: {sharedElsewhere}")
    var record: ResponseRecord { .triage(self) }
    public var content: ContentKind
    /// Person refs, empty when not known yet.
    public var sentBy: [String]
    public var featured: [String]
    public var adultsInvolved: Answer
    public var device: DeviceOwnership
    public var sharedElsewhere: Answer
    public var triagedOn: CalendarDate
}

/// NSPCC "Talking to a young person": a record of talking to each young person involved.
public struct YoungPersonConversation: RecordPayload {
    static let kind = RecordKind.conversation
    static let description = RecordDescription(
        label: "Talk with a young person", formTitle: "Record a talk with a young person", settings: [.education], fields: [
            .person("person", "With whom?", required: true),
            .date("on", "Date", required: true),
            .text("by", "Who talked with them", required: true),
            .longText("supportNeeded", "The support they need", hint: "Optional"),
        ], line: "with {person} on {on} by {by}")
    var record: ResponseRecord { .conversation(self) }
    public var person: String
    public var on: CalendarDate
    public var by: String
    public var supportNeeded: String?
}

/// NSPCC "Supporting children and young people"; Action 2: parents or carers informed, or why not.
public struct ParentsInformed: RecordPayload {
    static let kind = RecordKind.parentsInformed
    static let description = RecordDescription(
        label: "Parents or carers", formTitle: "Parents or carers", settings: [.police, .education], fields: [
            .person("person", "Whose parents or carers?", required: true),
            .yesNo("informed", "Were they informed?", required: true),
            .date("on", "Date", required: true),
            .longText("reasonNotInformed", "If not, the risk to the child that informing them would pose"),
        ], line: "{informed?parents or carers of {person} informed on {on}|parents or carers of {person} not informed (reason recorded)}")
    var record: ResponseRecord { .parentsInformed(self) }
    public var person: String
    public var informed: Bool
    public var on: CalendarDate
    /// Required when not informed: the risk to the child that informing would pose.
    public var reasonNotInformed: String?
}

public enum SupportService: String, Sendable, Hashable, Codable, CaseIterable {
    case counselling, therapeutic, harmfulSexualBehaviour, other
}

/// NSPCC "Supporting children and young people": a referral to counselling or therapeutic support.
public struct SupportReferral: RecordPayload {
    static let kind = RecordKind.supportReferral
    static let description = RecordDescription(
        label: "Support referral", formTitle: "Record a support referral", settings: [.police, .education], fields: [
            .person("person", "For whom?", required: true),
            .choice("service", "To what service?", SupportService.self, labels: [
                .counselling: "Counselling", .therapeutic: "Therapeutic support", .harmfulSexualBehaviour: "Harmful sexual behaviour support",
                .other: "Another service"], required: true),
            .text("serviceName", "If another service, its name"),
            .date("referredOn", "Date", required: true),
        ], line: "{person} referred to {serviceName?{serviceName}|{service}} on {referredOn}")
    var record: ResponseRecord { .supportReferral(self) }
    public var person: String
    public var service: SupportService
    public var serviceName: String?
    public var referredOn: CalendarDate
}

/// NSPCC "Recording and reviewing": what happened and what was learned, and when the policy is to be reviewed.
public struct PostIncidentReview: RecordPayload {
    static let kind = RecordKind.postIncidentReview
    static let description = RecordDescription(
        label: "Post-incident review", formTitle: "Record the post-incident review", settings: [.education], fields: [
            .date("reviewedOn", "Date of the review", required: true),
            .longText("whatHappened", "What happened and how it was dealt with", required: true),
            .longText("learned", "What was learned", required: true),
            .date("policyReviewBy", "Review the sharing nudes policy by", required: true),
        ], line: "reviewed {reviewedOn}; policy review by {policyReviewBy}")
    var record: ResponseRecord { .postIncidentReview(self) }
    public var reviewedOn: CalendarDate
    public var whatHappened: String
    public var learned: String
    /// The date by which the setting's sharing-nudes policy is to be reviewed (a reminder).
    public var policyReviewBy: CalendarDate
}

// MARK: Coding

/// A problem with a record, naming the field and what to fix, and the guidance behind the rule when there is one.
public struct RecordProblem: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var message: String
    public var citation: Citation?

    public init(field: String, message: String, citation: Citation? = nil) {
        self.field = field
        self.message = message
        self.citation = citation
    }

    public var description: String {
        (field.isEmpty ? message : "\(field): \(message)") + (citation.map { " (\($0.document), \($0.section))" } ?? "")
    }
}

extension ResponseRecord: Codable {
    enum KindKey: String, CodingKey { case kind }

    public init(from decoder: Decoder) throws {
        let kind = try decoder.container(keyedBy: KindKey.self).decode(RecordKind.self, forKey: .kind)
        self = try kind.payloadType.init(from: decoder).record
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: KindKey.self)
        try c.encode(kind, forKey: .kind)
        try payload.encode(to: encoder)
    }

    public static func keys(of kind: RecordKind) -> [String] { kind.description.keys }

    /// Decodes a record strictly from a request: `kind` first, then only that kind's keys, each of its type.
    public static func decode(json data: Data) throws(RecordProblem) -> ResponseRecord {
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw RecordProblem(field: "", message: "expected a JSON object with a kind")
            }
            object = parsed
        } catch let problem as RecordProblem { throw problem } catch {
            throw RecordProblem(field: "", message: "not valid JSON")
        }
        let kinds = RecordKind.allCases.map(\.rawValue)
        guard let kindText = object["kind"] as? String else {
            throw RecordProblem(field: "kind", message: "required: one of \(kinds.joined(separator: ", "))")
        }
        guard let kind = RecordKind(rawValue: kindText) else {
            throw RecordProblem(field: "kind", message: StrictObject.expectedOneOf(RecordKind.self, got: kindText))
        }
        let allowed = ["kind"] + keys(of: kind)
        for key in object.keys.sorted() where !allowed.contains(key) {
            throw RecordProblem(field: key, message: unknownKeyMessage(key, allowed: allowed))
        }
        // Nulls mean "not given": drop them so optional fields decode as nil and required ones say "required".
        let cleaned = object.filter { !($0.value is NSNull) }
        do {
            let data = try JSONSerialization.data(withJSONObject: cleaned)
            return try JSONDecoder().decode(ResponseRecord.self, from: data)
        } catch let error as DecodingError {
            throw problem(from: error, kind: kind)
        } catch {
            throw RecordProblem(field: "", message: "could not read the record: \(error)")
        }
    }

    static func problem(from error: DecodingError, kind: RecordKind) -> RecordProblem {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                .reduce("") { $0.isEmpty ? $1 : ($1.hasPrefix("[") ? $0 + $1 : "\($0).\($1)") }
        }
        switch error {
        case .keyNotFound(let key, let context):
            return RecordProblem(field: path(context.codingPath + [key]),
                                 message: "required" + (hint(key.stringValue, kind: kind).map { " (\($0))" } ?? ""))
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let field = path(context.codingPath)
            return RecordProblem(field: field, message: "wrong type" + (hint(context.codingPath.last?.stringValue ?? "", kind: kind).map { ": expected \($0)" } ?? ""))
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            let last = context.codingPath.last?.stringValue ?? ""
            return RecordProblem(field: field, message: hint(last, kind: kind).map { "expected \($0)" } ?? context.debugDescription)
        @unknown default:
            return RecordProblem(field: "", message: "\(error)")
        }
    }

    /// What a field of a kind expects, for error messages, from the kind's description.
    static func hint(_ key: String, kind: RecordKind) -> String? {
        kind.description.field(key)?.expected
    }
}
