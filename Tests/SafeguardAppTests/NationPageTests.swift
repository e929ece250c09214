import Foundation
@testable import SafeguardApp
import SafeguardCore
import Testing
import Vapor

/// Issue 12 through the API and the pages: a Scottish force's case cites the Scottish guidance and records Scottish
/// outcomes; a Welsh school's lead is the designated safeguarding person (DSP).
@Suite struct NationPageTests {
    static let today = CaseController.today.description

    @Test("A Scottish force's case is assessed under the National Guidance for Child Protection in Scotland, with no Outcome 21")
    func scottishCaseCitesScottishGuidance() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("policeB.officer"))
            let assessment = (created["assessment"] as! [String: Any])["assessment"] as! [String: Any]
            let guidance = (assessment["guidance"] as! [[String: Any]]).compactMap { $0["id"] as? String }
            #expect(guidance.first == "scottish-government-child-protection-police")
            #expect((assessment["decisions"] as! [String: Any])["outcome21"] as? String == "notAvailable")
            let ids = (assessment["recommendations"] as! [[String: Any]]).compactMap { $0["id"] as? String }
            #expect(ids.contains("interAgencyReferralDiscussion"))
            #expect(!ids.contains("seniorReviewOutcome21"))
            // Its page shows only the decisions that are the case's to make: no "Outcome 21" row saying it is not for
            // this nation to decide (found in a hands-on check).
            let page = try await Pages.get(app, "/cases/\((created["id"] as! String).lowercased())", try await Pages.signIn(app, "officer@policeB.test"))
            #expect(page.status == .ok)
            #expect(!page.text.contains("Not for this organisation or nation to decide"))
            #expect(!page.text.contains("<dt>Outcome 21</dt>"))
            // The English force's case is unchanged.
            let english = try await createCase(app, token: world.token("policeA.officer"))
            let englishGuidance = (((english["assessment"] as! [String: Any])["assessment"] as! [String: Any])["guidance"] as! [[String: Any]]).compactMap { $0["id"] as? String }
            #expect(englishGuidance.first == "college-of-policing")
        }
    }

    @Test("Scotland: an outcome from Police Scotland's options is recorded in words; one not open to the children's ages, another nation's or a Home Office code is refused")
    func scottishOutcomes() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeB.officer")
            let id = try #require(try await createCase(app, token: token)["id"] as? String)
            func outcome(_ fields: [String: Any]) async throws -> Reply {
                try await send(app, .POST, "/api/v1/cases/\(id)/records", token: token,
                               json: ["kind": "outcome", "decidedOn": Self.today, "rationale": "Agreed at the IRD"].merging(fields) { $1 })
            }
            // The children are 15: a Recorded Police Warning is for 16 and 17 year-olds (Police Scotland).
            let tooYoung = try await outcome(["code": "local", "nationalOutcome": "recordedPoliceWarning"])
            #expect(tooYoung.status == .unprocessableEntity)
            #expect(tooYoung.errorField == "nationalOutcome")
            #expect(tooYoung.text.contains("16 and 17 year-olds"))
            let other = try await outcome(["code": "local", "nationalOutcome": "youthEngagementClinic"])
            #expect(other.status == .unprocessableEntity)
            #expect(other.text.contains("earlyAndEffectiveIntervention"), "names the outcomes it could be")
            let homeOffice = try await outcome(["code": "22"])
            #expect(homeOffice.status == .unprocessableEntity)
            #expect(homeOffice.text.contains("in Scotland record code \\\"local\\\" with nationalOutcome (one of ") && homeOffice.text.contains("earlyAndEffectiveIntervention"),
                    "points at Scotland's own list: \(homeOffice.text)")
            let neither = try await outcome(["code": "local"])
            #expect(neither.status == .unprocessableEntity)
            #expect(neither.errorField == "localDescription")

            let recorded = try await outcome(["code": "local", "nationalOutcome": "earlyAndEffectiveIntervention"])
            #expect(recorded.status == .created, "\(recorded.text)")
            let chronology = try await send(app, .GET, "/api/v1/cases/\(id)/chronology", token: token).array.compactMap { $0["summary"] as? String }
            #expect(chronology.contains { $0.contains("outcome: Early and Effective Intervention (EEI) referral on ") })
            #expect(!chronology.contains { $0.contains("earlyAndEffectiveIntervention") }, "never the id")
        }
    }

    @Test("England: a national outcome is refused with the Home Office codes")
    func englandHasNoNationalOutcomes() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let id = try #require(try await createCase(app, token: token)["id"] as? String)
            let reply = try await send(app, .POST, "/api/v1/cases/\(id)/records", token: token,
                                       json: ["kind": "outcome", "code": "22", "decidedOn": Self.today, "rationale": "Diverted",
                                              "nationalOutcome": "earlyAndEffectiveIntervention"])
            #expect(reply.status == .unprocessableEntity)
            #expect(reply.errorField == "nationalOutcome")
        }
    }

    @Test("Scotland: the outcome page offers Police Scotland's options with the ages they are for, and saves one")
    func scottishOutcomePage() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = try #require(try await createCase(app, token: world.token("policeB.officer"))["id"] as? String).lowercased()
            let officer = try await Pages.signIn(app, "officer@policeB.test")
            let page = try await Pages.get(app, "/cases/\(id)/record/outcome", officer)
            #expect(page.status == .ok)
            #expect(page.text.contains("There is no Outcome 21 in Scotland"))
            #expect(page.text.contains("Recorded Police Warning"))
            #expect(page.text.contains("For 16 and 17 year-olds."))
            #expect(!page.text.contains("year-olds. 16 and 17 year-olds"), "the ages are said once")
            #expect(!page.text.contains("Home Office"))
            let saved = try await Pages.post(app, "/cases/\(id)/record/outcome", officer,
                                             [("code", "local"), ("nationalOutcome", "earlyAndEffectiveIntervention"),
                                              ("localDescription", ""), ("decidedOn", Self.today), ("rationale", "Agreed at the IRD")])
            #expect(saved.status == .seeOther, "\(saved.text.prefix(400))")
        }
    }

    @Test("Scotland (SCRS Section B): the pages say an incident record for every report and a crime report where a crime is disclosed, not that every report is a crime")
    func scotlandRecordsAnIncidentFirst() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = try #require(try await createCase(app, token: world.token("policeB.officer"))["id"] as? String).lowercased()
            let officer = try await Pages.signIn(app, "officer@policeB.test")
            for path in [PageRoute.newCase.path, "/cases/\(id)/record/crimeRecord"] {
                let page = try await Pages.get(app, path, officer)
                #expect(page.text.contains("Every report has an incident record, and a crime report where the facts disclose a crime (SCRS Section B)."), "\(path)")
                #expect(!page.text.contains("Every report is recorded as a crime"), "\(path)")
            }
            // Who takes a referral, in Scotland's words: social work, not England's children's social care or the MASH.
            let referral = try await Pages.get(app, "/cases/\(id)/record/childProtectionReferral", officer)
            #expect(referral.text.contains("For example: social work") && !referral.text.contains("MASH"))
            // Scotland's names for the records and the decision the College of Policing's model calls otherwise
            // (National Guidance 3.48: the Joint Investigative Interview; Early Intervention 5.3: the concern report).
            let casePage = try await Pages.get(app, "/cases/\(id)", officer)
            for said in ["Decide on a Joint Investigative Interview (JII)", "Record the concern report on the iVPD", "Concern report (iVPD)",
                         "Joint Investigative Interview (JII)"] {
                #expect(casePage.text.contains(said), "\(said)")
            }
            #expect(!casePage.text.contains("isually recorded interview") && !casePage.text.contains("Child contact with police"))
            let interview = try await Pages.get(app, "/cases/\(id)/record/interviewDecision", officer)
            #expect(interview.text.contains("Decide on a Joint Investigative Interview (JII)"))
            let saved = try await Pages.post(app, "/cases/\(id)/record/interviewDecision", officer,
                                             [("person", "A"), ("planned", "no"), ("reason", "Agreed at the IRD"), ("decidedOn", Self.today)])
            #expect(saved.status == .seeOther, "\(saved.text.prefix(400))")
            #expect(try await Pages.get(app, "/cases/\(id)", officer).text.contains("Saved: Joint Investigative Interview decision."))
            let concern = try await send(app, .GET, "/api/v1/cases/\(id)/documents/child-contact-form", token: world.token("policeB.officer"))
            #expect(concern.text.contains("Concern report (iVPD)"))
            // England's force keeps the College of Policing's rule (Action 1).
            let english = try await Pages.signIn(app, "officer@policeA.test")
            #expect(try await Pages.get(app, PageRoute.newCase.path, english).text.contains("Every report is recorded as a crime (Action 1)."))
        }
    }

    @Test("Wales: the school's lead is the designated safeguarding person (DSP) on its pages, as the Welsh Government's guidance names them")
    func welshSchoolSaysDSP() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("school.staff"))
            let id = (created["id"] as! String).lowercased()
            let staff = try await Pages.signIn(app, "staff@school.test")
            let page = try await Pages.get(app, "/cases/\(id)", staff)
            #expect(page.text.contains("Your designated safeguarding person will look at this concern"))
            let dsl = try await Pages.signIn(app, "dsl@school.test")
            let casePage = try await Pages.get(app, "/cases/\(id)", dsl)
            #expect(casePage.text.contains("Designated safeguarding person (DSP)"))
            #expect(!casePage.text.contains("Designated safeguarding lead"))
            let denied = try await send(app, .PUT, "/api/v1/cases/\(id)/facts", token: world.token("school.staff"), json: ["facts": [:]])
            #expect(denied.status == .forbidden)
            #expect(denied.text.contains("the designated safeguarding person records facts and actions"))
        }
    }
}

/// Issue 11, point 9: a cited section opens a page with its summary, its numbered parts, the published document,
/// and, followed from a case, what that case's assessment says under it and the way back.
@Suite struct GuidanceSectionPageTests {
    @Test("From a Welsh school case: the referral criteria listed, what the case says under them, the Welsh document, the way back")
    func sectionFromACase() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            var facts = sampleFacts
            facts["people"] = [["ref": "A", "age": 14, "roles": ["depicted", "sender"], "selfHarmRisk": true],
                               ["ref": "B", "age": 15, "roles": ["recipient"]]]
            let created = try await createCase(app, token: world.token("school.dsl"), facts: facts)
            let id = (created["id"] as! String).lowercased()
            let dsl = try await Pages.signIn(app, "dsl@school.test")
            let casePage = try await Pages.get(app, "/cases/\(id)", dsl)
            let section = "/guidance/welsh-government-sharing-nudes/2021/Risk-assessing%20situations"
            #expect(casePage.text.contains("href=\"\(section)?case=\(id)\""), "citations link to the section from the case")
            let page = try await Pages.get(app, "\(section)?case=\(id)", dsl)
            #expect(page.status == .ok)
            #expect(page.text.contains("<h1 class=\"heading-xl\">Risk-assessing situations</h1>"), "a section named by its heading is not named twice")
            #expect(!page.text.contains("Risk-assessing situations: Risk-assessing situations"))
            #expect(page.text.contains("<ol class=\"list\">"), "the numbered criteria are listed")
            #expect(page.text.components(separatedBy: "<li>").count - 1 >= 5)
            #expect(page.text.contains("href=\"https://hwb.gov.wales/"), "the published document")
            #expect(page.text.contains("What case \(created["reference"] as! String) says under it"))
            #expect(page.text.contains("Is A presenting as suicidal or self-harming? Yes"), "the facts behind it, in the guidance's words")
            #expect(page.text.contains("href=\"/cases/\(id)\""), "the way back")
            #expect(PlainWordsWalkTests.rawIdentifiers(page.text) == [])
            // Another organisation's person sees the section, and nothing of the case.
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let other = try await Pages.get(app, "\(section)?case=\(id)", officer)
            #expect(other.status == .ok)
            #expect(!other.text.contains("says under it") && !other.text.contains(created["reference"] as! String))
        }
    }
}
