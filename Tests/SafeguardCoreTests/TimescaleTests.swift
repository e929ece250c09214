import Foundation
import Testing
@testable import SafeguardCore

/// Issue 11, point 1: a MUST action takes its due date from the guidance's own timescale where it states one.
@Suite("Timescales from the guidance")
struct TimescaleTests {
    @Test("Action 7 (College of Policing): a welfare concern is subject to immediate child protection referral: due the same day")
    func policeReferralSameDay() throws {
        let assessment = assess(baseCase(.police) { $0.people[0].selfHarmRisk = .true })
        let referral = try #require(assessment.recommendations.first { $0.id == "childProtectionReferral" })
        #expect(referral.dueWithinDays == 0)
        #expect(assessment.recommendations.first { $0.id == "recordCrime" }?.dueWithinDays == nil, "no timescale stated: the organisation's setting applies")
    }

    @Test("Reporting (NSPCC): a child in immediate danger, call 999: due the same day")
    func schoolEmergencySameDay() throws {
        let assessment = assess(baseCase(.education) { $0.people[0].immediateDanger = .true })
        #expect(assessment.recommendations.first { $0.id == "call999" }?.dueWithinDays == 0)
    }

    @Test("Wales (Welsh Government, Sharing nudes and semi-nudes, What this advice covers): an adult involved, tell the police as a matter of urgency: due the same day")
    func walesPoliceSameDay() throws {
        let assessment = assess(baseCase(.education, .wales) { $0.people[1].age = 30 })
        let police = try #require(assessment.recommendations.first { $0.id == "informPolice" })
        #expect(police.severity == .must && police.dueWithinDays == 0)
        #expect(police.citations.contains { $0.section == "What this advice covers" })
    }

    @Test("A pack's timescale must be 0 to 365 days, and says where it is wrong")
    func refusedOutOfRange() throws {
        let url = GuidanceLibrary.bundledDirectory.appendingPathComponent("nspcc-ukcis-2024.yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
            .replacingOccurrences(of: "dueWithinDays: 0   # the guidance says at once", with: "dueWithinDays: -1   # the guidance says at once")
        #expect { try GuidanceLibrary.decodePack(yaml: text) } throws: { error in
            "\(error)".contains("dueWithinDays") && "\(error)".contains("from 0 (the same day) to 365")
        }
    }

    @Test("Written only when set: the contract only grows")
    func encodedOnlyWhenSet() throws {
        let assessment = assess(baseCase(.police) { $0.people[0].selfHarmRisk = .true })
        let json = String(decoding: try JSONEncoder().encode(assessment.recommendations), as: UTF8.self)
        #expect(json.components(separatedBy: "\"dueWithinDays\"").count - 1 == assessment.recommendations.filter { $0.dueWithinDays != nil }.count)
    }
}
