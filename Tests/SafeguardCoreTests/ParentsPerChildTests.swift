import Foundation
import Testing
@testable import SafeguardCore

/// Issue 11, point 2: involving parents is decided for each child, beside the whole case's value. The rule is each
/// edition's `involveParents` decision (NSPCC, "Supporting children and young people"; College of Policing,
/// Actions 2 and 7): involve a child's parents or carers unless doing so would put the child at risk.
@Suite("Involving parents, child by child")
struct ParentsPerChildTests {
    /// A coerced 13-year-old (A) and the 14-year-old who asked (B), whose parents' risk is not known.
    func coerced(_ setting: Setting = .education, bRisk: Tri = .unknown, aRisk: Tri = .false) -> CaseFacts {
        baseCase(setting) {
            $0.people[0].age = 13
            $0.people[1].age = 14
            $0.people[0].parentalInvolvementRisk = aRisk
            $0.people[1].parentalInvolvementRisk = bRisk
            $0.circumstances.coercion = .true
        }
    }

    @Test("Supporting children and young people (NSPCC) and Actions 2 and 7 (College of Policing): A's parents are involved at once while B's risk is not known",
          arguments: [Setting.education, .police])
    func oneChildsParentsDoNotWaitOnAnother(setting: Setting) throws {
        let assessment = assess(coerced(setting))
        #expect(assessment.decisions.involveParents == .undetermined, "the whole case's value is kept")
        #expect(assessment.decisions.involveParentsOf == ["A": .yes, "B": .undetermined])
        let involve = try #require(assessment.recommendations.first { $0.id == "involveParents" })
        #expect(involve.people == ["A"])
        #expect(involve.because == ["people[A].parentalInvolvementRisk = false"])
        #expect(involve.actionText.hasSuffix("(for A)"))
        #expect(!assessment.recommendations.contains { $0.id == "recordWhyParentsNotInvolved" })
    }

    @Test("Where B's parents are a risk to B: do not involve B's, and record why; still involve A's")
    func oneChildAtRiskFromTheirParents() throws {
        let assessment = assess(coerced(bRisk: .true))
        #expect(assessment.decisions.involveParents == .no)
        #expect(assessment.decisions.involveParentsOf == ["A": .yes, "B": .no])
        #expect(assessment.recommendations.first { $0.id == "involveParents" }?.people == ["A"])
        #expect(assessment.recommendations.first { $0.id == "recordWhyParentsNotInvolved" }?.people == ["B"])
    }

    @Test("Where every child's value is the case's, nothing is per child: no people, and the JSON has no people key")
    func sameForEveryChild() throws {
        let assessment = assess(coerced(bRisk: .false))
        #expect(assessment.decisions.involveParentsOf == ["A": .yes, "B": .yes])
        let involve = try #require(assessment.recommendations.first { $0.id == "involveParents" })
        #expect(involve.people.isEmpty && involve.actionText == involve.text)
        let json = String(decoding: try JSONEncoder().encode(assessment), as: UTF8.self)
        #expect(json.contains(#""involveParentsOf":{"#) && !json.contains(#""people":"#))
    }

    @Test("An adult's parents are not in question: only those not known to be 18 or over are decided")
    func adultsLeftOut() {
        let assessment = assess(baseCase { $0.people[1].age = 30; $0.people[1].parentalInvolvementRisk = .unknown })
        #expect(Set(assessment.decisions.involveParentsOf.keys) == ["A"])
    }

    @Test("An assessment stored before involveParentsOf reads back with none")
    func olderAssessmentsDecode() throws {
        let assessment = assess(coerced())
        var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(assessment)) as? [String: Any])
        var decisions = try #require(object["decisions"] as? [String: Any])
        decisions["involveParentsOf"] = nil
        object["decisions"] = decisions
        let older = try JSONDecoder().decode(Assessment.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(older.decisions.involveParentsOf.isEmpty)
    }

    @Test("Each child's value agrees with the case's: all yes makes yes, any no makes no, and a child's value is settled exactly when their own answer (and, if it is yes, their age) is known",
          arguments: 0..<300)
    func agreesWithTheWholeCase(seed: Int) {
        let facts = PropertyTests.randomCase(seed: UInt64(seed))
        let assessment = GuidanceLibrary.bundled.assess(facts, today: testToday)
        let each = assessment.decisions.involveParentsOf
        let overall = assessment.decisions.involveParents
        let children = facts.people.filter { ($0.age ?? 0) < 18 }
        #expect(Set(each.keys) == Set(children.map(\.ref)), "seed \(seed)")
        if each.values.contains(.no) { #expect(overall == .no, "seed \(seed)") }
        if overall == .yes { #expect(each.values.allSatisfy { $0 == .yes }, "seed \(seed)") }
        for child in children {
            // A risk known for a child of unknown age still waits on the age: welfare facts never count for an adult.
            let waitsOnAge = child.age == nil && child.parentalInvolvementRisk == .true
            #expect((each[child.ref] == .undetermined) == (child.parentalInvolvementRisk == .unknown || waitsOnAge), "seed \(seed): \(child.ref)")
        }
    }
}
