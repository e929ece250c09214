/// The facts of one case, exactly as the assessment contract (docs/contract.md) describes them.
///
/// Every yes/no fact is a ``Tri``: absent or `null` in JSON means "not known yet". Decoding is strict: an unknown
/// key, a wrong type or a reference to a person who is not in the case is a ``CaseFactsError`` that names the
/// JSON path and what is allowed there.
///
/// ```swift
/// let facts = try CaseFacts.decode(json: Data(#"{"jurisdiction":"england","setting":"police","people":[]}"#.utf8))
/// facts.people.isEmpty   // true
/// ```
public struct CaseFacts: Sendable, Hashable {
    public var jurisdiction: Jurisdiction
    public var setting: Setting
    /// The date the case is assessed on; selects the guidance edition in force. `nil` means today.
    public var assessedOn: CalendarDate?
    public var people: [Person]
    public var imagery: [Imagery]
    public var circumstances: Circumstances
    public var devices: [Device]

    public init(
        jurisdiction: Jurisdiction, setting: Setting, assessedOn: CalendarDate? = nil, people: [Person] = [],
        imagery: [Imagery] = [], circumstances: Circumstances = Circumstances(), devices: [Device] = []
    ) {
        self.jurisdiction = jurisdiction
        self.setting = setting
        self.assessedOn = assessedOn
        self.people = people
        self.imagery = imagery
        self.circumstances = circumstances
        self.devices = devices
    }
}

/// The four UK nations, each with its own law on indecent images of children.
public enum Jurisdiction: String, Sendable, Hashable, Codable, CaseIterable {
    case england, wales, northernIreland, scotland

    public var displayName: String {
        switch self {
        case .england: "England"
        case .wales: "Wales"
        case .northernIreland: "Northern Ireland"
        case .scotland: "Scotland"
        }
    }
}

/// Who is responding: the police, or an education setting through its designated safeguarding lead.
public enum Setting: String, Sendable, Hashable, Codable, CaseIterable {
    case police, education
}

/// What a person did or was in the incident. A person may hold several roles.
public enum PersonRole: String, Sendable, Hashable, Codable, CaseIterable {
    case depicted, creator, sender, requester, recipient, sharer, possessor, reporter
}

/// A person in the case, known by a short reference (`A`, `B`, `X`) rather than a name.
public struct Person: Sendable, Hashable {
    public var ref: String
    /// Age in whole years; `nil` when not known.
    public var age: Int?
    public var roles: [PersonRole]
    public var learningDisability: Tri
    public var inCare: Tri
    public var childProtectionPlan: Tri
    public var selfHarmRisk: Tri
    public var immediateDanger: Tri
    public var parentalInvolvementRisk: Tri
    /// Earlier incidents of this kind known for this person; `nil` when not known.
    public var previousIncidents: Int?

    public init(
        ref: String, age: Int? = nil, roles: [PersonRole] = [], learningDisability: Tri = .unknown,
        inCare: Tri = .unknown, childProtectionPlan: Tri = .unknown, selfHarmRisk: Tri = .unknown,
        immediateDanger: Tri = .unknown, parentalInvolvementRisk: Tri = .unknown, previousIncidents: Int? = nil
    ) {
        self.ref = ref
        self.age = age
        self.roles = roles
        self.learningDisability = learningDisability
        self.inCare = inCare
        self.childProtectionPlan = childProtectionPlan
        self.selfHarmRisk = selfHarmRisk
        self.immediateDanger = immediateDanger
        self.parentalInvolvementRisk = parentalInvolvementRisk
        self.previousIncidents = previousIncidents
    }

    /// The parts that are acts: taking, asking for, sending, sharing or keeping the imagery. Whom an offence or a
    /// police outcome could concern, as against those shown in it, receiving it or reporting it.
    public static let actingRoles: Set<PersonRole> = [.creator, .sender, .requester, .sharer, .possessor]

    /// Whether the person took, asked for, sent, shared or kept the imagery.
    public var acted: Bool { !Set(roles).isDisjoint(with: Self.actingRoles) }

    /// Anyone but a person whose only part was to report it. A person with no recorded role counts as involved.
    public var isInvolved: Bool { roles.contains { $0 != .reporter } || roles.isEmpty }
}

/// What kind of content was taken or shared. `generated` covers AI-generated and other pseudo-photographs.
public enum ImageryKind: String, Sendable, Hashable, Codable, CaseIterable {
    case image, video, generated, message

    /// Whether the content is an image or video (a photograph or pseudo-photograph) rather than words alone.
    public var isVisual: Bool { self != .message }
}

/// Where content was shared or posted.
public enum Platform: String, Sendable, Hashable, Codable, CaseIterable {
    case snapchat, whatsapp, instagram, facebook, youtube, tiktok, google, other
}

/// Facts about one piece of imagery. Safeguard records facts about imagery, never the imagery itself.
public struct Imagery: Sendable, Hashable {
    public var ref: String
    public var kind: ImageryKind
    /// References of the people the imagery shows.
    public var depicts: [String]
    public var sexualActs: Tri
    public var violent: Tri
    public var unusualForDevelopmentalStage: Tri
    public var sharedWithoutPermission: Tri
    public var sharedBeyondControl: Tri
    public var uploadedToAdultSite: Tri
    public var platforms: [Platform]

    public init(
        ref: String, kind: ImageryKind, depicts: [String] = [], sexualActs: Tri = .unknown, violent: Tri = .unknown,
        unusualForDevelopmentalStage: Tri = .unknown, sharedWithoutPermission: Tri = .unknown,
        sharedBeyondControl: Tri = .unknown, uploadedToAdultSite: Tri = .unknown, platforms: [Platform] = []
    ) {
        self.ref = ref
        self.kind = kind
        self.depicts = depicts
        self.sexualActs = sexualActs
        self.violent = violent
        self.unusualForDevelopmentalStage = unusualForDevelopmentalStage
        self.sharedWithoutPermission = sharedWithoutPermission
        self.sharedBeyondControl = sharedBeyondControl
        self.uploadedToAdultSite = uploadedToAdultSite
        self.platforms = platforms
    }
}

/// The circumstances of the case as a whole.
public struct Circumstances: Sendable, Hashable {
    public var coercion: Tri = .unknown
    public var blackmail: Tri = .unknown
    public var grooming: Tri = .unknown
    public var exploitation: Tri = .unknown
    public var profitMotive: Tri = .unknown
    public var maliciousIntent: Tri = .unknown
    public var persistent: Tri = .unknown
    public var violence: Tri = .unknown
    public var willing: Tri = .unknown
    public var ageAppropriate: Tri = .unknown
    public var accidental: Tri = .unknown

    public init() {}

    /// The circumstance facts by name, in contract order.
    public static let factNames: [String] = [
        "coercion", "blackmail", "grooming", "exploitation", "profitMotive", "maliciousIntent", "persistent",
        "violence", "willing", "ageAppropriate", "accidental",
    ]

    /// A circumstance fact by its position in ``factNames``.
    public subscript(fact index: Int) -> Tri {
        get {
            switch index {
            case 0: coercion
            case 1: blackmail
            case 2: grooming
            case 3: exploitation
            case 4: profitMotive
            case 5: maliciousIntent
            case 6: persistent
            case 7: violence
            case 8: willing
            case 9: ageAppropriate
            default: accidental
            }
        }
        set {
            switch index {
            case 0: coercion = newValue
            case 1: blackmail = newValue
            case 2: grooming = newValue
            case 3: exploitation = newValue
            case 4: profitMotive = newValue
            case 5: maliciousIntent = newValue
            case 6: persistent = newValue
            case 7: violence = newValue
            case 8: willing = newValue
            case 9: ageAppropriate = newValue
            default: accidental = newValue
            }
        }
    }
}

/// A device (usually a phone) that holds or held imagery.
public struct Device: Sendable, Hashable {
    public var ref: String
    /// Reference of the person who owns the device; `nil` when not known.
    public var owner: String?
    public var seized: Tri
    /// References of the people whose imagery the device holds.
    public var containsImageryOf: [String]

    public init(ref: String, owner: String? = nil, seized: Tri = .unknown, containsImageryOf: [String] = []) {
        self.ref = ref
        self.owner = owner
        self.seized = seized
        self.containsImageryOf = containsImageryOf
    }
}

/// A calendar date without a time zone, written `YYYY-MM-DD`.
public struct CalendarDate: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public var year: Int
    public var month: Int
    public var day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1900...2999).contains(year), (1...12).contains(month), day >= 1,
              day <= CalendarDate.daysIn(month: month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`; `nil` for anything else, including impossible dates such as `2026-02-30`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// The day after this one.
    public var nextDay: CalendarDate {
        if day < CalendarDate.daysIn(month: month, year: year) { return CalendarDate(year: year, month: month, day: day + 1)! }
        if month < 12 { return CalendarDate(year: year, month: month + 1, day: 1)! }
        return CalendarDate(year: year + 1, month: 1, day: 1) ?? self
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public var description: String {
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = CalendarDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "expected a date YYYY-MM-DD"))
        }
        self = date
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
