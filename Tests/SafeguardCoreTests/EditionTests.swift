import Foundation
import Testing
@testable import SafeguardCore

/// `assessedOn` picks the edition in force; each edition keeps its own position where they differ.
@Suite("Editions and overlays")
struct EditionTests {
    @Test("A case assessed in 2019 is assessed under the November 2016 briefing note")
    func edition2016() {
        let assessment = assess(baseCase(.police, on: "2019-06-01"))
        #expect(assessment.guidance.first?.edition == "2016 (v1.0)")
        #expect(assessment.guidance.first?.title == "Police action in response to youth produced sexual imagery ('Sexting')")
        #expect(assessment.notes.isEmpty)
    }

    @Test("A case assessed today is assessed under the current edition")
    func editionCurrent() {
        let assessment = assess(baseCase(.police, on: "2026-11-23"))
        #expect(assessment.guidance.first?.edition == "current")
        #expect(assessment.guidance.map(\.id) == ["college-of-policing", "uk-law"])
    }

    @Test("Without assessedOn the assessment uses today's date")
    func defaultsToToday() {
        var facts = baseCase(.police)
        facts.assessedOn = nil
        let assessment = GuidanceLibrary.bundled.assess(facts, today: CalendarDate("2018-01-01")!)
        #expect(assessment.assessedOn == CalendarDate("2018-01-01"))
        #expect(assessment.guidance.first?.edition == "2016 (v1.0)")
    }

    @Test("Editions 2016 and current differ on DBS and youth cautions (Action 12 / paragraph 22)")
    func dbsPositions() {
        let then = assess(baseCase(.police, on: "2019-06-01")).recommendations.first { $0.id == "communicateOutcome" }!
        let now = assess(baseCase(.police, on: "2026-11-23")).recommendations.first { $0.id == "communicateOutcome" }!
        #expect(then.text.contains("including a youth caution") && then.text.contains("must be disclosed"))
        #expect(now.text.contains("youth cautions are exempt unless recent and relevant"))
        #expect(then.citations.map(\.section) == ["22"])
        #expect(now.citations.map(\.section).contains("Action 12"))
    }

    @Test("Editions differ in wording: consent (2016) against willingly, with permission (current)")
    func consentWording() {
        let unknownWilling = { (date: String) in
            assess(baseCase(.police, on: date) { $0.circumstances.willing = .unknown })
                .openQuestions.first { $0.fact == "circumstances.willing" }?.question
        }
        #expect(unknownWilling("2019-06-01") == "Was the sharing consensual?")
        #expect(unknownWilling("2026-11-23") == "Was the imagery taken and shared willingly, with everyone's permission?")
    }

    @Test("The 2016 edition calls the interview an ABE interview (paragraph 16)")
    func abeInterview() {
        let facts = baseCase(.police, on: "2019-06-01") { $0.circumstances.willing = .false }
        #expect(assess(facts).recommendations.first { $0.id == "visuallyRecordedInterview" }?.text.contains("Achieving Best Evidence") == true)
    }

    @Test("Before the earliest edition, the earliest is used and the assessment says so")
    func beforeEarliest() {
        let police = assess(baseCase(.police, on: "2014-03-01"))
        #expect(police.guidance.first?.edition == "2016 (v1.0)")
        #expect(police.notes.first?.contains("No police guidance we hold for England was in force on 1 March 2014") == true)
        let school = assess(baseCase(.education, on: "2023-09-01"))
        #expect(school.guidance.first?.id == "nspcc-ukcis")
        #expect(school.notes.count == 1)
    }

    @Test("Each edition gives its own resources for families, with the numbers the guidance gives")
    func resources() {
        let old = assess(baseCase(.police, on: "2019-06-01")).resources
        #expect(old.first { $0.id == "nspcc-helpline" }?.phone == "0808 800 5000")
        #expect(old.first { $0.id == "marie-collins-foundation" }?.phone == "01765 688827")
        #expect(old.first { $0.id == "childline" }?.phone == "0800 11 11")
        let now = assess(baseCase(.police)).resources
        #expect(now.first { $0.id == "posh" }?.phone == "0844 381 4772")
        #expect(now.first { $0.id == "nspcc-adults-helpline" }?.phone == "0808 800 5002")
        let school = assess(baseCase(.education)).resources
        #expect(school.contains { $0.id == "report-remove" })
        #expect(school.first { $0.id == "nspcc-helpline" }?.email == "help@nspcc.org.uk")
    }

    @Test("Offences are those the guidance lists for the jurisdiction (Key legislation)")
    func offences() {
        let england = assess(baseCase(.police, .england)).offences
        #expect(england.map(\.id) == ["poca1978s1", "cja1988part11"])
        #expect(england.map(\.homeOfficeClassification) == ["86/2", "86/10"])
        #expect(assess(baseCase(.police, .scotland)).offences.allSatisfy { $0.homeOfficeClassification == nil })
        let scotland = assess(baseCase(.police, .scotland) { $0.circumstances.blackmail = .true }).offences.map(\.id)
        #expect(scotland == ["cgsa1982s52", "absha2016part1"])
        let ni = assess(baseCase(.police, .northernIreland) { $0.imagery[0].sexualActs = .true }).offences.map(\.id)
        #expect(ni == ["poc-ni-1978a3", "cje-ni-1988a15", "so-ni-2008"])
        let adult = assess(baseCase(.police, .wales) { $0.people[1].age = 30; $0.people[0].age = 14 }).offences
        #expect(adult.contains { $0.id == "sca2015s67" && $0.because.contains("people[A].age = 14") })
        let messages = assess(baseCase(.police) { $0.imagery[0].kind = .message }).offences.map(\.id)
        #expect(messages.isEmpty)
    }

    @Test("Cases of the same shape in different jurisdictions get their own law (the plan cache keys on jurisdiction)")
    func planCacheKeysOnJurisdiction() {
        for (jurisdiction, first, last) in [(Jurisdiction.scotland, "cgsa1982s52", "sosa2009"), (.northernIreland, "poc-ni-1978a3", "so-ni-2008"),
                                            (.scotland, "cgsa1982s52", "sosa2009"), (.england, "poca1978s1", "soa2003"), (.wales, "poca1978s1", "soa2003")] {
            let offences = assess(baseCase(.police, jurisdiction) { $0.imagery[0].sexualActs = .true }).offences.map(\.id)
            #expect(offences.first == first && offences.last == last, "\(jurisdiction): \(offences)")
        }
    }

    @Test("A cached plan gives the same assessment as a plan compiled afresh", arguments: 0..<150)
    func cachedEqualsFresh(seed: Int) {
        let facts = PropertyTests.randomCase(seed: UInt64(seed))
        let fresh = GuidanceLibrary.bundled.withoutPlanCache()
        _ = assess(PropertyTests.randomCase(seed: UInt64(seed + 7)))   // warm the cache with other shapes
        #expect(assess(facts) == fresh.assess(facts, today: testToday), "seed \(seed)")
    }

    static let overlay = LocalOverlay(
        organisation: "Northshire Police", appliesTo: ["college-of-policing"],
        contacts: [try! GuidanceLibrary.decodeOverlay(yaml: """
            organisation: x
            contacts:
              - { id: northshire-mash, name: Northshire MASH, forWhom: professionals, description: Referrals, phone: "01234 567890" }
            """).contacts[0]],
        recommendationText: ["childContactForm": "Raise Northshire form CF12 on Niche."])

    @Test("A local overlay adds the force's contacts and wording without touching the shipped packs")
    func overlayApplies() {
        let assessment = assess(baseCase(.police), overlay: Self.overlay)
        let mash = assessment.resources.first { $0.id == "northshire-mash" }
        #expect(mash?.phone == "01234 567890" && mash?.source == "local overlay: Northshire Police")
        #expect(assessment.recommendations.first { $0.id == "childContactForm" }?.text == "Raise Northshire form CF12 on Niche.")
        let plain = assess(baseCase(.police))
        #expect(plain.recommendations.first { $0.id == "childContactForm" }?.text.hasPrefix("Raise a child contact") == true)
    }

    @Test("An overlay for the police pack does nothing to a school's assessment")
    func overlayScoped() {
        let assessment = assess(baseCase(.education), overlay: Self.overlay)
        #expect(!assessment.resources.contains { $0.id == "northshire-mash" })
    }
}
