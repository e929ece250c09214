import Foundation
import Testing
@testable import SafeguardCore

/// Bad input is a clear error naming the JSON path and what is allowed there; nothing unknown is guessed.
@Suite("Decoding case facts")
struct CaseFactsDecodingTests {
    func decode(_ json: String) -> Result<CaseFacts, CaseFactsError> {
        do { return .success(try CaseFacts.decode(json: Data(json.utf8))) } catch { return .failure(error) }
    }

    /// References are stored and printed, so the text guard's rules hold in the decoder too (issue 10).
    @Test func referencesMeetTheTextGuardsRules() {
        let reversed = decode(#"{"jurisdiction":"england","setting":"police","people":[{"ref":"A\u202E"}]}"#)
        guard case .failure(let error) = reversed else { Issue.record("a reversed ref was accepted"); return }
        #expect(error.path == "people[0].ref" && error.message.contains("text-direction control U+202E"))
        let long = decode(#"{"jurisdiction":"england","setting":"police","people":[{"ref":"A"}],"imagery":[{"ref":"I","kind":"image","depicts":["A","\#(String(repeating: "B", count: 21))"]}]}"#)
        guard case .failure(let tooLong) = long else { Issue.record("a 21-character ref was accepted"); return }
        #expect(tooLong.path == "imagery[0].depicts[1]" && tooLong.message.contains("20 characters"))
    }

    /// A reference is a label, not a name: it is printed on documents and copied into the audit trail, which outlives
    /// the case (found in a security review: "JaneSmith14" was taken as a person's ref).
    @Test func referencesAreLabelsNotNames() {
        for ref in ["A", "B2", "I1", "D12", "ABC", "abc123"] { #expect(CaseFacts.isLabel(ref), "\(ref)") }
        for ref in ["", "JaneSmith14", "ABCD", "A1234", "1A", "A-1", "Ä", "A B"] { #expect(!CaseFacts.isLabel(ref), "\(ref)") }
        guard case .failure(let named) = decode(#"{"jurisdiction":"england","setting":"police","people":[{"ref":"JaneSmith14"}]}"#) else {
            Issue.record("a name was taken as a ref"); return
        }
        #expect(named.path == "people[0].ref" && named.message.contains("never a name"))
    }

    func error(_ json: String) -> String {
        if case .failure(let e) = decode(json) { return e.description }
        return "decoded without error"
    }

    static let minimal = #"{"jurisdiction":"england","setting":"police","people":[{"ref":"A","age":15,"roles":["depicted"]}]}"#

    @Test("Absent and null facts are unknown; true and false are known")
    func triState() throws {
        let facts = try CaseFacts.decode(json: Data(#"""
        {"jurisdiction":"wales","setting":"education","people":[{"ref":"A","age":null,"inCare":true,"selfHarmRisk":false}],
         "circumstances":{"grooming":null,"coercion":false}}
        """#.utf8))
        #expect(facts.people[0].age == nil)
        #expect(facts.people[0].inCare == .true)
        #expect(facts.people[0].selfHarmRisk == .false)
        #expect(facts.people[0].immediateDanger == .unknown)
        #expect(facts.circumstances.grooming == .unknown)
        #expect(facts.circumstances.coercion == .false)
        #expect(facts.circumstances.willing == .unknown)
        #expect(facts.assessedOn == nil)
    }

    @Test("An age out of range or not a whole number names its path")
    func badAge() {
        let json = #"{"jurisdiction":"england","setting":"police","people":[{"ref":"A","age":15},{"ref":"B","age":"fifteen"}]}"#
        #expect(error(json) == "people[1].age: expected a whole number 0–120 or null")
        #expect(error(json.replacingOccurrences(of: #""fifteen""#, with: "121")) == "people[1].age: expected a whole number 0–120 or null")
        #expect(error(json.replacingOccurrences(of: #""fifteen""#, with: "15.5")) == "people[1].age: expected a whole number 0–120 or null")
    }

    @Test("A misspelt key is an error with a suggestion, never a silent unknown")
    func typo() {
        let json = #"{"jurisdiction":"england","setting":"police","circumstances":{"groomng":true}}"#
        let message = error(json)
        #expect(message.hasPrefix("circumstances.groomng: unknown key (did you mean \"grooming\"?)"))
        #expect(error(#"{"jurisdiction":"england","setting":"police","peeple":[]}"#).hasPrefix("peeple: unknown key (did you mean \"people\"?)"))
    }

    @Test("A tri-state fact must be true, false or null")
    func badBoolean() {
        let json = #"{"jurisdiction":"england","setting":"police","people":[{"ref":"A","inCare":"yes"}]}"#
        #expect(error(json) == "people[0].inCare: expected true, false or null (not known yet)")
    }

    @Test("Enumerations list what is allowed")
    func badEnums() {
        #expect(error(#"{"jurisdiction":"france","setting":"police"}"#).hasPrefix("jurisdiction: \"france\" is not allowed; expected one of england, wales, northernIreland, scotland"))
        #expect(error(#"{"setting":"police"}"#).hasPrefix("jurisdiction: required"))
        #expect(error(#"{"jurisdiction":"england","setting":"police","people":[{"ref":"A","roles":["victim"]}]}"#)
            .hasPrefix("people[0].roles[0]: \"victim\" is not allowed; expected one of depicted, creator"))
        #expect(error(#"{"jurisdiction":"england","setting":"police","imagery":[{"ref":"I1","kind":"photo"}]}"#)
            .hasPrefix("imagery[0].kind: \"photo\" is not allowed"))
        #expect(error(#"{"jurisdiction":"england","setting":"police","imagery":[{"ref":"I1","kind":"image","platforms":["myspace"]}]}"#)
            .hasPrefix("imagery[0].platforms[0]: \"myspace\" is not allowed"))
    }

    @Test("References must name people in the case, and be unique")
    func references() {
        let base = #"{"jurisdiction":"england","setting":"police","people":[{"ref":"A"}],"#
        #expect(error(base + #""imagery":[{"ref":"I1","kind":"image","depicts":["A","Z"]}]}"#)
            == #"imagery[0].depicts[1]: "Z" is not a person in the case (people in the case: A)"#)
        #expect(error(base + #""devices":[{"ref":"D1","owner":"Q"}]}"#).hasPrefix(#"devices[0].owner: "Q" is not a person"#))
        #expect(error(base + #""devices":[{"ref":"D1","containsImageryOf":["B"]}]}"#).hasPrefix("devices[0].containsImageryOf[0]"))
        #expect(error(#"{"jurisdiction":"england","setting":"police","people":[{"ref":"A"},{"ref":"A"}]}"#)
            .hasPrefix("people[1].ref: \"A\" is used by another person"))
        #expect(error(#"{"jurisdiction":"england","setting":"police","people":[{"age":3}]}"#).hasPrefix("people[0].ref: required"))
    }

    @Test("Dates are YYYY-MM-DD and real")
    func dates() throws {
        #expect(error(#"{"jurisdiction":"england","setting":"police","assessedOn":"2026-02-30"}"#)
            == "assessedOn: expected a date written YYYY-MM-DD, or null for today")
        #expect(try CaseFacts.decode(json: Data(#"{"jurisdiction":"england","setting":"police","assessedOn":"2024-02-29"}"#.utf8)).assessedOn == CalendarDate("2024-02-29"))
    }

    @Test("Facts sent to an organisation take its jurisdiction and setting, and may not give others")
    func factsTakeTheirPlaceFromTheOrganisation() throws {
        let place = CaseFacts.Place(jurisdiction: .wales, setting: .education)
        let left = try CaseFacts.decode(json: Data(#"{"people":[{"ref":"A","age":15}]}"#.utf8), at: place)
        #expect(left.jurisdiction == .wales && left.setting == .education && left.people.map(\.ref) == ["A"])
        let same = try CaseFacts.decode(json: Data(#"{"jurisdiction":"wales","setting":null}"#.utf8), at: place)
        #expect(same.jurisdiction == .wales && same.setting == .education)
        for (json, path) in [(#"{"jurisdiction":"england"}"#, "jurisdiction"), (#"{"setting":"police"}"#, "setting")] {
            do {
                _ = try CaseFacts.decode(json: Data(json.utf8), at: place)
                Issue.record("\(json) was accepted for a Welsh school")
            } catch {
                #expect(error.path == path && error.message.contains("this organisation's cases have \(path)"), "\(error)")
            }
        }
        // Decoding inside a larger body, as the API does: the place comes in the decoder's userInfo.
        struct Body: Decodable { var facts: CaseFacts }
        let decoder = JSONDecoder()
        decoder.userInfo[CaseFacts.placeKey] = place
        #expect(try decoder.decode(Body.self, from: Data(#"{"facts":{}}"#.utf8)).facts.setting == .education)
        let nothing = CaseFacts(at: place)
        #expect(nothing.jurisdiction == .wales && nothing.setting == .education && nothing.people.isEmpty && nothing.assessedOn == nil)
        // Without a place both are still required.
        #expect(error(#"{"people":[]}"#).hasPrefix("jurisdiction: required"))
    }

    @Test("Input that is not JSON, or not an object, says so")
    func notJSON() {
        #expect(error("{not json").hasPrefix("not valid JSON"))
        #expect(error("[1,2]").hasPrefix("expected an object"))
        #expect(error(#"{"jurisdiction":"england","setting":"police","people":{"ref":"A"}}"#) == "people: expected a list [ … ]")
    }

    @Test("Facts survive a round trip through JSON, with unknowns written as null")
    func roundTrip() throws {
        let facts = baseCase { $0.circumstances.grooming = .unknown; $0.people[0].age = nil }
        let data = facts.jsonData()
        #expect(try CaseFacts.decode(json: data) == facts)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""grooming":null"#) && text.contains(#""age":null"#))
    }
}
