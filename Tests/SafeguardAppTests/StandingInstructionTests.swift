import Foundation
@testable import SafeguardApp
import SafeguardCore
import SafeguardPersistence
import SQLKit
import Testing
import Vapor

/// Issue 11, point 5: a "do not" MUST is a standing instruction, not a to-do that can be ticked "does not apply".
/// NSPCC/UKCIS (2024), "What to do with a sexting image": never view, copy, print or share the imagery; search a
/// device only when a child is at immediate risk.
@Suite struct StandingInstructionTests {
    @Test func theGuidancesStandingInstructionsAreShownAndNeverMadeActions() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("school.dsl"))
            let recommendations = ((created["assessment"] as! [String: Any])["assessment"] as! [String: Any])["recommendations"] as! [[String: Any]]
            let standing = recommendations.filter { $0["standing"] as? Bool == true }.compactMap { $0["id"] as? String }
            // The test school is in Wales: the Welsh Government's guidance marks never viewing the images standing
            // (it says nothing we could confirm on searching devices, which the NSPCC pack also marks).
            let pack = GuidanceLibrary.bundled.edition(for: .education, in: .wales, on: CaseController.today).pack
            #expect(pack.id == "welsh-government-sharing-nudes")
            let expected = Set(pack.recommendations.filter(\.standing).map(\.id))
            #expect(expected.contains("doNotViewImagery"))
            #expect(Set(standing) == expected)
            #expect(recommendations.filter { $0["standing"] == nil }.count == recommendations.count - expected.count, "written only when true")
            let actions = (created["actions"] as! [[String: Any]]).compactMap { $0["recommendationID"] as? String }
            #expect(actions.allSatisfy { !expected.contains($0) })
            #expect(!actions.isEmpty, "the other MUSTs are still actions")

            let dsl = try await Pages.signIn(app, "dsl@school.test")
            let page = try await Pages.get(app, "/cases/\((created["id"] as! String).lowercased())", dsl)
            #expect(page.text.contains("Standing instructions"))
            #expect(page.text.contains("Do not view, copy, print, share or store the images"))
            let checklist = page.text.components(separatedBy: "id=\"actions\"").last ?? ""
            #expect(!checklist.contains("Do not view, copy, print, share or store the images"), "not in the checklist")
        }
    }

    @Test func anOlderCasesStandingActionCannotBeTickedOff() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("school.dsl"))
            let id = created["id"] as! String
            // A case opened before standing instructions: the instruction was stored as an open action.
            let actionID = UUID()
            try await (app.db as! any SQLDatabase).insert(into: "case_actions")
                .columns("id", "case_id", "recommendation_id", "severity", "text", "status", "recommended")
                .values(SQLBind(actionID), SQLBind(UUID(uuidString: id)!), SQLBind("doNotViewImagery"), SQLBind("must"),
                        SQLBind("Do not view, copy, print or share the imagery."), SQLBind("open"), SQLBind(true))
                .run()
            let tick = try await send(app, .POST, "/api/v1/cases/\(id)/actions/\(actionID)", token: world.token("school.dsl"),
                                      json: ["status": "notApplicable", "reason": "not needed"])
            #expect(tick.status == .unprocessableEntity)
            #expect(tick.text.contains("standing instruction"))
            let dsl = try await Pages.signIn(app, "dsl@school.test")
            let page = try await Pages.get(app, "/cases/\(id.lowercased())", dsl)
            #expect(!page.text.contains(CasePage.fieldID(actionID)), "no form to tick it off")
        }
    }
}
