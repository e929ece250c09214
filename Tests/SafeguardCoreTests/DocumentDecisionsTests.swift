import Foundation
import Testing
@testable import SafeguardCore

/// The documents partners and families read, and the case page, show only the decisions that are the case's to make,
/// and say when the guidance is not the nation's own (other-nations.md: Outcome 21 is a Home Office outcome for
/// England and Wales; Safeguard holds no police guidance of Northern Ireland's own). Found in a hands-on check: a
/// Scottish partner's form read "Outcome 21: Not for this organisation or nation to decide", and nothing on a
/// Northern Ireland police case said it was assessed under the College of Policing's guidance for England and Wales.
@Suite("Documents: the decisions that apply, and the guidance's own notes")
struct DocumentDecisionsTests {
    @Test("Scotland (other-nations.md, Scotland: no Outcome 21): a partner's form and the case record leave out decisions not the case's to make")
    func scotlandLeavesOutWhatDoesNotApply() throws {
        let facts = baseCase(.police, .scotland)
        let assessment = assess(facts)
        #expect(assessment.decisionReasons.contains { $0.decision == "outcome21" && !$0.appliesHere }, "the case this test needs")
        let form = CaseDocument.childContactForm(reference: "R", organisation: "Police Scotland", crimeReference: nil, facts: facts,
                                                 assessment: assessment, records: [], officer: "PC 1", date: testToday)
        let record = CaseDocument.caseRecord(reference: "R", organisation: "Police Scotland", summary: "Shared", facts: facts,
                                             assessment: assessment, records: [], actions: [], chronology: [])
        for text in [form.plainText, record.plainText] {
            #expect(!text.contains("Outcome 21"))
            #expect(!text.contains("Not for this organisation or nation to decide"))
        }
        // What does apply is still there.
        #expect(assessment.decisionReasons.filter(\.appliesHere).count > 0)
        #expect(record.plainText.contains(DecisionKey.route.label))
    }

    @Test("Scotland (National Guidance 4.244, 4.207): a printed document cites as the page does, 'paragraph 4.244', not bare numbers")
    func documentsCiteInThePagesWords() throws {
        let facts = baseCase(.police, .scotland)
        let assessment = assess(facts)
        let record = CaseDocument.caseRecord(reference: "R", organisation: "Police Scotland", summary: "Shared", facts: facts,
                                             assessment: assessment, records: [], actions: [], chronology: [])
        #expect(record.plainText.contains("(paragraph 4.244 and paragraph 4.207)"), "\(record.plainText)")
        #expect(!record.plainText.contains("(4.244, 4.207)"))
        #expect(Citation.inWords(["Action 6", "Investigation", "Action 6", "9"]) == "Action 6, Investigation and paragraph 9")
    }

    @Test("Northern Ireland police (other-nations.md; SBNI procedures, Referrals): the referral and the family's next steps name the Gateway Team, not England's children's social care; England is unchanged")
    func northernIrelandNamesItsOwnSocialCare() throws {
        let gateway = "the Gateway Team of the local Health and Social Care Trust"
        #expect(GuidanceLibrary.bundled.socialCare(in: .northernIreland, on: testToday) == gateway)
        #expect(GuidanceLibrary.bundled.socialCare(in: .scotland, on: testToday) == "social work")
        #expect(GuidanceLibrary.bundled.socialCare(in: .england, on: testToday) == "children's social care")
        let facts = baseCase(.police, .northernIreland) { $0.circumstances.coercion = .true }
        let assessment = assess(facts)
        let referral = try #require(assessment.recommendations.first { $0.id == "childProtectionReferral" })
        #expect(referral.text.contains("Make a child protection referral to \(gateway)"), "\(referral.text)")
        #expect(assessment.familySteps.contains { $0.text.hasPrefix("The police will share what happened with \(gateway)") })
        let form = CaseDocument.childContactForm(reference: "R", organisation: "PSNI", crimeReference: nil, facts: facts,
                                                 assessment: assessment, records: [], officer: "PC 1", date: testToday)
        #expect(form.plainText.contains("Gateway Team") && !form.plainText.contains("children's social care"))
        for text in assessment.recommendations.map(\.text) + assessment.familySteps.map(\.text) { #expect(!text.contains("{")) }
        // England keeps the College of Policing's words.
        let english = assess(baseCase(.police) { $0.circumstances.coercion = .true })
        #expect(english.recommendations.first { $0.id == "childProtectionReferral" }?.text.contains("referral to children's social care,") == true)
        #expect(english.familySteps.contains { $0.text.hasPrefix("The police will share what happened with children's social care") })
        // A refusal's example names the nation's service too.
        let context = RecordContext.bundled(facts: facts, assessment: assessment, records: [], today: testToday)
        do {
            _ = try ResponseRules.check(try ResponseRecord.decode(json: Data(#"{"kind":"childProtectionReferral","to":" ","referredOn":"2026-11-20","people":["A"]}"#.utf8)), in: context)
            Issue.record("accepted a referral to nobody")
        } catch {
            #expect(error.message.contains(gateway) && !error.message.contains("MASH"), "\(error.message)")
        }
    }

    @Test("A pack's text may leave only the social care service's name to the nation: other braces are refused, saying where")
    func onlyTheSocialCarePlaceholder() throws {
        var text = try String(contentsOf: GuidanceLibrary.bundledDirectory.appendingPathComponent("college-of-policing-current.yaml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "referral to {socialCare},", with: "referral to {socialcare},")
        let pack = try GuidanceLibrary.decodePack(yaml: text)
        #expect(pack.problems().map(\.description).contains { $0.contains("recommendations[") && $0.contains("only {socialCare} may stand in braces") })
    }

    @Test("An edition's own names for records and decisions (Scotland: the Joint Investigative Interview, National Guidance 3.48; the concern report, Early Intervention 5.3) are checked: an unknown kind, another setting's record or an unknown decision is refused, saying where")
    func recordAndDecisionNamesAreChecked() throws {
        let scotland = try #require(GuidanceLibrary.bundled.pack(id: "scottish-government-child-protection-police"))
        #expect(scotland.label(of: .interviewDecision) == "Joint Investigative Interview decision")
        #expect(scotland.formTitle(of: .childContactForm) == "Record the concern report on the iVPD")
        #expect(scotland.label(of: .visuallyRecordedInterview) == "Joint Investigative Interview (JII)")
        let england = try #require(GuidanceLibrary.bundled.pack(id: "college-of-policing", edition: "current"))
        #expect(england.label(of: .interviewDecision) == "Visually recorded interview decision" && england.label(of: .visuallyRecordedInterview) == "Visually recorded interview")
        var text = try String(contentsOf: GuidanceLibrary.bundledDirectory.appendingPathComponent("scottish-government-police.yaml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "  childContactForm:\n    label: Concern", with: "  childContactFrom:\n    label: Concern")
            .replacingOccurrences(of: "  visuallyRecordedInterview: Joint", with: "  visuallyRecordedInterveiw: Joint")
            .replacingOccurrences(of: "recordNames:\n", with: "recordNames:\n  triage: { label: x, formTitle: y }\n")
        let problems = try GuidanceLibrary.decodePack(yaml: text).problems().map(\.description)
        #expect(problems.contains { $0.contains("recordNames.childContactFrom") && $0.contains("is not a record kind") }, "\(problems)")
        #expect(problems.contains { $0.contains("recordNames.triage") && $0.contains("not a record of this edition's setting") }, "\(problems)")
        #expect(problems.contains { $0.contains("decisionNames.visuallyRecordedInterveiw") && $0.contains("is not a decision") }, "\(problems)")
    }

    @Test("Northern Ireland police (other-nations.md, Northern Ireland): the documents say the guidance is England and Wales's")
    func northernIrelandSaysWhoseGuidance() throws {
        let facts = baseCase(.police, .northernIreland)
        let assessment = assess(facts)
        let note = try #require(assessment.notes.first { $0.contains("holds no police guidance of Northern Ireland's own") })
        let form = CaseDocument.childContactForm(reference: "R", organisation: "PSNI", crimeReference: nil, facts: facts,
                                                 assessment: assessment, records: [], officer: "PC 1", date: testToday)
        let record = CaseDocument.caseRecord(reference: "R", organisation: "PSNI", summary: "Shared", facts: facts,
                                             assessment: assessment, records: [], actions: [], chronology: [])
        #expect(form.plainText.contains(note) && record.plainText.contains(note))
    }
}

/// NSPCC, "Recording and reviewing": "a written record of the incident and all the actions taken". Every filled field
/// of a record is on the written record, its line or beside it (a review found a meeting's "with whom", references and
/// who directed a deletion stored but printed nowhere).
@Suite struct WrittenRecordDetailsTests {
    @Test func everyFilledFieldIsPrintedOnceAndInWords() throws {
        let meeting = try ResponseRecord.decode(json: Data(#"{"kind":"meeting","meetingKind":"strategyMeeting","on":"2026-11-20","with":["CSC","DSL"],"reference":"SM-42","outcome":"Refer today","proceedBeforeChecksReason":"CSC called it today"}"#.utf8))
        let details = RecordText.details(meeting)
        #expect(details == ["With whom: CSC, DSL.", "Reference: SM-42.", "What was agreed: Refer today.",
                            "The safeguarding reason to go ahead now: CSC called it today."], "\(details)")
        let suspect = try ResponseRecord.decode(json: Data(#"{"kind":"suspectDecision","person":"A","recordAsSuspect":false,"basis":"willingParticipation","rationale":"Peers, willing","decidedOn":"2026-11-20"}"#.utf8))
        #expect(RecordText.details(suspect) == ["Rationale: Peers, willing.", "Date: 20 November 2026."], "\(RecordText.details(suspect))")
        let document = CaseDocument.caseRecord(reference: "R", organisation: "Test School", summary: "Shared", facts: baseCase(.education),
                                               assessment: assess(baseCase(.education)), records: [meeting], actions: [], chronology: [])
        let records = try #require(document.sections.first { $0.heading == "Records" })
        #expect(records.lines == ["Meeting or conversation: strategy meeting on 20 November 2026 (before checks were complete, with a recorded reason). With whom: CSC, DSL. Reference: SM-42. What was agreed: Refer today. The safeguarding reason to go ahead now: CSC called it today."], "\(records.lines)")
    }
}
