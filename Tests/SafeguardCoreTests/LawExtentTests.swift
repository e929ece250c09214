import Foundation
import Testing
@testable import SafeguardCore

/// The law pack names each nation's own legislation where the NSPCC's list is wrong about where an Act applies
/// (law pack, "Northern Ireland legislation", "Scottish legislation"), and an offence applies only to conduct on the
/// days it was in force ("Intimate images in England and Wales from 2024").
@Suite("Each nation's own offences, in force on the day")
struct LawExtentTests {
    /// An adult who shares a 14-year-old's imagery without permission and threatens more: every offence condition
    /// that can hold does.
    func everything(_ jurisdiction: Jurisdiction, on day: String = "2026-11-23") -> [String] {
        assess(baseCase(.police, jurisdiction, on: day) {
            $0.people[0].age = 14
            $0.people[1].age = 30
            $0.imagery[0].sexualActs = .true
            $0.imagery[0].sharedWithoutPermission = .true
            $0.circumstances.blackmail = .true
            $0.circumstances.maliciousIntent = .true
        }).offences.map(\.id)
    }

    @Test("Northern Ireland (law pack, Northern Ireland legislation): its own Orders and Act, never an England-and-Wales section")
    func northernIreland() {
        let offences = everything(.northernIreland)
        #expect(offences == ["poc-ni-1978a3", "cje-ni-1988a15", "ja-ni-2016s51", "so-ni-2008a22a", "so-ni-2008"])
        // Threatening to disclose (blackmail) alone is enough for section 51 since the 2022 Act.
        let threat = assess(baseCase(.police, .northernIreland) { $0.circumstances.blackmail = .true }).offences.map(\.id)
        #expect(threat.contains("ja-ni-2016s51"))
    }

    @Test("Scotland (law pack, Scottish legislation): section 2 of the 2016 Act and the Sexual Offences (Scotland) Act 2009")
    func scotland() {
        let offences = assess(baseCase(.police, .scotland) {
            $0.people[0].age = 14
            $0.people[1].age = 30
            $0.imagery[0].sexualActs = .true
            $0.imagery[0].sharedWithoutPermission = .true
            $0.circumstances.blackmail = .true
        }).offences
        #expect(offences.map(\.id) == ["cgsa1982s52", "absha2016part1", "sosa2009s24s34", "sosa2009"])
        #expect(offences.first { $0.id == "absha2016part1" }?.legislation == "Abusive Behaviour and Sexual Harm (Scotland) Act 2016, section 2")
    }

    @Test("No nation is given another's legislation: only England and Wales get the 2003 and 2015 Acts' sections",
          arguments: Jurisdiction.allCases)
    func noBorrowedLaw(jurisdiction: Jurisdiction) {
        let englandAndWalesOnly: Set = ["cjca2015s33", "soa2003s66b", "sca2015s67", "soa2003", "poca1978s1", "cja1988part11"]
        let offences = Set(everything(jurisdiction) + everything(jurisdiction, on: "2023-06-01"))
        if jurisdiction == .england || jurisdiction == .wales {
            #expect(offences.isSuperset(of: ["sca2015s67", "soa2003", "poca1978s1"]))
        } else {
            #expect(offences.isDisjoint(with: englandAndWalesOnly), "\(jurisdiction): \(offences)")
        }
    }

    @Test("England and Wales: section 33 of the 2015 Act to 30 January 2024, section 66B of the 2003 Act from 31 January 2024 (Online Safety Act 2023, section 188)",
          arguments: [Jurisdiction.england, .wales])
    func sharingIntimateImagesByDate(jurisdiction: Jurisdiction) throws {
        let before = everything(jurisdiction, on: "2024-01-30")
        #expect(before.contains("cjca2015s33") && !before.contains("soa2003s66b"))
        let after = everything(jurisdiction, on: "2024-01-31")
        #expect(after.contains("soa2003s66b") && !after.contains("cjca2015s33"))
        // The facts hold no date of the conduct: the offence says the assessment's date stood for it.
        let offence = try #require(assess(baseCase(.police, jurisdiction, on: "2024-01-31") { $0.imagery[0].sharedWithoutPermission = .true })
            .offences.first { $0.id == "soa2003s66b" })
        #expect(offence.because.contains { $0.contains("in force for conduct from 31 January 2024") && $0.contains("31 January 2024, as the date of the conduct") })
        // An offence with no dates gives no such reason.
        #expect(assess(baseCase(.police, jurisdiction)).offences.allSatisfy { !$0.because.contains { $0.contains("in force") } })
    }

    @Test("A law pack whose offence comes into force after it ends is refused, saying where")
    func datesInOrder() throws {
        var text = try String(contentsOf: GuidanceLibrary.bundledDirectory.appendingPathComponent("law.yaml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "inForceUntil: 2024-01-30", with: "inForceUntil: 2024-01-30\n        inForceFrom: 2024-02-01")
        let law = try GuidanceLibrary.decodeLaw(yaml: text)
        #expect(law.problems().map(\.description).contains { $0.contains("jurisdictions.england.offences[2].inForceFrom") && $0.contains("is after inForceUntil") })
    }

    @Test("A national outcome's note that opens with the ages the form already shows is refused, saying where")
    func notesDoNotRepeatTheAges() throws {
        var text = try String(contentsOf: GuidanceLibrary.bundledDirectory.appendingPathComponent("law.yaml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "note: It is recorded on the Criminal History System", with: "note: 16 and 17 year-olds only. It is recorded on the Criminal History System")
        let law = try GuidanceLibrary.decodeLaw(yaml: text)
        #expect(law.problems().map(\.description).contains { $0.contains("jurisdictions.scotland.outcomes[") && $0.contains(".note") && $0.contains("repeats the ages (16 and 17 year-olds)") })
        #expect(try GuidanceLibrary.decodeLaw(yaml: String(contentsOf: GuidanceLibrary.bundledDirectory.appendingPathComponent("law.yaml"), encoding: .utf8)).problems().isEmpty)
    }
}
