import Foundation
import Testing
@testable import SafeguardCore

/// The rules for recording the response, each named by the Action, paragraph or section it encodes, and each
/// checking that a refusal cites that source in the case's edition.
@Suite("Response records, by their source")
struct ResponseRuleTests {
    enum Expect: Sendable {
        case accepted
        case acceptedWithWarning(String)
        /// Refused, naming this field, citing this section (nil: no citation expected).
        case refused(field: String, citing: String?)
        case fulfils([String])
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var source: String
        var title: String
        var setting: Setting = .police
        var date: String = "2026-11-23"
        var edit: @Sendable (inout CaseFacts) -> Void = { _ in }
        var earlier: [String] = []
        var record: String
        var expect: Expect
        var testDescription: String { "\(source): \(title)" }
    }

    static let device: @Sendable (inout CaseFacts) -> Void = { $0.devices = [Device(ref: "D1", owner: "B", seized: .unknown, containsImageryOf: ["A"])] }
    static let cleanDevice: @Sendable (inout CaseFacts) -> Void = { $0.devices = [Device(ref: "D1", owner: "B", seized: .unknown, containsImageryOf: [])] }
    static let seized = #"{"kind":"deviceCustody","device":"D1","step":"seized","on":"2026-11-20","by":"PC 1","power":"pace32","rationale":"evidence"}"#
    static let checkA = #"{"kind":"backgroundCheck","person":"A","system":"pnc","status":"done","checkedOn":"2026-11-20","result":"no trace"}"#
    static let checkB = #"{"kind":"backgroundCheck","person":"B","system":"pnc","status":"done","checkedOn":"2026-11-20","result":"no trace"}"#
    static let confiscated = #"{"kind":"deviceCustody","device":"D1","step":"confiscated","on":"2026-11-20","by":"DSL"}"#

    static let cases: [Case] = [
        // Action 1 (2016: para 9)
        Case(source: "Action 1", title: "the crime is recorded with the engine's offences; 86/2 is filled in",
             record: #"{"kind":"crimeRecord","crimeReference":"NP/1","reportedOn":"2026-11-20","offences":["poca1978s1","cja1988part11"]}"#,
             expect: .fulfils(["recordCrime"])),
        Case(source: "Action 1", title: "different offences need a reason",
             record: #"{"kind":"crimeRecord","crimeReference":"NP/1","reportedOn":"2026-11-20","offences":["cja1988part11"]}"#,
             expect: .refused(field: "offenceChangeReason", citing: "Action 1")),
        Case(source: "para 9", title: "2016: the crime record cites paragraph 9", date: "2019-06-01",
             record: #"{"kind":"crimeRecord","crimeReference":" ","reportedOn":"2019-05-20","offences":["poca1978s1"]}"#,
             expect: .refused(field: "crimeReference", citing: "9")),
        Case(source: "Action 1", title: "an offence outside the jurisdiction's list is refused",
             record: #"{"kind":"crimeRecord","crimeReference":"NP/1","reportedOn":"2026-11-20","offences":["theft"]}"#,
             expect: .refused(field: "offences[0]", citing: nil)),
        Case(source: "Action 1", title: "a classification must match the offences",
             record: #"{"kind":"crimeRecord","crimeReference":"NP/1","reportedOn":"2026-11-20","offences":["poca1978s1","cja1988part11"],"homeOfficeClassification":"99/1"}"#,
             expect: .refused(field: "homeOfficeClassification", citing: nil)),
        // Action 2 (2016: para 10)
        Case(source: "Action 2", title: "a welfare check needs its result",
             record: #"{"kind":"welfareCheck","person":"A","checkedOn":"2026-11-20","result":""}"#,
             expect: .refused(field: "result", citing: "Action 2")),
        Case(source: "Action 7", title: "a welfare concern prompts an immediate referral",
             record: #"{"kind":"welfareCheck","person":"A","checkedOn":"2026-11-20","result":"talked of self-harm","concerns":true}"#,
             expect: .acceptedWithWarning("immediate child protection referral")),
        Case(source: "Action 2", title: "advice not to copy the imagery to one of two young people leaves the action open, naming the other",
             record: #"{"kind":"advice","to":"A","givenOn":"2026-11-20","topics":["notToCopy"]}"#,
             expect: .acceptedWithWarning("Still to be told not to copy the imagery: B")),
        Case(source: "Action 2", title: "advice not to copy the imagery to everyone involved (A's parents and B) completes the advice action",
             earlier: [#"{"kind":"advice","to":"A's mum","givenOn":"2026-11-20","topics":["notToCopy"]}"#],
             record: #"{"kind":"advice","to":"B","givenOn":"2026-11-20","topics":["notToCopy"]}"#,
             expect: .fulfils(["adviseNotToCopy"])),
        Case(source: "Action 2", title: "advice not to copy is for the children involved: an adult who exploited them is not waited for",
             edit: { $0.people[1].age = 30 },
             record: #"{"kind":"advice","to":"parents of A","givenOn":"2026-11-20","topics":["notToCopy"]}"#,
             expect: .fulfils(["adviseNotToCopy"])),
        Case(source: "Action 2", title: "advice to someone not named by their letter counts for no one, and says so",
             record: #"{"kind":"advice","to":"the year group","givenOn":"2026-11-20","topics":["notToCopy"]}"#,
             expect: .acceptedWithWarning("names no one in the case by their letter")),
        Case(source: "Action 2", title: "a record naming someone not in the case is refused",
             record: #"{"kind":"welfareCheck","person":"Z","checkedOn":"2026-11-20","result":"ok"}"#,
             expect: .refused(field: "person", citing: nil)),
        // Action 3 (2016: para 11)
        Case(source: "Action 3", title: "a meeting before the checks needs a safeguarding reason",
             record: #"{"kind":"meeting","meetingKind":"multiAgencyMeeting","on":"2026-11-25","with":["MASH"]}"#,
             expect: .refused(field: "proceedBeforeChecksReason", citing: "Action 3")),
        Case(source: "Action 3", title: "with the reason recorded it goes ahead, with a warning",
             record: #"{"kind":"meeting","meetingKind":"conversationWithFamily","on":"2026-11-20","with":["A"],"proceedBeforeChecksReason":"A said she is at risk tonight"}"#,
             expect: .acceptedWithWarning("before the checks are done")),
        Case(source: "Action 3", title: "after checks on everyone, a meeting needs no reason", earlier: [checkA, checkB],
             record: #"{"kind":"meeting","meetingKind":"strategyMeeting","on":"2026-11-25","with":["MASH"]}"#,
             expect: .fulfils(["strategyMeeting"])),
        Case(source: "para 11", title: "2016: the same rule cites paragraph 11", date: "2019-06-01",
             record: #"{"kind":"meeting","meetingKind":"multiAgencyMeeting","on":"2019-06-02","with":["MASH"]}"#,
             expect: .refused(field: "proceedBeforeChecksReason", citing: "11")),
        Case(source: "Action 3", title: "a done check needs its result",
             record: #"{"kind":"backgroundCheck","person":"A","system":"pnd","status":"done","checkedOn":"2026-11-20"}"#,
             expect: .refused(field: "result", citing: "Action 3")),
        Case(source: "Action 3", title: "checks on every person complete the checks action", earlier: [checkA],
             record: checkB, expect: .fulfils(["backgroundChecks"])),
        // Action 4 (2016: para 12)
        Case(source: "Action 4", title: "a child protection referral says to whom",
             record: #"{"kind":"childProtectionReferral","to":"","referredOn":"2026-11-20","people":["A"]}"#,
             expect: .refused(field: "to", citing: "Action 4")),
        // Action 5 (2016: para 14)
        Case(source: "Action 5", title: "recording as a suspect rests on mens rea",
             record: #"{"kind":"suspectDecision","person":"B","recordAsSuspect":true,"basis":"willingParticipation","rationale":"r","decidedOn":"2026-11-20"}"#,
             expect: .refused(field: "basis", citing: "Action 5")),
        Case(source: "Action 5", title: "willing participation: discretion not to record as a suspect",
             record: #"{"kind":"suspectDecision","person":"A","recordAsSuspect":false,"basis":"willingParticipation","rationale":"peers","decidedOn":"2026-11-20"}"#,
             expect: .fulfils(["suspectRecordingDiscretion"])),
        // Investigation (2016: para 14): each child's account.
        Case(source: "Investigation", title: "A's account alone leaves B's to take",
             record: #"{"kind":"account","person":"A","takenOn":"2026-11-20","takenBy":"PC 1"}"#,
             expect: .fulfils([])),
        Case(source: "Investigation", title: "with every child's account taken, the accounts are done",
             earlier: [#"{"kind":"account","person":"A","takenOn":"2026-11-20","takenBy":"PC 1"}"#],
             record: #"{"kind":"account","person":"B","takenOn":"2026-11-21","takenBy":"PC 1"}"#,
             expect: .fulfils(["initialAccounts"])),
        Case(source: "Action 5", title: "an account says who took it",
             record: #"{"kind":"account","person":"A","takenOn":"2026-11-20","takenBy":""}"#,
             expect: .refused(field: "takenBy", citing: "Action 5")),
        // Action 5–6, 15 (2016: paras 15, 24): custody
        Case(source: "Action 5", title: "a seizure names its power", edit: device,
             record: #"{"kind":"deviceCustody","device":"D1","step":"seized","on":"2026-11-20","by":"PC 1","rationale":"evidence"}"#,
             expect: .refused(field: "power", citing: "Action 5")),
        Case(source: "Action 6", title: "seizing in a lower-risk case warns against routine seizure", edit: device,
             record: seized, expect: .acceptedWithWarning("not have devices seized as a matter of routine")),
        Case(source: "Action 15", title: "a device that held imagery is not returned without sign-off", edit: device, earlier: [seized],
             record: #"{"kind":"deviceCustody","device":"D1","step":"returned","on":"2026-11-21","by":"PC 1","rationale":"done"}"#,
             expect: .refused(field: "step", citing: "Action 15")),
        Case(source: "para 24", title: "2016: the same rule cites paragraph 24", date: "2019-06-01", edit: device,
             earlier: [#"{"kind":"deviceCustody","device":"D1","step":"seized","on":"2019-05-20","by":"PC 1","power":"consent","rationale":"evidence"}"#],
             record: #"{"kind":"deviceCustody","device":"D1","step":"returned","on":"2019-05-21","by":"PC 1","rationale":"done"}"#,
             expect: .refused(field: "step", citing: "24")),
        Case(source: "Action 15", title: "nobody records 'solely of the owner' but a superintendent's sign-off", edit: cleanDevice, earlier: [seized],
             record: #"{"kind":"deviceCustody","device":"D1","step":"returned","on":"2026-11-21","by":"PC 1","rationale":"done","imagerySolelyOfOwner":true}"#,
             expect: .refused(field: "imagerySolelyOfOwner", citing: "Action 15")),
        Case(source: "Action 15", title: "a device with no imagery is returned by the officer", edit: cleanDevice, earlier: [seized],
             record: #"{"kind":"deviceCustody","device":"D1","step":"returned","on":"2026-11-21","by":"PC 1","rationale":"nothing found"}"#,
             expect: .accepted),
        Case(source: "Action 5", title: "secured by the school, then handed to police, without a police seizure", edit: device,
             earlier: [#"{"kind":"deviceCustody","device":"D1","step":"securedBySchool","on":"2026-11-20","by":"Head","rationale":"school powers; least intrusive"}"#],
             record: #"{"kind":"deviceCustody","device":"D1","step":"handedToPolice","on":"2026-11-21","by":"Head","toWhom":"PC 1"}"#,
             expect: .accepted),
        Case(source: "Action 5", title: "a device not held by police cannot be examined", edit: device,
             record: #"{"kind":"deviceCustody","device":"D1","step":"examined","on":"2026-11-21","by":"DFU"}"#,
             expect: .refused(field: "step", citing: nil)),
        // Action 6 (2016: para 16)
        Case(source: "Action 6", title: "a visually recorded interview decision gives its reason",
             record: #"{"kind":"interviewDecision","person":"A","planned":false,"reason":"","decidedOn":"2026-11-20"}"#,
             expect: .refused(field: "reason", citing: "Action 6")),
        // Action 9 (2016: para 19): outcome codes
        Case(source: "Action 9", title: "Outcome 22 is recorded from the full list",
             record: #"{"kind":"outcome","code":"22","decidedOn":"2026-11-20","rationale":"educational work done"}"#,
             expect: .accepted),
        Case(source: "Overview", title: "Outcome 22 on a case that needs a full investigation warns and asks for a supervisor's agreement",
             edit: { $0.circumstances.maliciousIntent = .true },
             record: #"{"kind":"outcome","code":"22","decidedOn":"2026-11-20","rationale":"words of advice"}"#,
             expect: .acceptedWithWarning("needs a full investigation (aggravating features are present), and Outcome 22 ends it without one")),
        Case(source: "Overview", title: "so does Outcome 10 (not in the public interest, police decision)",
             edit: { $0.circumstances.maliciousIntent = .true },
             record: #"{"kind":"outcome","code":"10","decidedOn":"2026-11-20","rationale":"no further action"}"#,
             expect: .acceptedWithWarning("Outcome 10 ends it without one")),
        Case(source: "Action 9", title: "Outcome 22 did not exist before April 2019", date: "2019-01-10",
             record: #"{"kind":"outcome","code":"22","decidedOn":"2019-01-10","rationale":"r"}"#,
             expect: .refused(field: "code", citing: nil)),
        Case(source: "Action 11", title: "Outcome 21 is never recorded directly: it needs a supervisor",
             record: #"{"kind":"outcome","code":"21","decidedOn":"2026-11-20","rationale":"r"}"#,
             expect: .refused(field: "code", citing: "Action 11")),
        // Action 12 (2016: para 22)
        Case(source: "Action 12", title: "explaining the outcome says what was explained",
             record: #"{"kind":"communication","audience":"child","person":"A","on":"2026-11-20","method":"inPerson","topics":[]}"#,
             expect: .refused(field: "topics", citing: "Action 12")),
        Case(source: "Action 12", title: "the outcome explained to A's family alone leaves B's to do",
             record: #"{"kind":"communication","audience":"parentsOrCarers","person":"A","on":"2026-11-20","method":"inPerson","topics":["outcome"]}"#,
             expect: .fulfils([])),
        Case(source: "Action 12", title: "explained for every child, the outcome is communicated",
             earlier: [#"{"kind":"communication","audience":"parentsOrCarers","person":"A","on":"2026-11-20","method":"phone","topics":["outcome"]}"#],
             record: #"{"kind":"communication","audience":"child","person":"B","on":"2026-11-20","method":"phone","topics":["outcome"]}"#,
             expect: .fulfils(["communicateOutcome"])),
        // Action 13 (2016: para 22)
        Case(source: "Action 13", title: "a letter to A's parents, with nothing explained in person, is not yet Outcome 21 explained",
             earlier: [#"{"kind":"communication","audience":"child","person":"B","on":"2026-11-20","method":"phone","topics":["outcome"]}"#],
             record: #"{"kind":"communication","audience":"parentsOrCarers","person":"A","on":"2026-11-20","method":"letter","topics":["outcome"]}"#,
             expect: .fulfils(["communicateOutcome"])),
        Case(source: "Action 13", title: "explained in person to every child and the written record given",
             earlier: [#"{"kind":"communication","audience":"parentsOrCarers","person":"A","on":"2026-11-20","method":"letter","topics":["outcome"]}"#,
                       #"{"kind":"communication","audience":"child","person":"A","on":"2026-11-20","method":"inPerson","topics":["outcome"]}"#],
             record: #"{"kind":"communication","audience":"child","person":"B","on":"2026-11-21","method":"inPerson","topics":["outcome"]}"#,
             expect: .fulfils(["communicateOutcome", "outcome21Letter"])),
        Case(source: "Action 13", title: "in person to every child but no written record given",
             earlier: [#"{"kind":"communication","audience":"child","person":"A","on":"2026-11-20","method":"inPerson","topics":["outcome"]}"#],
             record: #"{"kind":"communication","audience":"child","person":"B","on":"2026-11-21","method":"inPerson","topics":["outcome"]}"#,
             expect: .fulfils(["communicateOutcome"])),
        Case(source: "Action 7", title: "next steps told to the family complete that action",
             record: #"{"kind":"communication","audience":"parentsOrCarers","person":"A","on":"2026-11-20","method":"phone","topics":["nextSteps"]}"#,
             expect: .fulfils(["notifyNextSteps"])),
        // Action 14 (2016: para 23)
        Case(source: "Action 14", title: "proof of deletion is when, how and who saw it",
             record: #"{"kind":"deletionDirection","holder":"B","directedOn":"2026-11-20","directedBy":"PC 1","deletedOn":"2026-11-21"}"#,
             expect: .refused(field: "proof", citing: "Action 14")),
        // Action 8 (2016: para 18)
        Case(source: "Action 8", title: "a removal request to another service names it",
             record: #"{"kind":"contentRemoval","service":"other","imagery":["I1"],"requestedOn":"2026-11-20","status":"requested"}"#,
             expect: .refused(field: "serviceName", citing: nil)),
        Case(source: "Action 8", title: "a request to the IWF completes removal",
             record: #"{"kind":"contentRemoval","service":"iwf","imagery":["I1"],"requestedOn":"2026-11-20","status":"requested"}"#,
             expect: .fulfils(["contentRemoval", "reportRemove"])),
        // Action 16 (2016: para 25)
        Case(source: "Action 16", title: "CAID liaison names the High-Tech Crime Unit",
             record: #"{"kind":"caidLiaison","unit":"","on":"2026-11-20","status":"requested","imagery":["I1"]}"#,
             expect: .refused(field: "unit", citing: "Action 16")),
        // Action 17 (2016: para 26)
        Case(source: "Action 17", title: "the child contact form says which partners it went to",
             record: #"{"kind":"childContactForm","raisedOn":"2026-11-20","sharedWith":[]}"#,
             expect: .refused(field: "sharedWith", citing: "Action 17")),
        // NSPCC / UKCIS
        Case(source: "Gathering information", title: "triage that disagrees with the facts warns", setting: .education,
             record: #"{"kind":"triage","content":"image","sentBy":["A"],"featured":["A"],"adultsInvolved":"yes","device":"personal","sharedElsewhere":"no","triagedOn":"2026-11-20"}"#,
             expect: .acceptedWithWarning("An adult is involved")),
        Case(source: "What to do with a sexting image", title: "a search without an immediate risk of harm is refused", setting: .education,
             edit: device, record: #"{"kind":"deviceCustody","device":"D1","step":"searched","on":"2026-11-20","by":"DSL"}"#,
             expect: .refused(field: "immediateRiskOfHarm", citing: "What to do with a sexting image")),
        Case(source: "What to do with a sexting image", title: "hand-over before switching off warns", setting: .education,
             edit: device, earlier: [confiscated],
             record: #"{"kind":"deviceCustody","device":"D1","step":"handedToPolice","on":"2026-11-20","by":"DSL","toWhom":"PC 1"}"#,
             expect: .acceptedWithWarning("switch it off")),
        Case(source: "What to do with a sexting image", title: "stored securely says where", setting: .education,
             edit: device, earlier: [confiscated],
             record: #"{"kind":"deviceCustody","device":"D1","step":"storedSecurely","on":"2026-11-20","by":"DSL"}"#,
             expect: .refused(field: "where", citing: "What to do with a sexting image")),
        Case(source: "What to do with a sexting image", title: "police steps are not school steps", setting: .education,
             edit: device, record: seized, expect: .refused(field: "step", citing: nil)),
        Case(source: "Supporting children and young people", title: "parents not informed: the risk is recorded", setting: .education,
             record: #"{"kind":"parentsInformed","person":"A","informed":false,"on":"2026-11-20"}"#,
             expect: .refused(field: "reasonNotInformed", citing: "Supporting children and young people")),
        Case(source: "Supporting children and young people", title: "a counselling referral completes its action", setting: .education,
             record: #"{"kind":"supportReferral","person":"A","service":"counselling","referredOn":"2026-11-20"}"#,
             expect: .fulfils(["counsellingReferral"])),
        Case(source: "Recording and reviewing", title: "the review reminds to review the policy", setting: .education,
             record: #"{"kind":"postIncidentReview","reviewedOn":"2026-11-20","whatHappened":"w","learned":"l","policyReviewBy":"2027-01-01"}"#,
             expect: .acceptedWithWarning("review the setting's sharing nudes policy")),
        Case(source: "Talking to a young person", title: "a conversation says who talked", setting: .education,
             record: #"{"kind":"conversation","person":"A","on":"2026-11-20","by":""}"#,
             expect: .refused(field: "by", citing: nil)),
        Case(source: "Reporting", title: "a report to CEOP completes that action", setting: .education,
             record: #"{"kind":"externalReport","to":"ceop","on":"2026-11-20"}"#,
             expect: .fulfils(["reportToCEOP"])),
        Case(source: "Gathering information", title: "a school cannot record a crime", setting: .education,
             record: #"{"kind":"crimeRecord","crimeReference":"X","reportedOn":"2026-11-20","offences":["poca1978s1"]}"#,
             expect: .refused(field: "kind", citing: nil)),
    ]

    /// Each nation's school guidance names the school's safeguarding lead its own way (Keeping learners safe: the
    /// designated safeguarding person; DE Circular 2017/04: the designated teacher; Scotland's National Guidance: the
    /// child protection coordinator). A refusal a school reads names its own.
    @Test("What to do with a sexting image: a device stored securely says where, and the example names the school's lead as its nation's guidance does",
          arguments: [(Jurisdiction.england, "the DSL's office"), (.wales, "the DSP's office"),
                      (.northernIreland, "the designated teacher's office"), (.scotland, "the child protection coordinator's office")])
    func storedSecurelyNamesTheNationsLead(_ nation: Jurisdiction, _ office: String) throws {
        let facts = baseCase(.education, nation, on: "2026-11-23", Self.device)
        let context = RecordContext.bundled(facts: facts, assessment: assess(facts),
                                            records: [try ResponseRecord.decode(json: Data(Self.confiscated.utf8))], today: testToday)
        let stored = try ResponseRecord.decode(json: Data(#"{"kind":"deviceCustody","device":"D1","step":"storedSecurely","on":"2026-11-20","by":"Ms Jones"}"#.utf8))
        let problem = #expect(throws: RecordProblem.self, "a device stored securely without saying where is refused in \(nation)") {
            try ResponseRules.check(stored, in: context)
        }
        let message = problem?.message ?? ""
        #expect(problem?.field == "where")
        #expect(message.contains("e.g. the locked safe in \(office)"), "\(nation): \(message)")
        if nation != .england { #expect(!message.contains("DSL"), "\(nation): \(message)") }
    }

    @Test(arguments: cases)
    func rule(_ c: Case) throws {
        // Setup: the plain case, edited; its assessment; the earlier records.
        let facts = baseCase(c.setting, .england, on: c.date, c.edit)
        let assessment = assess(facts)
        let earlier = try c.earlier.map { try ResponseRecord.decode(json: Data($0.utf8)) }
        let context = RecordContext.bundled(facts: facts, assessment: assessment, records: earlier, today: testToday)
        let record = try ResponseRecord.decode(json: Data(c.record.utf8))
        // Code under test, and validation.
        switch c.expect {
        case .accepted:
            #expect(throws: Never.self) { try ResponseRules.check(record, in: context) }
        case .acceptedWithWarning(let text):
            let checked = try ResponseRules.check(record, in: context)
            #expect(checked.warnings.contains { $0.message.contains(text) }, "\(checked.warnings)")
        case .fulfils(let ids):
            let checked = try ResponseRules.check(record, in: context)
            #expect(checked.fulfils == ids)
        case .refused(let field, let citing):
            do {
                _ = try ResponseRules.check(record, in: context)
                Issue.record("accepted, expected refusal at \(field)")
            } catch {
                #expect(error.field == field, "\(error)")
                if let citing {
                    #expect(error.citation?.section == citing, "\(error)")
                    #expect(error.citation?.document == context.pack.title)
                }
            }
        }
    }

    @Test func unknownKeysAndWrongTypesNameTheFieldAndWhatIsAllowed() {
        #expect(throws: RecordProblem(field: "resutl", message: unknownKeyMessage("resutl", allowed: ["kind"] + ResponseRecord.keys(of: .welfareCheck)))) {
            try ResponseRecord.decode(json: Data(#"{"kind":"welfareCheck","person":"A","checkedOn":"2026-11-20","resutl":"x"}"#.utf8))
        }
        do {
            _ = try ResponseRecord.decode(json: Data(#"{"kind":"welfareCheck","person":"A","checkedOn":"20/11/2026","result":"x"}"#.utf8))
            Issue.record("accepted a bad date")
        } catch {
            #expect(error.field == "checkedOn")
            #expect(error.message.contains("YYYY-MM-DD"))
        }
        do {
            _ = try ResponseRecord.decode(json: Data(#"{"kind":"welfareChek"}"#.utf8))
            Issue.record("accepted an unknown kind")
        } catch {
            #expect(error.field == "kind")
            #expect(error.message.contains("did you mean \"welfareCheck\""))
        }
        do {
            _ = try ResponseRecord.decode(json: Data(#"{"kind":"welfareCheck","person":"A","checkedOn":"2026-11-20"}"#.utf8))
            Issue.record("accepted a record without its result")
        } catch {
            #expect(error.field == "result")
            // Said as a person would read it: not "required for a welfareCheck record".
            #expect(error.message.hasPrefix("required") && !error.message.contains("welfareCheck"), "\(error.message)")
        }
    }

    /// The Scottish Crime Recording Standard (Section B): an incident record for every report, a crime report only
    /// where the facts disclose a crime. A case of a child under 12 (no offence) completes `recordCrime` with a record
    /// naming no offence, which reads as an incident record; England's College of Policing still needs an offence.
    @Test("Scottish Crime Recording Standard, Section B: a report with no crime disclosed is recorded as an incident and completes the recording action")
    func aScottishReportWithNoCrimeIsAnIncidentRecord() throws {
        let incident = try ResponseRecord.decode(json: Data(#"{"kind":"crimeRecord","crimeReference":"PS-20261120-0042","reportedOn":"2026-11-20","offences":[]}"#.utf8))
        let underTwelve = baseCase(.police, .scotland, on: "2026-11-23") { facts in
            for i in facts.people.indices { facts.people[i].age = 11 }
        }
        let assessment = assess(underTwelve)
        #expect(assessment.offences.isEmpty, "the case this test needs: no offence by a child under 12")
        let checked = try ResponseRules.check(incident, in: .bundled(facts: underTwelve, assessment: assessment, records: [], today: testToday))
        #expect(checked.fulfils.contains("recordCrime"))
        #expect(RecordText.describe(checked.record, jurisdiction: .scotland)
            == "incident reference PS-20261120-0042, reported 20 November 2026, no crime disclosed, so an incident record only")
        // Where the guidance suggests offences, recording none is a change of offences, and says why.
        let older = baseCase(.police, .scotland, on: "2026-11-23")
        let suggested = assess(older)
        #expect(!suggested.offences.isEmpty, "the case this test needs")
        do {
            _ = try ResponseRules.check(incident, in: .bundled(facts: older, assessment: suggested, records: [], today: testToday))
            Issue.record("no offence on a case with a suggested offence was taken without a reason")
        } catch {
            #expect(error.field == "offenceChangeReason")
        }
        // England: every report is a crime (College of Policing, Action 1).
        let english = baseCase(.police, .england, on: "2026-11-23")
        do {
            _ = try ResponseRules.check(incident, in: .bundled(facts: english, assessment: assess(english), records: [], today: testToday))
            Issue.record("an English crime record with no offence was accepted")
        } catch {
            #expect(error.field == "offences" && error.citation?.section == "Action 1")
        }
    }

    /// Scotland's inter-agency referral discussion completes its action, as a strategy meeting does England's; it is
    /// refused on a case in another nation (a Scottish review found the IRD action completed by no record).
    @Test("Scotland, National Guidance 3.15–3.19: an IRD recorded as a meeting completes the IRD action; elsewhere it is refused")
    func scotlandsIRDIsAMeetingThatCompletesItsAction() throws {
        let ird = try ResponseRecord.decode(json: Data(#"{"kind":"meeting","meetingKind":"interAgencyReferralDiscussion","on":"2026-11-20","with":["social work","health"],"proceedBeforeChecksReason":"child at risk tonight"}"#.utf8))
        let scottish = baseCase(.police, .scotland, on: "2026-11-23")
        let assessment = assess(scottish)
        #expect(assessment.recommendations.contains { $0.id == "interAgencyReferralDiscussion" }, "the case this test needs")
        let checked = try ResponseRules.check(ird, in: .bundled(facts: scottish, assessment: assessment, records: [], today: testToday))
        #expect(checked.fulfils.contains("interAgencyReferralDiscussion"))
        let english = baseCase(.police, .england, on: "2026-11-23")
        do {
            _ = try ResponseRules.check(ird, in: .bundled(facts: english, assessment: assess(english), records: [], today: testToday))
            Issue.record("an IRD on an English case was accepted")
        } catch {
            #expect(error.field == "meetingKind" && error.message.contains("record a strategy meeting"))
        }
        #expect(ResponseRules.recordKinds(completing: "interAgencyReferralDiscussion") == [.meeting])
        // And the other way round: Scotland holds an IRD, not a strategy meeting.
        let strategy = try ResponseRecord.decode(json: Data(#"{"kind":"meeting","meetingKind":"strategyMeeting","on":"2026-11-20","with":["social work"],"proceedBeforeChecksReason":"child at risk tonight"}"#.utf8))
        do {
            _ = try ResponseRules.check(strategy, in: .bundled(facts: scottish, assessment: assessment, records: [], today: testToday))
            Issue.record("a strategy meeting on a Scottish case was accepted")
        } catch {
            #expect(error.field == "meetingKind" && error.message.contains("record the IRD"))
        }
    }

    /// Action 15: a superintendent's approval lets the officer record one return of that device, when it is handed
    /// back, carrying the superintendent's answer on the imagery; it is not itself the return (a review found the
    /// approval written as the return, by someone who never held the phone). A second return needs a second approval.
    @Test("College of Policing, Action 15: an approved return is recorded by the officer, once per approval, with the superintendent's answer on the imagery")
    func anApprovedReturnIsRecordedByTheOfficerOncePerApproval() throws {
        var facts = baseCase(.police, .england, Self.device)
        facts.devices[0].seized = .true
        let assessment = assess(facts)
        let seized = try ResponseRecord.decode(json: Data(Self.seized.utf8))
        let returned = try ResponseRecord.decode(json: Data(#"{"kind":"deviceCustody","device":"D1","step":"returned","on":"2026-11-21","by":"PC 1","toWhom":"B's mother","rationale":"wiped by the DFU"}"#.utf8))
        var context = RecordContext.bundled(facts: facts, assessment: assessment, records: [seized], today: testToday)
        // No approval: refused, citing Action 15.
        #expect(throws: RecordProblem.self) { try ResponseRules.check(returned, in: context) }
        // Approved, with imagery not solely of the owner: accepted, with the answer carried and a warning.
        context.approvedReturns = [.init(device: "D1", imagerySolelyOfOwner: false)]
        let checked = try ResponseRules.check(returned, in: context)
        guard case .deviceCustody(let step) = checked.record else { Issue.record("not a custody step"); return }
        #expect(step.imagerySolelyOfOwner == false && step.by == "PC 1" && step.toWhom == "B's mother")
        #expect(checked.warnings.contains { $0.message.contains("not solely of its owner") && $0.citations.contains { $0.section == "Action 15" } })
        // An officer cannot claim an answer the superintendent did not give.
        let claimed = try ResponseRecord.decode(json: Data(#"{"kind":"deviceCustody","device":"D1","step":"returned","on":"2026-11-21","by":"PC 1","rationale":"r","imagerySolelyOfOwner":true}"#.utf8))
        #expect(throws: RecordProblem.self) { try ResponseRules.check(claimed, in: context) }
        // Used once: after the return (and a seizure again), the same approval does not return it a second time.
        let reseized = try ResponseRecord.decode(json: Data(#"{"kind":"deviceCustody","device":"D1","step":"seized","on":"2026-11-21","by":"PC 1","power":"pace32","rationale":"again"}"#.utf8))
        context.records = [seized, checked.record, reseized]
        #expect(throws: RecordProblem.self) { try ResponseRules.check(returned, in: context) }
        context.approvedReturns.append(.init(device: "D1", imagerySolelyOfOwner: true))
        #expect(throws: Never.self) { try ResponseRules.check(returned, in: context) }
    }

    /// Action 5: custody of a device not on the case names the devices it has, or says it has none (it printed an
    /// empty list, "(devices: ; add it first)").
    @Test("Scotland, National Guidance 3.48: an interview decision completes the Joint Investigative Interview action, as it completes the visually recorded interview in England (Action 6)")
    func scotlandsInterviewDecisionCompletesItsAction() throws {
        let facts = baseCase(.police, .scotland, on: "2026-11-23") { $0.circumstances.willing = .false }
        let assessment = assess(facts)
        #expect(assessment.recommendations.contains { $0.id == "jointInvestigativeInterview" }, "the case this test needs")
        let context = RecordContext.bundled(facts: facts, assessment: assessment, records: [], today: testToday)
        let record = try ResponseRecord.decode(json: Data(#"{"kind":"interviewDecision","person":"A","planned":true,"reason":"agreed at the IRD","decidedOn":"2026-11-20"}"#.utf8))
        #expect(try ResponseRules.check(record, in: context).fulfils.contains("jointInvestigativeInterview"))
    }

    @Test func aDeviceNotOnTheCaseIsNamedWithTheDevicesItHas() throws {
        let other = try ResponseRecord.decode(json: Data(Self.seized.replacingOccurrences(of: #""device":"D1""#, with: #""device":"D9""#).utf8))
        for (edit, said) in [(Self.cleanDevice, "(devices: D1)"), ({ (_: inout CaseFacts) in }, "(it has none yet)")] as [(@Sendable (inout CaseFacts) -> Void, String)] {
            let facts = baseCase(.police, .england, on: "2026-11-23", edit)
            let context = RecordContext.bundled(facts: facts, assessment: assess(facts), records: [], today: testToday)
            do {
                _ = try ResponseRules.check(other, in: context)
                Issue.record("accepted a device not on the case")
            } catch {
                #expect(error.field == "device" && error.message.contains(said), "\(error.message)")
            }
        }
    }

    /// Action 1: a crime recorded with other offences than the guidance suggests needs a reason, and the refusal names
    /// the suggested offences by their legislation, as the form does, not by the law pack's ids (which a page would
    /// show a person). An offence not in the list names the nation in words.
    @Test func offenceRefusalsNameTheLawInWords() throws {
        let facts = baseCase(.police, .england, on: "2026-11-23") { _ in }
        let context = RecordContext.bundled(facts: facts, assessment: assess(facts), records: [], today: testToday)
        do {
            _ = try ResponseRules.check(try ResponseRecord.decode(json: Data(#"{"kind":"crimeRecord","crimeReference":"NP/1","reportedOn":"2026-11-20","offences":["cja1988part11"]}"#.utf8)), in: context)
            Issue.record("accepted other offences without a reason")
        } catch {
            #expect(error.field == "offenceChangeReason")
            #expect(error.message.contains("Protection of Children Act 1978, section 1"), "\(error.message)")
            #expect(!error.message.contains("poca1978s1") && !error.message.contains("cja1988part11"), "\(error.message)")
        }
        do {
            _ = try ResponseRules.check(try ResponseRecord.decode(json: Data(#"{"kind":"crimeRecord","crimeReference":"NP/1","reportedOn":"2026-11-20","offences":["theft"]}"#.utf8)), in: context)
            Issue.record("accepted an offence outside the list")
        } catch {
            #expect(error.message.contains("is not an offence in the list for England: "), "\(error.message)")
        }
    }

    @Test func recordsRoundTripThroughStorage() throws {
        let text = #"{"kind":"deviceCustody","device":"D1","step":"seized","on":"2026-11-20","by":"PC 1","power":"pace54","rationale":"r"}"#
        let record = try ResponseRecord.decode(json: Data(text.utf8))
        let data = try JSONEncoder().encode(record)
        #expect(try JSONDecoder().decode(ResponseRecord.self, from: data) == record)
        #expect(String(decoding: data, as: UTF8.self).contains(#""kind":"deviceCustody""#))
    }

    @Test func everyRecordKindHasACaseAndEveryOutcomeCodeIsListed() {
        let covered = Set(Self.cases.compactMap { try? ResponseRecord.decode(json: Data($0.record.utf8)).kind })
        let untested = Set(RecordKind.allCases).subtracting(covered)
        #expect(untested.isEmpty, "record kinds without a rule test: \(untested.map(\.rawValue).sorted())")
        #expect(OutcomeCode.allCases.count == 26)
        #expect(OutcomeCode(rawValue: "22")?.availableFrom == CalendarDate("2019-04-01"))
    }

    @Test("Action 10: Outcome 21 is proposed only when eligible, or undetermined with a written reason")
    func outcome21Proposals() throws {
        let pack = GuidanceLibrary.bundled.edition(for: .police, in: .england, on: testToday).pack
        #expect(throws: Never.self) { try ResponseRules.checkOutcome21Proposal(assessment: assess(baseCase()), reasonWhileUndetermined: nil, pack: pack) }
        let undetermined = assess(baseCase { $0.circumstances.grooming = .unknown })
        #expect(undetermined.decisions.outcome21 == .undetermined)
        do {
            try ResponseRules.checkOutcome21Proposal(assessment: undetermined, reasonWhileUndetermined: " ", pack: pack)
            Issue.record("proposed while undetermined without a reason")
        } catch {
            #expect(error.field == "reasonWhileUndetermined")
            #expect(error.citation?.section == "Action 10")
        }
        #expect(throws: Never.self) {
            try ResponseRules.checkOutcome21Proposal(assessment: undetermined, reasonWhileUndetermined: "Both families confirm no grooming", pack: pack)
        }
        let excluded = assess(baseCase { $0.circumstances.profitMotive = .true })
        do {
            try ResponseRules.checkOutcome21Proposal(assessment: excluded, reasonWhileUndetermined: "anything", pack: pack)
            Issue.record("proposed when excluded")
        } catch {
            #expect(error.message.contains("does not apply"))
            #expect(error.citation?.section == "Action 10")
        }
        let scotland = assess(baseCase(.police, .scotland))
        #expect(throws: RecordProblem.self) { try ResponseRules.checkOutcome21Proposal(assessment: scotland, reasonWhileUndetermined: "x", pack: pack) }
    }

    @Test("Action 12: the DBS explanation attached is the edition's (current: youth cautions exempt; 2016: no guarantee)")
    func dbsExplanationFollowsTheEdition() throws {
        let record = try ResponseRecord.decode(json: Data(#"{"kind":"communication","audience":"child","person":"A","on":"2019-06-01","method":"inPerson","topics":["outcome","dbs"]}"#.utf8))
        for (date, expected, absent) in [("2026-11-23", "youth cautions are exempt", "no guarantee"), ("2019-06-01", "no guarantee", "youth cautions are exempt")] {
            let facts = baseCase(on: date)
            let checked = try ResponseRules.check(record, in: .bundled(facts: facts, assessment: assess(facts), records: [], today: testToday))
            guard case .communication(let c) = checked.record else { Issue.record("not a communication"); continue }
            #expect(c.dbsExplanation?.contains(expected) == true, "\(date): \(c.dbsExplanation ?? "nil")")
            #expect(c.dbsExplanation?.contains(absent) == false)
        }
    }

    /// A hands-on review as a Welsh DSP: a 999 call left "tell the police" open, and a report to the local authority's
    /// children's services left the child protection referral open, each to be recorded twice.
    @Test("NSPCC Reporting and Wales Safeguarding Procedures (reporting a child at risk): a 999 call tells the police; a report to local child protection services is the referral")
    func reportsCompleteWhatTheyDo() {
        let facts = baseCase(.education, .wales)
        func fulfils(_ to: ReportedTo) -> [String] {
            let report = ResponseRecord.externalReport(ExternalReport(to: to, on: testToday, reference: nil))
            return ResponseRules.fulfilled(by: report, facts: facts, records: [report])
        }
        #expect(Set(fulfils(.police999)) == ["call999", "informPolice"])
        #expect(Set(fulfils(.localChildProtection)) == ["seekAdvice", "childProtectionReferral"])
        #expect(fulfils(.nspccHelpline) == ["seekAdvice"], "advice sought is not a referral made")
        #expect(fulfils(.ceop) == ["reportToCEOP"])
    }
}
