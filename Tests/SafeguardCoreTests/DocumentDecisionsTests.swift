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
