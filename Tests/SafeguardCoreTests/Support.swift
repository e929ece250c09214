import Foundation
@testable import SafeguardCore

let testToday = CalendarDate("2026-11-23")!

/// A police case of two 16-year-olds sharing willingly with every fact known: the plainest case there is.
/// Tests change one fact at a time from here.
func baseCase(_ setting: Setting = .police, _ jurisdiction: Jurisdiction = .england, on date: String = "2026-11-23",
              _ edit: (inout CaseFacts) -> Void = { _ in }) -> CaseFacts {
    func child(_ ref: String, _ roles: [PersonRole]) -> Person {
        Person(ref: ref, age: 16, roles: roles, learningDisability: .false, inCare: .false, childProtectionPlan: .false,
               selfHarmRisk: .false, immediateDanger: .false, parentalInvolvementRisk: .false, previousIncidents: 0)
    }
    var circumstances = Circumstances()
    for i in Circumstances.factNames.indices { circumstances[fact: i] = .false }
    circumstances.willing = .true
    circumstances.ageAppropriate = .true
    var facts = CaseFacts(
        jurisdiction: jurisdiction, setting: setting, assessedOn: CalendarDate(date)!,
        people: [child("A", [.depicted, .creator, .sender]), child("B", [.recipient, .possessor])],
        imagery: [Imagery(ref: "I1", kind: .image, depicts: ["A"], sexualActs: .false, violent: .false,
                          unusualForDevelopmentalStage: .false, sharedWithoutPermission: .false,
                          sharedBeyondControl: .false, uploadedToAdultSite: .false, platforms: [])],
        circumstances: circumstances, devices: [])
    edit(&facts)
    return facts
}

func assess(_ facts: CaseFacts, overlay: LocalOverlay? = nil) -> Assessment {
    GuidanceLibrary.bundled.assess(facts, today: testToday, overlay: overlay)
}

/// The decisions alone, by the engine, for property tests that assess thousands of completions.
func decisionValues(_ facts: CaseFacts) -> [String] {
    let library = GuidanceLibrary.bundled
    let pack = library.edition(for: facts, today: testToday).pack
    var engine = Engine(pack: pack, law: library.law.law(for: facts.jurisdiction), facts: facts)
    return DecisionKey.allCases.map { engine.decide($0).value }
}

func fixtureData(_ name: String) throws -> Data {
    let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)
        ?? Bundle.module.resourceURL!.appendingPathComponent("Fixtures/\(name)")
    return try Data(contentsOf: url)
}

/// A small, seeded random generator, so that a failing property names a seed that reproduces it.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
