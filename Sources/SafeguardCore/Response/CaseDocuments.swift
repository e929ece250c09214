import Foundation

/// A printable document built from a case: headed sections of lines, as plain text and as printable HTML.
///
/// ```swift
/// let form = CaseDocument.childContactForm(reference: "SG-2026-000001", organisation: "Northshire Police",
///                                          facts: facts, assessment: assessment, records: records, officer: "PC 1 Patel")
/// print(form.plainText)
/// ```
public struct CaseDocument: Sendable, Hashable {
    public var title: String
    public var reference: String
    public var sections: [(heading: String, lines: [String])]

    public static func == (a: CaseDocument, b: CaseDocument) -> Bool {
        a.title == b.title && a.reference == b.reference && a.sections.map(\.heading) == b.sections.map(\.heading)
            && a.sections.map(\.lines) == b.sections.map(\.lines)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(title)
        hasher.combine(reference)
    }

    public var plainText: String {
        var text = "\(title)\nReference: \(reference)\n"
        for section in sections {
            text += "\n\(section.heading.uppercased())\n"
            text += section.lines.isEmpty ? "- None recorded.\n" : section.lines.map { "- \($0)\n" }.joined()
        }
        return text
    }

    public var html: String {
        let e = Outcome21Letter.escape
        var body = "<h1>\(e(title))</h1>\n<p>Reference: \(e(reference))</p>\n"
        for section in sections {
            body += "<h2>\(e(section.heading))</h2>\n"
            body += section.lines.isEmpty ? "<p>None recorded.</p>\n"
                : "<ul>\n" + section.lines.map { "<li>\(e($0))</li>\n" }.joined() + "</ul>\n"
        }
        return """
        <!DOCTYPE html>
        <html lang="en-GB">
        <head><meta charset="utf-8"><title>\(e(title)): \(e(reference))</title></head>
        <body>
        <main>
        \(body)</main>
        </body>
        </html>

        """
    }

    /// The circumstances answered yes, and those not known yet, in words: what a reviewer reads beside a rationale.
    public static func circumstances(_ facts: CaseFacts) -> (known: [String], unknown: [String]) {
        var known: [String] = [], unknown: [String] = []
        for (i, name) in Circumstances.factNames.enumerated() {
            switch facts.circumstances[fact: i] {
            case .true: known.append(Words.of(name))
            case .unknown: unknown.append(Words.of(name))
            case .false: break
            }
        }
        return (known, unknown)
    }

    /// Each person by reference, age and part: "A, aged 15 (depicted and sender)".
    public static func people(_ facts: CaseFacts) -> [String] {
        facts.people.map { p in
            let age = p.age.map { "aged \($0)" } ?? "age not known yet"
            let roles = p.roles.isEmpty ? "" : " (" + Words.parts(p.roles) + ")"
            return "\(p.ref), \(age)\(roles)"
        }
    }

    /// Each decision in words, named as the case's edition names it (`GuidancePack.decisionNames`: Scotland's "Joint
    /// Investigative Interview (JII)", not the College of Policing's "visually recorded interview").
    static func decisions(_ assessment: Assessment, pack: GuidancePack?) -> [String] {
        assessment.decisionReasons.filter(\.appliesHere).map { reason in
            let cited = Citation.inWords(reason.citations.map(\.section))
            let key = DecisionKey(rawValue: reason.decision)
            let name = key.map { pack?.label(of: $0) ?? $0.label } ?? Words.of(reason.decision)
            return "\(name): \(key?.words(for: reason.value) ?? Words.of(reason.value))" + (cited.isEmpty ? "" : " (\(cited))")
        }
    }

    /// The child contact with police form (College of Policing, Action 17; 2016: para 26): tells partners of the
    /// incident so that information is shared. No imagery and no description of it; people by reference.
    public static func childContactForm(reference: String, organisation: String, crimeReference: String?,
                                        facts: CaseFacts, assessment: Assessment, records: [ResponseRecord],
                                        officer: String, date: CalendarDate, title: String? = nil, pack: GuidancePack? = nil) -> CaseDocument {
        var referrals: [String] = []
        var outcome: [String] = []
        for record in records {
            switch record {
            case .childProtectionReferral(let r): referrals.append("Child protection referral to \(r.to) on \(Words.day(r.referredOn))" + (r.reference.map { ", reference \($0)" } ?? ""))
            case .meeting(let m) where m.meetingKind == .strategyMeeting: referrals.append("Strategy meeting on \(Words.day(m.on))" + (m.reference.map { ", reference \($0)" } ?? ""))
            case .outcome(let o): outcome = ["\(o.code == .local ? (RecordText.nationalOutcome(o, jurisdiction: facts.jurisdiction) ?? o.localDescription ?? "Local outcome") : "Outcome \(o.code.rawValue): \(o.code.title)") (decided \(Words.day(o.decidedOn)))"]
            default: break
            }
        }
        let steps = assessment.recommendations.filter { $0.severity == .must }.map(\.text)
        // The edition's own name for the form where it has one (Scotland's concern report).
        return CaseDocument(title: title ?? "Child contact with police", reference: reference, sections: [
            ("About this notification", ["From \(organisation), raised by \(officer) on \(Words.day(date)).",
                                         "Incident: the taking or sharing of nude or semi-nude images involving young people. No imagery is held or shared with this form."]
                + (crimeReference.map { ["Crime reference: \($0)."] } ?? [])),
            ("Children and young people involved", people(facts)),
            ("Safeguarding decisions", decisions(assessment, pack: pack) + assessment.notes),
            ("Referrals and meetings", referrals),
            ("Outcome", outcome),
            // The force's own must-dos are what it is doing, not asks of its partners (a review found "Record the report as
            // a crime" listed under what partners are asked to do).
            ("What \(organisation) must do", steps.isEmpty ? ["Nothing the guidance requires is outstanding."] : steps),
            ("What partners are asked to do", ["Note the incident on your own records of these children, and share with \(organisation) "
                                               + "anything you hold that bears on their safety, quoting the reference above."]),
        ])
    }

    /// The written record of the incident and every action taken (NSPCC, "Recording and reviewing": "a written record
    /// of the incident and all the actions taken"; police Action 1): the people, the decisions, each action with its
    /// note, each record with what was written in it (what a meeting agreed, a decision's rationale), the referrals,
    /// and the chronology. A hands-on review found the reasons and notes stored but printed nowhere.
    public static func caseRecord(reference: String, organisation: String, summary: String, facts: CaseFacts,
                                  assessment: Assessment, records: [ResponseRecord], actions: [(text: String, status: String)],
                                  referrals: [String] = [], chronology: [(at: String, summary: String)], pack: GuidancePack? = nil) -> CaseDocument {
        CaseDocument(title: "Record of the incident and actions taken", reference: reference, sections: [
            ("Summary", ["\(organisation).", summary]),
            ("People (by reference)", people(facts)),
            ("Decisions of the guidance", decisions(assessment, pack: pack) + assessment.notes),
            ("Actions", actions.map { "\($0.text) — \($0.status)" }),
            ("Records", records.map { record in
                let details = RecordText.details(record, jurisdiction: facts.jurisdiction)
                return "\(record.kind.label): \(RecordText.describe(record, jurisdiction: facts.jurisdiction))"
                    + (details.isEmpty ? "" : ". " + details.joined(separator: " "))
            }),
        ] + (referrals.isEmpty ? [] : [("Referrals", referrals)]) + [
            ("Chronology", chronology.map { "\($0.at): \($0.summary)" }),
        ])
    }
}

/// One-line descriptions of records, for the chronology and the documents.
public enum RecordText {
    /// The title of an outcome from the nation's list (Scotland, Northern Ireland), if the record names one.
    public static func nationalOutcome(_ record: OutcomeRecord, jurisdiction: Jurisdiction,
                                       law: LawPack = GuidanceLibrary.bundled.law) -> String? {
        guard let id = record.nationalOutcome else { return nil }
        return law.law(for: jurisdiction)?.outcomes.first { $0.id == id }?.title ?? Words.of(id)
    }

    /// Everything else a record holds, each as "Label: value.", in the order its form asks them: every filled field
    /// its line does not already say (what a meeting agreed and with whom, a reference, who directed a deletion). The
    /// written record prints them beside the record's line, so nothing written in a record is left out of it.
    public static func details(_ record: ResponseRecord, jurisdiction: Jurisdiction = .england,
                               law: LawPack = GuidanceLibrary.bundled.law) -> [String] {
        let values = record.payload.fieldValues
        let description = record.kind.description
        // What the line prints, and a yes or no it turns into words ("not recorded as a suspect"); text it merely
        // tests for ("{reason? (with a recorded reason)}") is printed here.
        let said = Set(description.line.fieldsNamed.filter { named in
            named.form != nil || description.field(named.field)?.input.isBool == true
        }.map(\.field))
        return description.fields.compactMap { field in
            guard !said.contains(field.name), field.input.onForms, let value = values[field.name].flatMap(RecordLine.unwrapped) else { return nil }
            if let list = value as? [Any], list.isEmpty { return nil }
            if let flag = value as? Bool, field.input == .yesNo, !flag, !field.required { return nil }
            let text = RecordLine.words(value, field: field, form: field.input.options == nil ? .words : .label,
                                        jurisdiction: jurisdiction, law: law).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { return nil }
            return "\(label(of: field)): \(text)" + (text.hasSuffix(".") || text.hasSuffix("?") || text.hasSuffix("!") ? "" : ".")
        }
    }

    /// A field's label for a line of the written record: a question loses its mark ("Who was advised?" → "Who was
    /// advised"), an instruction its "If …:" and "Your" ("If not done: the reason" → "The reason"; "Your rationale"
    /// → "Rationale").
    static func label(of field: RecordField) -> String {
        var label = field.label
        if label.hasPrefix("If "), let colon = label.firstIndex(of: ":") {
            label = label[label.index(after: colon)...].trimmingCharacters(in: .whitespaces).capitalisedFirst
        }
        if label.hasPrefix("Your ") { label = String(label.dropFirst(5)).capitalisedFirst }
        if label.hasSuffix("?") { label.removeLast() }
        return label
    }

    /// A record in words for the chronology, as its kind's description writes it (`RecordLine`): codes, offences
    /// and days as people write them (`Words`).
    public static func describe(_ record: ResponseRecord, jurisdiction: Jurisdiction = .england) -> String {
        record.kind.description.line.words(for: record, jurisdiction: jurisdiction)
    }

    /// What changed between two versions of a case's facts, in words, for the chronology: "A's age: not known → 15",
    /// "B added", "circumstances, coercion: no → yes". People, imagery and devices are matched by their refs.
    public static func factChanges(from old: CaseFacts, to new: CaseFacts) -> [String] {
        func tri(_ t: Tri) -> String {
            switch t {
            case .true: "yes"
            case .false: "no"
            case .unknown: "not known"
            }
        }
        func list(_ items: [String]) -> String { items.isEmpty ? "none" : Words.list(items) }
        let person: [(String, (Person) -> String)] = [
            ("age", { $0.age.map(String.init) ?? "not known" }), ("part", { $0.roles.isEmpty ? "none" : Words.parts($0.roles) }),
            ("learning disability or capacity concern", { tri($0.learningDisability) }), ("in care", { tri($0.inCare) }),
            ("child protection plan", { tri($0.childProtectionPlan) }), ("self harm risk", { tri($0.selfHarmRisk) }),
            ("immediate danger", { tri($0.immediateDanger) }), ("parents or carers a risk", { tri($0.parentalInvolvementRisk) }),
            ("previous incidents", { $0.previousIncidents.map(String.init) ?? "not known" }),
        ]
        let imagery: [(String, (Imagery) -> String)] = [
            ("kind", { $0.kind.words }), ("shows", { list($0.depicts) }), ("sexual acts", { tri($0.sexualActs) }),
            ("violent", { tri($0.violent) }), ("unusual for developmental stage", { tri($0.unusualForDevelopmentalStage) }),
            ("shared without permission", { tri($0.sharedWithoutPermission) }), ("shared beyond control", { tri($0.sharedBeyondControl) }),
            ("uploaded to an adult site", { tri($0.uploadedToAdultSite) }), ("platforms", { list($0.platforms.map(\.label)) }),
        ]
        let device: [(String, (Device) -> String)] = [
            ("owner", { $0.owner ?? "not known" }), ("seized", { tri($0.seized) }), ("holds imagery of", { list($0.containsImageryOf) }),
        ]
        var changes: [String] = []
        func compare<T>(_ a: [T], _ b: [T], ref: (T) -> String, noun: String, fields: [(String, (T) -> String)]) {
            let earlier = Dictionary(a.map { (ref($0), $0) }, uniquingKeysWith: { x, _ in x })
            let later = Set(b.map(ref))
            for item in b {
                guard let was = earlier[ref(item)] else { changes.append("\(noun) \(ref(item)) added"); continue }
                for (name, read) in fields where read(was) != read(item) {
                    // "A's age", but "imagery I1, violent" (not "I1's violent").
                    let what = noun == "person" ? "\(ref(item))'s \(name)" : "\(noun) \(ref(item)), \(name)"
                    changes.append("\(what): \(read(was)) → \(read(item))")
                }
            }
            for item in a where !later.contains(ref(item)) { changes.append("\(noun) \(ref(item)) removed") }
        }
        compare(old.people, new.people, ref: \.ref, noun: "person", fields: person)
        compare(old.imagery, new.imagery, ref: \.ref, noun: "imagery", fields: imagery)
        compare(old.devices, new.devices, ref: \.ref, noun: "device", fields: device)
        for (i, name) in Circumstances.factNames.enumerated() where old.circumstances[fact: i] != new.circumstances[fact: i] {
            changes.append("\(Words.of(name)): \(tri(old.circumstances[fact: i])) → \(tri(new.circumstances[fact: i]))")
        }
        return changes
    }

    /// The chronology line saying which decisions a re-assessment changed ("Decisions changed: …"); nil when none did.
    public static func decisionsChangedLine(from old: Decisions?, to new: Assessment, pack: GuidancePack? = nil) -> String? {
        let changes = decisionChanges(from: old, to: new, pack: pack)
        return changes.isEmpty ? nil : "Decisions changed: " + changes.joined(separator: "; ")
    }

    /// What changed between an earlier assessment's decisions (`CaseStore.latestDecisions`) and a new assessment's,
    /// in words: "Outcome 21: Not decided yet → Can be considered".
    public static func decisionChanges(from old: Decisions?, to new: Assessment, pack: GuidancePack? = nil) -> [String] {
        DecisionKey.allCases.compactMap { key in
            let after = new.decisions.value(of: key)
            guard let old else { return nil }
            let before = old.value(of: key)
            return before == after ? nil : "\(pack?.label(of: key) ?? key.label): \(key.words(for: before)) → \(key.words(for: after))"
        }
    }
}

// MARK: Subject access

/// Everything a case holds about one person, for a subject access request: what the facts say about them, the
/// imagery and devices recorded as theirs or showing them, the records that name them, and the chronology lines of
/// those records. Other people are "another person"; free text is given only from records that name this person
/// alone, and the case's summary and notes, which may concern anyone, are withheld. No imagery is held to give.
///
/// ```swift
/// let document = try SubjectAccess(ref: "A", facts: facts, records: records, chronology: events)
///     .document(reference: "SG-2026-000001", organisation: "Northshire Police", producedOn: today)
/// ```
public struct SubjectAccess: Sendable {
    public var ref: String
    public var facts: CaseFacts
    public var records: [ResponseRecord]
    /// The case's chronology, oldest first: when (in words), and the line.
    public var chronology: [(at: String, summary: String)]

    public struct UnknownPerson: Error, Sendable, CustomStringConvertible {
        public var ref: String
        public var known: [String]
        public var description: String {
            "\"\(ref)\" is not a person in the case" + (known.isEmpty ? "" : " (people in the case: \(known.joined(separator: ", ")))")
        }
    }

    public init(ref: String, facts: CaseFacts, records: [ResponseRecord], chronology: [(at: String, summary: String)]) throws(UnknownPerson) {
        guard facts.people.contains(where: { $0.ref == ref }) else {
            throw UnknownPerson(ref: ref, known: facts.people.map(\.ref))
        }
        self.ref = ref
        self.facts = facts
        self.records = records
        self.chronology = chronology
    }

    /// The records that name this person, each with whether it names anyone else.
    public var recordsNamingThem: [(record: ResponseRecord, alone: Bool)] {
        records.compactMap { record in
            let refs = Set(record.personRefs.map(\.ref))
            guard refs.contains(ref) else { return nil }
            return (record, refs == [ref])
        }
    }

    /// Other people's refs replaced by "another person", as whole words only.
    public func redacted(_ text: String) -> String {
        let others = Set(facts.people.map(\.ref)).subtracting([ref])
        guard !others.isEmpty else { return text }
        var out = ""
        var word = ""
        func flush() {
            out += others.contains(word) ? "another person" : word
            word = ""
        }
        for character in text {
            if character.isLetter || character.isNumber { word.append(character) } else { flush(); out.append(character) }
        }
        flush()
        return out
    }

    public func document(reference: String, organisation: String, producedOn: CalendarDate) -> CaseDocument {
        let person = facts.people.first { $0.ref == ref }!
        func tri(_ value: Tri) -> String {
            switch value {
            case .true: "yes"
            case .false: "no"
            case .unknown: "not known"
            }
        }
        let about = [
            "Case \(reference), \(organisation). Produced on \(Words.day(producedOn)) in answer to a subject access request about the person recorded in the case as \(ref).",
            "Other people in the case are shown as \"another person\"; their details, and free text that concerns them too, are withheld. The case's summary and notes are withheld for the same reason.",
            "Safeguard never holds images: none can be given.",
            "Before disclosing, check for exemptions, for example information whose disclosure would put a child at risk.",
        ]
        var held = [
            "Reference in the case: \(ref)",
            "Age: " + (person.age.map { "\($0)" } ?? "not known"),
            "Part in what happened: " + (person.roles.isEmpty ? "not recorded" : Words.parts(person.roles)),
            "A learning disability, or a concern about capacity to consent: \(tri(person.learningDisability))",
            "In care: \(tri(person.inCare))",
            "On a child protection plan: \(tri(person.childProtectionPlan))",
            "At risk of self-harm: \(tri(person.selfHarmRisk))",
            "In immediate danger: \(tri(person.immediateDanger))",
            "Involving their parents or carers would put them at risk: \(tri(person.parentalInvolvementRisk))",
        ]
        held.append("Earlier incidents like this known: " + (person.previousIncidents.map { "\($0)" } ?? "not known"))
        let imagery = facts.imagery.filter { $0.depicts.contains(ref) }.map { item in
            let others = item.depicts.count > 1 ? " and another person" : ""
            return "\(item.ref): \(item.kind.words) recorded as showing them\(others); shared without permission: \(tri(item.sharedWithoutPermission)); shared beyond their control: \(tri(item.sharedBeyondControl))"
        }
        let devices = facts.devices.filter { $0.owner == ref || $0.containsImageryOf.contains(ref) }.map { device in
            var parts: [String] = []
            if device.owner == ref { parts.append("theirs") }
            if device.containsImageryOf.contains(ref) { parts.append("recorded as holding imagery of them") }
            return "\(device.ref): " + parts.joined(separator: ", ") + "; seized: \(tri(device.seized))"
        }
        var recordLines: [String] = []
        var lines = Set<String>()
        for (record, alone) in recordsNamingThem {
            let line = "\(record.kind.label): \(RecordText.describe(record, jurisdiction: facts.jurisdiction))"
            lines.insert(line)
            lines.insert("\(record.kind.label) changed: \(RecordText.describe(record, jurisdiction: facts.jurisdiction))")
            recordLines.append(redacted(line))
            let text = record.freeText
            if !text.isEmpty {
                recordLines.append(alone ? "  Written in it: " + text.joined(separator: " / ")
                                         : "  Its free text is withheld: the record names another person too.")
            }
        }
        let chronologyLines = chronology.filter { lines.contains($0.summary) }.map { "\($0.at): \(redacted($0.summary))" }
        return CaseDocument(title: "What this case holds about \(ref)", reference: reference, sections: [
            ("About this document", about),
            ("What the case's facts say about them", held),
            ("Imagery recorded as showing them (described, never held)", imagery),
            ("Devices", devices),
            ("Records that name them", recordLines),
            ("Chronology lines of those records", chronologyLines),
        ])
    }
}
