import Foundation
@testable import SafeguardCore
import Testing

/// Issue 11, point 4: one place turns codes into the words people read.
@Suite struct WordsTests {
    @Test func codesBecomeWords() {
        #expect(Words.of("leftWithOwner") == "left with owner")
        #expect(Words.of("notKnownYet") == "not known yet")
        #expect(Words.of("pace32") == "PACE section 32")
        // A communication record's topics: "outcome, DBS checks and contact details", never "dbs".
        #expect(Words.list(["outcome", "dbs", "contactDetails"]) == "outcome, DBS checks and contact details")
        #expect(Words.parts([.depicted, .creator, .sender]) == "shown in the imagery, took or made it and sent it")
        #expect(PersonRole.allCases.allSatisfy { !$0.words.isEmpty && $0.words != $0.rawValue }, "every part in words, none its code")
        #expect(Words.of("police999") == "police 999")
        #expect(Words.of("seized") == "seized")
        #expect(Words.list(["notToCopy", "reportRemove", "support"]) == "not to copy, Report Remove and support")
    }

    /// The engine's reasons as `Formula` writes them: an unknown answer is known as such from its text, in one place.
    @Test func aReasonThatIsOnlyAnUnknownAnswerIsKnownAsSuch() {
        let facts = CaseFacts(jurisdiction: .england, setting: .education, assessedOn: CalendarDate("2025-01-10")!,
                              people: [Person(ref: "A", age: 14, roles: [.depicted])], circumstances: .init())
        let reasons = GuidanceLibrary.bundled.assess(facts, today: CalendarDate("2025-01-10")!).decisionReasons.flatMap(\.because)
        let unknown = reasons.filter(Words.isNotKnown)
        #expect(!unknown.isEmpty, "a case with most answers open has reasons that are only unknown answers: \(reasons)")
        #expect(unknown.allSatisfy { $0.hasSuffix(" = not known") || $0.hasSuffix(" = unknown") || $0.hasSuffix(" = null") })
        #expect(!Words.isNotKnown("grooming = true") && !Words.isNotKnown("a sentence = with an equals sign = true"))
        #expect(!Words.isNotKnown("not known"), "a reason that is not an answer")
    }

    @Test func daysAreWrittenAsPeopleWriteThem() {
        #expect(Words.day("2026-11-23") == "23 November 2026")
        #expect(Words.day("not a day") == "not a day")
    }

    @Test func offencesAreNamedByTheirLegislation() {
        #expect(Words.offence("poca1978s1", jurisdiction: .england).contains("Protection of Children Act 1978"))
        #expect(Words.offence("unknownOffence", jurisdiction: .england) == "unknown offence")
    }

    @Test func decisionChangesReadAsSentences() throws {
        #expect(DecisionKey.involveParents.label == "Involving parents or carers")
        #expect(DecisionKey.involveParents.words(for: "undetermined") == "Not decided yet")
        #expect(DecisionKey.outcome21.words(for: "eligible") == "Can be considered")
        for key in DecisionKey.allCases {
            for value in key.allowedValues {
                let words = key.words(for: value)
                #expect(words.range(of: #"\b[a-z]+[A-Z][A-Za-z]*\b"#, options: .regularExpression) == nil, "\(key) \(value): \(words)")
            }
        }
    }
}
