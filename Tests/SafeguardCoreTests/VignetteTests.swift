import Foundation
import Testing
@testable import SafeguardCore

/// The six worked examples of `shared/vignettes`, kept as a fixture of our own.
@Suite("Worked examples")
struct VignetteTests {
    struct Vignette: Decodable, CustomTestStringConvertible, Sendable {
        var name: String
        var note: String
        var facts: CaseFacts
        var expect: [String: ExpectedValue]
        var recommendationsPresent: [String]
        var recommendationsAbsent: [String]
        var testDescription: String { name }
    }

    enum ExpectedValue: Decodable, Sendable {
        case text(String), flag(Bool)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .flag(b) } else { self = .text(try c.decode(String.self)) }
        }
        var string: String { switch self { case .text(let s): s; case .flag(let b): b ? "true" : "false" } }
    }

    static let vignettes: [Vignette] = {
        // The fixture is ours; failing to read it is a broken test target, not a result.
        try! JSONDecoder().decode([Vignette].self, from: try! fixtureData("vignettes.json"))
    }()

    @Test("The worked example gives the expected decisions and recommendations", arguments: vignettes)
    func vignette(_ v: Vignette) throws {
        let facts = try CaseFacts.decode(json: v.facts.jsonData())
        let assessment = assess(facts)
        for (key, want) in v.expect {
            let decision = try #require(DecisionKey(rawValue: key))
            #expect(assessment.decisions.value(of: decision) == want.string, "\(v.name): \(key)")
        }
        let ids = Set(assessment.recommendations.map(\.id))
        for id in v.recommendationsPresent { #expect(ids.contains(id), "\(v.name): missing \(id)") }
        for id in v.recommendationsAbsent { #expect(!ids.contains(id), "\(v.name): unexpected \(id)") }
        if v.note.contains("openQuestions must be non-empty") { #expect(!assessment.openQuestions.isEmpty) }
    }

    @Test("A first report with little known asks how old the children are and about aggravating features")
    func littleKnownAsks() {
        let v = Self.vignettes.first { $0.name == "first-report-little-known" }!
        let facts = v.facts
        let questions = assess(facts).openQuestions
        let asked = Set(questions.map(\.fact))
        #expect(asked.isSuperset(of: ["circumstances.grooming", "circumstances.coercion", "circumstances.exploitation",
                                      "people[A].immediateDanger", "circumstances.willing"]))
        #expect(questions.first { $0.fact == "circumstances.grooming" }?.affects.contains("outcome21") == true)
    }

    @Test("An adult of unknown age and possible grooming: the questions name X's age and grooming")
    func unknownAdultAndGrooming() {
        let facts = baseCase(.police) {
            $0.people[1] = Person(ref: "X", age: nil, roles: [.requester, .recipient])
            $0.circumstances.grooming = .unknown
        }
        let questions = assess(facts).openQuestions
        #expect(questions.contains { $0.fact == "people[X].age" && $0.question == "How old is X?" })
        #expect(questions.contains { $0.fact == "circumstances.grooming" })
    }
}
