import Foundation
import Testing
@testable import SafeguardCore

/// One test for each rule of each edition, named by the paragraph or Action it encodes. Each checks the value or
/// recommendation and that the assessment cites that paragraph for it. A meta-test fails if any decision value or
/// recommendation of a pack has no test here.
@Suite("Every rule of the guidance, by its source")
struct RuleTests {
    enum Expect: Sendable {
        case decision(DecisionKey, String)
        case recommends(String)
        case doesNotRecommend(String)
        /// The family's information sheet carries a step starting with this text.
        case tellsFamily(String)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var source: String
        var title: String
        var facts: CaseFacts
        var expect: Expect
        var edition: String { GuidanceLibrary.bundled.edition(for: facts, today: facts.assessedOn!).pack.edition }
        var testDescription: String { "\(source) [\(facts.setting.rawValue) \(edition)]: \(title)" }
    }

    typealias Edit = @Sendable (inout CaseFacts) -> Void

    static let none: Edit = { _ in }
    static func circumstance(_ name: String, _ value: Tri = .true) -> Edit {
        { $0.circumstances[fact: Circumstances.factNames.firstIndex(of: name)!] = value }
    }
    static let adultRecipient: Edit = { $0.people[1].age = 19 }
    static let sharedOnward: Edit = { $0.imagery[0].sharedWithoutPermission = .true; $0.imagery[0].sharedBeyondControl = .true }
    static let under13SexualActs: Edit = { $0.people[0].age = 12; $0.imagery[0].sexualActs = .true }
    static let danger: Edit = { $0.people[0].immediateDanger = .true }
    static let seizedWithImagery: Edit = { $0.devices = [Device(ref: "D1", owner: "B", seized: .true, containsImageryOf: ["A"])] }

    /// Police rules, each with its current-edition source and its 2016 paragraph (nil where 2016 has no such rule).
    static let policeRules: [(current: String, para2016: String?, title: String, edit: Edit, expect: Expect)] = [
        ("Action 1", "9", "every report is recorded as a crime", none, .recommends("recordCrime")),
        ("Action 5", "13", "no aggravating features: a proportionate route", none, .decision(.route, "proportionate")),
        ("Overview", "2", "exploitation: a full investigation", circumstance("exploitation"), .decision(.route, "fullInvestigation")),
        ("Overview", "2", "coercion: a full investigation", circumstance("coercion"), .decision(.route, "fullInvestigation")),
        ("Overview", "6", "a profit motive: a full investigation", circumstance("profitMotive"), .decision(.route, "fullInvestigation")),
        ("Overview", "2", "an adult involved: a full investigation", adultRecipient, .decision(.route, "fullInvestigation")),
        ("Action 5", "13", "blackmail: a full investigation", circumstance("blackmail"), .decision(.route, "fullInvestigation")),
        ("Action 5", "13", "grooming: a full investigation", circumstance("grooming"), .decision(.route, "fullInvestigation")),
        ("Action 5", "13", "violence: a full investigation", circumstance("violence"), .decision(.route, "fullInvestigation")),
        ("Action 5", "13", "violent imagery: a full investigation", { $0.imagery[0].violent = .true }, .decision(.route, "fullInvestigation")),
        ("Action 5", "13", "malicious intent: a full investigation", circumstance("maliciousIntent"), .decision(.route, "fullInvestigation")),
        ("Action 5", "13", "shared without permission beyond control is malicious: a full investigation", sharedOnward, .decision(.route, "fullInvestigation")),
        ("Action 5", "13", "uploaded to an adult site is malicious: a full investigation", { $0.imagery[0].uploadedToAdultSite = .true }, .decision(.route, "fullInvestigation")),
        ("Action 5", "13", "sexual acts depicting a child under 13: a full investigation", under13SexualActs, .decision(.route, "fullInvestigation")),
        ("Action 5", "13", "sexual acts depicting a 13-year-old alone are not aggravating", { $0.people[0].age = 13; $0.imagery[0].sexualActs = .true }, .decision(.route, "proportionate")),
        ("Action 5", "13", "an adult who only reported it is not an adult involved", { $0.people.append(Person(ref: "P", age: 45, roles: [.reporter])) }, .decision(.route, "proportionate")),
        ("Action 7", "17", "risk of self-harm: an immediate child protection referral", { $0.people[0].selfHarmRisk = .true }, .decision(.childProtectionReferral, "immediate")),
        ("Action 7", "17", "immediate danger: an immediate child protection referral", danger, .decision(.childProtectionReferral, "immediate")),
        ("Action 4", "12", "aggravating features are significant risks: a referral", circumstance("grooming"), .decision(.childProtectionReferral, "required")),
        ("Action 4", "12", "a child in care: a referral", { $0.people[1].inCare = .true }, .decision(.childProtectionReferral, "required")),
        ("Action 4", "12", "a child on a child protection plan: a referral", { $0.people[0].childProtectionPlan = .true }, .decision(.childProtectionReferral, "required")),
        ("Action 4", "12", "no significant risk and no child protection activity: no referral", none, .decision(.childProtectionReferral, "notRequired")),
        ("Action 4", "12", "welfare facts do not apply to an adult who only reported it", { $0.people.append(Person(ref: "P", age: 40, roles: [.reporter], inCare: .true, selfHarmRisk: .false, immediateDanger: .false)) }, .decision(.childProtectionReferral, "notRequired")),
        ("Action 4", "12", "in care, age unknown: a referral either way (child in care, or adult involved)", { $0.people[1].age = nil; $0.people[1].inCare = .true }, .decision(.childProtectionReferral, "required")),
        ("Action 7", "17", "immediate danger: emergency", danger, .decision(.emergency, "true")),
        ("Action 7", "17", "danger to an adult who only reported it is not a child's emergency", { $0.people.append(Person(ref: "P", age: 40, roles: [.reporter], selfHarmRisk: .false, immediateDanger: .true)) }, .decision(.emergency, "false")),
        ("Action 10", "20", "no exclusion: Outcome 21 eligible", none, .decision(.outcome21, "eligible")),
        ("Action 10", "20", "exploitation excludes Outcome 21", circumstance("exploitation"), .decision(.outcome21, "excluded")),
        ("Action 10", "20", "grooming excludes Outcome 21", circumstance("grooming"), .decision(.outcome21, "excluded")),
        ("Action 10", "20", "a profit motive excludes Outcome 21", circumstance("profitMotive"), .decision(.outcome21, "excluded")),
        ("Action 10", "20", "malicious sharing excludes Outcome 21", { $0.imagery[0].uploadedToAdultSite = .true }, .decision(.outcome21, "excluded")),
        ("Action 10", "20", "persistent behaviour excludes Outcome 21", circumstance("persistent"), .decision(.outcome21, "excluded")),
        ("Action 10", "20", "abuse by an adult excludes Outcome 21", adultRecipient, .decision(.outcome21, "excluded")),
        ("Action 9", "19", "Outcome 21 does not exist in Northern Ireland", { $0.jurisdiction = .northernIreland }, .decision(.outcome21, "notAvailable")),
        ("Action 6", "15", "lower risk: no routine seizure", none, .decision(.deviceSeizure, "notRoutine")),
        ("Action 6", "15", "not shared willingly: higher risk, seize target devices", circumstance("willing", .false), .decision(.deviceSeizure, "seizeTargetDevices")),
        ("Action 6", "15", "shared without permission: higher risk, seize target devices", { $0.imagery[0].sharedWithoutPermission = .true }, .decision(.deviceSeizure, "seizeTargetDevices")),
        ("Action 6", "15", "not age-appropriate: higher risk, seize target devices", circumstance("ageAppropriate", .false), .decision(.deviceSeizure, "seizeTargetDevices")),
        ("Action 6", "15", "aggravating features: higher risk, seize target devices", circumstance("coercion"), .decision(.deviceSeizure, "seizeTargetDevices")),
        ("Action 6", "16", "higher risk: a visually recorded interview", circumstance("willing", .false), .decision(.visuallyRecordedInterview, "recommended")),
        ("Action 6", "16", "lower risk: no visually recorded interview", none, .decision(.visuallyRecordedInterview, "notRequired")),
        ("Action 16", "25", "imagery shared beyond control: CAID", { $0.imagery[0].sharedBeyondControl = .true }, .decision(.caidReferral, "required")),
        ("Action 16", "25", "imagery kept between the two: no CAID", none, .decision(.caidReferral, "notRequired")),
        ("Action 16", "25", "uploaded to an adult site is beyond the child's control: CAID", { $0.imagery[0].uploadedToAdultSite = .true }, .decision(.caidReferral, "required")),
        ("Action 16", "25", "a message without imagery is not for CAID", { $0.imagery[0].kind = .message; $0.imagery[0].sharedBeyondControl = .true }, .decision(.caidReferral, "notRequired")),
        ("Action 1", "9", "police do not refer to the police", none, .decision(.policeReferral, "notApplicable")),
        ("Resources for professionals", "Appendix B", "police need not report to CEOP", none, .decision(.ceopReport, "notApplicable")),
        ("Action 2", "17", "involve parents where safe", none, .decision(.involveParents, "yes")),
        ("Action 2", "17", "not where that puts the child at risk", { $0.people[0].parentalInvolvementRisk = .true }, .decision(.involveParents, "no")),
        ("Action 7", "17", "immediate danger: act now", danger, .recommends("immediateIntervention")),
        ("Action 2", "10", "check welfare and vulnerabilities", none, .recommends("welfareCheck")),
        ("Action 2", "10", "advise not to copy the imagery", none, .recommends("adviseNotToCopy")),
        ("Action 4", "12", "a child in care: make the referral", { $0.people[1].inCare = .true }, .recommends("childProtectionReferral")),
        ("Action 4", "12", "no referral needed: none recommended", none, .doesNotRecommend("childProtectionReferral")),
        ("Action 3", "11", "background checks before meetings", none, .recommends("backgroundChecks")),
        ("Action 4", "12", "a referral: consider a strategy meeting", circumstance("grooming"), .recommends("strategyMeeting")),
        ("Overview", "2", "aggravating features: investigate fully", circumstance("coercion"), .recommends("fullInvestigation")),
        ("Action 5", "13", "no aggravating features: a supportive approach", none, .recommends("supportiveApproach")),
        ("Action 5", "13", "aggravating features: no supportive-approach advice", circumstance("coercion"), .doesNotRecommend("supportiveApproach")),
        ("Investigation", "14", "take accounts with care", none, .recommends("initialAccounts")),
        ("Action 6", "15", "lower risk: do not seize routinely", none, .recommends("noRoutineSeizure")),
        ("Action 6", "15", "higher risk: target and seize devices", { $0.imagery[0].sharedWithoutPermission = .true }, .recommends("seizeTargetDevices")),
        ("Action 6", "16", "higher risk: consider a visually recorded interview", circumstance("willing", .false), .recommends("visuallyRecordedInterview")),
        ("Action 7", "17", "tell the family the next steps", none, .recommends("notifyNextSteps")),
        ("Action 2", "17", "involve a parent or trusted adult", none, .recommends("involveParents")),
        ("Action 2", "17", "a risk from parents: another trusted adult", { $0.people[0].parentalInvolvementRisk = .true }, .recommends("trustedAdultInstead")),
        ("Action 8", "18", "imagery on a platform: ask for removal", { $0.imagery[0].platforms = [.snapchat] }, .recommends("contentRemoval")),
        ("Action 8", "18", "imagery nowhere online: no removal request", none, .doesNotRecommend("contentRemoval")),
        ("Working with partners in education", "4", "work with the school", none, .recommends("liaiseWithSchool")),
        ("Action 10", "20", "earlier incidents: consider persistence", { $0.people[0].previousIncidents = 2 }, .recommends("considerPersistence")),
        ("Action 11", "21", "Outcome 21 eligible: senior review", none, .recommends("seniorReviewOutcome21")),
        ("Action 11", "21", "Outcome 21 excluded: no review of it", circumstance("grooming"), .doesNotRecommend("seniorReviewOutcome21")),
        ("Action 12", "22", "communicate the outcome and its implications", none, .recommends("communicateOutcome")),
        ("Action 13", "22", "Outcome 21 eligible: the written record", none, .recommends("outcome21Letter")),
        ("Action 14", "23", "low risk, nothing seized, Outcome 21: a deletion direction", none, .recommends("deletionDirection")),
        ("Action 14", "23", "a device seized: no deletion direction", seizedWithImagery, .doesNotRecommend("deletionDirection")),
        ("Action 15", "24", "a seized device holding imagery: superintendent's sign-off to return it", seizedWithImagery, .recommends("deviceReturnSignOff")),
        ("Action 16", "25", "shared beyond control: liaise about CAID", { $0.imagery[0].sharedBeyondControl = .true }, .recommends("caidLiaison")),
        ("Action 17", "26", "raise a child contact with police form", none, .recommends("childContactForm")),
        ("Investigation", nil, "willing participation: discretion not to record a suspect", none, .recommends("suspectRecordingDiscretion")),
        ("Action 1", "9", "family told: recorded, not charged or convicted", none, .tellsFamily("The police have recorded")),
        ("Action 2", "10", "family told: do not copy or keep the imagery", none, .tellsFamily("Please do not copy")),
        ("Action 7", "17", "family told: someone's safety comes first", danger, .tellsFamily("Someone's safety comes first")),
        ("Action 5", "13", "family told: a supportive approach is expected", none, .tellsFamily("As things stand")),
        ("Overview", "2", "family told: an investigation, and the child depicted is not to blame", circumstance("coercion"), .tellsFamily("The police are investigating")),
        ("Action 4", "12", "family told: children's social care will be told", circumstance("grooming"), .tellsFamily("The police will share")),
        ("Action 13", "22", "family told: Outcome 21 may be used and explained", none, .tellsFamily("The police may decide")),
        ("Action 14", "23", "family told: copies may have to be deleted", none, .tellsFamily("You may be asked to delete")),
        ("Action 15", "24", "family told: a device holding images may not come back", seizedWithImagery, .tellsFamily("A phone or other device")),
        ("Action 8", "18", "family told: online imagery can be taken down", { $0.imagery[0].platforms = [.tiktok] }, .tellsFamily("If the image has been posted")),
        ("Action 7", "17", "family told: ask the officer questions", none, .tellsFamily("You can ask the officer")),
        ("Investigation", nil, "an accident: discretion not to record a suspect", { $0.circumstances.willing = .false; $0.circumstances.accidental = .true }, .recommends("suspectRecordingDiscretion")),
    ]

    static let educationRules: [(source: String, title: String, edit: Edit, expect: Expect)] = [
        ("When to make a child protection referral (5)", "a child presenting as self-harming: immediate referral", { $0.people[0].selfHarmRisk = .true }, .decision(.childProtectionReferral, "immediate")),
        ("When to make a child protection referral (1)", "an adult involved", adultRecipient, .decision(.childProtectionReferral, "required")),
        ("When to make a child protection referral (2)", "coercion", circumstance("coercion"), .decision(.childProtectionReferral, "required")),
        ("When to make a child protection referral (2)", "blackmail", circumstance("blackmail"), .decision(.childProtectionReferral, "required")),
        ("When to make a child protection referral (2)", "grooming", circumstance("grooming"), .decision(.childProtectionReferral, "required")),
        ("When to make a child protection referral (2)", "concern about capacity to consent (a learning disability)", { $0.people[0].learningDisability = .true }, .decision(.childProtectionReferral, "required")),
        ("When to make a child protection referral (3)", "violent content", { $0.imagery[0].violent = .true }, .decision(.childProtectionReferral, "required")),
        ("When to make a child protection referral (3)", "acts unusual for the developmental stage", { $0.imagery[0].unusualForDevelopmentalStage = .true }, .decision(.childProtectionReferral, "required")),
        ("When to make a child protection referral (4)", "sexual acts and a child under 13", under13SexualActs, .decision(.childProtectionReferral, "required")),
        ("When to make a child protection referral", "sexual acts between 16-year-olds meet no criterion", { $0.imagery[0].sexualActs = .true; $0.imagery[0].depicts = ["A", "B"] }, .decision(.childProtectionReferral, "notRequired")),
        ("When to make a child protection referral", "no criterion met: no referral", none, .decision(.childProtectionReferral, "notRequired")),
        ("Reporting", "immediate danger: emergency", danger, .decision(.emergency, "true")),
        ("Reporting", "immediate danger: call 999", danger, .recommends("call999")),
        ("Reporting", "no one in immediate danger: no emergency", none, .decision(.emergency, "false")),
        ("Outcome 21", "Outcome 21 is a police decision", none, .decision(.outcome21, "notAvailable")),
        ("What to do with a sexting image", "a school does not seize as police do", none, .decision(.deviceSeizure, "notApplicable")),
        ("Reporting", "interviews are for the police: the school cites where it sends the case to them, not a police section", none, .decision(.visuallyRecordedInterview, "notApplicable")),
        ("Reporting", "CAID is for the police: the school cites where it sends the case to them, not a police section", none, .decision(.caidReferral, "notApplicable")),
        ("Reporting", "an adult involved: tell the police", adultRecipient, .decision(.policeReferral, "required")),
        ("Reporting", "grooming is an aggravating factor: tell the police", circumstance("grooming"), .decision(.policeReferral, "required")),
        ("Reporting", "extensive or inappropriate sharing: tell the police", sharedOnward, .decision(.policeReferral, "required")),
        ("Reporting", "immediate danger: the police (999)", danger, .decision(.policeReferral, "required")),
        ("Investigating indecent images", "sexual acts: the police must investigate", { $0.imagery[0].sexualActs = .true }, .decision(.policeReferral, "required")),
        ("Reporting", "no abusive or aggravating factor: no police referral", none, .decision(.policeReferral, "notRequired")),
        ("Reporting", "grooming online: report to CEOP", circumstance("grooming"), .decision(.ceopReport, "recommended")),
        ("Reporting", "an adult asking a child for images: report to CEOP", adultRecipient, .decision(.ceopReport, "recommended")),
        ("Reporting", "no sign of online abuse: CEOP not needed", none, .decision(.ceopReport, "notRequired")),
        ("Reporting", "aggravating features: a full police investigation is likely", circumstance("exploitation"), .decision(.route, "fullInvestigation")),
        ("Gathering information", "no aggravating features: avoid criminalising", none, .decision(.route, "proportionate")),
        ("Supporting children and young people", "involve parents", none, .decision(.involveParents, "yes")),
        ("Supporting children and young people", "unless that puts the child at risk", { $0.people[0].parentalInvolvementRisk = .true }, .decision(.involveParents, "no")),
        ("What to do with a sexting image", "never view the imagery", none, .recommends("doNotViewImagery")),
        ("What to do with a sexting image", "search only at immediate risk", none, .recommends("searchOnlyIfImmediateRisk")),
        ("When to make a child protection referral", "a criterion met: make the referral", adultRecipient, .recommends("childProtectionReferral")),
        ("Reporting", "tell the police", adultRecipient, .recommends("informPolice")),
        ("What to do with a sexting image", "a device going to the police: hand-over steps", adultRecipient, .recommends("deviceHandover")),
        ("What to do with a sexting image", "no police referral: no hand-over", none, .doesNotRecommend("deviceHandover")),
        ("Reporting", "report to CEOP", circumstance("grooming"), .recommends("reportToCEOP")),
        ("Gathering information", "the six questions", none, .recommends("gatherInformation")),
        ("Talking to a young person", "talk with the young people", none, .recommends("talkToYoungPeople")),
        ("When you're not sure", "no criterion met: NSPCC Helpline if unsure", none, .recommends("seekAdvice")),
        ("Supporting children and young people", "involve the parents", none, .recommends("involveParents")),
        ("Supporting children and young people", "record why parents are not involved", { $0.people[0].parentalInvolvementRisk = .true }, .recommends("recordWhyParentsNotInvolved")),
        ("Supporting children and young people", "ongoing support", none, .recommends("ongoingSupport")),
        ("Supporting children and young people", "counselling or therapeutic support", none, .recommends("counsellingReferral")),
        ("Getting an explicit image removed", "shared online: Report Remove", { $0.imagery[0].platforms = [.instagram] }, .recommends("reportRemove")),
        ("Recording and reviewing", "a written record of every action", none, .recommends("writtenRecord")),
        ("Review policies", "review afterwards and update the policy", none, .recommends("postIncidentReview")),
        ("What to do with a sexting image", "family told: the school will not look at the image", none, .tellsFamily("The school will not look at")),
        ("What to do with a sexting image", "family told: do not copy or keep the imagery", none, .tellsFamily("Please do not copy")),
        ("Reporting", "family told: someone's safety comes first", danger, .tellsFamily("Someone's safety comes first")),
        ("When to make a child protection referral", "family told: child protection services will be told", adultRecipient, .tellsFamily("The school will tell local child protection")),
        ("Reporting", "family told: the school must tell the police", adultRecipient, .tellsFamily("The school must tell the police")),
        ("Reporting", "family told: CEOP may be told (never promised before it is decided)", circumstance("grooming"), .tellsFamily("The school may also report to CEOP")),
        ("Supporting children and young people", "family told: support, maybe counselling", none, .tellsFamily("The school will make sure")),
        ("Getting an explicit image removed", "family told: online imagery can be taken down", { $0.imagery[0].platforms = [.tiktok] }, .tellsFamily("If the image has been posted")),
        ("Gathering information", "family told: ask the DSL questions", none, .tellsFamily("You can ask the school's")),
    ]

    static let cases: [Case] = {
        var cases: [Case] = []
        for rule in policeRules {
            cases.append(Case(source: rule.current, title: rule.title, facts: baseCase(.police, on: "2026-11-23", rule.edit), expect: rule.expect))
            if let para = rule.para2016 {
                cases.append(Case(source: para, title: rule.title, facts: baseCase(.police, on: "2019-06-01", rule.edit), expect: rule.expect))
            }
        }
        for rule in educationRules {
            cases.append(Case(source: rule.source, title: rule.title, facts: baseCase(.education, .england, on: "2026-11-23", rule.edit), expect: rule.expect))
        }
        return cases
    }()

    @Test("The rule holds and the assessment cites its source", arguments: cases)
    func rule(_ c: Case) {
        let assessment = assess(c.facts)
        switch c.expect {
        case .decision(let key, let value):
            #expect(assessment.decisions.value(of: key) == value)
            let reason = assessment.decisionReasons.first { $0.decision == key.rawValue }!
            #expect(reason.citations.map(\.section).contains(c.source), "cites \(reason.citations.map(\.section))")
        case .recommends(let id):
            let found = assessment.recommendations.first { $0.id == id }
            #expect(found != nil, "\(id) not recommended")
            #expect(found?.citations.map(\.section).contains(c.source) == true, "cites \(found?.citations.map(\.section) ?? [])")
        case .doesNotRecommend(let id):
            #expect(!assessment.recommendations.contains { $0.id == id })
        case .tellsFamily(let prefix):
            let step = assessment.familySteps.first { $0.text.hasPrefix(prefix) }
            #expect(step != nil, "no family step starting \"\(prefix)\"")
            #expect(step?.citations.map(\.section).contains(c.source) == true, "cites \(step?.citations.map(\.section) ?? [])")
        }
    }

    @Test("The 2016 edition has no suspect-recording discretion, even for willing participation")
    func noDiscretionIn2016() {
        #expect(!assess(baseCase(.police, on: "2019-06-01")).recommendations.contains { $0.id == "suspectRecordingDiscretion" })
    }

    @Test("Every decision value, recommendation and family step of every pack has a rule test or a worked example")
    func coverage() {
        let library = GuidanceLibrary.bundled
        for pack in library.packs {
            let mine = Self.cases.filter { library.edition(for: $0.facts, today: testToday).pack == pack }
            var covered = Set<String>()
            // A pack's worked examples are its tests: what an example states (and the worked examples test checks)
            // is covered, and so is a family step its assessment gives.
            for example in pack.examples {
                for (key, value) in example.expect { covered.insert("\(key)=\(value)") }
                for id in example.recommendationsPresent { covered.insert(id) }
                let date = example.facts.assessedOn ?? pack.appliesUntil ?? max(pack.appliesFrom, testToday)
                for step in library.assess(example.facts, under: pack, on: date).familySteps { covered.insert("family: " + step.text) }
            }
            for c in mine {
                switch c.expect {
                case .decision(let key, let value): covered.insert("\(key.rawValue)=\(value)")
                case .recommends(let id): covered.insert(id)
                case .tellsFamily(let prefix):
                    for step in pack.familySteps where step.text.hasPrefix(prefix) { covered.insert("family: " + step.text) }
                case .doesNotRecommend: break
                }
            }
            var required = Set(pack.recommendations.map(\.id))
            for (key, rules) in pack.decisions { for rule in rules.rules { required.insert("\(key)=\(rule.value)") } }
            for step in pack.familySteps { required.insert("family: " + step.text) }
            #expect(required.subtracting(covered).sorted() == [], "\(pack.id) \(pack.edition)")
        }
    }
}

/// Issue 11, point 2: a decision does not wait on facts that cannot change what to do.
@Suite("Decisions that do not wait")
struct DecisionsThatDoNotWaitTests {
    @Test("NSPCC Learning, Sexting: When to make a child protection referral: a coerced 13-year-old is referred now, whatever the other pupil's answers")
    func coercedThirteenYearOldIsReferredNow() throws {
        let json = #"""
        {"setting":"education","jurisdiction":"england","assessedOn":"2026-11-23",
         "people":[{"ref":"A","age":13,"roles":["depicted","creator","sender"],"immediateDanger":false,"selfHarmRisk":false},
                   {"ref":"B","age":14,"roles":["recipient","requester"]}],
         "imagery":[{"ref":"I1","kind":"image","depicts":["A"]}],"circumstances":{"coercion":true}}
        """#
        let assessment = assess(try CaseFacts.decode(json: Data(json.utf8)))
        let referral = try #require(assessment.decisionReasons.first { $0.decision == "childProtectionReferral" })
        // Still undetermined (B's answers decide whether it is immediate), so the contract's value does not change...
        #expect(referral.value == "undetermined")
        #expect(assessment.openQuestions.contains { $0.question == "Is B in immediate danger?" })
        // ...but a referral is needed whichever way they go, and the MUST is raised now.
        #expect(Set(referral.possible ?? []) == ["immediate", "required"])
        let raised = try #require(assessment.recommendations.first { $0.id == "childProtectionReferral" })
        #expect(raised.severity == .must)
        #expect(raised.citations.contains { $0.section == "When to make a child protection referral" })
        // A settled decision says nothing of possible values.
        #expect(assessment.decisionReasons.first { $0.decision == "policeReferral" }?.possible == nil)
    }
}
