import Foundation

/// The law on indecent images of children in each UK nation, as the guidance summarises it.
///
/// ```yaml
/// jurisdictions:
///   scotland:
///     outcome21Available: false
///     citations: ["Outcome 21"]
///     offences:
///       - { id: cgsa1982s52, legislation: "Civic Government (Scotland) Act 1982, ss. 52 and 52A", … }
/// ```
public struct LawPack: Sendable, Hashable, Decodable {
    public var id: String
    public var edition: String
    public var title: String
    public var publisher: String
    public var summary: String
    public var sections: [Section]
    public var jurisdictions: [String: JurisdictionLaw]

    public init(from decoder: Decoder) throws {
        let c = try PackObject(decoder, allowed: ["id", "edition", "title", "publisher", "summary", "sections",
                                                  "jurisdictions"])
        id = try c.required("id")
        edition = try c.required("edition")
        title = try c.required("title")
        publisher = try c.required("publisher")
        summary = try c.required("summary")
        sections = try c.required("sections")
        jurisdictions = try c.required("jurisdictions")
    }

    public var reference: GuidanceReference {
        GuidanceReference(id: id, edition: edition, title: title, publisher: publisher)
    }

    public func law(for jurisdiction: Jurisdiction) -> JurisdictionLaw? { jurisdictions[jurisdiction.rawValue] }
}

public struct JurisdictionLaw: Sendable, Hashable, Decodable {
    public var outcome21Available: Bool
    public var citations: [String]
    public var offences: [OffenceRule]
    /// Where the law says a child under an age cannot commit an offence, so none is suggested against them.
    public var ageOfCriminalResponsibility: AgeOfCriminalResponsibility?
    /// Outside England and Wales: the outcomes a police case can record, in the nation's own terms (Police
    /// Scotland's options for children; the Public Prosecution Service's decisions and diversion). Empty where the
    /// Home Office outcome codes apply.
    public var outcomes: [NationalOutcome]

    public init(from decoder: Decoder) throws {
        let c = try PackObject(decoder, allowed: ["outcome21Available", "citations", "offences", "ageOfCriminalResponsibility", "outcomes"])
        outcome21Available = try c.required("outcome21Available")
        citations = try c.required("citations")
        offences = try c.required("offences")
        ageOfCriminalResponsibility = try c.optional("ageOfCriminalResponsibility")
        outcomes = try c.optional("outcomes") ?? []
    }
}

/// An outcome a police case can record in a nation without the Home Office codes, with the ages it is open to.
///
/// ```yaml
/// outcomes:
///   - { id: recordedPoliceWarning, title: Recorded Police Warning, minimumAge: 16, maximumAge: 17,
///       note: Recorded on the Criminal History System for two years., source: "Police Scotland, Children and young people: Offending" }
/// ```
public struct NationalOutcome: Sendable, Hashable, Decodable {
    public var id: String
    public var title: String
    public var minimumAge: Int?
    public var maximumAge: Int?
    public var note: String
    public var source: String

    public init(from decoder: Decoder) throws {
        let c = try PackObject(decoder, allowed: ["id", "title", "minimumAge", "maximumAge", "note", "source"])
        id = try c.required("id")
        title = try c.required("title")
        minimumAge = try c.optional("minimumAge")
        maximumAge = try c.optional("maximumAge")
        note = try c.required("note")
        source = try c.required("source")
    }

    /// Whether a person of this age may receive it; an unknown age is not held against it.
    public func isOpen(toAge age: Int?) -> Bool {
        guard let age else { return true }
        return (minimumAge.map { age >= $0 } ?? true) && (maximumAge.map { age <= $0 } ?? true)
    }

    /// "16 and 17 year-olds", "12 and over", or nothing when any age may receive it.
    public var ages: String? {
        switch (minimumAge, maximumAge) {
        case let (min?, max?) where min == max: "\(min) year-olds"
        case let (min?, max?) where max == min + 1: "\(min) and \(max) year-olds"
        case let (min?, max?): "\(min) to \(max) year-olds"
        case let (min?, nil): "\(min) and over"
        case let (nil, max?): "\(max) and under"
        case (nil, nil): nil
        }
    }
}

/// The age below which a child cannot commit an offence, from a date, as an Act sets it.
///
/// ```yaml
/// ageOfCriminalResponsibility:
///   age: 12
///   from: 2021-12-17
///   earlierAge: 8
///   legislation: Age of Criminal Responsibility (Scotland) Act 2019, section 1
/// ```
public struct AgeOfCriminalResponsibility: Sendable, Hashable, Decodable {
    public var age: Int
    /// The first day `age` applies to conduct; before it, `earlierAge`.
    public var from: CalendarDate?
    public var earlierAge: Int?
    public var legislation: String

    public init(from decoder: Decoder) throws {
        let c = try PackObject(decoder, allowed: ["age", "from", "earlierAge", "legislation"])
        age = try c.required("age")
        from = try c.optional("from")
        earlierAge = try c.optional("earlierAge")
        legislation = try c.required("legislation")
    }

    /// The age that applies to conduct on a date.
    public func age(on date: CalendarDate) -> Int {
        if let from, date < from, let earlierAge { return earlierAge }
        return age
    }
}

extension JurisdictionLaw {
    /// The offences recorded on a case that one person's part could be: those whose `committedBy` meets their roles.
    /// A letter about a child names only these.
    public func offences(of person: Person, recorded ids: [String]) -> [OffenceRule] {
        ids.compactMap { id in offences.first { $0.id == id } }.filter { !Set($0.committedBy).isDisjoint(with: person.roles) }
    }
}

public struct OffenceRule: Sendable, Hashable, Decodable {
    public var id: String
    public var legislation: String
    public var description: String
    /// The Home Office crime classification used to record it, in England and Wales (e.g. `86/2`).
    public var homeOfficeClassification: String?
    public var when: Condition
    public var citations: [String]
    /// The first day the offence applies to conduct, for one created after the guidance was written.
    public var inForceFrom: CalendarDate?
    /// The last day it applies, for one since repealed (England and Wales: section 33 of the Criminal Justice and
    /// Courts Act 2015, replaced on 31 January 2024 by section 66B of the Sexual Offences Act 2003).
    public var inForceUntil: CalendarDate?
    /// The parts in what happened through which a person may commit it (taking, sending, keeping): a letter about
    /// one child names only the offences their part could be (issue 11). Empty for a line of inquiry.
    public var committedBy: [PersonRole]

    public init(from decoder: Decoder) throws {
        let c = try PackObject(decoder, allowed: ["id", "legislation", "description", "homeOfficeClassification",
                                                  "when", "citations", "inForceFrom", "inForceUntil", "committedBy"])
        committedBy = try c.required("committedBy")
        id = try c.required("id")
        legislation = try c.required("legislation")
        description = try c.required("description")
        homeOfficeClassification = try c.optional("homeOfficeClassification")
        when = try c.required("when")
        citations = try c.required("citations")
        inForceFrom = try c.optional("inForceFrom")
        inForceUntil = try c.optional("inForceUntil")
    }

    /// Whether the offence applies to conduct on a day.
    public func inForce(on day: CalendarDate) -> Bool {
        (inForceFrom.map { day >= $0 } ?? true) && (inForceUntil.map { day <= $0 } ?? true)
    }

    /// Why the day matters, for an offence with dates: the facts hold no date of the conduct, so the assessment's
    /// date stands for it.
    func dateReason(on day: CalendarDate) -> String? {
        switch (inForceFrom, inForceUntil) {
        case (nil, nil): nil
        case let (from?, nil): "in force for conduct from \(Words.day(from)); this assessment takes its date, \(Words.day(day)), as the date of the conduct"
        case let (nil, until?): "in force for conduct up to \(Words.day(until)); this assessment takes its date, \(Words.day(day)), as the date of the conduct"
        case let (from?, until?): "in force for conduct from \(Words.day(from)) to \(Words.day(until)); this assessment takes its date, \(Words.day(day)), as the date of the conduct"
        }
    }
}

/// A force's or school's own additions, kept apart from the shipped packs: local contacts and wording.
///
/// ```yaml
/// organisation: Northshire Police
/// appliesTo: [college-of-policing]
/// contacts:
///   - id: northshire-mash
///     name: Northshire Multi-Agency Safeguarding Hub
///     forWhom: professionals
///     description: Referrals and strategy meetings for children at risk.
///     phone: "01234 567890"
/// recommendationText:
///   childContactForm: Raise form CF12 (child contact with police) on the force system.
/// ```
public struct LocalOverlay: Sendable, Hashable, Decodable {
    public var organisation: String
    /// Pack ids this overlay applies to; empty means every pack.
    public var appliesTo: [String]
    public var contacts: [ResourceEntry]
    /// Replacement wording for recommendations, by id.
    public var recommendationText: [String: String]
    /// The force's own wording of the Outcome 21 written record, replacing the edition's.
    public var outcome21Letter: LetterWording?
    /// The letterhead printed on the family's letters, a line each: the force's name, address, telephone.
    public var letterhead: [String]

    public init(from decoder: Decoder) throws {
        let c = try PackObject(decoder, allowed: ["organisation", "appliesTo", "contacts", "recommendationText",
                                                  "outcome21Letter", "letterhead"])
        letterhead = try c.optional("letterhead") ?? []
        organisation = try c.required("organisation")
        appliesTo = try c.optional("appliesTo") ?? []
        contacts = try c.optional("contacts") ?? []
        recommendationText = try c.optional("recommendationText") ?? [:]
        outcome21Letter = try c.optional("outcome21Letter")
    }

    public init(organisation: String, appliesTo: [String] = [], contacts: [ResourceEntry] = [],
                recommendationText: [String: String] = [:]) {
        self.organisation = organisation
        self.appliesTo = appliesTo
        self.contacts = contacts
        self.recommendationText = recommendationText
        self.outcome21Letter = nil
        self.letterhead = []
    }

    public func applies(to pack: GuidancePack) -> Bool { appliesTo.isEmpty || appliesTo.contains(pack.id) }
}
