import Foundation
@testable import SafeguardApp
import SafeguardCore
import SafeguardPersistence
import SQLKit
import Testing
import Vapor

/// Issue 13, points 1 and 2: two-factor sign-in (TOTP, RFC 6238) set up from the pages, asked after the password and
/// for API tokens, recovery codes, an admin's reset, the organisation's choice of roles, and step-up before what
/// needs a fresh code. Codes are real: computed from the key the page shows or the test key.
@Suite struct TwoFactorTests {
    /// Signs in with the password only, and returns the session and where it was sent.
    static func password(_ app: Application, _ email: String) async throws -> (Browser, String?) {
        let page = try await Pages.get(app, "/sign-in")
        let anonymous = Browser(cookie: try #require(Pages.formCookie(page)), csrf: try #require(Pages.csrf(in: page.text)))
        let reply = try await Pages.post(app, "/sign-in", anonymous, [("email", email), ("password", testPassword)])
        #expect(reply.status == .seeOther)
        return (Browser(cookie: try #require(Pages.cookie(reply)), csrf: ""), reply.headers.first(name: .location))
    }

    /// The session's form token, read from a page of it.
    static func withCSRF(_ app: Application, _ browser: Browser, from path: String) async throws -> Browser {
        let page = try await Pages.get(app, path, browser)
        return Browser(cookie: browser.cookie, csrf: try #require(Pages.csrf(in: page.text)))
    }

    @Test func aRequiredRoleSetsItUpFromTheQRCodePageBeforeAnythingElse() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            _ = try await send(app, .POST, "/api/v1/users/\(world.user("school.dsl").id)/two-factor/reset", token: world.token("school.admin"))
            let (signedIn, next) = try await Self.password(app, "dsl@school.test")
            #expect(next == "/", "no code yet: the password alone starts a session that can only set it up")
            let dsl = try await Self.withCSRF(app, signedIn, from: "/account/two-factor")
            // Everything else leads to the set-up page; the API says what to do.
            let home = try await Pages.get(app, "/", dsl)
            #expect(home.headers.first(name: .location) == "/account/two-factor")
            #expect(try await Pages.get(app, "/cases", dsl).headers.first(name: .location) == "/account/two-factor?to=/cases")
            let api = try await send(app, .GET, "/api/v1/cases", headers: [("Cookie", dsl.cookie)])
            #expect(api.status == .forbidden)
            #expect(api.errorCode == "two_factor_required")

            let setUp = try await Pages.get(app, "/account/two-factor", dsl)
            #expect(setUp.status == .ok)
            #expect(setUp.text.contains("Your organisation asks everyone in your role"))
            #expect(setUp.text.contains("<svg") && setUp.text.contains("<path fill=\"#000\" d=\"M"), "the QR code is drawn on the server")
            Pages.expectNoInlineScriptOrStyle(setUp.text)
            // The key the page shows is the one the QR code carries; the app's code from it turns it on.
            let shown = try #require(setUp.text.range(of: "<code class=\"secret\" data-verbatim>").map { setUp.text[$0.upperBound...].prefix { $0 != "<" } })
            let key = try #require(Base32.decode(String(shown)))
            #expect(key.count == 20)
            let wrong = try await Pages.post(app, "/account/two-factor", dsl, [("code", "000000")])
            #expect(wrong.status == .unprocessableEntity)
            #expect(wrong.text.contains("That code does not match"))
            #expect(wrong.text.contains(String(shown)), "the same key is offered again")
            let done = try await Pages.post(app, "/account/two-factor", dsl, [("code", TOTP(secret: key).code(at: Date()))])
            #expect(done.status == .ok)
            #expect(done.text.contains("Your recovery codes"))
            let codes = done.text.components(separatedBy: "<li><code data-verbatim>").dropFirst().map { String($0.prefix { $0 != "<" }) }
            #expect(codes.count == 10)
            #expect(Set(codes).count == 10)
            #expect(codes.allSatisfy { $0.range(of: #"^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$"#, options: .regularExpression) != nil })
            // Stored only as hashes.
            let stored = try await (app.db as! any SQLDatabase).select().column("code_hash").from("recovery_codes").all()
                .map { try $0.decode(column: "code_hash", as: String.self) }
            #expect(stored.count == 10)
            #expect(Set(stored).isDisjoint(with: codes))
            #expect(try await Pages.get(app, "/", dsl).status == .ok, "now the session reaches everything")
            let audited = try await AuditStore(db: app.db).entries(organisationID: world.school.id, limit: 50).map(\.action)
            #expect(audited.contains("twoFactor.enable") && audited.contains("twoFactor.reset"))

            // The next sign-in asks for a code; a recovery code works once instead.
            let (pending, afterPassword) = try await Self.password(app, "dsl@school.test")
            #expect(afterPassword == "/sign-in/code")
            #expect(try await Pages.get(app, "/", pending).status == .seeOther, "a password alone is not signed in")
            let codePage = try await Self.withCSRF(app, pending, from: "/sign-in/code")
            let recovered = try await Pages.post(app, "/sign-in/code", codePage, [("code", codes[3].uppercased())])
            #expect(recovered.status == .seeOther && recovered.headers.first(name: .location) == "/")
            let (again, _) = try await Self.password(app, "dsl@school.test")
            let againPage = try await Self.withCSRF(app, again, from: "/sign-in/code")
            let reused = try await Pages.post(app, "/sign-in/code", againPage, [("code", codes[3])])
            #expect(reused.status == .unauthorized, "a recovery code works once")
            #expect(try await AccountStore(db: app.db).recoveryCodesLeft(userID: world.user("school.dsl").id) == 9)
        }
    }

    @Test func aCodeIsAskedAfterThePasswordAndNeverAcceptedTwice() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let (pending, next) = try await Self.password(app, "supervisor@policeA.test")
            #expect(next == "/sign-in/code")
            let page = try await Self.withCSRF(app, pending, from: "/sign-in/code")
            let wrong = try await Pages.post(app, "/sign-in/code", page, [("code", "123456")])
            #expect(wrong.status == .unauthorized)
            #expect(wrong.text.contains("That code is not right, or was used already"))
            let code = try await currentCode(app, email: "supervisor@policeA.test")
            let right = try await Pages.post(app, "/sign-in/code", page, [("code", code)])
            #expect(right.status == .seeOther && right.headers.first(name: .location) == "/")
            // The same code, straight away, in another sign-in: refused.
            let (other, _) = try await Self.password(app, "supervisor@policeA.test")
            let otherPage = try await Self.withCSRF(app, other, from: "/sign-in/code")
            #expect(try await Pages.post(app, "/sign-in/code", otherPage, [("code", code)]).status == .unauthorized)
            let failures = try await AuditStore(db: app.db).entries(organisationID: world.policeA.id, limit: 50)
                .filter { $0.action == "signIn" && $0.outcome == "failure" && $0.detail.contains("reason=wrong_code") }
            #expect(failures.count == 2)
            // Wrong codes count toward the same back-off as wrong passwords.
            for _ in 0..<4 { _ = try await Pages.post(app, "/sign-in/code", otherPage, [("code", "000000")]) }
            let waiting = try await Pages.post(app, "/sign-in/code", otherPage, [("code", try await currentCode(app, email: "supervisor@policeA.test"))])
            #expect(waiting.status == .tooManyRequests)
        }
    }

    @Test func tokensForRolesThatNeedItNeedACode() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let noCode = try await send(app, .POST, "/api/v1/tokens", json: ["email": "supervisor@policeA.test", "password": testPassword])
            #expect(noCode.status == .unauthorized)
            #expect(noCode.errorCode == "invalid_code")
            #expect(noCode.errorField == "code")
            let wrong = try await send(app, .POST, "/api/v1/tokens", json: ["email": "supervisor@policeA.test", "password": testPassword, "code": "000000"])
            #expect(wrong.status == .unauthorized)
            let right = try await send(app, .POST, "/api/v1/tokens", json: ["email": "supervisor@policeA.test", "password": testPassword,
                                                                          "code": try await currentCode(app, email: "supervisor@policeA.test")])
            #expect(right.status == .created)
            // An officer's role does not need it, and they have not set it up: no code.
            #expect(try await send(app, .POST, "/api/v1/tokens", json: ["email": "officer@policeA.test", "password": testPassword]).status == .created)
            // A role that needs it, not yet set up: told to set it up on the pages.
            _ = try await send(app, .POST, "/api/v1/users/\(world.user("policeA.auditor").id)/two-factor/reset", token: world.token("policeA.admin"))
            let notSetUp = try await send(app, .POST, "/api/v1/tokens", json: ["email": "auditor@policeA.test", "password": testPassword])
            #expect(notSetUp.status == .forbidden)
            #expect(notSetUp.errorCode == "two_factor_required")
        }
    }

    @Test func anAdminResetsALostPhoneAndTheSessionsEnd() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let supervisor = try await Pages.signIn(app, "supervisor@policeA.test")
            let admin = try await Pages.signIn(app, "admin@policeA.test")
            let userPage = try await Pages.get(app, "/users/\(world.user("policeA.supervisor").id.uuidString.lowercased())", admin)
            #expect(userPage.text.contains("Reset two-factor sign-in"))
            let reset = try await Pages.post(app, "/users/\(world.user("policeA.supervisor").id.uuidString.lowercased())/reset-two-factor", admin, [])
            #expect(reset.status == .seeOther)
            #expect(try await AccountStore(db: app.db).user(id: world.user("policeA.supervisor").id)?.hasTwoFactor == false)
            #expect(try await Pages.get(app, "/", supervisor).headers.first(name: .location) == "/sign-in?ended=twoFactorReset")
            // Once reset there is nothing to reset: the API says so, rather than a success that ends their sessions
            // again; a page opened before the reset says so too, instead of an error page.
            let again = try await send(app, .POST, "/api/v1/users/\(world.user("policeA.supervisor").id)/two-factor/reset", token: world.token("policeA.admin"))
            #expect(again.status == .conflict)
            #expect(again.errorCode == "nothing_to_reset")
            #expect(again.text.contains("has not set up two-factor sign-in: there is nothing to reset"))
            let stale = try await Pages.post(app, "/users/\(world.user("policeA.supervisor").id.uuidString.lowercased())/reset-two-factor", admin, [])
            #expect(stale.status == .seeOther)
            #expect(try await Pages.get(app, "/users", admin).text.contains("has not set up two-factor sign-in: there is nothing to reset"))
            // Another force's admin cannot; nor can anyone but an admin.
            #expect(try await send(app, .POST, "/api/v1/users/\(world.user("policeA.officer").id)/two-factor/reset",
                                   token: world.token("policeB.admin")).status == .notFound)
            #expect(try await send(app, .POST, "/api/v1/users/\(world.user("policeA.officer").id)/two-factor/reset",
                                   token: world.token("policeA.supervisor")).status == .forbidden)
            let entry = try await AuditStore(db: app.db).entries(organisationID: world.policeA.id, limit: 50).first { $0.action == "twoFactor.reset" }
            #expect(entry?.detail == "user=\(world.user("policeA.supervisor").id.uuidString.lowercased())")
        }
    }

    @Test func theOrganisationChoosesWhoNeedsIt() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let settings = try await send(app, .GET, "/api/v1/organisation/settings", token: world.token("school.admin"))
            #expect(settings.json["twoFactorRoles"] as? [String] == ["dsl", "admin", "auditor"])
            let wrongKind = try await send(app, .PATCH, "/api/v1/organisation/settings", token: world.token("school.admin"),
                                           json: ["twoFactorRoles": ["officer"]])
            #expect(wrongKind.status == .unprocessableEntity)
            #expect(wrongKind.errorField == "twoFactorRoles")
            // One change: a refused part leaves the other part unsaved too.
            let half = try await send(app, .PATCH, "/api/v1/organisation/settings", token: world.token("school.admin"),
                                      json: ["sessionIdleMinutes": 10, "twoFactorRoles": ["officer"]])
            #expect(half.status == .unprocessableEntity)
            #expect(try await send(app, .GET, "/api/v1/organisation/settings", token: world.token("school.admin")).json["sessionIdleMinutes"] as? Int == 30)
            let staffToo = try await send(app, .PATCH, "/api/v1/organisation/settings", token: world.token("school.admin"),
                                          json: ["twoFactorRoles": ["staff", "dsl", "admin", "auditor"]])
            #expect(staffToo.status == .ok)
            #expect(staffToo.json["sessionIdleMinutes"] as? Int == 30, "what was left out stays")
            // Staff now have to set it up before anything else.
            let (staff, _) = try await Self.password(app, "staff@school.test")
            #expect(try await Pages.get(app, "/", staff).headers.first(name: .location) == "/account/two-factor")
        }
    }

    // MARK: Step-up

    static func staleCode(_ app: Application, _ user: User) async throws {
        try await (app.db as! any SQLDatabase).update("web_sessions").set("second_factor_at", to: Date().addingTimeInterval(-16 * 60))
            .where("user_id", .equal, user.id).run()
        app.identityCache.removeAll()
    }

    @Test func aClosedCaseNeedsACodeFromTheLast15MinutesAndThePageComesBack() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("policeA.officer"))
            let id = (created["id"] as! String).lowercased()
            let closed = try await send(app, .PATCH, "/api/v1/cases/\(id)", token: world.token("policeA.officer"),
                                        json: ["version": created["version"] as! Int, "status": "closed", "reason": "No further action: advice given"])
            #expect(closed.status == .ok)
            let supervisor = try await Self.withCSRF(app, try await Pages.signIn(app, "supervisor@policeA.test"), from: "/")
            #expect(try await Pages.get(app, "/cases/\(id)", supervisor).status == .ok, "the code at sign-in is fresh")
            try await Self.staleCode(app, world.user("policeA.supervisor"))
            let asked = try await Pages.get(app, "/cases/\(id)", supervisor)
            #expect(asked.status == .seeOther)
            #expect(asked.headers.first(name: .location) == "/step-up?to=/cases/\(id)")
            let page = try await Pages.get(app, "/step-up?to=/cases/\(id)", supervisor)
            #expect(page.text.contains("Confirm it is you"))
            #expect(page.text.contains("Opening a closed case needs a fresh two-factor code."), "it says why")
            #expect(page.text.contains("value=\"/cases/\(id)\""))
            let wrong = try await Pages.post(app, "/step-up", supervisor, [("code", "000000"), ("to", "/cases/\(id)")])
            #expect(wrong.status == .unauthorized)
            // The API, with the same cookie, says what is needed; a bearer token is not asked.
            let api = try await send(app, .GET, "/api/v1/cases/\(id)", headers: [("Cookie", supervisor.cookie)])
            #expect(api.status == .forbidden && api.errorCode == "step_up_required")
            #expect(try await send(app, .GET, "/api/v1/cases/\(id)", token: world.token("policeA.supervisor")).status == .ok)
            let right = try await Pages.post(app, "/step-up", supervisor, [("code", try await currentCode(app, email: "supervisor@policeA.test")),
                                                                         ("to", "/cases/\(id)")])
            #expect(right.status == .seeOther)
            #expect(right.headers.first(name: .location) == "/cases/\(id)")
            #expect(try await Pages.get(app, "/cases/\(id)", supervisor).status == .ok)
            // An open, recent case never asks.
            let open = (try await createCase(app, token: world.token("policeA.officer"))["id"] as! String).lowercased()
            try await Self.staleCode(app, world.user("policeA.supervisor"))
            #expect(try await Pages.get(app, "/cases/\(open)", supervisor).status == .ok)
            // Only a path on this site is returned to.
            let away = try await Pages.post(app, "/step-up", supervisor, [("code", try await currentCode(app, email: "supervisor@policeA.test")),
                                                                        ("to", "//evil.example/steal")])
            #expect(away.headers.first(name: .location) == "/")
        }
    }

    @Test func oldCasesTheAuditTrailAndTheWrittenRecordNeedAFreshCodeToo() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = (try await createCase(app, token: world.token("policeA.officer"))["id"] as! String).lowercased()
            _ = try await send(app, .PATCH, "/api/v1/organisation/settings", token: world.token("policeA.admin"), json: ["stepUpCaseAgeDays": 30])
            try await (app.db as! any SQLDatabase).update("cases").set("created_at", to: Date().addingTimeInterval(-31 * 86_400))
                .where("id", .equal, UUID(uuidString: id)!).run()
            let supervisor = try await Pages.signIn(app, "supervisor@policeA.test")
            try await Self.staleCode(app, world.user("policeA.supervisor"))
            #expect(try await Pages.get(app, "/cases/\(id)", supervisor).headers.first(name: .location) == "/step-up?to=/cases/\(id)")
            #expect(try await Pages.get(app, "/cases/\(id)/documents/case-record", supervisor).headers.first(name: .location)?
                .hasPrefix("/step-up?to=/cases/\(id)/documents/case-record") == true)

            let auditor = try await Pages.signIn(app, "auditor@policeA.test")
            #expect(try await Pages.get(app, "/audit", auditor).status == .ok)
            try await Self.staleCode(app, world.user("policeA.auditor"))
            #expect(try await Pages.get(app, "/audit", auditor).headers.first(name: .location) == "/step-up?to=/audit")

            // Someone without two-factor sign-in is sent to set it up first, and comes back after.
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            #expect(try await Pages.get(app, "/cases/\(id)", officer).headers.first(name: .location) == "/step-up?to=/cases/\(id)")
            let setUp = try await Pages.get(app, "/step-up?to=/cases/\(id)", officer)
            #expect(setUp.headers.first(name: .location) == "/account/two-factor?to=/cases/\(id)")
            // And is told why, where it was a set-up page with no word of what it was for.
            let told = try await Pages.get(app, "/account/two-factor?to=/cases/\(id)", officer)
            #expect(told.text.contains("Opening a case opened more than 30 days ago needs a fresh two-factor code: set up two-factor sign-in here first, and you will be taken back."),
                    "\(told.text)")
        }
    }

    @Test func demoAccountsThatNeedItComeSetUpWithThePrintedKey() async throws {
        try await withApp { app in
            let accounts = try await SafeguardServer.seedDemo(app)
            let supervisor = try #require(accounts.first { $0.role == .supervisor })
            let officer = try #require(accounts.first { $0.role == .officer })
            #expect(officer.twoFactorSecret == nil)
            let key = try #require(supervisor.twoFactorSecret.flatMap(Base32.decode))
            let code = TOTP(secret: key).code(at: Date())
            let token = try await send(app, .POST, "/api/v1/tokens",
                                       json: ["email": supervisor.email, "password": SafeguardServer.demoPassword, "code": code])
            #expect(token.status == .created, "\(token.text)")
            #expect(try await SafeguardServer.seedDemo(app).first { $0.role == .supervisor }?.twoFactorSecret == supervisor.twoFactorSecret,
                    "the same key on every run")
        }
    }
}
