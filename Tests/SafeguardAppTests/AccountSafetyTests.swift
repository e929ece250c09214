import Foundation
import SafeguardPersistence
import SQLKit
import Testing
import Vapor
@testable import SafeguardApp

/// Issue 13, point 9: account safety found by probing, each refused in the one place every path goes through.
@Suite struct AccountSafetyTests {
    @Test func anAdminCannotDemoteOrDisableThemselvesAndNoChangeLeavesAnOrganisationWithoutAnAdmin() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let admin = world.user("policeA.admin")
            let token = world.token("policeA.admin")
            let demote = try await send(app, .PATCH, "/api/v1/users/\(admin.id)", token: token, json: ["role": "officer"])
            #expect(demote.status == .unprocessableEntity && demote.errorField == "role", "\(demote.text)")
            #expect(demote.text.contains("your own admin role"))
            let disable = try await send(app, .PATCH, "/api/v1/users/\(admin.id)", token: token, json: ["disabled": true])
            #expect(disable.status == .unprocessableEntity && disable.errorField == "disabled")

            // With a second admin, the first may change the second, and the second the first.
            let officer = world.user("policeA.officer")
            #expect(try await send(app, .PATCH, "/api/v1/users/\(officer.id)", token: token, json: ["role": "admin"]).status == .ok)
            #expect(try await send(app, .PATCH, "/api/v1/users/\(admin.id)", token: world.token("policeA.officer"),
                                   json: ["role": "supervisor"]).status == .ok)

            // Every path, the command line included, keeps an organisation's last admin.
            let store = AccountStore(db: app.db)
            let lastAdmin = world.user("policeB.admin")
            await #expect(throws: StoreError.self) {
                _ = try await store.updateUser(id: lastAdmin.id, role: .officer, disabled: nil, displayName: nil, passwordHash: nil)
            }
            await #expect(throws: StoreError.self) {
                _ = try await store.updateUser(id: lastAdmin.id, role: nil, disabled: true, displayName: nil, passwordHash: nil)
            }
            #expect(try await store.user(id: lastAdmin.id)?.role == .admin)
        }
    }

    @Test func disablingAUserRevokesTheirTokens() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let officer = world.user("policeA.officer")
            _ = try await send(app, .PATCH, "/api/v1/users/\(officer.id)", token: world.token("policeA.admin"), json: ["disabled": true])
            let tokens = try await AccountStore(db: app.db).tokens(userID: officer.id)
            #expect(!tokens.isEmpty && tokens.allSatisfy { $0.revokedAt != nil })
            _ = try await send(app, .PATCH, "/api/v1/users/\(officer.id)", token: world.token("policeA.admin"), json: ["disabled": false])
            #expect(try await send(app, .GET, "/api/v1/me", token: world.token("policeA.officer")).status == .unauthorized)
        }
    }

    @Test func anAuditorsVerifyCountsTheirOwnOrganisationsEntries() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            _ = try await createCase(app, token: world.token("policeA.officer"))
            _ = try await createCase(app, token: world.token("policeA.officer"))
            _ = try await createCase(app, token: world.token("school.staff"))
            let own = try await AuditStore(db: app.db).count(organisationID: world.school.id)
            let all = try await count(app, "audit_entries")
            let reply = try await send(app, .GET, "/api/v1/audit/verify", token: world.token("school.auditor"))
            #expect(reply.status == .ok && reply.json["valid"] as? Bool == true)
            #expect(own >= 1 && own <= all - 2, "the police cases are not the school's")
            #expect(reply.json["entriesChecked"] as? Int == own)
        }
    }

    /// A refused form on a page is a page saying what happened and how to go on, whatever the client accepts.
    @Test func aPagesCSRFRefusalIsAPage() async throws {
        try await withApp { app in
            _ = try await seedWorld(app)
            let reply = try await send(app, .POST, "/sign-in", json: "email=dsl%40school.test&password=x",
                                       contentType: "application/x-www-form-urlencoded")
            #expect(reply.status == .forbidden)
            #expect(reply.headers.contentType?.subType == "html")
            #expect(reply.text.contains("The form has expired") && reply.text.contains("reload the page"))
            // The API still answers JSON.
            let api = try await send(app, .POST, "/api/v1/tokens", json: ["email": "dsl@school.test", "password": "x"])
            #expect(api.headers.contentType == .json)
        }
    }
}
