import Foundation
import Testing
@testable import SafeguardCore

/// Issue 12, point 6: each record kind declares its fields once, and that declaration matches the record type: a
/// field the type has but the description lacks (or the other way round), or a wrong `required`, fails here by name.
@Suite("One description per record kind")
struct RecordDescriptionTests {
    /// A value of the field's JSON type that decodes.
    static func sample(_ field: RecordField) -> Any {
        switch field.input {
        case .text, .longText, .filledText: "x"
        case .date: "2026-01-01"
        case .yesNo, .filledYesNo: true
        case .choice(let options): options[0].value
        case .choices(let options): [options[0].value]
        case .person: "A"
        case .device: "D1"
        case .people: ["A"]
        case .imagery: ["I1"]
        case .list: ["x"]
        }
    }

    static func json(_ kind: RecordKind, _ fields: [RecordField]) -> Data {
        var object: [String: Any] = ["kind": kind.rawValue]
        for field in fields { object[field.name] = sample(field) }
        return try! JSONSerialization.data(withJSONObject: object)
    }

    @Test("Every kind's required fields alone decode, and every field declared is a property of the record type", arguments: RecordKind.allCases)
    func descriptionMatchesType(kind: RecordKind) throws {
        let description = kind.description
        #expect(!description.fields.isEmpty)
        #expect(!description.label.isEmpty && !description.formTitle.isEmpty && !description.settings.isEmpty)
        #expect(Set(description.keys).count == description.keys.count, "no field twice")
        let required = description.fields.filter(\.required)
        let minimal = try ResponseRecord.decode(json: Self.json(kind, required))
        #expect(minimal.kind == kind)
        // Every stored property of the record type is declared, and nothing more.
        let full = try ResponseRecord.decode(json: Self.json(kind, description.fields))
        let properties = Mirror(reflecting: full.payload).children.compactMap(\.label).map { $0.hasPrefix("`") ? String($0.dropFirst().dropLast()) : $0 }
        #expect(Set(properties) == Set(description.keys), "\(kind.rawValue): properties \(properties) against fields \(description.keys)")
        // Each field declared required is required by the type.
        for field in required {
            let without = required.filter { $0.name != field.name }
            #expect(throws: RecordProblem.self, "\(kind.rawValue).\(field.name) is declared required") {
                try ResponseRecord.decode(json: Self.json(kind, without))
            }
        }
        // And one declared optional is optional: the type decodes without it.
        for field in description.fields where !field.required {
            #expect(throws: Never.self, "\(kind.rawValue).\(field.name) is declared optional") {
                try ResponseRecord.decode(json: Self.json(kind, description.fields.filter { $0.name != field.name }))
            }
        }
    }

    @Test("A value outside a field's allowed values is refused, naming the field and what it allows")
    func choicesAreEnforced() {
        #expect { try ResponseRecord.decode(json: Data(#"{"kind":"backgroundCheck","system":"interpol","status":"done"}"#.utf8)) } throws: { error in
            let problem = error as! RecordProblem
            return problem.field == "system" && problem.message.contains("one of pnc, pnd, localPoliceSystems, mash, partnerAgency")
        }
    }

    @Test("Every option of every fixed list reads as words, never as its code")
    func optionsInWords() {
        for kind in RecordKind.allCases {
            for field in kind.description.fields {
                for option in field.input.options ?? [] {
                    #expect(option.label.first?.isUppercase == true || option.label.first?.isNumber == true, "\(kind.rawValue).\(field.name): \(option.label)")
                    #expect(!option.label.contains { $0 == "_" }, "\(option.label)")
                    if option.value.contains(where: \.isUppercase) && option.value.first?.isLowercase == true {
                        #expect(option.label != option.value, "\(kind.rawValue).\(field.name) shows its code \(option.value)")
                    }
                }
            }
        }
    }
}

/// Issue 12, point 6, the last part: a record's chronology line comes from its kind's description (`RecordLine`),
/// so a kind added in one file has its words there too, and a line naming a field the kind lacks fails here.
@Suite("Chronology lines from the description")
struct RecordLineTests {
    @Test("Every kind's line names only its own fields, with braces closed", arguments: RecordKind.allCases)
    func linesAreSound(kind: RecordKind) {
        #expect(kind.description.line.problems(in: kind.description) == [])
        #expect(!kind.description.line.fieldsNamed.isEmpty, "\(kind.rawValue)'s line says something of the record")
    }

    @Test("A line with a brace left open, an unknown field or an unknown form is refused, saying which")
    func badLinesAreRefused() {
        let welfare = RecordKind.welfareCheck.description
        #expect(RecordLine("{person checked").problems(in: welfare).first?.contains("never closed") == true)
        #expect(RecordLine("{person} checked}").problems(in: welfare).first?.contains("unmatched }") == true)
        #expect(RecordLine("{persn} checked").problems(in: welfare).first?.contains("persn, which is not a field (fields: person, checkedOn") == true)
        #expect(RecordLine("{person:shout}").problems(in: welfare).first?.contains("one of words, label, offence") == true)
        #expect(RecordLine("{person:label}").problems(in: welfare).first?.contains("no fixed list") == true)
    }

    @Test("Every kind, with every field given, reads as words: no brace, no code, no ISO day", arguments: RecordKind.allCases)
    func everyKindInWords(kind: RecordKind) throws {
        var object: [String: Any] = ["kind": kind.rawValue]
        for field in kind.description.fields { object[field.name] = RecordDescriptionTests.sample(field) }
        // The first option of each list is chosen; pick ones with a camel-case code where there is one, to catch it shown raw.
        for field in kind.description.fields {
            if let code = field.input.options?.first(where: { $0.value.contains(where: \.isUppercase) })?.value {
                object[field.name] = field.input.isArray ? [code] : code
            }
        }
        let record = try ResponseRecord.decode(json: JSONSerialization.data(withJSONObject: object))
        let line = RecordText.describe(record)
        #expect(!line.isEmpty && !line.contains("{") && !line.contains("}"), "\(kind.rawValue): \(line)")
        #expect(line.range(of: #"\b[a-z]+[A-Z][a-zA-Z]*\b"#, options: .regularExpression) == nil, "\(kind.rawValue) shows a code: \(line)")
        #expect(line.range(of: #"\d{4}-\d{2}-\d{2}"#, options: .regularExpression) == nil, "\(kind.rawValue) shows an ISO day: \(line)")
    }

    func record(_ json: String) throws -> ResponseRecord { try ResponseRecord.decode(json: Data(json.utf8)) }

    @Test("Branches: a yes/no, a filled-in field, a stored value, and all of several")
    func branches() throws {
        #expect(RecordText.describe(try record(#"{"kind":"welfareCheck","person":"A","checkedOn":"2026-03-03","result":"fine","concerns":true}"#))
                == "A checked on 3 March 2026, concerns found")
        #expect(RecordText.describe(try record(#"{"kind":"welfareCheck","person":"A","checkedOn":"2026-03-03","result":"fine","concerns":false}"#))
                == "A checked on 3 March 2026")
        // Empty text is not filled in: no dangling ", reference ".
        #expect(RecordText.describe(try record(#"{"kind":"childProtectionReferral","to":"the MASH","referredOn":"2026-03-03","reference":" ","people":["A"]}"#))
                == "to the MASH on 3 March 2026")
        // Proof of deletion needs the day, the proof and who saw it, all three.
        let direction = #"{"kind":"deletionDirection","holder":"B","directedOn":"2026-03-03","directedBy":"PC 1","deletedOn":"2026-03-04""#
        #expect(RecordText.describe(try record(direction + "}")) == "B directed on 3 March 2026; proof of deletion awaited")
        #expect(RecordText.describe(try record(direction + #","proof":"shown","verifiedBy":"PC 1"}"#))
                == "B directed on 3 March 2026; deletion proved on 4 March 2026")
        // A yes/no Safeguard fills in reads three ways: yes, no, and nothing when not set.
        let custody = #"{"kind":"deviceCustody","device":"D1","step":"leftWithOwner","on":"2026-03-03","by":"PC 1""#
        #expect(RecordText.describe(try record(custody + "}")) == "D1 left with owner on 3 March 2026 by PC 1")
        #expect(RecordText.describe(try record(custody + #","imagerySolelyOfOwner":false}"#)).hasSuffix("by PC 1 (imagery not solely of the owner)"))
        #expect(RecordText.describe(try record(custody + #","imagerySolelyOfOwner":true,"power":"pace32"}"#))
                == "D1 left with owner on 3 March 2026 by PC 1 under PACE section 32 (imagery solely of the owner)")
    }

    @Test("Offences by their legislation in the case's nation; a nation's outcome by its title")
    func nationalWords() throws {
        let crime = try record(#"{"kind":"crimeRecord","crimeReference":"CR/1","reportedOn":"2026-03-03","offences":["poc-ni-1978a3"]}"#)
        #expect(RecordText.describe(crime, jurisdiction: .northernIreland)
                == "crime reference CR/1, reported 3 March 2026, offences: Protection of Children (Northern Ireland) Order 1978, article 3")
        let outcome = try record(#"{"kind":"outcome","code":"local","nationalOutcome":"earlyAndEffectiveIntervention","decidedOn":"2026-03-03","rationale":"r"}"#)
        #expect(RecordText.describe(outcome, jurisdiction: .scotland) == "outcome: Early and Effective Intervention (EEI) referral on 3 March 2026")
        let o21 = try record(#"{"kind":"outcome","code":"21","decidedOn":"2026-03-03","rationale":"r"}"#)
        #expect(RecordText.describe(o21).hasPrefix("Outcome 21: Further investigation not in the public interest"))
        #expect(RecordText.describe(o21).hasSuffix(", decided on 3 March 2026"))
    }
}

/// `ResponseRules.recordKinds(completing:)` (which form the case page leads an action to, and which record a must-do's
/// refusal names) answers what `fulfilled(by:)` does, the other way round: every record of every kind, with each
/// value of each of its choices, completes only actions that name its kind.
@Suite struct RecordCompletionTests {
    @Test(arguments: RecordKind.allCases)
    func everyActionARecordCompletesNamesItsKind(kind: RecordKind) throws {
        var variants: [[String: Any]] = []
        var full: [String: Any] = ["kind": kind.rawValue]
        for field in kind.description.fields { full[field.name] = RecordDescriptionTests.sample(field) }
        variants.append(full)
        for field in kind.description.fields {
            switch field.input {
            case .choice(let options): for o in options { var v = full; v[field.name] = o.value; variants.append(v) }
            case .choices(let options): for o in options { var v = full; v[field.name] = [o.value]; variants.append(v) }
            case .yesNo: var v = full; v[field.name] = false; variants.append(v)
            default: break
            }
        }
        for setting in kind.settings {
            let facts = baseCase(setting) { $0.people = [$0.people[0]] }
            for variant in variants {
                guard let record = try? ResponseRecord.decode(json: JSONSerialization.data(withJSONObject: variant)) else { continue }
                for id in ResponseRules.fulfilled(by: record, facts: facts, records: [record]) {
                    // A 999 call also tells the police; no one form is the way to tell them.
                    if kind == .externalReport && id == "informPolice" { continue }
                    #expect(ResponseRules.recordKinds(completing: id).contains(kind), "\(kind.rawValue) completes \(id): \(variant)")
                }
            }
        }
    }
}
