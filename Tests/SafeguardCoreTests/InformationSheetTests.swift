import Foundation
import Testing
@testable import SafeguardCore

/// The family's information sheet: next steps, who to contact, and the resources for the jurisdiction from the
/// guidance data plus the local overlay.
@Suite("Information sheet for the family")
struct InformationSheetTests {
    let contact = InformationSheet.Contact(name: "PC 4521 Patel", role: "investigating officer", phone: "101", email: nil)

    func steps(_ facts: CaseFacts) -> [String] { assess(facts).familySteps.map(\.text) }

    @Test("Action 1, 2, 5 and 13: a supportive police case tells the family it is recorded, not to copy, and about Outcome 21")
    func proportionate() {
        let texts = steps(baseCase(.police))
        #expect(texts.first?.hasPrefix("The police have recorded what was reported") == true)
        #expect(texts.contains { $0.hasPrefix("Please do not copy, forward") })
        #expect(texts.contains { $0.hasPrefix("As things stand, the police expect to take a supportive approach") })
        #expect(texts.contains { $0.contains("Outcome 21") })
        #expect(texts.contains { $0.hasPrefix("You may be asked to delete any copies") })
        #expect(!texts.contains { $0.hasPrefix("The police are investigating") })
    }

    @Test("Overview and Action 4: aggravating features — an investigation, not the child's fault, and social care told")
    func fullInvestigation() {
        let texts = steps(baseCase(.police) { $0.circumstances.coercion = .true })
        #expect(texts.contains { $0.contains("The young person in the image is not to blame.") })
        #expect(texts.contains { $0.hasPrefix("The police will share what happened with children's social care") })
        #expect(!texts.contains { $0.contains("Outcome 21") })
        let cited = assess(baseCase(.police) { $0.circumstances.coercion = .true }).familySteps
            .first { $0.text.hasPrefix("The police are investigating") }?.citations.map(\.section)
        #expect(cited == ["Overview"])
    }

    @Test("Reporting: a school case with an adult involved tells the family the police will be told, and CEOP may be (issue 11: never promise what is not decided)")
    func school() {
        let texts = steps(baseCase(.education) { $0.people[1].age = 25 })
        #expect(texts.first?.hasPrefix("The school will not look at, copy or share the image") == true)
        #expect(texts.contains { $0.hasPrefix("The school must tell the police") })
        #expect(texts.contains { $0.hasPrefix("The school may also report to CEOP") })
        #expect(!texts.contains { $0.contains("will also report to CEOP") })
        #expect(!texts.contains { $0.contains("The police have recorded") })
    }

    @Test("The sheet gives the steps, the contact, and help for families including the organisation's own")
    func rendered() throws {
        let overlay = try GuidanceLibrary.decodeOverlay(yaml: """
        organisation: Northshire Police
        contacts:
          - { id: ns-family, name: Northshire Family Support, forWhom: families, description: Local support, phone: "01632 960001" }
        """)
        let assessment = assess(baseCase(.police) { $0.imagery[0].platforms = [.snapchat] }, overlay: overlay)
        let text = InformationSheet(assessment: assessment, reference: "SG-2026-000042", contact: contact).render().plainText
        for expected in ["Reference: SG-2026-000042", "WHAT HAPPENS NEXT", "Report Remove", "WHO TO CONTACT",
                         "PC 4521 Patel, investigating officer: telephone 101.", "HELP AND SUPPORT", "Childline",
                         "phone 0800 11 11", "Northshire Family Support (for families): Local support phone 01632 960001."] {
            #expect(text.contains(expected), "missing: \(expected)")
        }
        // The helpline for professionals is not for the family.
        #expect(!text.contains("Professionals Online Safety Helpline"))
    }

    @Test("The printable sheet escapes what the case supplies")
    func escapes() {
        let sheet = InformationSheet(assessment: assess(baseCase(.police)), reference: "<b>SG</b>",
                                     contact: .init(name: "A & B", role: "officer", phone: "101", email: nil))
        let html = sheet.render().html
        #expect(!html.contains("<b>SG</b>") && html.contains("&lt;b&gt;SG&lt;/b&gt;") && html.contains("A &amp; B"))
    }

    @Test("Issue 11, point 6: no family step promises what the guidance only recommends: a step shown for a recommended (not required) decision never says the setting will do it",
          arguments: GuidanceLibrary.bundled.packs.map { "\($0.id) \($0.edition)" })
    func noPromiseOfWhatIsNotDecided(pack name: String) throws {
        let pack = try #require(GuidanceLibrary.bundled.packs.first { "\($0.id) \($0.edition)" == name })
        func onlyRecommended(_ condition: Condition) -> Bool {
            switch condition {
            case .decision(_, let values): values == ["recommended"]
            case .all(let items): items.contains(where: onlyRecommended)
            default: false
            }
        }
        for step in pack.familySteps where onlyRecommended(step.when) {
            #expect(!step.text.contains(" will "), "\(name): \(step.text)")
        }
    }
}
