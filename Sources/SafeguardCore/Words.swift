import Foundation

/// Plain words for what the system stores as codes, in one place: decisions and their values, every record
/// enumeration, offences and days. Pages, the chronology and documents all read these, so no `notKnownYet`,
/// `poca1978s1` or `2026-11-23` reaches a person (issue 11).
///
/// ```swift
/// Words.of("leftWithOwner")                 // "left with owner"
/// Words.of("pace32")                        // "PACE section 32"
/// Words.day("2026-11-23")                   // "23 November 2026"
/// DecisionKey.involveParents.label          // "Involving parents or carers"
/// DecisionKey.involveParents.words(for: "undetermined")   // "Not decided yet"
/// ```
public enum Words {
    /// Codes whose words are not their camel-case parts.
    static let special: [String: String] = [
        "pace32": "PACE section 32", "pace54": "PACE section 54", "pace19": "PACE section 19",
        "ceop": "CEOP", "caid": "CAID", "iwf": "the Internet Watch Foundation", "nspcc": "the NSPCC", "childline": "Childline",
        "reportRemove": "Report Remove", "takeItDown": "Take It Down", "dsl": "DSL", "dbs": "DBS checks", "mash": "MASH", "pnc": "PNC", "pnd": "PND",
        "sms": "text message", "email": "email", "inPerson": "in person", "ageAppropriate": "age-appropriate",
        "notKnownYet": "not known yet", "unknown": "not known", "true": "yes", "false": "no",
    ]

    /// A code in words: a known one as written above, otherwise its camel-case parts in lower case
    /// (`securedBySchool` → "secured by school").
    public static func of(_ code: String) -> String {
        if let special = special[code] { return special }
        var words = ""
        var previous: Character?
        for character in code {
            if let previous, character.isUppercase, previous.isLowercase || previous.isNumber {
                words.append(" ")
            } else if let previous, character.isNumber, previous.isLetter {
                words.append(" ")
            }
            words.append(character)
            previous = character
        }
        // Keep acronyms (two or more capitals together) as they are; lower-case the rest.
        return words.split(separator: " ").map { part in
            part.count > 1 && part.allSatisfy { $0.isUppercase || $0.isNumber } ? String(part) : part.lowercased()
        }.joined(separator: " ")
    }

    /// A list of codes in words: "a, b and c".
    public static func list(_ codes: [String]) -> String { join(codes.map(of)) }

    /// Words as a reader lists them: "a", "a and b", "a, b and c".
    public static func join(_ words: [String], conjunction: String = "and") -> String {
        guard words.count > 1 else { return words.first ?? "" }
        return words.dropLast().joined(separator: ", ") + " \(conjunction) " + words.last!
    }

    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                         "November", "December"]

    /// A day as people write it: "23 November 2026". Text that is not a `YYYY-MM-DD` day is returned as it is.
    public static func day(_ text: String) -> String {
        guard let day = CalendarDate(text) else { return text }
        return "\(day.day) \(months[day.month - 1]) \(day.year)"
    }

    public static func day(_ day: CalendarDate) -> String { "\(day.day) \(months[day.month - 1]) \(day.year)" }

    /// Nations as a reader lists them: "England and Wales", "England, Wales and Scotland".
    public static func nations(_ nations: [Jurisdiction]) -> String {
        nations.isEmpty ? "no nation" : join(nations.map(\.displayName))
    }

    /// An offence by its legislation, as the law pack names it for the jurisdiction; an unknown id in words.
    public static func offence(_ id: String, jurisdiction: Jurisdiction, law: LawPack = GuidanceLibrary.bundled.law) -> String {
        offence(id, in: law.law(for: jurisdiction)?.offences ?? [])
    }

    /// An offence by its legislation, from a nation's list of offences; an unknown id in words.
    public static func offence(_ id: String, in offences: [OffenceRule]) -> String {
        offences.first { $0.id == id }?.legislation ?? of(id)
    }
}

extension PersonRole {
    /// A person's part in what happened, as a sentence lists it: "shown in the imagery", "sent it".
    ///
    /// ```swift
    /// Words.parts([.depicted, .creator, .sender])   // "shown in the imagery, took or made it and sent it"
    /// ```
    public var words: String {
        switch self {
        case .depicted: "shown in the imagery"
        case .creator: "took or made it"
        case .sender: "sent it"
        case .requester: "asked for it"
        case .recipient: "received it"
        case .sharer: "shared it further"
        case .possessor: "kept it"
        case .reporter: "reported it"
        }
    }
}

extension Platform {
    /// The service's own name: "WhatsApp", "TikTok"; "another service" for `other`.
    public var label: String {
        switch self {
        case .snapchat: "Snapchat"
        case .whatsapp: "WhatsApp"
        case .instagram: "Instagram"
        case .facebook: "Facebook"
        case .youtube: "YouTube"
        case .tiktok: "TikTok"
        case .google: "Google"
        case .other: "another service"
        }
    }
}

extension Words {
    /// A person's parts in what happened, in words.
    public static func parts(_ roles: [PersonRole]) -> String { join(roles.map(\.words)) }
}

extension ImageryKind {
    /// The kind in words, for a sentence: "an AI-generated or altered image" (its wire value, "generated", had been
    /// printed on documents a family may be given).
    public var words: String {
        switch self {
        case .image: "an image"
        case .video: "a video"
        case .generated: "an AI-generated or altered image"
        case .message: "messages, with no image"
        }
    }
}

extension DecisionKey {
    /// The decision in words.
    public var label: String {
        switch self {
        case .route: "Response"
        case .childProtectionReferral: "Child protection referral"
        case .emergency: "Emergency"
        case .outcome21: "Outcome 21"
        case .deviceSeizure: "Seizing devices"
        case .visuallyRecordedInterview: "Visually recorded interview"
        case .caidReferral: "Child Abuse Image Database (CAID)"
        case .policeReferral: "Telling the police"
        case .ceopReport: "Report to CEOP"
        case .involveParents: "Involving parents or carers"
        }
    }

    /// One of this decision's values in words.
    public func words(for value: String) -> String {
        switch (self, value) {
        case (_, "undetermined"): "Not decided yet"
        case (_, "notApplicable"), (_, "notAvailable"): "Not for this organisation or nation to decide"
        case (.route, "fullInvestigation"): "Full investigation"
        case (.route, "proportionate"): "Proportionate, supportive response"
        case (.childProtectionReferral, "immediate"): "Refer now: a child is at immediate risk"
        case (_, "required"): "Required"
        case (_, "notRequired"): "Not required"
        case (_, "recommended"): "Recommended"
        case (.outcome21, "eligible"): "Can be considered"
        case (.outcome21, "excluded"): "Cannot be used"
        case (.deviceSeizure, "seizeTargetDevices"): "Seize the devices of those who exploited or shared without permission"
        case (.deviceSeizure, "notRoutine"): "No routine seizure"
        case (.emergency, "true"): "Yes: someone is in immediate danger"
        case (.emergency, "false"): "No immediate danger known"
        case (.involveParents, "yes"): "Yes"
        case (.involveParents, "no"): "No: it would put the child at risk"
        default: Words.of(value).prefix(1).uppercased() + Words.of(value).dropFirst()
        }
    }
}

extension Words {
    /// Whether a reason the engine gave ("grooming = not known") is only an answer not yet known, which says nothing
    /// about why: the engine writes an unknown answer so (`Formula`'s reasons), and this is the one place that reads it.
    public static func isNotKnown(_ because: String) -> Bool {
        guard let answer = because.components(separatedBy: " = ").last, because.contains(" = ") else { return false }
        return ["not known", "unknown", "null"].contains(answer)
    }

    /// A fact the engine cites (`imagery[I1].sharedBeyondControl = true`) as its question and answer, using the
    /// question wording of the edition that was applied (its `questions`); a decision it rests on
    /// (`outcome21 = eligible`) as the decision and its value in words; anything else as the engine wrote it.
    ///
    /// ```swift
    /// Words.because("imagery[I1].sharedBeyondControl = true", questions: pack.questions)
    /// // "Has the image of I1 been shared beyond the control of the young person? Yes"
    /// ```
    public static func because(_ text: String, questions: [String: String]) -> String {
        let parts = text.components(separatedBy: " = ")
        guard parts.count == 2 else { return text }
        let path = parts[0], raw = parts[1]
        var key = path, ref: String?
        if let open = path.firstIndex(of: "["), let close = path.firstIndex(of: "]"), open < close {
            ref = String(path[path.index(after: open)..<close])
            key = String(path[..<open]) + String(path[path.index(after: close)...])
        }
        if key == "setting" { return "Setting: \(raw)" }
        if key == "jurisdiction" { return "Nation: " + (Jurisdiction(rawValue: raw)?.displayName ?? raw) }
        // A decision another rests on: "Outcome 21: available", not "outcome21 = eligible".
        if ref == nil, let decision = DecisionKey(rawValue: key) { return "\(decision.label): \(decision.words(for: raw))" }
        guard var question = questions[key] else { return text }
        if let ref { question = question.replacingOccurrences(of: "{ref}", with: ref) }
        let answer: String = switch raw {
        case "true": "yes"
        case "false": "no"
        case "null", "unknown", "not known": "not known yet"
        default: raw
        }
        return "\(question) \(answer.prefix(1).uppercased() + answer.dropFirst())"
    }
}
