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
