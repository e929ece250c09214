import Foundation
@testable import SafeguardApp
import SafeguardCore
import SafeguardPersistence
import SQLKit
import Testing
import Vapor

/// Issue 11, point 1: supervisors see their team's cases. An admin puts people in a team; a supervisor, a
/// superintendent or a DSL sees the open cases of the others in their team first at home, or of the whole
/// organisation when they have no team.
@Suite struct TeamTests {
    @Test func aSupervisorSeesTheirTeamsOpenCasesAndNotAnotherTeams() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let admin = world.token("policeA.admin")
            func team(_ key: String, _ name: String, expect status: HTTPStatus = .ok) async throws -> Reply {
                let reply = try await send(app, .PATCH, "/api/v1/users/\(world.user(key).id.uuidString)", token: admin, json: ["team": name])
                #expect(reply.status == status, "\(key): \(reply.text.prefix(300))")
                return reply
            }
            let north = try await createCase(app, token: world.token("policeA.officer"))
            let south = try await createCase(app, token: world.token("policeA.officer2"))
            let supervisor = try await Pages.signIn(app, "supervisor@policeA.test")

            // No team yet: the whole organisation is their team.
            var home = try await Pages.get(app, "/", supervisor)
            #expect(home.text.contains("Open cases of others in Test Police A"))
            #expect(home.text.contains(north["reference"] as! String) && home.text.contains(south["reference"] as! String))

            #expect(try await team("policeA.supervisor", " North CID ").json["team"] as? String == "North CID")
            // Typed with other capitals and spacing, it is the same team, spelt as it already is (a review found two).
            #expect(try await team("policeA.officer", "north  cid").json["team"] as? String == "North CID")
            _ = try await team("policeA.officer2", "South CID")
            _ = try await team("policeA.officer2", String(repeating: "x", count: 81), expect: .unprocessableEntity)
            home = try await Pages.get(app, "/", supervisor)
            #expect(home.text.contains("Open cases of your team, North CID"))
            let section = String(home.text[home.text.range(of: "Open cases of your team")!.lowerBound...].prefix(2_000))
            #expect(section.contains(north["reference"] as! String), "the team's case")
            #expect(!section.contains(south["reference"] as! String), "not another team's")
            // Taken out of any team, they see the organisation again; the change is audited without the name.
            _ = try await team("policeA.supervisor", "")
            #expect(try await Pages.get(app, "/", supervisor).text.contains("Open cases of others in Test Police A"))
            let audit = try await AuditStore(db: app.db).entries(organisationID: world.policeA.id, limit: 50, actionContains: "user.update")
            #expect(audit.contains { $0.detail.contains("team=set") } && audit.contains { $0.detail.contains("team=none") })
            #expect(!audit.contains { $0.detail.contains("North") })
            // An officer leads their own cases: no team section on their home.
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            #expect(!(try await Pages.get(app, "/", officer).text.contains("Open cases of")))
        }
    }

    @Test func anAdminSetsATeamOnTheUserPage() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let admin = try await Pages.signIn(app, "admin@policeA.test")
            let officer = world.user("policeA.officer")
            let path = "/users/\(officer.id.uuidString.lowercased())"
            #expect(try await Pages.get(app, path, admin).text.contains("id=\"team\""))
            let saved = try await Pages.post(app, path, admin, [("displayName", officer.displayName), ("role", "officer"), ("access", "enabled"), ("team", "Response team 2")])
            #expect(saved.status == .seeOther)
            #expect(try await AccountStore(db: app.db).user(id: officer.id)?.team == "Response team 2")
            let long = try await Pages.post(app, path, admin, [("displayName", officer.displayName), ("role", "officer"), ("access", "enabled"), ("team", String(repeating: "y", count: 81))])
            #expect(long.status == .unprocessableEntity && long.text.contains("<a href=\"#team\">"))
        }
    }
}

/// The supervisor's "Overdue on your team's cases": every member's cases with actions past their day, read for the
/// whole team at once, must-dos first, and none of another team's.
@Suite struct TeamOverdueMembersTests {
    @Test func aSupervisorSeesEachTeamMembersOverdueCasesAndNotAnotherTeams() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let admin = world.token("policeA.admin")
            for (key, team) in [("policeA.supervisor", "North"), ("policeA.officer", "North"), ("policeA.officer2", "North"), ("policeA.superintendent", "South")] {
                _ = try await send(app, .PATCH, "/api/v1/users/\(world.user(key).id.uuidString)", token: admin, json: ["team": team])
            }
            let first = try await createCase(app, token: world.token("policeA.officer"))
            let second = try await createCase(app, token: world.token("policeA.officer2"))
            let elsewhere = try await createCase(app, token: world.token("policeA.superintendent"))
            // Every open action of these cases fell due a week ago.
            let weekAgo = CaseController.today.adding(days: -7)
            try await (app.db as! any SQLDatabase).update("case_actions").set("due_on", to: SQLBind(weekAgo.description)).run()
            let home = try await Pages.get(app, "/", try await Pages.signIn(app, "supervisor@policeA.test")).text
            let start = try #require(home.range(of: "Overdue on your team"))
            let end = try #require(home.range(of: "Open cases of your team"))
            let section = String(home[start.lowerBound..<end.lowerBound])
            #expect(section.contains(first["reference"] as! String) && section.contains(second["reference"] as! String), "both members' cases")
            #expect(!section.contains(elsewhere["reference"] as! String), "not another team's")
            #expect(section.contains("policeA officer</td>") && section.contains("policeA officer2</td>"))
            #expect(section.contains(Words.day(weekAgo)))
        }
    }
}
