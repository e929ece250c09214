import Foundation
import Testing
@testable import SafeguardCore

/// Properties of the engine over randomly generated cases, each checked against every completion of the unknowns.
///
/// (a) soundness: a settled decision is the same in every completion; (b) usefulness: an undetermined decision
/// differs between at least two completions; (c) the open questions are exactly the unknown facts whose answer
/// changes a decision, each naming exactly the decisions it changes.
@Suite("Engine properties over random cases")
struct PropertyTests {
    static let ages: [Int?] = [nil, nil, 9, 12, 13, 14, 15, 16, 17, 18, 25, 40]
    /// Ages a completion tries: each side of every threshold the guidance uses (13 and 18).
    static let completionAges = [12, 13, 17, 18]

    /// How often a generated fact is unknown: evenly mixed, or mostly known with ages often unknown, which is
    /// where a person's age pulls a decision both ways (an adult aggravates; a child's welfare facts count).
    enum Mix { case even, agesUnknown }

    static func tri(_ rng: inout SplitMix64, _ mix: Mix = .even) -> Tri {
        switch mix {
        case .even: switch rng.next() % 5 { case 0, 1: .unknown; case 2: .true; default: .false }
        case .agesUnknown: switch rng.next() % 10 { case 0: .unknown; case 1, 2, 3: .true; default: .false }
        }
    }

    static func randomCase(seed: UInt64, mix: Mix = .even) -> CaseFacts {
        var rng = SplitMix64(seed: seed)
        let ages = mix == .even ? Self.ages : [nil, nil, nil, 12, 15, 17, 18, 30]
        func tri(_ rng: inout SplitMix64) -> Tri { Self.tri(&rng, mix) }
        let peopleCount = Int(rng.next() % 3) + 1
        var people: [Person] = []
        for i in 0..<peopleCount {
            var roles = PersonRole.allCases.filter { _ in rng.next() % 4 == 0 }
            if roles.isEmpty { roles = [i == 0 ? .depicted : .recipient] }
            people.append(Person(
                ref: ["A", "B", "X"][i], age: ages[Int(rng.next() % UInt64(ages.count))], roles: roles,
                learningDisability: tri(&rng), inCare: tri(&rng), childProtectionPlan: tri(&rng),
                selfHarmRisk: tri(&rng), immediateDanger: tri(&rng), parentalInvolvementRisk: tri(&rng),
                previousIncidents: rng.next() % 3 == 0 ? nil : Int(rng.next() % 2)))
        }
        var imagery: [Imagery] = []
        for j in 0..<Int(rng.next() % 2 + 1) {
            let kind = ImageryKind.allCases[Int(rng.next() % 4)]
            let depicts = people.map(\.ref).filter { _ in rng.next() % 2 == 0 }
            imagery.append(Imagery(
                ref: "I\(j + 1)", kind: kind, depicts: depicts, sexualActs: tri(&rng), violent: tri(&rng),
                unusualForDevelopmentalStage: tri(&rng), sharedWithoutPermission: tri(&rng),
                sharedBeyondControl: tri(&rng), uploadedToAdultSite: tri(&rng),
                platforms: rng.next() % 3 == 0 ? [.snapchat] : []))
        }
        var circumstances = Circumstances()
        for i in Circumstances.factNames.indices { circumstances[fact: i] = tri(&rng) }
        var devices: [Device] = []
        for d in 0..<Int(rng.next() % 3) {
            devices.append(Device(ref: "D\(d + 1)", owner: people.first?.ref, seized: tri(&rng),
                                  containsImageryOf: rng.next() % 2 == 0 ? [people[0].ref] : []))
        }
        let setting: Setting = rng.next() % 2 == 0 ? .police : .education
        let jurisdiction = Jurisdiction.allCases[Int(rng.next() % 4)]
        let date = ["2019-06-01", "2026-11-23"][Int(rng.next() % 2)]
        var facts = CaseFacts(jurisdiction: jurisdiction, setting: setting, assessedOn: CalendarDate(date),
                              people: people, imagery: imagery, circumstances: circumstances, devices: devices)
        // Keep completions enumerable: at most 8 unknowns; the rest become known at random.
        let space = VariableSpace(facts)
        var unknown = space.allVariables.filter { facts.value(at: space.location($0)).isUnknown }
        while unknown.count > 8 {
            let v = unknown.remove(at: Int(rng.next() % UInt64(unknown.count)))
            let location = space.location(v)
            switch facts.value(at: location) {
            case .bool: facts.set(.bool(rng.next() % 2 == 0 ? .true : .false), at: location)
            case .number:
                if case .person(_, .age) = location { facts.set(.number(completionAges[Int(rng.next() % 4)]), at: location) }
                else { facts.set(.number(Int(rng.next() % 2)), at: location) }
            }
        }
        return facts
    }

    static func completionValues(_ facts: CaseFacts, _ location: FactLocation) -> [FactValue] {
        switch location {
        case .person(_, .age): completionAges.map { .number($0) }
        case .person(_, .previousIncidents): [.number(0), .number(1)]
        default: [.bool(.true), .bool(.false)]
        }
    }

    /// Every completion of the case's unknown facts.
    static func completions(_ facts: CaseFacts) -> [CaseFacts] {
        let space = VariableSpace(facts)
        var result = [facts]
        for v in space.allVariables {
            let location = space.location(v)
            guard facts.value(at: location).isUnknown else { continue }
            result = result.flatMap { partial in
                completionValues(facts, location).map { value in
                    var copy = partial
                    copy.set(value, at: location)
                    return copy
                }
            }
        }
        return result
    }

    @Test("The random cases reach every edition of every nation, so each property holds for each")
    func everyEditionReached() {
        let library = GuidanceLibrary.bundled
        var reached = Set<String>()
        for seed in 0..<300 {
            let pack = library.edition(for: Self.randomCase(seed: UInt64(seed)), today: testToday).pack
            reached.insert("\(pack.id) \(pack.edition)")
        }
        #expect(reached == Set(library.packs.map { "\($0.id) \($0.edition)" }))
    }

    @Test("Soundness and usefulness of every decision", arguments: 0..<300)
    func soundAndUseful(seed: Int) {
        checkSoundAndUseful(Self.randomCase(seed: UInt64(seed)), seed: seed)
    }

    @Test("Soundness and usefulness where ages are unknown and other facts mostly known", arguments: 1000..<1600)
    func soundAndUsefulWithUnknownAges(seed: Int) {
        checkSoundAndUseful(Self.randomCase(seed: UInt64(seed), mix: .agesUnknown), seed: seed)
    }

    func checkSoundAndUseful(_ facts: CaseFacts, seed: Int) {
        let values = decisionValues(facts)
        let completed = Self.completions(facts).map(decisionValues)
        for key in DecisionKey.allCases where key != .emergency {
            let seen = Set(completed.map { $0[key.index] })
            if values[key.index] == "undetermined" {
                #expect(seen.count >= 2, "seed \(seed): \(key) undetermined but every completion gives \(seen)")
            } else {
                #expect(seen == [values[key.index]], "seed \(seed): \(key) = \(values[key.index]) but completions give \(seen)")
            }
        }
    }

    @Test("An undetermined decision's possible values are exactly those a completion of the unknowns reaches", arguments: 0..<300)
    func possibleValuesNeverMissOne(seed: Int) {
        let facts = Self.randomCase(seed: UInt64(seed))
        let assessment = GuidanceLibrary.bundled.assess(facts, today: testToday)
        let completed = Self.completions(facts).map(decisionValues)
        for reason in assessment.decisionReasons {
            let key = DecisionKey(rawValue: reason.decision)!
            guard reason.value == "undetermined" else {
                #expect(reason.possible == nil, "seed \(seed): \(key) is settled and says nothing of possible values")
                continue
            }
            let seen = Set(completed.map { $0[key.index] })
            #expect(seen == Set(reason.possible ?? []), "seed \(seed): \(key) possible \(reason.possible ?? []), completions reach \(seen)")
        }
    }

    @Test("A recommendation that follows from a decision is raised whenever it holds in every completion of the unknowns",
          arguments: 0..<300)
    func recommendationsDoNotWaitOnWhatCannotChangeThem(seed: Int) {
        let facts = Self.randomCase(seed: UInt64(seed))
        let library = GuidanceLibrary.bundled
        let pack = library.edition(for: facts, today: testToday).pack
        let now = Set(library.assess(facts, today: testToday).recommendations.map(\.id))
        // Only recommendations whose `when` reads decisions alone: one that reads a fact may rightly wait on it.
        let decisionOnly = Set(pack.recommendations.filter { $0.when.namedFacts.isEmpty && !$0.when.decisionKeys.isEmpty }.map(\.id))
        let completed = Self.completions(facts).map { Set(library.assess($0, today: testToday).recommendations.map(\.id)) }
        guard let first = completed.first else { return }
        let inEvery = completed.dropFirst().reduce(first) { $0.intersection($1) }.intersection(decisionOnly)
        #expect(inEvery.isSubset(of: now), "seed \(seed): \(inEvery.subtracting(now).sorted()) hold in every completion but wait")
    }

    @Test("Open questions are exactly the facts whose answer changes a decision", arguments: 0..<300)
    func openQuestionsExact(seed: Int) {
        checkOpenQuestions(Self.randomCase(seed: UInt64(seed)), seed: seed)
    }

    @Test("Open questions are exact where ages are unknown", arguments: 1000..<1400)
    func openQuestionsExactWithUnknownAges(seed: Int) {
        checkOpenQuestions(Self.randomCase(seed: UInt64(seed), mix: .agesUnknown), seed: seed)
    }

    func checkOpenQuestions(_ facts: CaseFacts, seed: Int) {
        let assessment = GuidanceLibrary.bundled.assess(facts, today: testToday)
        let space = VariableSpace(facts)
        var expected: [String: [String]] = [:]
        for v in space.allVariables {
            let location = space.location(v)
            guard facts.value(at: location).isUnknown else { continue }
            let outcomes = Self.completionValues(facts, location).map { value -> [String] in
                var flipped = facts
                flipped.set(value, at: location)
                return decisionValues(flipped)
            }
            let affects = DecisionKey.allCases.filter { key in Set(outcomes.map { $0[key.index] }).count > 1 }
            if !affects.isEmpty { expected[facts.path(of: location)] = affects.map(\.rawValue) }
        }
        let actual = Dictionary(uniqueKeysWithValues: assessment.openQuestions.map { ($0.fact, $0.affects) })
        #expect(actual == expected, "seed \(seed)")
        for question in assessment.openQuestions {
            #expect(!question.question.contains("{ref}") && question.question.hasSuffix("?"), "seed \(seed): \(question.question)")
        }
    }

    @Test("Emergency is raised only on immediate danger known for someone not known to be an adult", arguments: 0..<200)
    func emergencyOnKnownDanger(seed: Int) {
        let facts = Self.randomCase(seed: UInt64(seed))
        let expected = facts.people.contains { $0.immediateDanger == .true && !($0.age.map { $0 >= 18 } ?? false) }
        #expect(assess(facts).decisions.emergency == expected, "seed \(seed)")
    }

    @Test("Every recommendation and decision carries a citation and the facts behind it", arguments: 0..<100)
    func everythingExplained(seed: Int) {
        let assessment = assess(Self.randomCase(seed: UInt64(seed)))
        for r in assessment.recommendations {
            #expect(!r.citations.isEmpty && !r.because.isEmpty, "seed \(seed): \(r.id)")
        }
        #expect(assessment.decisionReasons.map(\.decision) == DecisionKey.allCases.map(\.rawValue))
        for d in assessment.decisionReasons { #expect(!d.citations.isEmpty && !d.because.isEmpty, "seed \(seed): \(d.decision)") }
    }
}
