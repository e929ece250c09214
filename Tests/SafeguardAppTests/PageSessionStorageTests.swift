import FluentKit
import Foundation
@testable import SafeguardApp
import SafeguardCore
@testable import SafeguardPersistence
import Testing
import Vapor

/// The page sessions' table holds only sessions someone signed in to (or is signing in to), and none for longer than
/// any session can last: a flood of visits to the sign-in page, or of made-up cookies, stores nothing (found in a
/// security review: every anonymous visit wrote a row that was never deleted).
@Suite struct PageSessionStorageTests {
    static func key(_ browser: Browser) throws -> String {
        let value = try #require(browser.cookie.split(separator: ";").first { $0.hasPrefix("safeguard-session=") })
        return SealedSessions.stored(SessionID(string: String(value.dropFirst("safeguard-session=".count)))).string
    }

    static func row(_ app: Application, _ browser: Browser) async throws -> PageSessionModel? {
        try await PageSessionModel.query(on: app.db).filter(\.$key == key(browser)).first()
    }

    @Test func visitsToTheSignInPageAndMadeUpCookiesStoreNoSession() async throws {
        try await withApp { app in
            _ = try await seedWorld(app)
            for n in 0..<20 {
                let page = try await Pages.get(app, "/sign-in")
                #expect(page.status == .ok && Pages.csrf(in: page.text) != nil)
                let madeUp = try await Pages.get(app, n.isMultiple(of: 2) ? "/sign-in" : "/",
                                                 Browser(cookie: "safeguard-session=\(UUID().uuidString)", csrf: ""))
                #expect([.ok, .seeOther].contains(madeUp.status))
                let api = try await send(app, .GET, "/api/v1/cases", headers: [("Cookie", "safeguard-session=\(UUID().uuidString)")])
                #expect(api.status == .unauthorized)
            }
            // A wrong password, shown again with its error, stores nothing either.
            let page = try await Pages.get(app, "/sign-in")
            let wrong = try await Pages.post(app, "/sign-in", Browser(cookie: try #require(Pages.formCookie(page)),
                                                                       csrf: try #require(Pages.csrf(in: page.text))),
                                             [("email", "dsl@school.test"), ("password", "not the password")])
            #expect(wrong.status == .unauthorized && Pages.cookie(wrong) == nil)
            #expect(try await PageSessionStore(db: app.db).count() == 0)
            // Signing in stores one.
            _ = try await Pages.signIn(app, "staff@school.test")
            #expect(try await PageSessionStore(db: app.db).count() == 1)
        }
    }

    @Test("The sign-in form's token must match its browser's form cookie (OWASP double-submit cookie)")
    func theSignInFormNeedsItsOwnCookie() async throws {
        try await withApp { app in
            _ = try await seedWorld(app)
            let first = try await Pages.get(app, "/sign-in"), second = try await Pages.get(app, "/sign-in")
            let (cookie, token) = (try #require(Pages.formCookie(first)), try #require(Pages.csrf(in: first.text)))
            let otherCookie = try #require(Pages.formCookie(second))
            #expect(cookie != otherCookie, "each browser gets its own")
            let fields = [("email", "staff@school.test"), ("password", testPassword)]
            for (browser, why) in [(Browser(cookie: "", csrf: token), "no cookie"),
                                   (Browser(cookie: otherCookie, csrf: token), "another browser's cookie"),
                                   (Browser(cookie: cookie, csrf: ""), "no token"),
                                   (Browser(cookie: cookie, csrf: String(token.reversed())), "another token"),
                                   (Browser(cookie: "safeguard-form=x", csrf: "x"), "a cookie Safeguard did not make")] {
                let reply = try await Pages.post(app, "/sign-in", browser, fields)
                #expect(reply.status == .forbidden, "\(why)")
                #expect(reply.text.contains("The form has expired"), "\(why)")
            }
            #expect(try await PageSessionStore(db: app.db).count() == 0)
            // The page shown again keeps the browser's cookie, so the form still works after a mistake.
            let again = try await Pages.get(app, "/sign-in", Browser(cookie: cookie, csrf: ""))
            #expect(Pages.formCookie(again) == nil && Pages.csrf(in: again.text) == token)
            let signedIn = try await Pages.post(app, "/sign-in", Browser(cookie: cookie, csrf: token), fields)
            #expect(signedIn.status == .seeOther && signedIn.headers.first(name: .location) == "/")
        }
    }

    @Test func aSessionReadAndNotChangedIsNotWrittenBack() async throws {
        try await withApp { app in
            _ = try await seedWorld(app)
            let browser = try await Pages.signIn(app, "officer@policea.test")
            let before = try #require(try await Self.row(app, browser)).data
            for path in ["/", "/cases", "/account"] { #expect(try await Pages.get(app, path, browser).status == .ok) }
            // Sealing is randomised: had the row been written again, its text would differ.
            #expect(try #require(try await Self.row(app, browser)).data == before)
            // A change to the session (a notice left for the next page) is written.
            let reply = try await Pages.post(app, "/account/signature", browser, [("rank", "Police Constable"), ("collarNumber", "1234")])
            #expect(reply.status == .seeOther)
            #expect(try #require(try await Self.row(app, browser)).data != before)
        }
    }

    @Test func sessionsOlderThanAnyCanLastAreClearedAndNewerOnesStay() async throws {
        try await withApp { app in
            _ = try await seedWorld(app)
            let old = try await Pages.signIn(app, "staff@school.test"), recent = try await Pages.signIn(app, "dsl@school.test")
            let made = try #require(try await Self.row(app, recent)?.createdAt)
            #expect(abs(made.timeIntervalSinceNow) < 60)
            #expect(PageSessionStore.longestUse > TimeInterval(SessionPolicy.lifetimeRange.upperBound) * 3600,
                    "no session still in use is cleared")
            try await PageSessionModel.query(on: app.db).filter(\.$key == Self.key(old))
                .set(\.$createdAt, to: Date().addingTimeInterval(-PageSessionStore.longestUse - 60)).update()
            await SessionSweeper.sweep(app, now: Date())
            #expect(try await Self.row(app, old) == nil)
            #expect(try await Self.row(app, recent) != nil)
            let signedOut = try await Pages.get(app, "/", old)
            #expect(signedOut.status == .seeOther && signedOut.headers.first(name: .location)?.hasPrefix("/sign-in") == true)
            #expect(try await Pages.get(app, "/", recent).status == .ok)
        }
    }

    /// A database from before this column: its sessions are kept, counted as made at the upgrade.
    @Test func theMigrationKeepsTheSessionsOfAnExistingDatabase() async throws {
        try await withApp { app in
            _ = try await seedWorld(app)
            let browser = try await Pages.signIn(app, "staff@school.test")
            try await M0021AddSessionTimes().revert(on: app.db)
            try await M0021AddSessionTimes().prepare(on: app.db)
            let made = try #require(try await Self.row(app, browser)?.createdAt)
            #expect(abs(made.timeIntervalSinceNow) < 60)
            #expect(try await Pages.get(app, "/", browser).status == .ok)
        }
    }
}
