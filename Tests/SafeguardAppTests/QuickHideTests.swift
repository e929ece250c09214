import Foundation
import SafeguardPersistence
import Testing
import Vapor
@testable import SafeguardApp

/// Issue 13, point 3: quick-hide, for when a child walks into the room. A plain link (no script), on every
/// signed-in page, to a neutral page; the session ends, so Back brings no case data back.
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
