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

    public var kind: RecordKind {
        switch self {
        case .crimeRecord: .crimeRecord
        case .welfareCheck: .welfareCheck
        case .advice: .advice
        case .backgroundCheck: .backgroundCheck
        case .meeting: .meeting
        case .childProtectionReferral: .childProtectionReferral
        case .account: .account
        case .suspectDecision: .suspectDecision
        case .interviewDecision: .interviewDecision
        case .deviceCustody: .deviceCustody
        case .outcome: .outcome
        case .communication: .communication
        case .deletionDirection: .deletionDirection
        case .contentRemoval: .contentRemoval
        case .caidLiaison: .caidLiaison
        case .childContactForm: .childContactForm
        case .externalReport: .externalReport
        case .triage: .triage
        case .conversation: .conversation
        case .parentsInformed: .parentsInformed
        case .supportReferral: .supportReferral
        case .postIncidentReview: .postIncidentReview
        }
    }

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
}

/// The shapes of record, by the name used as `kind` on the wire.
public enum RecordKind: String, Sendable, Hashable, Codable, CaseIterable {
    case crimeRecord, welfareCheck, advice, backgroundCheck, meeting, childProtectionReferral, account, suspectDecision,
         interviewDecision, deviceCustody, outcome, communication, deletionDirection, contentRemoval, caidLiaison,
         childContactForm, externalReport, triage, conversation, parentsInformed, supportReferral, postIncidentReview

    /// The settings whose cases may hold this kind of record.
    public var settings: Set<Setting> {
        switch self {
        case .crimeRecord, .welfareCheck, .advice, .backgroundCheck, .account, .suspectDecision, .interviewDecision,
             .outcome, .deletionDirection, .caidLiaison, .childContactForm:
            [.police]
        case .triage, .conversation, .externalReport, .postIncidentReview:
            [.education]
        case .meeting, .childProtectionReferral, .deviceCustody, .communication, .contentRemoval, .parentsInformed,
             .supportReferral:
            [.police, .education]
        }
    }

    /// How the record reads in a chronology, e.g. "Welfare check".
    public var label: String {
        switch self {
        case .crimeRecord: "Crime recorded"
        case .welfareCheck: "Welfare check"
        case .advice: "Advice given"
        case .backgroundCheck: "Background check"
        case .meeting: "Meeting or conversation"
        case .childProtectionReferral: "Child protection referral"
        case .account: "Account taken"
        case .suspectDecision: "Suspect recording decision"
        case .interviewDecision: "Visually recorded interview decision"
        case .deviceCustody: "Device custody"
        case .outcome: "Outcome recorded"
        case .communication: "Communication"
        case .deletionDirection: "Deletion direction"
        case .contentRemoval: "Content removal request"
        case .caidLiaison: "CAID / High-Tech Crime Unit liaison"
        case .childContactForm: "Child contact with police form"
        case .externalReport: "Report to another agency"
        case .triage: "Triage"
        case .conversation: "Talk with a young person"
        case .parentsInformed: "Parents or carers"
        case .supportReferral: "Support referral"
        case .postIncidentReview: "Post-incident review"
        }
    }
}

/// What every record shape has: its wire keys (for strict decoding) and the people it names.
protocol RecordPayload: Codable, Sendable, Hashable {
    static var kind: RecordKind { get }
    static var keys: [String] { get }
    var personRefs: [(field: String, ref: String)] { get }
}

extension RecordPayload {
    var personRefs: [(field: String, ref: String)] { [] }
}

// MARK: Police (College of Policing)

/// Action 1 (2016: para 9): the crime recorded under the Home Office Crime Recording Rules.
public struct CrimeRecord: RecordPayload {
    static let kind = RecordKind.crimeRecord
    static let keys = ["crimeReference", "reportedOn", "offences", "offenceChangeReason", "homeOfficeClassification"]
    public var crimeReference: String
    public var reportedOn: CalendarDate
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
    static let keys = ["person", "checkedOn", "result", "concerns"]
    public var person: String
    public var checkedOn: CalendarDate
    public var result: String
    /// Whether the check found a risk of harm (e.g. self-harm) that needs immediate referral (Action 7).
    public var concerns: Bool?
    var personRefs: [(field: String, ref: String)] { [("person", person)] }
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
    static let keys = ["to", "givenOn", "topics", "note"]
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
    static let keys = ["person", "location", "system", "status", "result", "checkedOn"]
    /// The person checked, or nil when the subject is a location.
    public var person: String?
    /// A location's short description (no address needed), when the subject is a place.
    public var location: String?
    public var system: CheckSystem
    public var status: CheckStatus
    public var result: String?
    public var checkedOn: CalendarDate?
    var personRefs: [(field: String, ref: String)] { person.map { [("person", $0)] } ?? [] }
}

public enum MeetingKind: String, Sendable, Hashable, Codable, CaseIterable {
    case strategyMeeting, multiAgencyMeeting, conversationWithFamily, conversationWithChild
}

/// Actions 3–4 (2016: paras 11–12): a strategy or multi-agency meeting, or a conversation with a child or family,
/// held or scheduled. Scheduling one before the background checks are done needs a safeguarding reason.
public struct MeetingRecord: RecordPayload {
    static let kind = RecordKind.meeting
    static let keys = ["meetingKind", "on", "with", "reference", "outcome", "proceedBeforeChecksReason"]
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
    static let keys = ["to", "referredOn", "reference", "people"]
    public var to: String
    public var referredOn: CalendarDate
    public var reference: String?
    public var people: [String]
    var personRefs: [(field: String, ref: String)] { people.enumerated().map { ("people[\($0.offset)]", $0.element) } }
}

/// Action 5 (2016: para 14): an account taken. It says who and when, never what the imagery shows.
public struct AccountTaken: RecordPayload {
    static let kind = RecordKind.account
    static let keys = ["person", "takenOn", "takenBy", "summary"]
    public var person: String
    public var takenOn: CalendarDate
    public var takenBy: String
    public var summary: String?
    var personRefs: [(field: String, ref: String)] { [("person", person)] }
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
    static let keys = ["person", "recordAsSuspect", "basis", "rationale", "decidedOn"]
    public var person: String
    public var recordAsSuspect: Bool
    public var basis: SuspectBasis
    public var rationale: String
    public var decidedOn: CalendarDate
    var personRefs: [(field: String, ref: String)] { [("person", person)] }
}

/// Action 6 (2016: para 16): a visually recorded interview planned or not, and why.
public struct InterviewDecision: RecordPayload {
    static let kind = RecordKind.interviewDecision
    static let keys = ["person", "planned", "reason", "decidedOn"]
    public var person: String
    public var planned: Bool
    public var reason: String
    public var decidedOn: CalendarDate
    var personRefs: [(field: String, ref: String)] { [("person", person)] }
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
    static let keys = ["device", "step", "on", "by", "power", "powerDetail", "rationale", "where", "toWhom",
                       "immediateRiskOfHarm", "imagerySolelyOfOwner"]
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
    static let keys = ["code", "decidedOn", "rationale", "localDescription", "nationalOutcome"]
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
    static let keys = ["audience", "person", "on", "method", "topics", "note", "dbsExplanation"]
    public var audience: Audience
    /// The child concerned (for the child or their parents).
    public var person: String?
    public var on: CalendarDate
    public var method: CommunicationMethod
    public var topics: [CommunicationTopic]
    public var note: String?
    /// Filled by Safeguard from the edition in force: what the guidance says to explain about DBS.
    public var dbsExplanation: String?
    var personRefs: [(field: String, ref: String)] { person.map { [("person", $0)] } ?? [] }
}

/// Action 14 (2016: para 23): a direction to delete copies, and the proof that they were deleted.
public struct DeletionDirection: RecordPayload {
    static let kind = RecordKind.deletionDirection
    static let keys = ["holder", "directedOn", "directedBy", "deletedOn", "proof", "verifiedBy"]
    /// Who holds copies (a person ref).
    public var holder: String
    public var directedOn: CalendarDate
    public var directedBy: String
    /// Proof of deletion: when, how, and who saw it. All three, or none yet.
    public var deletedOn: CalendarDate?
    public var proof: String?
    public var verifiedBy: String?
    var personRefs: [(field: String, ref: String)] { [("holder", holder)] }

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
    static let keys = ["service", "serviceName", "imagery", "requestedOn", "reference", "status"]
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
    static let keys = ["unit", "on", "reference", "status", "imagery"]
    public var unit: String
    public var on: CalendarDate
    public var reference: String?
    public var status: LiaisonStatus
    public var imagery: [String]
}

/// Action 17 (2016: para 26): the child contact with police form, raised to tell partners.
public struct ChildContactForm: RecordPayload {
    static let kind = RecordKind.childContactForm
    static let keys = ["raisedOn", "sharedWith", "reference"]
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
    static let keys = ["to", "on", "reference"]
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
    static let keys = ["content", "sentBy", "featured", "adultsInvolved", "device", "sharedElsewhere", "triagedOn"]
    public var content: ContentKind
    /// Person refs, empty when not known yet.
    public var sentBy: [String]
    public var featured: [String]
    public var adultsInvolved: Answer
    public var device: DeviceOwnership
    public var sharedElsewhere: Answer
    public var triagedOn: CalendarDate
    var personRefs: [(field: String, ref: String)] {
        sentBy.enumerated().map { ("sentBy[\($0.offset)]", $0.element) }
            + featured.enumerated().map { ("featured[\($0.offset)]", $0.element) }
    }
}

/// NSPCC "Talking to a young person": a record of talking to each young person involved.
public struct YoungPersonConversation: RecordPayload {
    static let kind = RecordKind.conversation
    static let keys = ["person", "on", "by", "supportNeeded"]
    public var person: String
    public var on: CalendarDate
    public var by: String
    public var supportNeeded: String?
    var personRefs: [(field: String, ref: String)] { [("person", person)] }
}

/// NSPCC "Supporting children and young people"; Action 2: parents or carers informed, or why not.
public struct ParentsInformed: RecordPayload {
    static let kind = RecordKind.parentsInformed
    static let keys = ["person", "informed", "on", "reasonNotInformed"]
    public var person: String
    public var informed: Bool
    public var on: CalendarDate
    /// Required when not informed: the risk to the child that informing would pose.
    public var reasonNotInformed: String?
    var personRefs: [(field: String, ref: String)] { [("person", person)] }
}

public enum SupportService: String, Sendable, Hashable, Codable, CaseIterable {
    case counselling, therapeutic, harmfulSexualBehaviour, other
}

/// NSPCC "Supporting children and young people": a referral to counselling or therapeutic support.
public struct SupportReferral: RecordPayload {
    static let kind = RecordKind.supportReferral
    static let keys = ["person", "service", "serviceName", "referredOn"]
    public var person: String
    public var service: SupportService
    public var serviceName: String?
    public var referredOn: CalendarDate
    var personRefs: [(field: String, ref: String)] { [("person", person)] }
}

/// NSPCC "Recording and reviewing": what happened and what was learned, and when the policy is to be reviewed.
public struct PostIncidentReview: RecordPayload {
    static let kind = RecordKind.postIncidentReview
    static let keys = ["reviewedOn", "whatHappened", "learned", "policyReviewBy"]
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
        switch kind {
        case .crimeRecord: self = .crimeRecord(try CrimeRecord(from: decoder))
        case .welfareCheck: self = .welfareCheck(try WelfareCheck(from: decoder))
        case .advice: self = .advice(try AdviceGiven(from: decoder))
        case .backgroundCheck: self = .backgroundCheck(try BackgroundCheck(from: decoder))
        case .meeting: self = .meeting(try MeetingRecord(from: decoder))
        case .childProtectionReferral: self = .childProtectionReferral(try ChildProtectionReferralRecord(from: decoder))
        case .account: self = .account(try AccountTaken(from: decoder))
        case .suspectDecision: self = .suspectDecision(try SuspectDecision(from: decoder))
        case .interviewDecision: self = .interviewDecision(try InterviewDecision(from: decoder))
        case .deviceCustody: self = .deviceCustody(try DeviceCustodyStep(from: decoder))
        case .outcome: self = .outcome(try OutcomeRecord(from: decoder))
        case .communication: self = .communication(try CommunicationRecord(from: decoder))
        case .deletionDirection: self = .deletionDirection(try DeletionDirection(from: decoder))
        case .contentRemoval: self = .contentRemoval(try ContentRemovalRequest(from: decoder))
        case .caidLiaison: self = .caidLiaison(try CAIDLiaison(from: decoder))
        case .childContactForm: self = .childContactForm(try ChildContactForm(from: decoder))
        case .externalReport: self = .externalReport(try ExternalReport(from: decoder))
        case .triage: self = .triage(try DSLTriage(from: decoder))
        case .conversation: self = .conversation(try YoungPersonConversation(from: decoder))
        case .parentsInformed: self = .parentsInformed(try ParentsInformed(from: decoder))
        case .supportReferral: self = .supportReferral(try SupportReferral(from: decoder))
        case .postIncidentReview: self = .postIncidentReview(try PostIncidentReview(from: decoder))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: KindKey.self)
        try c.encode(kind, forKey: .kind)
        try payload.encode(to: encoder)
    }

    public static func keys(of kind: RecordKind) -> [String] {
        switch kind {
        case .crimeRecord: CrimeRecord.keys
        case .welfareCheck: WelfareCheck.keys
        case .advice: AdviceGiven.keys
        case .backgroundCheck: BackgroundCheck.keys
        case .meeting: MeetingRecord.keys
        case .childProtectionReferral: ChildProtectionReferralRecord.keys
        case .account: AccountTaken.keys
        case .suspectDecision: SuspectDecision.keys
        case .interviewDecision: InterviewDecision.keys
        case .deviceCustody: DeviceCustodyStep.keys
        case .outcome: OutcomeRecord.keys
        case .communication: CommunicationRecord.keys
        case .deletionDirection: DeletionDirection.keys
        case .contentRemoval: ContentRemovalRequest.keys
        case .caidLiaison: CAIDLiaison.keys
        case .childContactForm: ChildContactForm.keys
        case .externalReport: ExternalReport.keys
        case .triage: DSLTriage.keys
        case .conversation: YoungPersonConversation.keys
        case .parentsInformed: ParentsInformed.keys
        case .supportReferral: SupportReferral.keys
        case .postIncidentReview: PostIncidentReview.keys
        }
    }

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
                                 message: "required for a \(kind.rawValue) record" + (hint(key.stringValue).map { ": \($0)" } ?? ""))
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let field = path(context.codingPath)
            return RecordProblem(field: field, message: "wrong type" + (hint(context.codingPath.last?.stringValue ?? "").map { ": expected \($0)" } ?? ""))
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            let last = context.codingPath.last?.stringValue ?? ""
            return RecordProblem(field: field, message: hint(last).map { "expected \($0)" } ?? context.debugDescription)
        @unknown default:
            return RecordProblem(field: "", message: "\(error)")
        }
    }

    /// What a field expects, for error messages.
    static func hint(_ key: String) -> String? {
        func list<E: RawRepresentable & CaseIterable>(_: E.Type) -> String where E.RawValue == String {
            "one of " + E.allCases.map(\.rawValue).joined(separator: ", ")
        }
        switch key {
        case "reportedOn", "checkedOn", "givenOn", "on", "referredOn", "takenOn", "decidedOn", "directedOn", "deletedOn",
             "requestedOn", "raisedOn", "triagedOn", "reviewedOn", "policyReviewBy":
            return "a date written YYYY-MM-DD"
        case "topics": return "a list drawn from the topics allowed for this record"
        case "system": return list(CheckSystem.self)
        case "status": return "a status (see the API description for this kind)"
        case "meetingKind": return list(MeetingKind.self)
        case "basis": return list(SuspectBasis.self)
        case "step": return list(CustodyStep.self)
        case "power": return list(SeizurePower.self)
        case "code": return "a Home Office outcome code such as \"21\", \"22\" or \"1A\", or \"local\""
        case "audience": return list(Audience.self)
        case "method": return list(CommunicationMethod.self)
        case "service": return "a service such as " + RemovalService.allCases.map(\.rawValue).joined(separator: ", ")
        case "to": return "who it went to"
        case "content": return list(ContentKind.self)
        case "adultsInvolved", "sharedElsewhere": return list(Answer.self)
        case "device": return "a device ref such as D1, or for triage one of organisational, personal, notKnownYet"
        case "recordAsSuspect", "planned", "informed", "concerns", "imagerySolelyOfOwner": return "true or false"
        case "offences", "people", "imagery", "with", "sharedWith", "sentBy", "featured": return "a list of strings"
        default: return key.isEmpty ? nil : "text"
        }
    }
}
