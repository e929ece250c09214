import Foundation
@testable import SafeguardApp
import SafeguardCore
import SafeguardPersistence
import SQLKit
import Testing
import Vapor

/// Issue 13, point 4: sessions that end on an organisation's idle and absolute limits, a list of one's own sessions
/// and tokens that can each be ended, "sign out everywhere", NCSC passwords, and admin-made one-time reset links.
@Suite struct SessionTests {
    /// Moves a stored time of every session of the user back, as if that much time had passed.
    static func age(_ app: Application, user: User, column: String, by seconds: TimeInterval) async throws {
        let sql = app.db as! any SQLDatabase
        try await sql.update("web_sessions").set(SQLIdentifier(column), to: Date().addingTimeInterval(-seconds))
            .where("user_id", .equal, user.id).run()
        // Another process would see the change within the identity cache's second; this one clears it now.
        app.identityCache.removeAll()
    }

    static func sessions(_ app: Application, _ browser: Browser) async throws -> [[String: Any]] {
        let reply = try await send(app, .GET, "/api/v1/me/sessions", headers: [("Cookie", browser.cookie)])
        #expect(reply.status == .ok)
        return reply.json["sessions"] as? [[String: Any]] ?? []
    }

    @Test("The API starts no web session; signing in on a page does, and a page's own API call with the cookie has it")
    func webSessionsAreForPagesAndTheirOwnAPICalls() async throws {
        try await withApp { app in
            _ = try await seedWorld(app)
            let token = try await send(app, .POST, "/api/v1/tokens", json: ["email": "officer@policea.test", "password": testPassword])
            let me = try await send(app, .GET, "/api/v1/me", token: token.json["token"] as? String)
            let anonymous = try await send(app, .GET, "/api/v1/cases")
            #expect(token.status == .created && me.status == .ok && anonymous.status == .unauthorized)
            for reply in [token, me, anonymous] { #expect(reply.headers[.setCookie].isEmpty, "no session cookie from the API") }
            let signInPage = try await Pages.get(app, "/sign-in")
            #expect(Pages.cookie(signInPage) == nil && Pages.formCookie(signInPage) != nil,
                    "the sign-in page starts no session: its form's token is in a cookie of its own")
            #expect(try await PageSessionStore(db: app.db).count() == 0)
            let browser = try await Pages.signIn(app, "officer@policea.test")
            let mine = try await send(app, .GET, "/api/v1/me", headers: [("Cookie", browser.cookie)])
            #expect(mine.status == .ok && (mine.json["user"] as? [String: Any])?["email"] as? String == "officer@policea.test")
        }
    }

    @Test func anIdleSessionEndsAndTheSignInPageSaysWhy() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let browser = try await Pages.signIn(app, "dsl@school.test")
            try await Self.age(app, user: world.user("school.dsl"), column: "last_seen_at", by: 29 * 60)
            #expect(try await Pages.get(app, "/", browser).status == .ok, "29 minutes idle is within the default 30")
            try await Self.age(app, user: world.user("school.dsl"), column: "last_seen_at", by: 31 * 60)
            let home = try await Pages.get(app, "/", browser)
            #expect(home.status == .seeOther)
            #expect(home.headers.first(name: .location) == "/sign-in?ended=idle")
            let signIn = try await Pages.get(app, "/sign-in?ended=idle")
            #expect(signIn.text.contains("You were signed out because the page was left without activity"))
            // The session stays ended, also through the API with the same cookie.
            #expect(try await send(app, .GET, "/api/v1/me", headers: [("Cookie", browser.cookie)]).status == .unauthorized)
            let ended = try await AuditStore(db: app.db).entries(organisationID: world.school.id, limit: 50)
                .filter { $0.action == "signOut" && $0.detail.contains("reason=idle") }
            #expect(ended.count == 1)
        }
    }

    @Test func theOrganisationsLifetimeEndsASessionHoweverBusy() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let set = try await send(app, .PATCH, "/api/v1/organisation/settings", token: world.token("policeA.admin"),
                                     json: ["sessionIdleMinutes": 15, "sessionLifetimeHours": 2])
            #expect(set.status == .ok)
            #expect(set.json["sessionLifetimeHours"] as? Int == 2)
            let browser = try await Pages.signIn(app, "officer@policea.test")
            try await Self.age(app, user: world.user("policeA.officer"), column: "signed_in_at", by: 2 * 3600 - 60)
            #expect(try await Pages.get(app, "/", browser).status == .ok)
            try await Self.age(app, user: world.user("policeA.officer"), column: "signed_in_at", by: 2 * 3600 + 60)
            let home = try await Pages.get(app, "/", browser)
            #expect(home.headers.first(name: .location) == "/sign-in?ended=lifetime")
            // The idle limit is the organisation's too: 16 minutes is too long for Police A, not for the school.
            let officer = try await Pages.signIn(app, "officer@policea.test")
            let dsl = try await Pages.signIn(app, "dsl@school.test")
            try await Self.age(app, user: world.user("policeA.officer"), column: "last_seen_at", by: 16 * 60)
            try await Self.age(app, user: world.user("school.dsl"), column: "last_seen_at", by: 16 * 60)
            #expect(try await Pages.get(app, "/", officer).status == .seeOther)
            #expect(try await Pages.get(app, "/", dsl).status == .ok)
        }
    }

    @Test func settingsAreAnAdminsAndStayWithinRange() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let tooShort = try await send(app, .PATCH, "/api/v1/organisation/settings", token: world.token("school.admin"),
                                          json: ["sessionIdleMinutes": 1, "sessionLifetimeHours": 12])
            #expect(tooShort.status == .unprocessableEntity)
            #expect(tooShort.errorField == "sessionIdleMinutes")
            let tooLong = try await send(app, .PATCH, "/api/v1/organisation/settings", token: world.token("school.admin"),
                                         json: ["sessionIdleMinutes": 30, "sessionLifetimeHours": 25])
            #expect(tooLong.errorField == "sessionLifetimeHours")
            #expect(try await send(app, .GET, "/api/v1/organisation/settings", token: world.token("school.dsl")).status == .forbidden)
            // Nothing was changed by the refusals.
            let now = try await send(app, .GET, "/api/v1/organisation/settings", token: world.token("school.admin"))
            #expect(now.json["sessionIdleMinutes"] as? Int == 30 && now.json["sessionLifetimeHours"] as? Int == 12)

            // The page: the form, a refusal that keeps what was typed, then a save that the page confirms in words.
            let admin = try await Pages.signIn(app, "admin@school.test")
            let form = try await Pages.get(app, "/settings", admin)
            #expect(form.status == .ok)
            #expect(form.text.contains("Sign out after this many minutes without activity"))
            let bad = try await Pages.post(app, "/settings", admin, [("sessionIdleMinutes", "ten"), ("sessionLifetimeHours", "8"),
                                                                     ("stepUpCaseAgeDays", "365"), ("twoFactor-dsl", "on")])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("Enter a number of minutes from 5 to 240"))
            #expect(bad.text.contains("value=\"ten\""))
            let saved = try await Pages.post(app, "/settings", admin, [("sessionIdleMinutes", "20"), ("sessionLifetimeHours", "8"),
                                                                       ("stepUpCaseAgeDays", "90"), ("twoFactor-dsl", "on"), ("twoFactor-admin", "on")])
            #expect(saved.status == .seeOther)
            let after = try await Pages.get(app, "/settings", admin)
            #expect(after.text.contains("Saved: sessions end after 20 minutes without activity, and 8 hours after sign-in at the latest."))
            #expect(after.text.contains("Two-factor sign-in is required of: designated safeguarding person (DSP), administrator."))
            #expect(try await Pages.get(app, "/settings", try await Pages.signIn(app, "dsl@school.test")).status == .forbidden)
            let audited = try await AuditStore(db: app.db).entries(organisationID: world.school.id, limit: 50)
                .filter { $0.action == "organisation.settings" }
            #expect(audited.map(\.detail) == ["sessionIdleMinutes=20 sessionLifetimeHours=8 twoFactorRoles=dsl,admin stepUpCaseAgeDays=90"],
                    "one change, one entry")
        }
    }

    @Test func yourSessionsAreListedAndOneCanBeEndedFromAnother() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let laptop = try await Pages.signIn(app, "supervisor@policea.test")
            let phone = try await Pages.signIn(app, "supervisor@policea.test")
            let listed = try await Self.sessions(app, laptop)
            #expect(listed.count == 2)
            #expect(listed.filter { $0["current"] as? Bool == true }.count == 1)
            let phoneID = try #require(listed.first { $0["current"] as? Bool == false }?["id"] as? String)
            // Another person cannot end it, even knowing its id.
            let other = try await send(app, .DELETE, "/api/v1/me/sessions/\(phoneID)", token: world.token("policeA.officer"))
            #expect(other.status == .notFound)
            // A cookie-authenticated API change needs the session's CSRF token.
            let noCSRF = try await send(app, .DELETE, "/api/v1/me/sessions/\(phoneID)", headers: [("Cookie", laptop.cookie)])
            #expect(noCSRF.status == .forbidden)
            let ended = try await send(app, .DELETE, "/api/v1/me/sessions/\(phoneID)",
                                       headers: [("Cookie", laptop.cookie), ("X-CSRF-Token", laptop.csrf)])
            #expect(ended.status == .ok)
            #expect(ended.json["endedAt"] != nil)
            let onPhone = try await Pages.get(app, "/", phone)
            #expect(onPhone.headers.first(name: .location) == "/sign-in?ended=endedByUser")
            #expect(try await Pages.get(app, "/", laptop).status == .ok)

            // The page lists the session in words and ends one with a button.
            let tablet = try await Pages.signIn(app, "supervisor@policea.test")
            let page = try await Pages.get(app, "/account", laptop)
            #expect(page.status == .ok)
            #expect(page.text.contains("Where you are signed in"))
            #expect(page.text.contains("(this browser)"))
            #expect(page.text.range(of: #"\d{4}-\d{2}-\d{2}T\d{2}:"#, options: .regularExpression) == nil, "no ISO timestamps")
            #expect(page.text.range(of: #">[0-9a-f]{8}-[0-9a-f]{4}-"#, options: .regularExpression) == nil, "no ids shown as text")
            let tabletID = try #require(try await Self.sessions(app, tablet).first { $0["current"] as? Bool == true }?["id"] as? String)
            let end = try await Pages.post(app, "/account/sessions/\(tabletID)/end", laptop, [])
            #expect(end.status == .seeOther)
            #expect(try await Pages.get(app, "/", tablet).status == .seeOther)
            let audited = try await AuditStore(db: app.db).entries(organisationID: world.policeA.id, limit: 100).filter { $0.action == "session.end" }
            #expect(audited.count == 2)
        }
    }

    @Test func signOutEverywhereEndsEverySessionAndRevokesEveryToken() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let first = try await Pages.signIn(app, "dsl@school.test")
            let second = try await Pages.signIn(app, "dsl@school.test")
            #expect(try await send(app, .GET, "/api/v1/me", token: world.token("school.dsl")).status == .ok)
            let reply = try await Pages.post(app, "/account/sign-out-everywhere", first, [])
            #expect(reply.status == .seeOther)
            #expect(reply.headers.first(name: .location) == "/sign-in?ended=signedOutEverywhere")
            #expect(try await Pages.get(app, "/", first).status == .seeOther)
            #expect(try await Pages.get(app, "/", second).headers.first(name: .location) == "/sign-in?ended=signedOutEverywhere")
            #expect(try await send(app, .GET, "/api/v1/me", token: world.token("school.dsl")).status == .unauthorized)
            // Nobody else was touched.
            #expect(try await send(app, .GET, "/api/v1/me", token: world.token("school.staff")).status == .ok)

            // Through the API with a token: it ends that token too, and says how many of each.
            _ = try await Pages.signIn(app, "staff@school.test")
            let api = try await send(app, .POST, "/api/v1/me/sign-out-everywhere", token: world.token("school.staff"))
            #expect(api.status == .ok)
            #expect(api.json["sessionsEnded"] as? Int == 1)
            #expect(api.json["tokensRevoked"] as? Int == 1)
            #expect(try await send(app, .GET, "/api/v1/me", token: world.token("school.staff")).status == .unauthorized)
        }
    }

    @Test func disablingAUserEndsTheirSessions() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let browser = try await Pages.signIn(app, "officer@policea.test")
            let disabled = try await send(app, .PATCH, "/api/v1/users/\(world.user("policeA.officer").id)", token: world.token("policeA.admin"),
                                          json: ["disabled": true])
            #expect(disabled.status == .ok)
            let home = try await Pages.get(app, "/", browser)
            #expect(home.status == .seeOther)
            // Re-enabling does not bring the session back.
            _ = try await send(app, .PATCH, "/api/v1/users/\(world.user("policeA.officer").id)", token: world.token("policeA.admin"),
                               json: ["disabled": false])
            #expect(try await Pages.get(app, "/", browser).status == .seeOther)
        }
    }

    // MARK: Passwords (NCSC)

    @Test func commonPasswordsAreRefusedWhereverAPasswordIsSet() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            for password in ["password1234", "liverpool12345", "qwertyuiopqw", "aaaaaaaaaaaa", "short one"] {
                let reply = try await send(app, .POST, "/api/v1/users", token: world.token("policeA.admin"),
                                           json: ["email": "new@policea.test", "displayName": "New", "role": "officer", "password": password])
                #expect(reply.status == .unprocessableEntity, "\(password) was accepted")
                #expect(reply.errorField == "password")
            }
            let change = try await send(app, .PATCH, "/api/v1/users/\(world.user("policeA.officer").id)", token: world.token("policeA.admin"),
                                        json: ["password": "officer2026!!!"])
            #expect(change.status == .unprocessableEntity, "a password containing the email name")
            let admin = try await Pages.signIn(app, "admin@policea.test")
            let page = try await Pages.post(app, "/users/new", admin, [("email", "new@policea.test"), ("displayName", "New"),
                                                                       ("role", "officer"), ("password", "iloveyou12345")])
            #expect(page.status == .unprocessableEntity)
            #expect(page.text.contains("This password is too common"))
            let fine = try await send(app, .POST, "/api/v1/users", token: world.token("policeA.admin"),
                                      json: ["email": "new@policea.test", "displayName": "New", "role": "officer", "password": "pebble ferry walnut orchid"])
            #expect(fine.status == .created)
        }
    }

    @Test func aResetLinkWorksOnceWithinTheHourAndEndsTheOldSessions() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let officer = world.user("policeA.officer")
            let oldBrowser = try await Pages.signIn(app, "officer@policea.test")
            let made = try await send(app, .POST, "/api/v1/users/\(officer.id)/password-reset", token: world.token("policeA.admin"))
            #expect(made.status == .created)
            let path = try #require(made.json["path"] as? String)
            let code = try #require(made.json["code"] as? String)
            #expect(path == "/password-reset/\(code)")
            #expect(code.wholeMatch(of: /[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}/) != nil,
                    "twelve characters of Crockford's base 32, to read out over the phone: \(code)")
            let stored = try await (app.db as! any SQLDatabase).select().column("token_hash").from("password_resets").all()
            #expect(stored.count == 1)
            #expect(try stored[0].decode(column: "token_hash", as: String.self) != String(path.dropFirst("/password-reset/".count)),
                    "the secret is stored only as a hash")

            // Signed out, the person opens it and is refused a weak or mismatched password, then sets one.
            let form = try await Pages.get(app, path)
            #expect(form.status == .ok)
            #expect(form.text.contains("Choose a new password"))
            let anonymous = Browser(cookie: try #require(Pages.formCookie(form)), csrf: try #require(Pages.csrf(in: form.text)))
            let weak = try await Pages.post(app, path, anonymous, [("password", "password123456"), ("confirm", "password123456")])
            #expect(weak.status == .unprocessableEntity)
            #expect(weak.text.contains("too common"))
            let mismatch = try await Pages.post(app, path, anonymous, [("password", "pebble ferry walnut orchid"), ("confirm", "pebble ferry walnut")])
            #expect(mismatch.text.contains("the two did not match"))
            let done = try await Pages.post(app, path, anonymous, [("password", "pebble ferry walnut orchid"), ("confirm", "pebble ferry walnut orchid")])
            #expect(done.status == .seeOther)
            #expect(done.headers.first(name: .location) == "/sign-in?ended=passwordReset")

            // The old password, the old session and the old token are all finished; the new password works.
            #expect(try await Pages.get(app, "/", oldBrowser).status == .seeOther)
            #expect(try await send(app, .GET, "/api/v1/me", token: world.token("policeA.officer")).status == .unauthorized)
            let old = try await send(app, .POST, "/api/v1/tokens", json: ["email": "officer@policea.test", "password": testPassword])
            #expect(old.status == .unauthorized)
            let new = try await send(app, .POST, "/api/v1/tokens", json: ["email": "officer@policea.test", "password": "pebble ferry walnut orchid"])
            #expect(new.status == .created)
            // Used once: the link no longer works.
            let again = try await Pages.get(app, path)
            #expect(again.status == .gone)
            #expect(again.text.contains("This link no longer works"))
            let actions = try await AuditStore(db: app.db).entries(organisationID: world.policeA.id, limit: 100).map(\.action)
            #expect(actions.contains("password.resetLink") && actions.contains("password.reset"))
        }
    }

    @Test func aResetLinkRunsOutAfterAnHourAndANewOneReplacesTheOld() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let officer = world.user("policeA.officer")
            let first = try await send(app, .POST, "/api/v1/users/\(officer.id)/password-reset", token: world.token("policeA.admin"))
            let second = try await send(app, .POST, "/api/v1/users/\(officer.id)/password-reset", token: world.token("policeA.admin"))
            #expect(try await Pages.get(app, first.json["path"] as! String).status == .gone, "a newer link replaces it")
            let path = second.json["path"] as! String
            #expect(try await Pages.get(app, path).status == .ok)
            try await (app.db as! any SQLDatabase).update("password_resets").set("expires_at", to: Date().addingTimeInterval(-1)).run()
            #expect(try await Pages.get(app, path).status == .gone, "an hour has passed")

            // The admin's page makes a link and shows it once, with how to hand it over.
            let admin = try await Pages.signIn(app, "admin@policea.test")
            let userPage = try await Pages.get(app, "/users/\(officer.id.uuidString.lowercased())", admin)
            #expect(userPage.text.contains("Make a password reset link"))
            let shown = try await Pages.post(app, "/users/\(officer.id.uuidString.lowercased())/reset-link", admin, [])
            #expect(shown.status == .ok)
            #expect(shown.text.contains("<code class=\"reset-code\" data-verbatim>"))
            #expect(shown.text.contains("/password-reset/"))
            #expect(shown.text.contains("in person or read it out over the phone, never by email"))
            #expect(shown.text.contains("They type it at <code data-verbatim>http://localhost/password-reset</code>")
                    || shown.text.contains("/password-reset</code>"))
            // Another organisation's admin cannot make one for this officer.
            let other = try await send(app, .POST, "/api/v1/users/\(officer.id)/password-reset", token: world.token("policeB.admin"))
            #expect(other.status == .notFound)
        }
    }
}

extension SessionTests {
    /// A strong password is as varied as encoded data: the text guard must not mistake the typed-again copy for it.
    @Test func aLongRandomPasswordIsAcceptedOnTheResetPage() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let made = try await send(app, .POST, "/api/v1/users/\(world.user("policeA.officer").id)/password-reset", token: world.token("policeA.admin"))
            let path = try #require(made.json["path"] as? String)
            let form = try await Pages.get(app, path)
            let anonymous = Browser(cookie: try #require(Pages.formCookie(form)), csrf: try #require(Pages.csrf(in: form.text)))
            var generator = SystemRandomNumberGenerator()
            let strong = Data((0..<90).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString().prefix(120)
            let done = try await Pages.post(app, path, anonymous, [("password", String(strong)), ("confirm", String(strong))])
            #expect(done.status == .seeOther, "\(done.status) \(done.text.prefix(300))")
        }
    }
}

extension SessionTests {
    /// A token is revoked from the account page through the same service as the API; another person's is not found.
    @Test func aTokenIsRevokedFromTheAccountPage() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let tokens = try await send(app, .GET, "/api/v1/tokens", token: world.token("policeA.officer")).array
            let id = try #require(tokens.first?["id"] as? String).lowercased()
            let page = try await Pages.get(app, "/account", officer)
            #expect(page.text.contains("/account/tokens/\(id)/revoke"))
            let colleagues = try await send(app, .GET, "/api/v1/tokens", token: world.token("policeA.officer2")).array
            let other = try #require(colleagues.first?["id"] as? String).lowercased()
            #expect(try await Pages.post(app, "/account/tokens/\(other)/revoke", officer, []).status == .notFound)
            #expect(try await send(app, .GET, "/api/v1/me", token: world.token("policeA.officer2")).status == .ok)
            let revoked = try await Pages.post(app, "/account/tokens/\(id)/revoke", officer, [])
            #expect(revoked.status == .seeOther)
            #expect(try await send(app, .GET, "/api/v1/me", token: world.token("policeA.officer")).status == .unauthorized)
            let audited = try await AuditStore(db: app.db).entries(organisationID: world.policeA.id, limit: 50).filter { $0.action == "token.revoke" }
            #expect(audited.map(\.detail) == ["token=\(id) via=page"])
        }
    }
}

/// A reset code is read out over the phone (the README said "in person or by phone" of a 70-character link): twelve
/// characters, typed at `/password-reset` as a person would type them.
@Suite struct ResetCodeTests {
    @Test func aCodeIsReadAsAPersonMeansItAndAnOldLinkAsItIs() {
        let code = ResetCode.make()
        #expect(code.count == 14 && code.filter { $0 == "-" }.count == 2)
        #expect(!code.contains { "ILOU".contains($0) })
        #expect(ResetCode.canonical("k7qm 2xpb 9t4h") == "K7QM2XPB9T4H")
        #expect(ResetCode.canonical("K7QM-2XPB-9T4H") == "K7QM2XPB9T4H")
        #expect(ResetCode.canonical("ko1l-2xpb-9t4i") == "K011" + "2XPB9T41", "O is a zero, I and L a one")
        #expect(ResetCode.formatted("k7qm2xpb9t4h") == "K7QM-2XPB-9T4H")
        let legacy = "sgr_" + String(repeating: "ab", count: 32)
        #expect(ResetCode.canonical(legacy) == legacy && ResetCode.formatted(legacy) == legacy, "a link made before codes still works")
        #expect(Set((0..<50).map { _ in ResetCode.make() }).count == 50)
    }

    @Test func theCodeTypedOnThePageLeadsToChoosingANewPassword() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let officer = world.user("policeA.officer")
            let made = try await send(app, .POST, "/api/v1/users/\(officer.id)/password-reset", token: world.token("policeA.admin"))
            let code = try #require(made.json["code"] as? String)
            let page = try await Pages.get(app, "/password-reset")
            #expect(page.status == .ok)
            #expect(page.text.contains("<label class=\"label\" for=\"code\">Reset code</label>"))
            let browser = Browser(cookie: try #require(Pages.formCookie(page)), csrf: try #require(Pages.csrf(in: page.text)))

            let empty = try await Pages.post(app, "/password-reset", browser, [("code", " ")])
            #expect(empty.status == .unprocessableEntity)
            #expect(empty.text.contains("<a href=\"#code\">Enter the reset code your administrator gave you</a>"))
            let wrong = try await Pages.post(app, "/password-reset", browser, [("code", "AAAA-BBBB-CCCC")])
            #expect(wrong.status == .unprocessableEntity)
            #expect(wrong.text.contains("That code does not work"))
            #expect(wrong.text.contains("value=\"AAAA-BBBB-CCCC\""), "what was typed is kept")

            // Typed as heard: small letters, spaces for the dashes, an O where the code has a zero.
            let heard = code.lowercased().replacingOccurrences(of: "-", with: " ").replacingOccurrences(of: "0", with: "o")
            let found = try await Pages.post(app, "/password-reset", browser, [("code", heard)])
            #expect(found.status == .seeOther)
            #expect(found.headers.first(name: .location) == "/password-reset/\(code)")
            let choose = try await Pages.get(app, "/password-reset/\(heard.replacingOccurrences(of: " ", with: "-"))")
            #expect(choose.text.contains("Choose a new password"), "the link works however the code in it is typed")
            let anonymous = Browser(cookie: try #require(Pages.formCookie(choose)), csrf: try #require(Pages.csrf(in: choose.text)))
            let done = try await Pages.post(app, "/password-reset/\(code)", anonymous,
                                            [("password", "pebble ferry walnut orchid"), ("confirm", "pebble ferry walnut orchid")])
            #expect(done.status == .seeOther)
            // Used: the code no longer works on the page either.
            let again = try await Pages.post(app, "/password-reset", browser, [("code", code)])
            #expect(again.status == .unprocessableEntity)
        }
    }
}
