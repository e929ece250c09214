import Foundation
@testable import SafeguardApp
import SafeguardPersistence
import SQLKit
import Testing
import Vapor

/// The administration pages: users of my organisation (admin) and the audit trail (auditor).
@Suite struct AdminPageTests {
    @Test func anAdminAddsAUserWhoCanThenSignIn() async throws {
        try await withApp { app in
            // Setup
            let world = try await seedWorld(app)
            let admin = try await Pages.signIn(app, world.user("policeA.admin").email)
            // Code under test: the list, then the form with mistakes, then a good one.
            let list = try await Pages.get(app, "/users", admin)
            #expect(list.status == .ok)
            Pages.expectSecurityHeaders(list)
            Pages.expectNoInlineScriptOrStyle(list.text)
            #expect(list.text.contains("policeA officer2"))
            #expect(!list.text.contains("school staff"), "only the admin's own organisation")
            let form = try await Pages.get(app, "/users/new", admin)
            #expect(form.text.contains("value=\"superintendent\""))
            #expect(!form.text.contains("value=\"dsl\""), "a police force has no DSL role")
            let bad = try await Pages.post(app, "/users/new", admin, [("email", "not-an-email"), ("displayName", ""), ("password", "short")])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("There is a problem"))
            #expect(bad.text.contains("href=\"#email\""))
            #expect(bad.text.contains("href=\"#role-officer\""))
            #expect(bad.text.contains("href=\"#password\""))
            let taken = try await Pages.post(app, "/users/new", admin, [("email", world.user("policeA.officer").email), ("displayName", "Dup"),
                                                                        ("role", "officer"), ("password", "a long enough password")])
            #expect(taken.text.contains("Someone already has an account with this email address"))
            let added = try await Pages.post(app, "/users/new", admin, [("email", "pc.new@policea.test"), ("displayName", "PC New"),
                                                                        ("role", "officer"), ("password", "a long enough password")])
            #expect(added.status == .seeOther)
            let after = try await Pages.get(app, "/users", admin)
            #expect(after.text.contains("PC New can now sign in as officer"))
            // Validate: the new account works, and the change is audited without the password.
            let token = try await send(app, .POST, "/api/v1/tokens", json: ["email": "pc.new@policea.test", "password": "a long enough password"])
            #expect(token.status == .created)
            let audit = try await AuditStore(db: app.db).entries(organisationID: world.policeA.id, limit: 1000)
            #expect(audit.contains { $0.action == "user.create" && $0.detail.contains("role=officer") && !$0.detail.contains("long enough") })
        }
    }

    @Test func anAdminChangesARoleAndDisablesAnAccountButNotTheirOwn() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let admin = try await Pages.signIn(app, world.user("policeA.admin").email)
            let officer2 = world.user("policeA.officer2")
            // They own two open cases: disabling them says so, and where to give them on.
            for _ in 0..<2 { _ = try await createCase(app, token: world.token("policeA.officer2")) }
            let edit = try await Pages.get(app, "/users/\(officer2.id.uuidString.lowercased())", admin)
            #expect(edit.text.contains("Change policeA officer2"))
            let saved = try await Pages.post(app, "/users/\(officer2.id.uuidString.lowercased())", admin,
                                             [("displayName", "PC Two"), ("role", "supervisor"), ("access", "disabled")])
            #expect(saved.status == .seeOther)
            let user = try #require(try await AccountStore(db: app.db).user(id: officer2.id))
            #expect(user.role == .supervisor)
            #expect(user.disabled)
            #expect(user.displayName == "PC Two")
            let users = try await Pages.get(app, "/users", admin)
            #expect(users.text.contains("They own 2 open cases: a supervisor or the case&#39;s lead should give each to someone else")
                    || users.text.contains("They own 2 open cases: a supervisor or the case's lead should give each to someone else"), "\(users.text)")
            let own = world.user("policeA.admin")
            let refused = try await Pages.post(app, "/users/\(own.id.uuidString.lowercased())", admin,
                                               [("displayName", "Admin"), ("role", "officer"), ("access", "disabled")])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.text.contains("You cannot disable your own account"))
            #expect(refused.text.contains("You cannot remove your own admin role"))
            #expect(try await AccountStore(db: app.db).user(id: own.id)?.disabled == false)
            // Another organisation's user is not found; a form without the session's token is refused.
            let other = world.user("policeB.officer")
            #expect(try await Pages.get(app, "/users/\(other.id.uuidString.lowercased())", admin).status == .notFound)
            let forged = try await Pages.post(app, "/users/\(officer2.id.uuidString.lowercased())", admin,
                                              [("displayName", "X"), ("role", "officer"), ("access", "enabled")], csrf: false)
            #expect(forged.status == .forbidden)
        }
    }

    @Test func onlyAdminsReachTheUsersPagesAndOnlyAuditorsTheAuditTrail() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            #expect(try await Pages.get(app, "/users").status == .seeOther, "anonymous people are sent to sign in")
            #expect(try await Pages.get(app, "/audit").status == .seeOther)
            for key in ["policeA.officer", "policeA.supervisor", "policeA.auditor", "school.dsl"] {
                let browser = try await Pages.signIn(app, world.user(key).email)
                #expect(try await Pages.get(app, "/users", browser).status == .forbidden, "\(key) /users")
                #expect(try await Pages.get(app, "/users/new", browser).status == .forbidden, "\(key) /users/new")
            }
            for key in ["policeA.officer", "policeA.admin", "school.dsl"] {
                let browser = try await Pages.signIn(app, world.user(key).email)
                #expect(try await Pages.get(app, "/audit", browser).status == .forbidden, "\(key) /audit")
            }
            let admin = try await Pages.signIn(app, world.user("school.admin").email)
            let home = try await Pages.get(app, "/", admin)
            #expect(home.text.contains("href=\"/users\""), "an admin's navigation links to Users")
        }
    }

    @Test func anAuditorFiltersTheTrailAndSeesTheChainVerified() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("policeA.officer"))
            let caseID = created["id"] as! String
            try await send(app, .GET, "/api/v1/cases/\(caseID)", token: world.token("policeB.officer"))   // refused: another force
            let auditor = try await Pages.signIn(app, world.user("policeA.auditor").email)
            let page = try await Pages.get(app, "/audit", auditor)
            #expect(page.status == .ok)
            Pages.expectSecurityHeaders(page)
            #expect(page.text.contains("The audit chain verifies"))
            // In words (issue 11, point 4): what was done, by whom, on which case by reference, when as people write it.
            let reference = created["reference"] as! String
            #expect(page.text.contains("<td>Opened the case</td>"))
            #expect(page.text.contains("<td>\(reference)</td>"))
            #expect(page.text.contains("(officer)</td>"))
            #expect(!page.text.contains(">case.create<") && !page.text.contains("case.create "), "no action code shown")
            #expect(page.text.range(of: #"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"#, options: [.regularExpression, .caseInsensitive]) == nil, "no id")
            #expect(page.text.range(of: #"\d{4}-\d{2}-\d{2}T"#, options: .regularExpression) == nil, "no ISO time")
            #expect(page.text.contains("<option value=\"case.create\">Opening and changing cases</option>"))
            let filtered = try await Pages.get(app, "/audit?action=case.create&case=\(reference.lowercased())", auditor)
            #expect(filtered.text.contains("Opened the case"))
            #expect(filtered.text.contains("<option value=\"case.create\" selected>"))
            #expect(filtered.text.components(separatedBy: "<tr><td class=\"numeric\">").count - 1 == 1, "the filter keeps only the matching entry")
            #expect(!filtered.text.contains(world.policeB.id.uuidString.lowercased()), "only this organisation's entries")
            let byID = try await Pages.get(app, "/audit?action=case.create&caseID=\(caseID)", auditor)
            #expect(byID.text.components(separatedBy: "<tr><td class=\"numeric\">").count - 1 == 1, "a link by case id still filters")
            let unknown = try await Pages.get(app, "/audit?case=SG-1999-000009", auditor)
            #expect(unknown.status == .badRequest && unknown.text.contains("href=\"#case\""))
            let bad = try await Pages.get(app, "/audit?action=%3Cscript%3E", auditor)
            #expect(bad.status == .badRequest)
            #expect(bad.text.contains("href=\"#action\""))
            // Tampering shows at once.
            try await (app.db as! any SQLDatabase).raw("UPDATE audit_entries SET detail = 'edited' WHERE sequence = 2").run()
            let broken = try await Pages.get(app, "/audit", auditor)
            #expect(broken.text.contains("The audit chain does not verify"))
            #expect(broken.text.contains("Entry 2: its content does not match its hash"))
            #expect(!broken.text.contains("Entry 2: entry 2:"), "the entry named once")
            // Whose entry it is: the trail is shared by every organisation on the server.
            let entry2 = try await AuditStore(db: app.db).organisationID(ofEntry: 2)
            let ours = entry2 == world.policeA.id.uuidString.lowercased()
            #expect(broken.text.contains(ours ? "It is in your organisation&#39;s entries." : "It is in another organisation&#39;s entries"))
            let otherAuditor = try await Pages.signIn(app, "auditor@\(ours ? "school" : "policeA").test")
            let seenElsewhere = try await Pages.get(app, "/audit", otherAuditor)
            #expect(seenElsewhere.text.contains("It is in another organisation&#39;s entries on this server&#39;s shared trail"))
        }
    }
}
