import Foundation
@testable import SafeguardApp
import SafeguardCore
@testable import SafeguardPersistence
import Testing
import Vapor

/// Creating and changing a user goes through `AccountService` from the acting admin, with no HTTP request: the API and
/// the admin pages both call it. A change is audited with what changed, never a team's name or the password.
@Suite struct UserAdministrationTests {
    @Test func anAdminCreatesAndChangesAUserAndOnlyWhatChangedIsAudited() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let admin = world.acting("policeA.admin")
            let service = app.accountService
            let user = try await service.createUser(by: admin, email: "new.officer@policeA.test", displayName: "New Officer",
                                                    role: .officer, passwordHash: testPasswordHash, via: " via=test")
            #expect(user.organisationID == world.policeA.id && user.role == .officer && !user.disabled)
            let audit = AuditStore(db: app.db)
            #expect(try await audit.entries(organisationID: world.policeA.id, limit: 1).first?.detail
                    == "user=\(user.id.uuidString.lowercased()) role=officer via=test")

            // The same role and name again, a new team, and a disabled account: only the team and the access are
            // changes.
            let changed = try await service.updateUser(user, by: admin, role: .officer, disabled: true, displayName: "New Officer",
                                                       team: try TeamChange("North CID"))
            #expect(changed.disabled && changed.team == "North CID" && changed.role == .officer)
            let entry = try #require(try await audit.entries(organisationID: world.policeA.id, limit: 1).first)
            #expect(entry.action == "user.update" && entry.actorID == admin.user.id.uuidString.lowercased())
            #expect(entry.detail == "user=\(user.id.uuidString.lowercased()) team=set disabled=true")
            #expect(!entry.detail.contains("North"))

            // A duplicate email is the store's refusal, and nothing is audited for it.
            let entries = try await audit.count()
            await #expect(throws: StoreError.self) {
                _ = try await service.createUser(by: admin, email: "new.officer@policeA.test", displayName: "Again", role: .officer,
                                                 passwordHash: testPasswordHash)
            }
            #expect(try await audit.count() == entries)

            // A blank name (the API took one: it then named nobody on every page) is refused on both paths, with
            // nothing stored or audited; a name is kept trimmed.
            for blank in ["", "   "] {
                await #expect(throws: APIError.self) {
                    _ = try await service.createUser(by: admin, email: "blank@policeA.test", displayName: blank, role: .officer,
                                                     passwordHash: testPasswordHash)
                }
                await #expect(throws: APIError.self) { _ = try await service.updateUser(changed, by: admin, displayName: blank) }
            }
            #expect(try await audit.count() == entries)
            #expect(try await service.updateUser(changed, by: admin, displayName: "  Newer Officer ").displayName == "Newer Officer")
            let reply = try await send(app, .POST, "/api/v1/users", token: world.token("policeA.admin"),
                                       json: ["email": "blank@policeA.test", "displayName": " ", "role": "officer", "password": "a long enough password 7"])
            #expect(reply.status == .unprocessableEntity && reply.errorField == "displayName", "\(reply.text)")
            // A role outside the list is named with the list, never "Cannot initialize Role from invalid String value".
            let role = try await send(app, .POST, "/api/v1/users", token: world.token("policeA.admin"),
                                      json: ["email": "teacher@policeA.test", "displayName": "T", "role": "teacher", "password": "a long enough password 7"])
            let message = (role.json["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(role.status == .badRequest && role.errorField == "role")
            #expect(message == "role: \"teacher\" is not allowed here: one of officer, supervisor, superintendent, staff, dsl, admin, auditor", "\(message)")
            // A role the organisation cannot have is named with the roles it can; a non-admin is told what only an admin does.
            let schoolRole = try await send(app, .POST, "/api/v1/users", token: world.token("school.admin"),
                                            json: ["email": "pc@school.test", "displayName": "PC", "role": "officer", "password": "a long enough password 7"])
            #expect((schoolRole.json["error"] as? [String: Any])?["message"] as? String
                    == "a school or college cannot have the role \"officer\"; its roles are staff, dsl, admin, auditor", "\(schoolRole.text)")
            let settings = try await send(app, .GET, "/api/v1/organisation/settings", token: world.token("policeA.officer"))
            #expect(settings.status == .forbidden && settings.text.contains("only an admin sees and changes the organisation's settings"))

            // A key the body does not take is refused, naming it and the keys it does, where it was ignored with a
            // success answer: a misspelt setting changed nothing and said 200.
            let misspelt = try await send(app, .PATCH, "/api/v1/organisation/settings", token: world.token("policeA.admin"), json: ["idleMinutes": 2])
            #expect(misspelt.status == .unprocessableEntity && misspelt.errorField == "idleMinutes", "\(misspelt.text)")
            #expect(misspelt.text.contains("allowed here: sessionIdleMinutes"))
            let kept = try await send(app, .GET, "/api/v1/organisation/settings", token: world.token("policeA.admin"))
            #expect(kept.json["sessionIdleMinutes"] as? Int == 30, "nothing changed")
            let days = try await send(app, .POST, "/api/v1/tokens", json: ["email": "officer@policeA.test", "password": testPassword, "days": 9999])
            #expect(days.status == .unprocessableEntity && days.errorField == "days", "\(days.text)")
            let extra = try await send(app, .POST, "/api/v1/users", token: world.token("policeA.admin"),
                                       json: ["email": "extra@policeA.test", "displayName": "E", "role": "officer", "password": "a long enough password 7", "collarNumber": "1234"])
            #expect(extra.status == .unprocessableEntity && extra.errorField == "collarNumber", "\(extra.text)")
        }
    }
}
