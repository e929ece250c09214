import Foundation
import Yams

/// One edition of one guidance document for one setting, as data: its paragraphs, decisions and recommendations.
/// A pack is immutable once loaded, so what is worked out from it at load time never goes stale.
///
/// Packs ship as YAML resources (`Resources/guidance/*.yaml`). A change to the guidance is a change to a pack and
/// its tests, not to the engine. `safeguard guidance check FILE` validates a pack.
///
/// ```yaml
/// id: college-of-policing
/// edition: "2016 (v1.0)"
/// setting: police
/// appliesFrom: 2016-11-01
/// jurisdictions: [england, wales]
/// sections:
///   - { id: "9", heading: Initial police action, summary: Record every report as a crime. }
/// decisions:
///   route:
///     citations: ["13"]
///     rules:
///       - { when: aggravatingFeatures, value: fullInvestigation }
///       - { value: proportionate }
/// ```
public struct GuidancePack: Sendable, Hashable, Decodable {
    public let id: String
    public let edition: String
    public let title: String
    /// Where the published document can be read, when we hold its address.
    public let url: String?
    public let publisher: String
    public let published: String
    public let setting: Setting
    /// The nations whose cases this edition governs, in its setting and dates.
    public let jurisdictions: [Jurisdiction]
    /// Nations with no edition of their own for this setting on a date, whose cases are assessed under this one
    /// instead, with a note saying so (the NSPCC says the UKCIS principles "might also be helpful" elsewhere).
    public let fallbackFor: [Jurisdiction]
    /// How the edition names the school's lead for safeguarding, where it is not the designated safeguarding lead.
    public let leadRole: LeadRole?
    public let appliesFrom: CalendarDate
    public let appliesUntil: CalendarDate?
    /// Why the dates are what they are, where the document does not say.
    public let dateNote: String?
    public let summary: String
    /// The edition's own position on questions where editions differ (e.g. `dbs`, `consent`).
    public let positions: [String: String]
    public let sections: [Section]
    public let decisions: [String: DecisionRules]
    /// The decisions' rules by `DecisionKey` position, so that assessment never hashes a decision's name.
    public let decisionList: [DecisionRules?]
    public let recommendations: [RecommendationRule]
    /// Plain-words question for each fact, by key (`people.age`, `circumstances.grooming`); `{ref}` is the subject.
    public let questions: [String: String]
    /// Each question split at `{ref}`, so that asking it is a join, not a search.
    let questionTemplates: [String: [String]]
    public let resources: [ResourceEntry]
    /// Letters the edition words, e.g. the Outcome 21 written record.
    public let letters: PackLetters?
    /// What happens next, in words for the child and family, each when its condition holds.
    public let familySteps: [FamilyStepRule]
    /// The section each rule for recording the response rests on in this edition (see ``RecordRule``).
    public let recordRules: [String: String]
    /// Worked cases beside the rules, facts in and decisions out, which the tests and `guidance check` run.
    public let examples: [PackExample]
    /// Who takes a child protection referral in this school edition's nation, as a sentence says it: "the Gateway
    /// Team of the local Health and Social Care Trust" (Northern Ireland), "social work" (Scotland); none in England
    /// and Wales, where it is ``socialCareDefault``. A police edition that stands in for another nation's
    /// (`fallbackFor`) writes ``socialCarePlaceholder`` where it names that service, and the assessment fills it in
    /// from the case's nation (``GuidanceLibrary/socialCare(in:on:)``).
    public let socialCare: String?
    /// What this edition calls a record the College of Policing's model names otherwise, by record kind: Scotland's
    /// Joint Investigative Interview decision, its concern report. The pages and documents use these names.
    public let recordNames: [String: RecordName]
    /// What this edition calls a decision, by decision key, where the model's name is not its own.
    public let decisionNames: [String: String]
    public static let socialCareDefault = "children's social care"
    public static let socialCarePlaceholder = "{socialCare}"
    /// Which recommendations and family steps name the service by the placeholder, found once when the pack loads.
    let recommendationNamesSocialCare: [Bool]
    let familyStepNamesSocialCare: [Bool]
    /// Each recommendation's citations, made once when the pack loads rather than on every assessment.
    let recommendationCitations: [[Citation]]
    /// The resources as an assessment gives them, made once when the pack loads.
    let resourceList: [Resource]

    static func templates(_ questions: [String: String]) -> [String: [String]] {
        questions.mapValues { $0.components(separatedBy: "{ref}") }
    }

    static let keys = ["id", "edition", "title", "url", "publisher", "published", "setting", "jurisdictions", "fallbackFor",
                       "leadRole", "appliesFrom", "appliesUntil", "dateNote", "summary", "positions", "sections",
                       "decisions", "recommendations", "questions", "resources", "letters", "familySteps",
                       "recordRules", "examples", "socialCare", "recordNames", "decisionNames"]

    public init(from decoder: Decoder) throws {
        let c = try PackObject(decoder, allowed: Self.keys)
        id = try c.required("id")
        edition = try c.required("edition")
        title = try c.required("title")
        url = try c.optional("url")
        publisher = try c.required("publisher")
        published = try c.required("published")
        setting = try c.required("setting")
        jurisdictions = try c.required("jurisdictions")
        fallbackFor = try c.optional("fallbackFor") ?? []
        leadRole = try c.optional("leadRole")
        appliesFrom = try c.required("appliesFrom")
        appliesUntil = try c.optional("appliesUntil")
        dateNote = try c.optional("dateNote")
        summary = try c.required("summary")
        positions = try c.optional("positions") ?? [:]
        sections = try c.required("sections")
        let decisions: [String: DecisionRules] = try c.required("decisions")
        self.decisions = decisions
        decisionList = DecisionKey.allCases.map { decisions[$0.rawValue] }
        recommendations = try c.required("recommendations")
        let questions: [String: String] = try c.required("questions")
        self.questions = questions
        questionTemplates = GuidancePack.templates(questions)
        resources = try c.optional("resources") ?? []
        letters = try c.optional("letters")
        familySteps = try c.optional("familySteps") ?? []
        recordRules = try c.optional("recordRules") ?? [:]
        examples = try c.optional("examples") ?? []
        socialCare = try c.optional("socialCare")
        recordNames = try c.optional("recordNames") ?? [:]
        decisionNames = try c.optional("decisionNames") ?? [:]
        recommendationNamesSocialCare = recommendations.map { $0.text.contains(Self.socialCarePlaceholder) }
        familyStepNamesSocialCare = familySteps.map { $0.text.contains(Self.socialCarePlaceholder) }
        let title = self.title
        recommendationCitations = recommendations.map { $0.citations.map { Citation(document: title, section: $0) } }
        resourceList = resources.map { entry in
            Resource(id: entry.id, name: entry.name, forWhom: entry.forWhom, description: entry.description,
                     phone: entry.phone, email: entry.email, web: entry.web, text: entry.text,
                     source: entry.source ?? (entry.citations.isEmpty ? title : "\(title), \(entry.citations.joined(separator: ", "))"))
        }
    }

    public var reference: GuidanceReference {
        GuidanceReference(id: id, edition: edition, title: title, publisher: publisher)
    }

    public func applies(on date: CalendarDate) -> Bool {
        appliesFrom <= date && appliesUntil.map { date <= $0 } ?? true
    }

    /// The section of this edition a response rule rests on, if the edition has one for it.
    ///
    /// ```swift
    /// pack.citation(for: .recordCrime)   // Citation(document: "Responding to …", section: "Action 1")
    /// ```
    public func citation(for rule: RecordRule) -> Citation? {
        recordRules[rule.rawValue].map { Citation(document: title, section: $0) }
    }

    /// The rule's section in a reader's words, "Action 1" or "paragraph 9", for a page's brackets; empty when the
    /// edition has none for it.
    public func cited(_ rule: RecordRule) -> String {
        guard let section = recordRules[rule.rawValue] else { return "" }
        return Citation.label(section)
    }

    /// The rule's section in brackets after a sentence, " (Action 1)", or nothing when the edition has none for it.
    public func inBrackets(_ rules: RecordRule...) -> String {
        let cited = Citation.inWords(rules.compactMap { recordRules[$0.rawValue] })
        return cited.isEmpty ? "" : " (\(cited))"
    }

    /// The rule's section with the publisher, " (College of Policing, Action 11)", or nothing.
    public func inBracketsWithPublisher(_ rule: RecordRule) -> String {
        let cited = cited(rule)
        return cited.isEmpty ? "" : " (\(publisher), \(cited))"
    }

    /// How this edition says reports are recorded, for the pages: its `positions.recording`, or the College of
    /// Policing's rule (every report is a crime record, Action 1; 2016: para 9).
    public var recordingRule: String { positions["recording"] ?? "Every report is recorded as a crime" }

    /// What this edition says of a case whose content is messages alone, with no image: its `positions.messagesOnly`,
    /// added to the notes of every such assessment (the Welsh Government's advice does not cover them).
    public var messagesOnlyNote: String? { positions["messagesOnly"] }
    /// "designated safeguarding lead", or the edition's own name for the role.
    public var leadRoleName: String { leadRole?.name ?? "designated safeguarding lead" }
    /// "DSL", or the edition's own short name.
    public var leadRoleShort: String { leadRole?.short ?? "DSL" }
    /// The lead's role as a label: "Designated safeguarding lead", "Designated safeguarding person (DSP)".
    public var leadRoleLabel: String {
        guard let leadRole else { return "Designated safeguarding lead" }
        let name = leadRole.name.prefix(1).uppercased() + leadRole.name.dropFirst()
        let acronym = leadRole.short.count <= 5 && leadRole.short.allSatisfy(\.isUppercase)
        return acronym ? "\(name) (\(leadRole.short))" : name
    }
}

/// How an edition names the school's safeguarding lead: Wales's designated safeguarding person (DSP), for example.
///
/// ```yaml
/// leadRole: { name: designated safeguarding person, short: DSP }
/// ```
/// A record kind as an edition names it, where its nation's guidance has a name of its own.
///
/// ```yaml
/// recordNames:
///   interviewDecision: { label: Joint Investigative Interview decision, formTitle: Decide on a Joint Investigative Interview (JII) }
/// ```
public struct RecordName: Sendable, Hashable, Decodable {
    public var label: String
    public var formTitle: String
    /// The sentence the form opens with, in place of the model's, when the edition's record is another thing.
    public var intro: String?

    public init(from decoder: Decoder) throws {
        let c = try PackObject(decoder, allowed: ["label", "formTitle", "intro"])
        label = try c.required("label")
        formTitle = try c.required("formTitle")
        intro = try c.optional("intro")
    }
}

extension GuidancePack {
    /// A record kind in this edition's words: "Concern report (iVPD)" in Scotland, "Child contact with police form"
    /// where the edition names it no other way.
    public func label(of kind: RecordKind) -> String { recordNames[kind.rawValue]?.label ?? kind.label }
    /// The form's title for a record kind in this edition's words.
    public func formTitle(of kind: RecordKind) -> String { recordNames[kind.rawValue]?.formTitle ?? kind.description.formTitle }
    /// A decision in this edition's words: "Joint Investigative Interview (JII)" in Scotland.
    public func label(of decision: DecisionKey) -> String { decisionNames[decision.rawValue] ?? decision.label }
}

public struct LeadRole: Sendable, Hashable, Decodable {
    public var name: String
    public var short: String

    public init(from decoder: Decoder) throws {
        let c = try PackObject(decoder, allowed: ["name", "short"])
        name = try c.required("name")
        short = try c.required("short")
    }
}

/// A worked case beside a pack's rules: the facts, and the decisions, recommendations and offences they must give.
/// A policy lead adds one without writing Swift; the tests and `safeguard guidance check` run every one.
///
/// ```yaml
/// examples:
///   - name: An adult asked for the image
///     facts: { jurisdiction: wales, setting: education, people: [{ ref: A, age: 14, roles: [depicted, sender] },
///                                                                  { ref: X, age: 31, roles: [requester] }] }
///     expect: { childProtectionReferral: required, policeReferral: required }
///     recommendationsPresent: [childProtectionReferral, informPolice]
/// ```
public struct PackExample: Sendable, Hashable, Decodable {
    public var name: String
    public var note: String?
    public var facts: CaseFacts
    /// Decision name to the value it must have; `emergency` as "true" or "false".
    public var expect: [String: String]
    public var recommendationsPresent: [String]
    public var recommendationsAbsent: [String]
    /// When given, exactly the offence ids (from the law pack) the assessment must suggest.
    public var offences: [String]?
    /// Words each of which some note of the assessment must contain.
    public var notesContain: [String]

    public init(from decoder: Decoder) throws {
        let c = try PackObject(decoder, allowed: ["name", "note", "facts", "expect", "recommendationsPresent",
                                                  "recommendationsAbsent", "offences", "notesContain"])
        name = try c.required("name")
        note = try c.optional("note")
        do {
            facts = try c.container.decode(StrictRootProbe.self, forKey: AnyKey("facts")).facts
        } catch let error as CaseFactsError {
            throw PackError(path: PackError.render(decoder.codingPath + [AnyKey("facts")])
                                + (error.path.isEmpty ? "" : ".\(error.path)"), message: error.message)
        }
        let expect: [String: Scalar] = try c.optional("expect") ?? [:]
        self.expect = expect.mapValues(\.text)
        recommendationsPresent = try c.optional("recommendationsPresent") ?? []
        recommendationsAbsent = try c.optional("recommendationsAbsent") ?? []
        offences = try c.optional("offences")
        notesContain = try c.optional("notesContain") ?? []
    }

    /// A YAML scalar read as text, so that `emergency: false` and `emergency: "false"` mean the same.
    struct Scalar: Decodable {
        var text: String
        init(from decoder: Decoder) throws {
            let single = try decoder.singleValueContainer()
            if let bool = try? single.decode(Bool.self) { text = bool ? "true" : "false" } else { text = try single.decode(String.self) }
        }
    }
}

/// A paragraph, Action or section of a guidance document, summarised in our own words.
public struct Section: Sendable, Hashable, Decodable {
    public var id: String
    public var heading: String
    public var summary: String

    public init(from decoder: Decoder) throws {
        let c = try PackObject(decoder, allowed: ["id", "heading", "summary"])
        id = try c.required("id")
        heading = try c.required("heading")
        summary = try c.required("summary")
    }
}

/// How a pack settles one decision: the first rule whose condition holds gives the value.
///
/// A rule whose condition is not yet known makes the decision `undetermined`; a rule with no condition always holds.
public struct DecisionRules: Sendable, Hashable, Decodable {
    public var citations: [String]
    public var rules: [DecisionRule]

    public init(from decoder: Decoder) throws {
        let c = try PackObject(decoder, allowed: ["citations", "rules"])
        citations = try c.required("citations")
        rules = try c.required("rules")
    }
}

public struct DecisionRule: Sendable, Hashable, Decodable {
    public var when: Condition?
    public var value: String
    /// Paragraphs for this value in particular, in addition to the decision's own.
    public var citations: [String]

    public init(from decoder: Decoder) throws {
        let c = try PackObject(decoder, allowed: ["when", "value", "citations"])
        when = try c.optional("when")
        value = try c.required("value")
        citations = try c.optional("citations") ?? []
    }
}

/// A recommendation the pack makes when its condition holds.
public struct RecommendationRule: Sendable, Hashable, Decodable {
    public var id: String
    public var severity: Severity
    public var when: Condition
    public var text: String
    public var citations: [String]
    /// True for an instruction that holds for the whole case ("do not view the imagery"): shown, never ticked off.
    public var standing: Bool

    /// The guidance's own timescale, in days from when the recommendation is raised (0: the same day, where it says
    /// "immediately" or "now"). An action made of it is due then; without it, a MUST action takes the organisation's
    /// setting (issue 11, point 1).
    public var dueWithinDays: Int?

    public init(from decoder: Decoder) throws {
        let c = try PackObject(decoder, allowed: ["id", "severity", "when", "text", "citations", "standing", "dueWithinDays"])
        id = try c.required("id")
        severity = try c.required("severity")
        when = try c.required("when")
        text = try c.required("text")
        citations = try c.required("citations")
        standing = try c.optional("standing") ?? false
        dueWithinDays = try c.optional("dueWithinDays")
        if let days = dueWithinDays, days < 0 || days > 365 {
            throw PackError(path: decoder.codingPath + [AnyKey("dueWithinDays")], message: "give a number of days from 0 (the same day) to 365")
        }
    }
}

/// A next step told to the child and family, when its condition holds.
public struct FamilyStepRule: Sendable, Hashable, Decodable {
    public var when: Condition
    public var text: String
    public var citations: [String]

    public init(from decoder: Decoder) throws {
        let c = try PackObject(decoder, allowed: ["when", "text", "citations"])
        when = try c.required("when")
        text = try c.required("text")
        citations = try c.required("citations")
    }
}

/// A helpline or service, with its details as the guidance gives them.
public struct ResourceEntry: Sendable, Hashable, Decodable {
    public var id: String
    public var name: String
    public var forWhom: String
    public var description: String
    public var phone: String?
    public var email: String?
    public var web: String?
    public var text: String?
    public var citations: [String]
    /// Where the details come from when that is another document than the pack's own (e.g. an earlier edition).
    public var source: String?

    public init(from decoder: Decoder) throws {
        let c = try PackObject(decoder, allowed: ["id", "name", "forWhom", "description", "phone", "email", "web",
                                                  "text", "citations", "source"])
        id = try c.required("id")
        name = try c.required("name")
        forWhom = try c.required("forWhom")
        description = try c.required("description")
        phone = try c.optional("phone")
        email = try c.optional("email")
        web = try c.optional("web")
        text = try c.optional("text")
        citations = try c.optional("citations") ?? []
        source = try c.optional("source")
    }
}

/// A condition over named facts and earlier decisions, as written in a pack.
///
/// ```yaml
/// when: always
/// when: aggravatingFeatures
/// when: { any: [coercion, blackmail] }
/// when: { all: [{ decision: outcome21, is: eligible }, { not: anyDeviceSeized }] }
/// ```
public indirect enum Condition: Sendable, Hashable, Decodable {
    case always
    case fact(NamedFact)
    case any([Condition])
    case all([Condition])
    case not(Condition)
    case decision(DecisionKey, [String])

    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let text = try? single.decode(String.self) {
            if text == "always" { self = .always; return }
            guard let fact = NamedFact(rawValue: text) else {
                var message = "\"\(text)\" is not a named fact"
                if let near = nearest(to: text, in: NamedFact.allCases.map(\.rawValue)) {
                    message += " (did you mean \"\(near)\"?)"
                }
                throw PackError(path: decoder.codingPath, message: message + "; see `safeguard guidance facts`")
            }
            self = .fact(fact)
            return
        }
        let c = try PackObject(decoder, allowed: ["any", "all", "not", "decision", "is"])
        if let items: [Condition] = try c.optional("any") { self = .any(items); return }
        if let items: [Condition] = try c.optional("all") { self = .all(items); return }
        if let inner: Condition = try c.optional("not") { self = .not(inner); return }
        if let keyText: String = try c.optional("decision") {
            guard let key = DecisionKey(rawValue: keyText) else {
                throw PackError(path: decoder.codingPath + [AnyKey("decision")],
                                message: "\"\(keyText)\" is not a decision; expected one of \(DecisionKey.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let values: [String]
            if let one: String = try? c.optional("is") { values = [one] } else { values = try c.required("is") }
            for value in values where !key.allowedValues.contains(value) {
                throw PackError(path: decoder.codingPath + [AnyKey("is")],
                                message: "\"\(value)\" is not a value of \(key.rawValue); expected one of \(key.allowedValues.joined(separator: ", "))")
            }
            self = .decision(key, values)
            return
        }
        throw PackError(path: decoder.codingPath,
                        message: "expected `always`, a named fact, or one of any:, all:, not:, decision: with is:")
    }

    /// The named facts the condition reads.
    var namedFacts: [NamedFact] {
        switch self {
        case .always, .decision: []
        case .fact(let f): [f]
        case .any(let items), .all(let items): items.flatMap(\.namedFacts)
        case .not(let inner): inner.namedFacts
        }
    }

    /// The decisions the condition reads.
    var decisionKeys: [DecisionKey] {
        switch self {
        case .always, .fact: []
        case .decision(let k, _): [k]
        case .any(let items), .all(let items): items.flatMap(\.decisionKeys)
        case .not(let inner): inner.decisionKeys
        }
    }

    /// The condition as a reader would say it.
    public var description: String {
        switch self {
        case .always: "always"
        case .fact(let f): f.rawValue
        case .any(let items): "any of (" + items.map(\.description).joined(separator: ", ") + ")"
        case .all(let items): "all of (" + items.map(\.description).joined(separator: ", ") + ")"
        case .not(let inner): "not " + inner.description
        case .decision(let k, let values): "\(k.rawValue) is \(values.joined(separator: " or "))"
        }
    }
}

/// A problem in a pack or overlay, at a path such as `recommendations[3].citations[0]`.
public struct PackError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    init(path: [CodingKey], message: String) {
        self.init(path: PackError.render(path), message: message)
    }

    static func render(_ path: [CodingKey]) -> String {
        var text = ""
        for key in path {
            if let i = key.intValue { text += "[\(i)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
        return text
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }

    /// Turns a decoding failure into a problem with its location.
    static func from(_ error: Error) -> PackError {
        if let error = error as? PackError { return error }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return PackError(path: context.codingPath + [key], message: "required key is missing")
        case DecodingError.typeMismatch(let type, let context):
            return PackError(path: context.codingPath, message: "expected \(readable(type))")
        case DecodingError.valueNotFound(let type, let context):
            return PackError(path: context.codingPath, message: "expected \(readable(type)), found nothing")
        case DecodingError.dataCorrupted(let context):
            // Yams reports any error thrown while decoding as "not valid YAML"; the real one is underneath.
            if let underlying = context.underlyingError, underlying is PackError || underlying is DecodingError {
                return from(underlying)
            }
            if let underlying = context.underlyingError as? YamlError {
                return PackError(path: "", message: "not valid YAML: \(underlying)")
            }
            return PackError(path: context.codingPath, message: context.debugDescription)
        case let error as YamlError:
            return PackError(path: "", message: "not valid YAML: \(error)")
        default:
            return PackError(path: "", message: "\(error)")
        }
    }

    private static func readable(_ type: Any.Type) -> String {
        let name = String(describing: type)
        if name.hasPrefix("Array") { return "a list" }
        if name.hasPrefix("Dictionary") { return "a mapping of keys to values" }
        if name == "String" { return "text" }
        return name
    }
}

/// A YAML mapping read strictly: unknown keys are errors, so a typo is never silently ignored.
struct PackObject {
    let container: KeyedDecodingContainer<AnyKey>

    init(_ decoder: Decoder, allowed: [String]) throws {
        guard let container = try? decoder.container(keyedBy: AnyKey.self) else {
            throw PackError(path: decoder.codingPath, message: "expected a mapping with keys \(allowed.joined(separator: ", "))")
        }
        self.container = container
        for key in container.allKeys where !allowed.contains(key.stringValue) {
            throw PackError(path: decoder.codingPath + [key], message: unknownKeyMessage(key.stringValue, allowed: allowed))
        }
    }

    func required<T: Decodable>(_ key: String) throws -> T {
        try container.decode(T.self, forKey: AnyKey(key))
    }

    func optional<T: Decodable>(_ key: String) throws -> T? {
        try container.decodeIfPresent(T.self, forKey: AnyKey(key))
    }
}
