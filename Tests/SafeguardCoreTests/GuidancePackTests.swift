import Foundation
import Testing
@testable import SafeguardCore

/// The shipped packs are complete and consistent, and `guidance check` finds each kind of mistake with its location.
@Suite("Guidance packs")
struct GuidancePackTests {
    let library = GuidanceLibrary.bundled

    @Test("The shipped packs have no problems: every citation resolves, every decision has rules")
    func shippedPacksValid() {
        #expect(library.problems().map(\.description) == [])
        // Every YAML file in the folder but the law is an edition: a new edition is a file, with no Swift to change.
        let files = try! FileManager.default.contentsOfDirectory(atPath: GuidanceLibrary.bundledDirectory.path).filter { $0.hasSuffix(".yaml") }
        #expect(library.packs.count == files.count - 1)
        #expect(library.packs.count >= 7)
    }

    @Test("Every decision key is produced in both settings", arguments: Setting.allCases)
    func everyDecisionProduced(setting: Setting) {
        let assessment = assess(baseCase(setting))
        #expect(assessment.decisionReasons.map(\.decision) == DecisionKey.allCases.map(\.rawValue))
        let data = try! JSONEncoder().encode(assessment.decisions)
        let keys = (try! JSONSerialization.jsonObject(with: data) as! [String: Any]).keys
        // Every contract key, and the one addition beside them: involving parents decided for each child.
        #expect(Set(keys) == Set(DecisionKey.allCases.map(\.rawValue) + ["involveParentsOf"]))
    }

    static let requiredPolice = ["recordCrime", "backgroundChecks", "welfareCheck", "adviseNotToCopy",
        "childProtectionReferral", "strategyMeeting", "supportiveApproach", "suspectRecordingDiscretion",
        "noRoutineSeizure", "seizeTargetDevices", "visuallyRecordedInterview", "notifyNextSteps", "contentRemoval",
        "seniorReviewOutcome21", "communicateOutcome", "outcome21Letter", "deletionDirection", "deviceReturnSignOff",
        "caidLiaison", "childContactForm"]
    static let requiredEducation = ["doNotViewImagery", "searchOnlyIfImmediateRisk", "deviceHandover",
        "childProtectionReferral", "call999", "informPolice", "reportToCEOP", "involveParents", "counsellingReferral",
        "reportRemove", "writtenRecord", "postIncidentReview"]

    @Test("The current police edition has every recommendation id the contract names")
    func policeIDs() {
        let ids = Set(library.pack(id: "college-of-policing", edition: "current")!.recommendations.map(\.id))
        #expect(Set(Self.requiredPolice).subtracting(ids) == [])
    }

    @Test("The 2016 police edition has them all but suspect recording discretion, which it does not contain")
    func police2016IDs() {
        let ids = Set(library.pack(id: "college-of-policing", edition: "2016 (v1.0)")!.recommendations.map(\.id))
        #expect(Set(Self.requiredPolice).subtracting(ids) == ["suspectRecordingDiscretion"])
    }

    @Test("The education edition has every recommendation id the contract names")
    func educationIDs() {
        let ids = Set(library.pack(id: "nspcc-ukcis")!.recommendations.map(\.id))
        #expect(Set(Self.requiredEducation).subtracting(ids) == [])
    }

    @Test("`guidance show` lists a rule for each of Actions 1 to 17 of the current police edition")
    func showCoversActions() {
        let text = library.pack(id: "college-of-policing", edition: "current")!.plainText()
        for action in 1...17 {
            let cited = text.split(separator: "\n").contains { line in
                line.contains("[") && line.contains("Action \(action)]") || line.contains("Action \(action),")
            }
            #expect(cited, "no rule cites Action \(action)")
        }
    }

    @Test("`guidance show` lists each of the five NSPCC referral criteria as its own rule")
    func showCoversCriteria() {
        let text = library.pack(id: "nspcc-ukcis")!.plainText()
        for criterion in 1...5 {
            #expect(text.contains("[When to make a child protection referral (\(criterion))"), "criterion \(criterion)")
        }
    }

    static let shipped = try! String(contentsOf: GuidanceLibrary.bundledDirectory.appendingPathComponent("college-of-policing-current.yaml"), encoding: .utf8)

    func problems(_ yaml: String) -> [String] {
        do { return try GuidanceLibrary.decodePack(yaml: yaml).problems().map(\.description) } catch { return [error.description] }
    }

    @Test("check: a citation that is not a section of the edition is named with its location")
    func badCitation() {
        let broken = Self.shipped.replacingOccurrences(of: "citations: [Action 17]", with: "citations: [Action 18]")
        #expect(problems(broken) == [#"recommendations[26].citations[0]: "Action 18" is not a section of this edition (did you mean "Action 1"?)"#])
    }

    @Test("check: a misspelt named fact, key or value is named with its location")
    func typos() {
        #expect(problems(Self.shipped.replacingOccurrences(of: "when: imageryOnline", with: "when: imageryOnlin"))
            .first?.hasPrefix(#"recommendations[17].when: "imageryOnlin" is not a named fact (did you mean "imageryOnline"?)"#) == true)
        #expect(problems(Self.shipped.replacingOccurrences(of: "    citations: [Action 17]", with: "    citation: [Action 17]"))
            .first?.hasPrefix("recommendations[26].citation: unknown key (did you mean \"citations\"?)") == true)
        #expect(problems(Self.shipped.replacingOccurrences(of: "value: seizeTargetDevices", with: "value: seize"))
            == [#"decisions.deviceSeizure.rules[0].value: "seize" is not allowed; expected one of seizeTargetDevices, notRoutine, undetermined, notApplicable"#])
    }

    @Test("check: a missing decision, an unconditional-last rule and a non-adjacent repeat are problems")
    func structure() {
        let noCAID = Self.shipped.replacingOccurrences(of: "  caidReferral:\n", with: "  caidReferal:\n")
        #expect(problems(noCAID).contains("decisions: no rules for caidReferral; every decision must be produced"))
        #expect(problems(noCAID).contains { $0.hasPrefix("decisions.caidReferal: not a decision of the contract") })
        let noOtherwise = Self.shipped.replacingOccurrences(of: "      - value: notRoutine\n", with: "      - when: notWilling\n        value: notRoutine\n")
        #expect(problems(noOtherwise).contains { $0.hasPrefix("decisions.deviceSeizure.rules[1]: the last rule must have no `when`") })
        let repeated = Self.shipped.replacingOccurrences(of: "      - when: childSubjectToChildProtection\n        value: required", with: "      - when: childSubjectToChildProtection\n        value: immediate")
        #expect(problems(repeated).contains { $0.hasPrefix("decisions.childProtectionReferral.rules[2].value: \"immediate\" also comes from an earlier rule") })
    }

    @Test("check: an overlay naming a recommendation that does not exist is a problem")
    func overlayProblems() throws {
        let overlay = try GuidanceLibrary.decodeOverlay(yaml: """
        organisation: Northshire Police
        appliesTo: [college-of-policing, northshire]
        contacts:
          - { id: mash, name: Northshire MASH, forWhom: professionals, description: Referrals }
        recommendationText:
          childContactFrom: Raise form CF12.
        """)
        #expect(library.problems(in: overlay).map(\.description) == [
            #"appliesTo[1]: "northshire" is not a guidance pack; known: college-of-policing, de-ni-safeguarding-in-schools, nspcc-ukcis, scottish-government-child-protection-education, scottish-government-child-protection-police, welsh-government-sharing-nudes"#,
            #"recommendationText.childContactFrom: "childContactFrom" is not a recommendation of the packs this overlay applies to (did you mean "childContactForm"?)"#,
            "contacts[0]: a contact needs a phone, email, web or text detail",
        ])
    }

    @Test("Every named fact has a meaning a policy lead can read")
    func namedFactsDocumented() {
        for fact in NamedFact.allCases { #expect(fact.meaning.count > 10, "\(fact)") }
    }
}

/// NSPCC/UKCIS (2024), "What to do with a sexting image": never viewing the imagery, and searching only at
/// immediate risk, hold for the whole case: the pack marks them standing, and the assessment carries the mark.
@Suite struct StandingInstructionPackTests {
    @Test func theSchoolPacksDoNotInstructionsAreStanding() throws {
        let edition = GuidanceLibrary.bundled.edition(for: .education, in: .england, on: CalendarDate(year: 2026, month: 11, day: 30)!)
        let standing = Set(edition.pack.recommendations.filter(\.standing).map(\.id))
        #expect(standing == ["doNotViewImagery", "searchOnlyIfImmediateRisk"])
        // Stored assessments from before the mark decode as not standing; a standing one round-trips.
        let old = #"{"id":"x","severity":"must","text":"t","citations":[],"because":[]}"#
        #expect(try JSONDecoder().decode(Recommendation.self, from: Data(old.utf8)).standing == false)
        let marked = Recommendation(id: "x", severity: .must, text: "t", citations: [], because: [], standing: true)
        #expect(try JSONDecoder().decode(Recommendation.self, from: JSONEncoder().encode(marked)).standing)
    }
}
