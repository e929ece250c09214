import Foundation
@testable import SafeguardApp
import SafeguardCore
import SafeguardPersistence
import Testing
import Vapor

/// Issue 11, point 7: the case page puts the next step and the documents that can be produced first; the actions
/// done, the records and the chronology fold below, each saying how much is in it, and still print in full.
@Suite struct CaseLayoutTests {
    @Test func documentsNearTheTopAndTheFullHistoryFolded() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let j = ResponseJourneyTests.Journey(app: app, world: world)
            let created = try await createCase(app, token: world.token("policeA.officer"), facts: Pages.knownFacts)
            let id = (created["id"] as! String).lowercased()
            try await j.record("policeA.officer", id, ["kind": "crimeRecord", "crimeReference": "CL/1", "reportedOn": ResponseJourneyTests.today,
                                                       "offences": ["poca1978s1", "cja1988part11"]])
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let page = try await Pages.get(app, "/cases/\(id)", officer).text
            func at(_ text: String) -> String.Index? { page.range(of: text)?.lowerBound }
            let next = try #require(at("aria-label=\"Next step\""))
            let documents = try #require(at("id=\"documents\""))
            let contents = try #require(at("aria-label=\"On this page\""))
            let actions = try #require(at("id=\"actions\""))
            #expect(next < documents && documents < contents && contents < actions, "the next step, then the documents, then the rest")
            // The done action folds below the open ones.
            let done = try #require(at("Show the 1 done or not applicable"))
            let recordCrime = try #require(page.range(of: "Record the report as a crime", range: actions..<page.endIndex)?.lowerBound)
            #expect(done < recordCrime, "the done action is inside the folded list")
            #expect(page.contains("<summary class=\"details-summary\">Show the record</summary>"), "one record, not \"the 1 records\"")
            #expect(page.range(of: #"Show the \d+ entries, oldest first"#, options: .regularExpression) != nil, "the chronology is folded")
        }
    }

    /// Issue 11, point 1: the guidance's own timescale gives the due date where it states one (Action 7: an
    /// immediate child protection referral), the organisation's setting otherwise.
    @Test func actionsAreDueByTheGuidancesTimescaleOrTheOrganisationsSetting() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            var facts = Pages.knownFacts
            var people = facts["people"] as! [[String: Any]]
            people[0]["selfHarmRisk"] = true
            facts["people"] = people
            let created = try await createCase(app, token: world.token("policeA.officer"), facts: facts)
            let actions = created["actions"] as! [[String: Any]]
            func due(_ id: String) -> String? { actions.first { $0["recommendationID"] as? String == id }?["dueOn"] as? String }
            let today = CaseController.today
            #expect(due("childProtectionReferral") == today.description, "the same day")
            #expect(due("recordCrime") == today.adding(days: 1).description, "the organisation's one day for a MUST without a timescale")
        }
    }
}
