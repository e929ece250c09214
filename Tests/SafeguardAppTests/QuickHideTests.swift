import Foundation
import SafeguardPersistence
import Testing
import Vapor
@testable import SafeguardApp

/// Issue 13, point 3: quick-hide, for when a child walks into the room. A plain link (no script needed), on every
/// signed-in page, to a neutral page; the session ends, so Back brings no case data back. Where JavaScript runs,
/// Escape twice follows the same link (the browser suite presses it).
@Suite struct QuickHideTests {
    @Test func everySignedInPageOffersQuickHideAndItLeavesNothingBehind() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = try await createCase(app, token: world.token("school.dsl"), summary: "Year 9 pupil sent an image")["id"] as! String
            let dsl = try await Pages.signIn(app, "dsl@school.test")
            for path in ["/", "/cases", "/cases/\(id)"] {
                let page = try await Pages.get(app, path, dsl)
                #expect(page.status == .ok, "\(path)")
                #expect(page.text.contains("<a class=\"quick-hide\" href=\"/hide\" rel=\"noreferrer\">Hide this page</a>"), "\(path)")
                #expect(page.headers.first(name: .cacheControl) == "no-store", "\(path): the browser keeps no copy")
            }
            #expect(!(try await Pages.get(app, "/sign-in")).text.contains("quick-hide"), "nothing to hide before sign-in")

            // Escape twice: the page loads the script from our own file, and the script follows the same link.
            let page = try await Pages.get(app, "/", dsl)
            let src = try #require(page.text.range(of: #"<script src="(/assets/pages\.js\?v=[0-9a-f]+)" defer></script>"#,
                                                   options: .regularExpression).map { String(page.text[$0]) })
            let path = String(src.dropFirst(#"<script src=""#.count).prefix { $0 != "\"" })
            let script = try await Pages.get(app, path)
            #expect(script.status == .ok)
            #expect(script.headers.contentType?.subType == "javascript")
            #expect(script.text.contains(#"event.key !== "Escape""#) && script.text.contains(#"querySelector("a.quick-hide")"#))
            #expect(script.text.contains("window.location.replace(link.href)"), "the hidden page is kept out of the history")

            let hidden = try await Pages.get(app, "/hide", dsl)
            #expect(hidden.status == .ok)
            #expect(hidden.text.contains("<h1>Weather</h1>"))
            for giveaway in ["Safeguard", "Year 9", "school dsl", "Test School", "sign out"] {
                #expect(!hidden.text.localizedCaseInsensitiveContains(giveaway), "the neutral page shows \(giveaway)")
            }
            #expect(hidden.headers.first(name: .cacheControl) == "no-store")

            // Back (or any page) now asks for sign-in: the session has ended.
            let back = try await Pages.get(app, "/cases/\(id)", dsl)
            #expect(back.status == .seeOther || back.status == .found)
            #expect(back.headers.first(name: .location)?.hasPrefix("/sign-in") == true)
            let entries = try await AuditStore(db: app.db).entries(organisationID: world.school.id, limit: 20, actionContains: "signOut")
            #expect(entries.contains { $0.detail.hasSuffix("via=quick-hide") })
        }
    }
}
