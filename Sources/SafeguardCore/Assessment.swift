/// What the guidance says for one case: the decisions, what to do next and why, and what to find out.
///
/// This is the public contract of docs/contract.md: its keys are fixed. Safeguard adds keys (`assessedOn`,
/// `decisionReasons`, `offences`, `resources`, `notes`), never renames them.
///
/// ```swift
/// let assessment = try GuidanceLibrary.bundled.assess(facts, today: CalendarDate("2026-11-23")!)
/// assessment.decisions.route                     // .proportionate
/// assessment.recommendations.map(\.id)           // ["recordCrime", "welfareCheck", …]
/// ```
public struct Assessment: Sendable, Hashable, Codable {
    public var guidance: [GuidanceReference]
    public var decisions: Decisions
    public var recommendations: [Recommendation]
    public var openQuestions: [OpenQuestion]
    /// The date the case was assessed on, which chose the editions in `guidance`.
    public var assessedOn: CalendarDate
    /// For each decision: the value, the paragraphs it rests on and the facts that settled it.
    public var decisionReasons: [DecisionReason]
    /// Offences that may apply in this jurisdiction, as the guidance lists them, with the facts that suggest them.
    public var offences: [Offence]
    /// Where the child and family can find help, from the guidance plus any local overlay.
    public var resources: [Resource]
    /// Anything the reader must know about how this assessment was made (e.g. an edition chosen by fallback).
    public var notes: [String]
    /// What happens next, in words for the child and family, for the information sheet.
    public var familySteps: [FamilyStep]
}

/// A next step told to the child and family, with the paragraphs it rests on.
public struct FamilyStep: Sendable, Hashable, Codable {
    public var text: String
    public var citations: [Citation]
}

/// Which guidance document and edition an assessment used.
public struct GuidanceReference: Sendable, Hashable, Codable {
    public var id: String
    public var edition: String
    public var title: String
    public var publisher: String
}

/// A reference to a paragraph, Action or section of a guidance document.
public struct Citation: Sendable, Hashable, Codable {
    /// A section as a reader names it: a bare number is a paragraph ("paragraph 9"); "Action 1" and headings stay.
    public static func label(_ section: String) -> String {
        section.first?.isNumber == true ? "paragraph \(section)" : section
    }

    /// Sections as a reader names them, each once, joined: "paragraph 4.244 and paragraph 4.207",
    /// "Action 6 and Investigation". Pages and printed documents cite alike.
    public static func inWords(_ sections: [String]) -> String {
        var labels: [String] = []
        for label in sections.map(label) where !label.isEmpty && !labels.contains(label) { labels.append(label) }
        return Words.join(labels)
    }

    /// The document's published title.
    public var document: String
    /// The Action, paragraph or section, e.g. `Action 6` or `15`.
    public var section: String
}

/// How important a recommendation is: the guidance says it must, should, or may be considered.
public enum Severity: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case must, should, consider

    public static func < (lhs: Severity, rhs: Severity) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One thing the guidance says to do in this case, with its source and the facts that call for it.
public struct Recommendation: Sendable, Hashable, Codable {
    public var id: String
    public var severity: Severity
    public var text: String
    public var citations: [Citation]
    public var because: [String]
    /// A standing instruction ("do not view the imagery"): it holds for the whole case, so it is shown as an
    /// instruction rather than made an action someone could tick off. Written only when true (issue 11).
    public var standing: Bool = false

    public init(id: String, severity: Severity, text: String, citations: [Citation], because: [String], standing: Bool = false) {
        self.id = id
        self.severity = severity
        self.text = text
        self.citations = citations
        self.because = because
        self.standing = standing
    }

    /// The children a recommendation that turns on a per-child decision is for (`involveParentsOf`): "involve the
    /// parents" for A while B's are still in question. Empty when it is for the whole case; written only when set.
    public var people: [String] = []
    /// The guidance's timescale for it in days (0: the same day), when it states one; written only when set.
    public var dueWithinDays: Int?

    enum CodingKeys: String, CodingKey { case id, severity, text, citations, because, standing, people, dueWithinDays }

    /// The text an action made of it carries: the pack's words, and whom it is for when not the whole case.
    public var actionText: String { people.isEmpty ? text : "\(text) (for \(Words.join(people)))" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        severity = try c.decode(Severity.self, forKey: .severity)
        text = try c.decode(String.self, forKey: .text)
        citations = try c.decode([Citation].self, forKey: .citations)
        because = try c.decode([String].self, forKey: .because)
        // Assessments stored before standing instructions existed have no such key.
        standing = try c.decodeIfPresent(Bool.self, forKey: .standing) ?? false
        people = try c.decodeIfPresent([String].self, forKey: .people) ?? []
        dueWithinDays = try c.decodeIfPresent(Int.self, forKey: .dueWithinDays)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(severity, forKey: .severity)
        try c.encode(text, forKey: .text)
        try c.encode(citations, forKey: .citations)
        try c.encode(because, forKey: .because)
        if standing { try c.encode(true, forKey: .standing) }
        if !people.isEmpty { try c.encode(people, forKey: .people) }
        if let dueWithinDays { try c.encode(dueWithinDays, forKey: .dueWithinDays) }
    }
}

/// A fact not yet known whose answer would change at least one decision.
public struct OpenQuestion: Sendable, Hashable, Codable {
    /// The fact's path, e.g. `people[X].age` or `circumstances.grooming`.
    public var fact: String
    public var question: String
    /// The decision keys whose value depends on the answer.
    public var affects: [String]
}

/// Why a decision has the value it has.
public struct DecisionReason: Sendable, Hashable, Codable {
    public var decision: String
    public var value: String
    public var citations: [Citation]
    public var because: [String]
    /// For an undetermined decision, the values it could still take once the open questions are answered (issue 11):
    /// `["immediate", "required"]` means a referral is needed whichever way they go, and its MUST is raised now.
    /// Written only for undetermined decisions, so the contract only grows.
    public var possible: [String]? = nil

    /// Whether the decision is this case's to make at all: not one the guidance leaves to another setting or nation
    /// (Outcome 21 in Scotland, telling the police on a police case). Pages and documents show only these; the API
    /// keeps every decision, as the contract does.
    public var appliesHere: Bool { value != "notApplicable" && value != "notAvailable" }

    public init(decision: String, value: String, citations: [Citation], because: [String], possible: [String]? = nil) {
        self.decision = decision
        self.value = value
        self.citations = citations
        self.because = because
        self.possible = possible
    }
}

/// An offence that may apply, in the words of the guidance's summary of the law.
public struct Offence: Sendable, Hashable, Codable {
    public var id: String
    public var legislation: String
    public var description: String
    /// The Home Office crime classification used to record it (England and Wales), when there is one.
    public var homeOfficeClassification: String?
    public var citations: [Citation]
    public var because: [String]
}

/// A helpline, reporting service or local contact for the child, the family or professionals.
public struct Resource: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var forWhom: String
    public var description: String
    public var phone: String?
    public var email: String?
    public var web: String?
    public var text: String?
    /// Where the guidance gives these details, or `local overlay` for a force's or school's own contact.
    public var source: String
}

/// The decisions of an assessment, one key for each the contract names.
///
/// ```swift
/// assessment.decisions.value(of: .route)   // "proportionate"
/// ```
public struct Decisions: Sendable, Hashable, Codable {
    public var route: RouteDecision
    public var childProtectionReferral: ReferralDecision
    public var emergency: Bool
    public var outcome21: Outcome21Decision
    public var deviceSeizure: DeviceSeizureDecision
    public var visuallyRecordedInterview: RecommendedDecision
    public var caidReferral: RequiredDecision
    public var policeReferral: RequiredDecision
    public var ceopReport: RecommendedDecision
    public var involveParents: ParentsDecision
    /// `involveParents` decided for each child by ref, as if only that child's parents were in question: one child's
    /// parents can be involved while another's risk is still unknown (issue 11). Children are those not known to be
    /// 18 or over. Written only when there are any; assessments stored before it have none.
    public var involveParentsOf: [String: ParentsDecision] = [:]

    public init(route: RouteDecision, childProtectionReferral: ReferralDecision, emergency: Bool, outcome21: Outcome21Decision,
                deviceSeizure: DeviceSeizureDecision, visuallyRecordedInterview: RecommendedDecision, caidReferral: RequiredDecision,
                policeReferral: RequiredDecision, ceopReport: RecommendedDecision, involveParents: ParentsDecision,
                involveParentsOf: [String: ParentsDecision] = [:]) {
        self.route = route
        self.childProtectionReferral = childProtectionReferral
        self.emergency = emergency
        self.outcome21 = outcome21
        self.deviceSeizure = deviceSeizure
        self.visuallyRecordedInterview = visuallyRecordedInterview
        self.caidReferral = caidReferral
        self.policeReferral = policeReferral
        self.ceopReport = ceopReport
        self.involveParents = involveParents
        self.involveParentsOf = involveParentsOf
    }

    enum CodingKeys: String, CodingKey {
        case route, childProtectionReferral, emergency, outcome21, deviceSeizure, visuallyRecordedInterview, caidReferral,
             policeReferral, ceopReport, involveParents, involveParentsOf
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        route = try c.decode(RouteDecision.self, forKey: .route)
        childProtectionReferral = try c.decode(ReferralDecision.self, forKey: .childProtectionReferral)
        emergency = try c.decode(Bool.self, forKey: .emergency)
        outcome21 = try c.decode(Outcome21Decision.self, forKey: .outcome21)
        deviceSeizure = try c.decode(DeviceSeizureDecision.self, forKey: .deviceSeizure)
        visuallyRecordedInterview = try c.decode(RecommendedDecision.self, forKey: .visuallyRecordedInterview)
        caidReferral = try c.decode(RequiredDecision.self, forKey: .caidReferral)
        policeReferral = try c.decode(RequiredDecision.self, forKey: .policeReferral)
        ceopReport = try c.decode(RecommendedDecision.self, forKey: .ceopReport)
        involveParents = try c.decode(ParentsDecision.self, forKey: .involveParents)
        involveParentsOf = try c.decodeIfPresent([String: ParentsDecision].self, forKey: .involveParentsOf) ?? [:]
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(route, forKey: .route)
        try c.encode(childProtectionReferral, forKey: .childProtectionReferral)
        try c.encode(emergency, forKey: .emergency)
        try c.encode(outcome21, forKey: .outcome21)
        try c.encode(deviceSeizure, forKey: .deviceSeizure)
        try c.encode(visuallyRecordedInterview, forKey: .visuallyRecordedInterview)
        try c.encode(caidReferral, forKey: .caidReferral)
        try c.encode(policeReferral, forKey: .policeReferral)
        try c.encode(ceopReport, forKey: .ceopReport)
        try c.encode(involveParents, forKey: .involveParents)
        if !involveParentsOf.isEmpty { try c.encode(involveParentsOf, forKey: .involveParentsOf) }
    }

    /// The decision's value as the contract spells it, by key.
    public func value(of key: DecisionKey) -> String {
        switch key {
        case .route: route.rawValue
        case .childProtectionReferral: childProtectionReferral.rawValue
        case .emergency: emergency ? "true" : "false"
        case .outcome21: outcome21.rawValue
        case .deviceSeizure: deviceSeizure.rawValue
        case .visuallyRecordedInterview: visuallyRecordedInterview.rawValue
        case .caidReferral: caidReferral.rawValue
        case .policeReferral: policeReferral.rawValue
        case .ceopReport: ceopReport.rawValue
        case .involveParents: involveParents.rawValue
        }
    }
}

/// Which police response the facts call for: a full criminal investigation where any aggravating feature is
/// present, otherwise a proportionate, supportive route.
///
/// ```swift
/// assessment.decisions.route == .proportionate
/// ```
public enum RouteDecision: String, Sendable, Hashable, Codable, CaseIterable {
    case fullInvestigation, proportionate, undetermined
}

/// Whether a child protection referral is needed: `immediate` where a child is at risk of harm now; stays
/// `undetermined` while it could still be immediate.
///
/// ```swift
/// if assessment.decisions.childProtectionReferral == .immediate { /* refer now */ }
/// ```
public enum ReferralDecision: String, Sendable, Hashable, Codable, CaseIterable {
    case immediate, required, notRequired, undetermined
}

/// Whether Outcome 21 may be used: `notAvailable` outside England and Wales and outside the police.
///
/// ```swift
/// assessment.decisions.outcome21 == .eligible
/// ```
public enum Outcome21Decision: String, Sendable, Hashable, Codable, CaseIterable {
    case eligible, excluded, undetermined, notAvailable
}

/// Whether devices are to be seized: target devices in higher-risk cases, no routine seizure in lower-risk ones.
///
/// ```swift
/// assessment.decisions.deviceSeizure == .notRoutine
/// ```
public enum DeviceSeizureDecision: String, Sendable, Hashable, Codable, CaseIterable {
    case seizeTargetDevices, notRoutine, undetermined, notApplicable
}

/// A step the guidance recommends or not (a visually recorded interview, a CEOP report).
///
/// ```swift
/// assessment.decisions.ceopReport == .recommended
/// ```
public enum RecommendedDecision: String, Sendable, Hashable, Codable, CaseIterable {
    case recommended, notRequired, undetermined, notApplicable
}

/// A step the guidance requires or not (CAID liaison, telling the police).
///
/// ```swift
/// assessment.decisions.policeReferral == .required
/// ```
public enum RequiredDecision: String, Sendable, Hashable, Codable, CaseIterable {
    case required, notRequired, undetermined, notApplicable
}

/// Whether to involve parents or carers: yes, unless that would put the child at risk.
///
/// ```swift
/// assessment.decisions.involveParents == .yes
/// ```
public enum ParentsDecision: String, Sendable, Hashable, Codable, CaseIterable {
    case yes, no, undetermined
}

/// The decisions the contract names, with the values each may take.
///
/// ```swift
/// DecisionKey.outcome21.allowedValues   // ["eligible", "excluded", "undetermined", "notAvailable"]
/// ```
public enum DecisionKey: String, Sendable, Hashable, Codable, CaseIterable {
    case route, childProtectionReferral, emergency, outcome21, deviceSeizure, visuallyRecordedInterview,
         caidReferral, policeReferral, ceopReport, involveParents

    public var allowedValues: [String] {
        switch self {
        case .route: RouteDecision.allCases.map(\.rawValue)
        case .childProtectionReferral: ReferralDecision.allCases.map(\.rawValue)
        case .emergency: ["true", "false"]
        case .outcome21: Outcome21Decision.allCases.map(\.rawValue)
        case .deviceSeizure: DeviceSeizureDecision.allCases.map(\.rawValue)
        case .visuallyRecordedInterview, .ceopReport: RecommendedDecision.allCases.map(\.rawValue)
        case .caidReferral, .policeReferral: RequiredDecision.allCases.map(\.rawValue)
        case .involveParents: ParentsDecision.allCases.map(\.rawValue)
        }
    }

    /// The value that means "not settled by the facts known so far", if the decision has one.
    public var undeterminedValue: String? { self == .emergency ? nil : "undetermined" }

    var index: Int { DecisionKey.allCases.firstIndex(of: self)! }
}
