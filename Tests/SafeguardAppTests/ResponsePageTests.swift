import Foundation
@testable import SafeguardApp
import SafeguardCore
import SafeguardPersistence
import SQLKit
import Testing
import Vapor

/// The response pages of issue 5: sign-offs, records, documents and referrals, each with its key content, headers
/// and denial paths (another organisation 404, the wrong role 403, the proposer never approving their own).
@Suite struct ResponsePageTests {
    static func signOffID(_ app: Application, _ caseID: String, token: String) async throws -> String {
        let list = try await send(app, .GET, "/api/v1/cases/\(caseID)/sign-offs", token: token).array
        return try #require(list.last?["id"] as? String).lowercased()
    }

    static func expectPage(_ reply: Reply, _ status: HTTPStatus = .ok, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == status, "\(reply.status): \(reply.text.prefix(300))", sourceLocation: sourceLocation)
        Pages.expectSecurityHeaders(reply, sourceLocation: sourceLocation)
        Pages.expectNoInlineScriptOrStyle(reply.text, sourceLocation: sourceLocation)
    }

    // MARK: Sign-offs

    @Test func outcome21IsProposedReviewedRefusedThenApprovedAndTheLetterPrinted() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("policeA.officer"), facts: Pages.knownFacts)
            let id = (created["id"] as! String).lowercased()
            let officer = try await Pages.signIn(app, "officer@policeA.test")

            // The case page offers the proposal; the form shows the facts, and the rationale is the officer's own words.
            let casePage = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(casePage.text.contains("href=\"/cases/\(id)/outcome21\">Propose Outcome 21</a>"))
            let form = try await Pages.get(app, "/cases/\(id)/outcome21", officer)
            Self.expectPage(form)
            #expect(form.text.contains("<h1 class=\"heading-xl\">Propose Outcome 21</h1>"))
            #expect(!form.text.contains("criteria for Outcome 21 are met"), "no pre-filled dump of the answers (issue 11, point 5)")
            #expect(form.text.contains("In your own words"))
            #expect(form.text.contains("A, aged 15"), "the people, in plain words, beside the rationale")
            #expect(form.text.contains("Known to be so") && form.text.contains("willing"))
            #expect(!form.text.contains("reasonWhileUndetermined"), "eligible: no reason for proposing early is asked")

            let empty = try await Pages.post(app, "/cases/\(id)/outcome21", officer, [("rationale", " ")])
            #expect(empty.status == .unprocessableEntity)
            #expect(empty.text.contains("<a href=\"#rationale\">Give the rationale in 1–4,000 characters.</a>"))
            let proposed = try await Pages.post(app, "/cases/\(id)/outcome21", officer, [("rationale", "Willing, age-appropriate, first time")])
            #expect(proposed.status == .seeOther)
            let waiting = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(waiting.text.contains("Waiting for a supervisor"))
            #expect(waiting.text.contains("Outcome 21 proposed. It is waiting for a supervisor"), "the notice after the redirect")
            #expect(!waiting.text.contains(">Propose Outcome 21</a>"), "not offered twice")
            #expect(!waiting.text.contains("Review the proposal"), "the officer is not offered the review")

            // Only a supervisor (or a superintendent) who did not propose it decides it; its proposer sees what they
            // sent, without the form.
            let signOff = try await Self.signOffID(app, id, token: world.token("policeA.officer"))
            let review = "/cases/\(id)/sign-offs/\(signOff)"
            let own = try await Pages.get(app, review, officer)
            #expect(own.status == .ok)
            #expect(own.text.contains("You proposed this, so you cannot decide it: another supervisor or superintendent must review it."))
            #expect(own.text.contains("Willing, age-appropriate, first time") && !own.text.contains("name=\"decision\""))
            #expect(try await Pages.post(app, review, officer, [("decision", "approve"), ("reason", "Agreed: proportionate")]).status == .forbidden)
            let officer2 = try await Pages.signIn(app, "officer2@policeA.test")
            #expect(try await Pages.get(app, review, officer2).status == .forbidden)
            let superintendent = try await Pages.signIn(app, "superintendent@policeA.test")
            #expect(try await Pages.get(app, review, superintendent).text.contains("name=\"decision\" type=\"radio\" value=\"approve\""))
            let other = try await Pages.signIn(app, "officer@policeB.test")
            #expect(try await Pages.get(app, review, other).status == .notFound)
            let admin = try await Pages.signIn(app, "admin@policeA.test")
            #expect(try await Pages.get(app, review, admin).status == .forbidden)

            let supervisor = try await Pages.signIn(app, "supervisor@policeA.test")
            let home = try await Pages.get(app, "/", supervisor)
            #expect(home.text.contains("Approvals waiting for you"))
            #expect(home.text.contains("href=\"\(review)\">Review the proposal: Outcome 21</a>"))
            let reviewPage = try await Pages.get(app, review, supervisor)
            Self.expectPage(reviewPage)
            #expect(reviewPage.text.contains("Willing, age-appropriate, first time"))
            #expect(reviewPage.text.contains("name=\"decision\" type=\"radio\" value=\"approve\""))
            let undecided = try await Pages.post(app, review, supervisor, [("reason", "")])
            #expect(undecided.status == .unprocessableEntity)
            #expect(undecided.text.contains("<a href=\"#decision\">Select whether you approve or refuse</a>"))
            let noReason = try await Pages.post(app, review, supervisor, [("decision", "refuse"), ("reason", "")])
            #expect(noReason.text.contains("<a href=\"#reason\">Give the reasons for the decision"))
            let refused = try await Pages.post(app, review, supervisor, [("decision", "refuse"), ("reason", "Speak to the school first")])
            #expect(refused.status == .seeOther)

            // Back with the officer: a banner with the reasons, and "returned to you" at home.
            let returned = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(returned.text.contains("Outcome 21 was refused: the case is back with the officer"))
            #expect(returned.text.contains("Speak to the school first"))
            let officerHome = try await Pages.get(app, "/", officer)
            #expect(officerHome.text.contains("Returned to you"))
            #expect(officerHome.text.contains("Refused: Speak to the school first"))

            // The letter needs an approved Outcome 21 (and a crime record).
            let early = try await Pages.get(app, "/cases/\(id)/letter", officer)
            #expect(early.text.contains("Outcome 21 has not been approved by a supervisor"))
            #expect(!early.text.contains("name=\"name\""))

            #expect(try await Pages.post(app, "/cases/\(id)/outcome21", officer, [("rationale", "School spoken to; still right")]).status == .seeOther)
            let second = try await Self.signOffID(app, id, token: world.token("policeA.officer"))
            // The review lists the must-do actions still open; approving with them open needs a recorded reason.
            let secondReview = try await Pages.get(app, "/cases/\(id)/sign-offs/\(second)", supervisor)
            #expect(secondReview.text.contains("Must-do actions still open"))
            #expect(secondReview.text.contains("Check the welfare of every child involved"))
            #expect(secondReview.text.contains("name=\"openActionsReason\""))
            let withoutWhy = try await Pages.post(app, "/cases/\(id)/sign-offs/\(second)", supervisor,
                                                  [("decision", "approve"), ("reason", "Agreed: proportionate")])
            #expect(withoutWhy.status == .unprocessableEntity)
            #expect(withoutWhy.text.contains("<a href=\"#openActionsReason\">"))
            #expect(withoutWhy.text.contains("Agreed"), "what was typed is kept")
            let approved = try await Pages.post(app, "/cases/\(id)/sign-offs/\(second)", supervisor,
                                                [("decision", "approve"), ("reason", "Agreed: proportionate"), ("openActionsReason", "Welfare visit booked for Monday")])
            #expect(approved.status == .seeOther)
            let after = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(after.text.contains("Outcome 21 is approved and recorded."))
            #expect(after.text.contains("Outcome 21: Further investigation not in the public interest"), "the outcome record is listed")
            #expect(!after.text.contains("Waiting for a supervisor") && !after.text.contains("is back with the officer"))

            let noCrime = try await Pages.get(app, "/cases/\(id)/letter", officer)
            #expect(noCrime.text.contains("Record the crime first"))
            let crime = try await Pages.post(app, "/cases/\(id)/record/crimeRecord", officer,
                                             [("crimeReference", "PA/26/77"), ("reportedOn", CaseController.today.description),
                                              ("offences", "poca1978s1"), ("offences", "cja1988part11")])
            #expect(crime.status == .seeOther, "\(crime.text.prefix(500))")
            // The notice counts in words: one action, not "1 action(s)".
            let recorded = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(recorded.text.contains("Saved: crime recorded. 1 action marked done."), "\(recorded.text.prefix(3000))")

            let letterForm = try await Pages.get(app, "/cases/\(id)/letter", officer)
            Self.expectPage(letterForm)
            #expect(letterForm.text.contains("never stored"))
            let missing = try await Pages.post(app, "/cases/\(id)/letter", officer, [("to", "parent"), ("person", "A"), ("name", "Ms Jones")])
            #expect(missing.status == .unprocessableEntity)
            #expect(missing.text.contains("<a href=\"#childName\">"))
            let letter = try await Pages.post(app, "/cases/\(id)/letter", officer,
                                              [("to", "parent"), ("person", "A"), ("name", "Ms Jones"), ("childName", "Sam"), ("phone", "101")])
            Self.expectPage(letter)
            #expect(letter.text.contains("<h1 class=\"heading-xl\">Written record: no further police action</h1>"))
            #expect(letter.text.contains("Ms Jones") && letter.text.contains("Sam") && letter.text.contains("PA/26/77"))
            #expect(letter.text.contains("class=\"no-print inset\""), "the print instructions are not printed")
            // The names were printed, never stored.
            let record = try await Pages.get(app, "/cases/\(id)/documents/case-record", officer)
            #expect(!record.text.contains("Ms Jones"))
            let events = try await send(app, .GET, "/api/v1/cases/\(id)/chronology", token: world.token("policeA.officer")).text
            #expect(!events.contains("Ms Jones") && !events.contains("Sam\""))
            #expect(events.contains("Outcome 21 letter produced"))
        }
    }

    @Test func aProposerNeverSeesAnApproveButtonForTheirOwnProposal() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = (try await createCase(app, token: world.token("policeA.officer"), facts: Pages.knownFacts)["id"] as! String).lowercased()
            let supervisor = try await Pages.signIn(app, "supervisor@policeA.test")
            #expect(try await Pages.post(app, "/cases/\(id)/outcome21", supervisor, [("rationale", "Proposed by a supervisor")]).status == .seeOther)
            let signOff = try await Self.signOffID(app, id, token: world.token("policeA.supervisor"))
            let page = try await Pages.get(app, "/cases/\(id)/sign-offs/\(signOff)", supervisor)
            #expect(page.status == .ok)
            #expect(page.text.contains("You proposed this, so you cannot decide it"))
            #expect(!page.text.contains("name=\"decision\""), "no approve button")
            let home = try await Pages.get(app, "/", supervisor)
            #expect(!home.text.contains("/sign-offs/\(signOff)"), "not among my approvals")
            let casePage = try await Pages.get(app, "/cases/\(id)", supervisor)
            #expect(!casePage.text.contains("Review the proposal"))
            let forced = try await Pages.post(app, "/cases/\(id)/sign-offs/\(signOff)", supervisor, [("decision", "approve"), ("reason", "My own proposal, approved")])
            #expect(forced.status == .forbidden)
            #expect(forced.text.contains("You proposed this: another supervisor or superintendent must review it."))
        }
    }

    @Test func outcome21IsRefusedWithTheEnginesReasonsWhenExcludedAndAskedWhyWhenUndetermined() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let excluded = (try await createCase(app, token: world.token("policeA.officer"), facts: Pages.knownFacts(with: "coercion"))["id"] as! String).lowercased()
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let casePage = try await Pages.get(app, "/cases/\(excluded)", officer)
            #expect(casePage.text.contains("Outcome 21 cannot be used for this case"))
            #expect(!casePage.text.contains(">Propose Outcome 21</a>"))
            let page = try await Pages.get(app, "/cases/\(excluded)/outcome21", officer)
            #expect(page.text.contains("Outcome 21 cannot be used for this case"))
            #expect(!page.text.contains("name=\"rationale\""))
            let forced = try await Pages.post(app, "/cases/\(excluded)/outcome21", officer, [("rationale", "anyway")])
            #expect(forced.status == .unprocessableEntity)
            #expect(forced.text.contains("<a href=\"#rationale\">Outcome 21 does not apply to this case"))
            #expect(forced.text.contains("Action 10"), "the refusal cites the guidance")

            let undetermined = (try await createCase(app, token: world.token("policeA.officer"))["id"] as! String).lowercased()
            let early = try await Pages.get(app, "/cases/\(undetermined)/outcome21", officer)
            #expect(early.text.contains("name=\"reasonWhileUndetermined\""))
            let noReason = try await Pages.post(app, "/cases/\(undetermined)/outcome21", officer, [("rationale", "Low risk")])
            #expect(noReason.status == .unprocessableEntity)
            #expect(noReason.text.contains("<a href=\"#reasonWhileUndetermined\">The guidance cannot yet say Outcome 21 is available"))
            let withReason = try await Pages.post(app, "/cases/\(undetermined)/outcome21", officer,
                                                  [("rationale", "Low risk"), ("reasonWhileUndetermined", "The family are moving away")])
            #expect(withReason.status == .seeOther)

            // Schools do not propose sign-offs.
            let concern = (try await createCase(app, token: world.token("school.dsl"), facts: [:])["id"] as! String).lowercased()
            let dsl = try await Pages.signIn(app, "dsl@school.test")
            #expect(try await Pages.get(app, "/cases/\(concern)/outcome21", dsl).status == .forbidden)
        }
    }

    @Test func aDeviceReturnNeedsASuperintendentWhoAnswersWhetherTheImageryWasSolelyOfTheOwner() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = (try await createCase(app, token: world.token("policeA.officer"), facts: Pages.knownFacts)["id"] as! String).lowercased()
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let custody = try await Pages.get(app, "/cases/\(id)/record/deviceCustody?device=D1", officer)
            Self.expectPage(custody)
            #expect(custody.text.contains("id=\"device\" name=\"device\" type=\"radio\" value=\"D1\" checked"))
            let seized = try await Pages.post(app, "/cases/\(id)/record/deviceCustody", officer,
                                              [("device", "D1"), ("step", "seized"), ("on", CaseController.today.description), ("by", "PC 1"),
                                               ("power", "pace19"), ("rationale", "Evidence of sharing")])
            #expect(seized.status == .seeOther, "\(seized.text.prefix(400))")
            let casePage = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(casePage.text.contains("Device D1, owned by B: Held by police"))
            #expect(casePage.text.contains("D1 seized on"))
            #expect(casePage.text.contains("href=\"/cases/\(id)/devices/D1/return\">Propose the return of D1</a>"))

            // Returning it directly is refused by the rules, shown against the field.
            let direct = try await Pages.post(app, "/cases/\(id)/record/deviceCustody", officer,
                                              [("device", "D1"), ("step", "returned"), ("on", CaseController.today.description), ("by", "PC 1"),
                                               ("rationale", "Done with it")])
            #expect(direct.status == .unprocessableEntity)
            #expect(direct.text.contains("superintendent"))

            #expect(try await Pages.post(app, "/cases/\(id)/devices/D1/return", officer, [("rationale", "Examination complete")]).status == .seeOther)
            #expect(try await Pages.get(app, "/cases/\(id)", officer).text.contains("Waiting for a superintendent"))
            let signOff = try await Self.signOffID(app, id, token: world.token("policeA.officer"))
            let path = "/cases/\(id)/sign-offs/\(signOff)"
            let supervisor = try await Pages.signIn(app, "supervisor@policeA.test")
            #expect(try await Pages.get(app, path, supervisor).status == .forbidden, "a supervisor does not sign off a return")
            let superintendent = try await Pages.signIn(app, "superintendent@policeA.test")
            #expect(try await Pages.get(app, "/", superintendent).text.contains("Sign off the return: Device return of device D1"))
            let page = try await Pages.get(app, path, superintendent)
            Self.expectPage(page)
            #expect(page.text.contains("Was the imagery on the device solely of its owner?"))
            let unanswered = try await Pages.post(app, path, superintendent, [("decision", "approve"), ("reason", "Fine to return it")])
            #expect(unanswered.status == .unprocessableEntity)
            #expect(unanswered.text.contains("<a href=\"#imagerySolelyOfOwner\">Record whether the imagery on the device was solely of its owner"))
            #expect(page.text.contains("id=\"imageryRemoval\""))
            let unsaid = try await Pages.post(app, path, superintendent,
                                              [("decision", "approve"), ("imagerySolelyOfOwner", "no"), ("reason", "Copies deleted and verified")])
            #expect(unsaid.status == .unprocessableEntity)
            #expect(unsaid.text.contains("<a href=\"#imageryRemoval\">The imagery was not solely of the owner"))
            let approved = try await Pages.post(app, path, superintendent,
                                                [("decision", "approve"), ("imagerySolelyOfOwner", "no"), ("reason", "Examination complete"),
                                                 ("imageryRemoval", "Copies of A deleted and verified by the DFU")])
            #expect(approved.status == .seeOther)
            // Approved, but still held until the officer hands it back and records it.
            #expect(try await Pages.get(app, "/cases/\(id)", superintendent).text
                .contains("The return of device D1 approved. The officer records the return when the device is handed back."))
            let after = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(after.text.contains("Device D1, owned by B: Held by police"))
            let returned = try await Pages.post(app, "/cases/\(id)/record/deviceCustody", officer,
                                                [("device", "D1"), ("step", "returned"), ("on", CaseController.today.description), ("by", "PC 1"),
                                                 ("toWhom", "B's father"), ("rationale", "Wiped by the DFU")])
            #expect(returned.status == .seeOther, "\(returned.text.prefix(400))")
            let done = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(done.text.contains("Device D1, owned by B: Returned"))
            #expect(done.text.contains("imagery not solely of the owner"))
            // Returned, it is no longer among what closing the case would leave behind.
            #expect(!done.text.contains("is still held by police"))
        }
    }

    // MARK: Records

    @Test func recordFormsArePrefilledAndTheRulesRefusalsLinkToTheField() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = (try await createCase(app, token: world.token("policeA.officer"), facts: Pages.knownFacts)["id"] as! String).lowercased()
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let today = CaseController.today.description

            let crime = try await Pages.get(app, "/cases/\(id)/record/crimeRecord", officer)
            Self.expectPage(crime)
            #expect(crime.text.contains("id=\"offences\" name=\"offences\" type=\"checkbox\" value=\"poca1978s1\" checked"), "the engine's offences are ticked")
            #expect(crime.text.contains("value=\"\(today)\""), "today is filled in")
            let changed = try await Pages.post(app, "/cases/\(id)/record/crimeRecord", officer,
                                               [("crimeReference", "PA/1"), ("reportedOn", today), ("offences", "poca1978s1")])
            #expect(changed.status == .unprocessableEntity)
            #expect(changed.text.contains("<a href=\"#offenceChangeReason\">The offences differ from those the guidance suggests"))
            #expect(changed.text.contains("Action 1)"), "with the citation")
            #expect(changed.text.contains("value=\"PA/1\""), "what was entered is kept")
            let noReference = try await Pages.post(app, "/cases/\(id)/record/crimeRecord", officer,
                                                   [("reportedOn", today), ("offences", "poca1978s1"), ("offences", "cja1988part11")])
            #expect(noReference.text.contains("<a href=\"#crimeReference\">"))
            #expect(try await Pages.post(app, "/cases/\(id)/record/crimeRecord", officer,
                                         [("crimeReference", "PA/1"), ("reportedOn", today), ("offences", "poca1978s1"),
                                          ("offenceChangeReason", "Possession not in question")]).status == .seeOther)

            let outcome = try await Pages.get(app, "/cases/\(id)/record/outcome", officer)
            #expect(outcome.text.contains("value=\"22\""))
            #expect(!outcome.text.contains("value=\"21\""), "Outcome 21 comes only from a supervisor's approval")
            #expect(try await Pages.post(app, "/cases/\(id)/record/outcome", officer,
                                         [("code", "22"), ("decidedOn", today), ("rationale", "Education session done")]).status == .seeOther)

            let direction = try await Pages.post(app, "/cases/\(id)/record/deletionDirection", officer,
                                                 [("holder", "B"), ("directedOn", today), ("directedBy", "PC 1"), ("proof", "Showed me")])
            #expect(direction.status == .unprocessableEntity, "proof needs when, how and who")
            #expect(direction.text.contains("<a href=\"#deletedOn\">"))
            #expect(try await Pages.post(app, "/cases/\(id)/record/deletionDirection", officer,
                                         [("holder", "B"), ("directedOn", today), ("directedBy", "PC 1")]).status == .seeOther)
            let page = try await Pages.get(app, "/cases/\(id)", officer)
            let proofLink = try #require(page.text.range(of: #"/cases/[0-9a-f-]+/records/[0-9a-f-]+/proof"#, options: .regularExpression)
                .map { String(page.text[$0]) })
            let proofForm = try await Pages.get(app, proofLink, officer)
            Self.expectPage(proofForm)
            #expect(try await Pages.post(app, proofLink, officer, [("revision", "1"), ("deletedOn", today), ("proof", "Deleted in front of me"),
                                                                    ("verifiedBy", "PC 1")]).status == .seeOther)
            let parents = try await Pages.post(app, "/cases/\(id)/record/parentsInformed", officer, [("person", "A"), ("informed", "no"), ("on", today)])
            #expect(parents.status == .unprocessableEntity)
            #expect(parents.text.contains("<a href=\"#reasonNotInformed\">Parents and carers are involved unless that would put the child at risk"))

            let added = try await Pages.post(app, "/cases/\(id)/devices/new", officer, [("version", "1"), ("owner", "A"), ("containsImageryOf", "A")])
            #expect(added.status == .seeOther)

            let final = try await Pages.get(app, "/cases/\(id)", officer)
            let text = final.text
            #expect(text.contains("crime reference PA/1"))
            #expect(text.contains("Outcome 22: Diversionary"))
            #expect(text.contains("B directed on \(Words.day(today)); deletion proved on \(Words.day(today))"))
            #expect(text.contains("Device D2, owned by A"))
            // The chronology, newest last.
            let crimeAt = try #require(text.range(of: "Crime recorded: crime reference PA/1")?.lowerBound)
            let outcomeAt = try #require(text.range(of: "Outcome recorded: Outcome 22")?.lowerBound)
            #expect(crimeAt < outcomeAt)

            // Another organisation's officer, staff, admins: refused as on the API.
            let other = try await Pages.signIn(app, "officer@policeB.test")
            #expect(try await Pages.get(app, "/cases/\(id)/record/crimeRecord", other).status == .notFound)
            #expect(try await Pages.post(app, "/cases/\(id)/record/crimeRecord", other, [("crimeReference", "X")]).status == .notFound)
            let auditor = try await Pages.signIn(app, "auditor@policeA.test")
            #expect(try await Pages.get(app, "/cases/\(id)/record/outcome", auditor).status == .forbidden)
            #expect(try await Pages.get(app, "/cases/\(id)/record/triage", officer).status == .notFound, "triage is a school's record")
            #expect(try await Pages.post(app, "/cases/\(id)/record/outcome", officer, [("code", "22")], csrf: false).status == .forbidden)
        }
    }

    @Test func theReportCanRecordTheCrimeOnItsFirstPage() async throws {
        try await withApp { app in
            _ = try await seedWorld(app)
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let form = try await Pages.get(app, "/cases/new", officer)
            #expect(form.text.contains("id=\"crimeReference\""))
            let created = try await Pages.post(app, "/cases/new", officer, [("summary", "Shared between pupils"), ("kind", "image"),
                                                                             ("ageA", "15"), ("ageB", "15"), ("crimeReference", "PA/26/9")])
            let id = try #require(Pages.caseID(fromLocation: created))
            let page = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(page.text.contains("crime reference PA/26/9"))
            #expect(page.text.contains("Record the crime again"))
            let staff = try await Pages.signIn(app, "staff@school.test")
            #expect(!(try await Pages.get(app, "/cases/new", staff)).text.contains("id=\"crimeReference\""), "schools record no crime")
        }
    }

    // MARK: Documents

    @Test func documentsArePrintablePagesForThoseWhoLeadTheResponse() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = (try await createCase(app, token: world.token("policeA.officer"), facts: Pages.knownFacts)["id"] as! String).lowercased()
            // The written record is an export: it needs a code given within 15 minutes (here, at sign-in).
            try await enrolTwoFactor(app, world.user("policeA.officer"))
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            for (path, title) in [("information-sheet", "Information for you and your family"), ("child-contact-form", "Child contact with police"),
                                  ("case-record", "Record of the incident and actions taken")] {
                let page = try await Pages.get(app, "/cases/\(id)/documents/\(path)", officer)
                Self.expectPage(page)
                #expect(page.text.contains(title), "\(path)")
                #expect(page.text.contains("Only the document is printed"))
            }
            #expect(try await Pages.get(app, "/cases/\(id)/documents/nothing", officer).status == .notFound)
            let other = try await Pages.signIn(app, "officer@policeB.test")
            #expect(try await Pages.get(app, "/cases/\(id)/documents/case-record", other).status == .notFound)
            let concern = (try await createCase(app, token: world.token("school.staff"), summary: "A concern", facts: [:])["id"] as! String).lowercased()
            let staff = try await Pages.signIn(app, "staff@school.test")
            #expect(try await Pages.get(app, "/cases/\(concern)/documents/case-record", staff).status == .forbidden, "staff raise concerns")
            let dsl = try await Pages.signIn(app, "dsl@school.test")
            #expect(try await Pages.get(app, "/cases/\(concern)/documents/child-contact-form", dsl).status == .forbidden, "a police form")
            #expect(try await Pages.get(app, "/cases/\(concern)/documents/case-record", dsl).status == .ok)
            let css = try await send(app, .GET, "/assets/safeguard.css")
            #expect(css.text.contains(".no-print"), "the print style hides what is not the document")
        }
    }

    // MARK: Triage and referral

    @Test func theDSLTriagesAndRefersToAForceWhoseOfficerAcceptsIt() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let concern = (try await createCase(app, token: world.token("school.staff"), summary: "A concern", facts: Pages.knownFacts.filter { $0.key != "devices" })["id"] as! String).lowercased()
            let dsl = try await Pages.signIn(app, "dsl@school.test")
            let triage = try await Pages.get(app, "/cases/\(concern)/record/triage", dsl)
            Self.expectPage(triage)
            #expect(triage.text.contains("id=\"adultsInvolved-no\" name=\"adultsInvolved\" type=\"radio\" value=\"no\" checked"), "known ages answer 'adults?'")
            let saved = try await Pages.post(app, "/cases/\(concern)/record/triage", dsl,
                                             [("content", "image"), ("sentBy", "A"), ("featured", "A"), ("adultsInvolved", "no"),
                                              ("device", "personal"), ("sharedElsewhere", "no"), ("triagedOn", CaseController.today.description)])
            #expect(saved.status == .seeOther, "\(saved.text.prefix(300))")
            let after = try await Pages.get(app, "/cases/\(concern)", dsl)
            #expect(after.text.contains("Saved: triage."))
            #expect(after.text.contains("What the guidance says now: "))
            #expect(try await Pages.get(app, "/", dsl).text.contains("No concerns are waiting for triage"), "the same query as the API's inbox")

            let staff = try await Pages.signIn(app, "staff@school.test")
            #expect(try await Pages.get(app, "/cases/\(concern)/referral", staff).status == .forbidden)
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            #expect(try await Pages.get(app, "/cases/\(concern)/referral", officer).status == .notFound)

            let form = try await Pages.get(app, "/cases/\(concern)/referral", dsl)
            Self.expectPage(form)
            #expect(form.text.contains("Test Police A"))
            let noForce = try await Pages.post(app, "/cases/\(concern)/referral", dsl, [("summary", "Shared between pupils")])
            #expect(noForce.text.contains("<a href=\"#toOrganisationID\">Select the police force</a>"))
            let sent = try await Pages.post(app, "/cases/\(concern)/referral", dsl,
                                            [("toOrganisationID", world.policeA.id.uuidString), ("summary", "Image shared between pupils"),
                                             ("share", "people"), ("share", "imagery"), ("share", "circumstances")])
            #expect(sent.status == .seeOther, "\(sent.text.prefix(300))")
            let school = try await Pages.get(app, "/cases/\(concern)", dsl)
            #expect(school.text.contains("Referred to Test Police A"))
            #expect(school.text.contains("Waiting for Test Police A"))

            let home = try await Pages.get(app, "/", officer)
            #expect(home.text.contains("Referrals to answer"))
            let answer = try #require(home.text.range(of: #"/cases/[0-9a-f-]+/referrals/[0-9a-f-]+"#, options: .regularExpression).map { String(home.text[$0]) })
            let answerPage = try await Pages.get(app, answer, officer)
            Self.expectPage(answerPage)
            #expect(answerPage.text.contains("Image shared between pupils"))
            let declinedWithout = try await Pages.post(app, answer, officer, [("status", "declined")])
            #expect(declinedWithout.text.contains("<a href=\"#reason\">Say why the referral is declined"))
            #expect(try await Pages.post(app, answer, officer, [("status", "accepted")]).status == .seeOther)
            #expect(try await Pages.get(app, "/cases/\(concern)", dsl).text.contains("Accepted"))
            let policeCase = String(answer.split(separator: "/")[1])
            #expect(try await Pages.get(app, "/cases/\(policeCase)", dsl).status == .notFound, "the school does not open the force's case")
        }
    }
}

/// Every record kind has its page: each is offered on the case page, saves through the API's rules, and shows a
/// refusal in the error summary linked to its field, with the source cited.
@Suite struct EveryRecordPageTests {
    static var today: String { CaseController.today.description }

    static let police: [(RecordKind, [(String, String)])] = [
        (.welfareCheck, [("person", "A"), ("checkedOn", today), ("result", "Safe at home"), ("concerns", "no")]),
        (.advice, [("to", "parents of A"), ("givenOn", today), ("topics", "notToCopy"), ("topics", "whereToFindSupport")]),
        (.backgroundCheck, [("person", "A"), ("system", "pnc"), ("status", "done"), ("checkedOn", today), ("result", "No trace")]),
        (.meeting, [("meetingKind", "strategyMeeting"), ("on", today), ("with", "MASH, school"), ("proceedBeforeChecksReason", "Risk tonight")]),
        (.childProtectionReferral, [("to", "Children's social care"), ("referredOn", today), ("people", "A")]),
        (.account, [("person", "A"), ("takenOn", today), ("takenBy", "PC 1")]),
        (.suspectDecision, [("person", "A"), ("recordAsSuspect", "no"), ("basis", "willingParticipation"), ("rationale", "Peers"), ("decidedOn", today)]),
        (.interviewDecision, [("person", "A"), ("planned", "no"), ("reason", "Lower risk"), ("decidedOn", today)]),
        (.communication, [("audience", "parentsOrCarers"), ("person", "A"), ("on", today), ("method", "inPerson"), ("topics", "nextSteps"), ("topics", "dbs")]),
        (.contentRemoval, [("service", "reportRemove"), ("imagery", "I1"), ("requestedOn", today), ("status", "requested")]),
        (.caidLiaison, [("unit", "Force HTCU"), ("on", today), ("status", "requested"), ("imagery", "I1")]),
        (.childContactForm, [("raisedOn", today), ("sharedWith", "Children's social care, School")]),
    ]
    static let school: [(RecordKind, [(String, String)])] = [
        (.externalReport, [("to", "ceop"), ("on", today)]),
        (.conversation, [("person", "A"), ("on", today), ("by", "DSL")]),
        (.supportReferral, [("person", "A"), ("service", "counselling"), ("referredOn", today)]),
        (.postIncidentReview, [("reviewedOn", today), ("whatHappened", "Handled in a day"), ("learned", "Staff knew what to do"), ("policyReviewBy", "2099-01-01")]),
    ]

    @Test func everyPoliceRecordKindSavesThroughItsPage() async throws {
        try await walk(Self.police, creator: "policeA.officer", email: "officer@policeA.test",
                       refusal: (.welfareCheck, [("person", "B"), ("checkedOn", Self.today), ("result", "")], "result", "Enter what the check found"))
    }

    @Test func everySchoolRecordKindSavesThroughItsPage() async throws {
        try await walk(Self.school, creator: "school.dsl", email: "dsl@school.test",
                       refusal: (.postIncidentReview, [("reviewedOn", Self.today), ("whatHappened", "w"), ("policyReviewBy", "2099-01-01")],
                                 "learned", "Enter what was learned"))
    }

    func walk(_ kinds: [(RecordKind, [(String, String)])], creator: String, email: String,
              refusal: (kind: RecordKind, fields: [(String, String)], field: String, message: String)) async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = (try await createCase(app, token: world.token(creator), facts: Pages.knownFacts)["id"] as! String).lowercased()
            let browser = try await Pages.signIn(app, email)
            let casePage = try await Pages.get(app, "/cases/\(id)", browser)
            for (kind, fields) in kinds {
                #expect(casePage.text.contains("/cases/\(id)/record/\(kind.rawValue)"), "the case page offers \(kind.rawValue)")
                let form = try await Pages.get(app, "/cases/\(id)/record/\(kind.rawValue)", browser)
                ResponsePageTests.expectPage(form)
                let saved = try await Pages.post(app, "/cases/\(id)/record/\(kind.rawValue)", browser, fields)
                #expect(saved.status == .seeOther, "\(kind.rawValue): \(saved.status) \(saved.text.prefix(600))")
            }
            let records = try await send(app, .GET, "/api/v1/cases/\(id)/records", token: world.token(creator)).array
            #expect(Set(records.map { $0["kind"] as! String }) == Set(kinds.map(\.0.rawValue)))
            // A refusal: the rule's message in the error summary, linked to the field, with its source.
            let refused = try await Pages.post(app, "/cases/\(id)/record/\(refusal.kind.rawValue)", browser, refusal.fields)
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.text.contains("There is a problem"))
            #expect(refused.text.contains("<a href=\"#\(refusal.field)\">"), "\(refused.text.prefix(2000))")
            #expect(refused.text.contains(refusal.message))
            // A rule's refusal cites its source: a suspect is recorded only on evidence of intention (Action 5).
            if refusal.kind == .welfareCheck {
                let rule = try await Pages.post(app, "/cases/\(id)/record/suspectDecision", browser,
                                                [("person", "B"), ("recordAsSuspect", "yes"), ("basis", "accident"), ("rationale", "r"), ("decidedOn", Self.today)])
                #expect(rule.text.contains("<a href=\"#basis\">Recording as a suspect rests on evidence of intention"))
                #expect(rule.text.contains("Action 5)"))
            }
        }
    }
}

/// Actions due and overdue: set on the case page, shown there and on home, overdue first.
@Suite struct ActionDuePageTests {
    @Test func aDueDateSetOnTheCasePageShowsOnHomeAndOverdueComesFirst() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("policeA.officer"), facts: Pages.knownFacts)
            let id = (created["id"] as! String).lowercased()
            let actions = created["actions"] as! [[String: Any]]
            let first = (actions[0]["id"] as! String).lowercased()
            let second = (actions[1]["id"] as! String).lowercased()
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            // Setup: a due date only (no status), then a nonsense date and a past one are refused against the field.
            let set = try await Pages.post(app, "/cases/\(id)/actions/\(first)", officer, [("dueOn", "2099-03-01")])
            #expect(set.status == .seeOther, "\(set.text.prefix(300))")
            let nonsense = try await Pages.post(app, "/cases/\(id)/actions/\(first)", officer, [("dueOn", "next week")])
            #expect(nonsense.status == .unprocessableEntity)
            let past = try await Pages.post(app, "/cases/\(id)/actions/\(second)", officer, [("dueOn", "2001-01-01")])
            #expect(past.text.contains("A due date is today or later"))
            // An action whose day has passed (as if time went by).
            try await (app.db as! any SQLDatabase).raw("UPDATE case_actions SET due_on = '2001-01-01' WHERE id = \(bind: UUID(uuidString: second)!)").run()
            // Validate: the case page and home say so, overdue first; the chronology has it.
            let page = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(page.text.contains("Due by 1 March 2099"))
            #expect(page.text.contains("<strong class=\"overdue\">Overdue: due by 1 January 2001</strong>"))
            let home = try await Pages.get(app, "/", officer)
            let overdueAt = try #require(home.text.range(of: "Overdue: due by 1 January 2001")?.lowerBound)
            let dueAt = try #require(home.text.range(of: "Due by 1 March 2099")?.lowerBound)
            #expect(overdueAt < dueAt)
            let lines = try await send(app, .GET, "/api/v1/cases/\(id)/chronology", token: world.token("policeA.officer")).array
            #expect(lines.contains { ($0["summary"] as? String)?.hasSuffix("due by 1 March 2099") == true })
            // Recording it done through the page is in the chronology too, and it is no longer overdue.
            #expect(try await Pages.post(app, "/cases/\(id)/actions/\(second)", officer, [("status", "done")]).status == .seeOther)
            let after = try await Pages.get(app, "/", officer)
            #expect(!after.text.contains("Overdue"))
            let again = try await send(app, .GET, "/api/v1/cases/\(id)/chronology", token: world.token("policeA.officer")).array
            #expect(again.contains { $0["kind"] as? String == "action.done" })
        }
    }
}
