import Foundation
@testable import SafeguardApp
import SafeguardPersistence
import Testing
import Vapor

/// Issue 11, point 3: a case is closed with a reason and reopened with one, on the API and the case page; the reason
/// is kept in the chronology.
@Suite struct CaseStatusTests {
    @Test func closingOrReopeningThroughTheAPINeedsAReasonThatTheChronologyKeeps() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let created = try await createCase(app, token: token)
            let id = created["id"] as! String
            let noReason = try await send(app, .PATCH, "/api/v1/cases/\(id)", token: token, json: ["version": 1, "status": "closed"])
            #expect(noReason.status == .unprocessableEntity)
            #expect(noReason.errorField == "reason")
            let blank = try await send(app, .PATCH, "/api/v1/cases/\(id)", token: token, json: ["version": 1, "status": "closed", "reason": "   "])
            #expect(blank.status == .unprocessableEntity)
            #expect(try await send(app, .GET, "/api/v1/cases/\(id)", token: token).json["status"] as? String == "open", "nothing changed")

            let closed = try await send(app, .PATCH, "/api/v1/cases/\(id)", token: token,
                                        json: ["version": 1, "status": "closed", "reason": "Words of advice given; no further action"])
            #expect(closed.status == .ok)
            #expect(closed.json["status"] as? String == "closed")
            // A summary change alone needs no reason.
            let renamed = try await send(app, .PATCH, "/api/v1/cases/\(id)", token: token,
                                         json: ["version": closed.json["version"] as! Int, "summary": "Image shared, advice given"])
            #expect(renamed.status == .ok)
            let reopened = try await send(app, .PATCH, "/api/v1/cases/\(id)", token: token,
                                          json: ["version": renamed.json["version"] as! Int, "status": "open", "reason": "The image was shared again"])
            #expect(reopened.status == .ok)
            let lines = try await send(app, .GET, "/api/v1/cases/\(id)/chronology", token: token).array.compactMap { $0["summary"] as? String }
            #expect(lines.contains("Case closed: Words of advice given; no further action"))
            #expect(lines.contains("Case reopened: The image was shared again"))
        }
    }

    @Test func theCasePageClosesAndReopensWithAReason() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = (try await createCase(app, token: world.token("policeA.officer"))["id"] as! String).lowercased()
            try await enrolTwoFactor(app, world.user("policeA.officer"))
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let page = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(page.text.contains("Close this case"))
            #expect(page.text.contains("Why is it being closed?"))
            // Before the button: the MUST actions still open, by name (a case was closed with the crime unrecorded and
            // nothing said so).
            let musts = try await send(app, .GET, "/api/v1/cases/\(id)", token: world.token("policeA.officer")).json["actions"] as! [[String: Any]]
            let openMusts = musts.filter { $0["severity"] as? String == "must" && $0["status"] as? String == "open" }.compactMap { $0["text"] as? String }
            #expect(!openMusts.isEmpty, "the case this test needs")
            let warning = try #require(page.text.range(of: #"<div class="inset" id="close-warning">.*?</div>"#, options: .regularExpression).map { String(page.text[$0]) })
            #expect(warning.contains(openMusts.count == 1 ? "One action the guidance says must be done is still open:"
                                                           : "\(openMusts.count) actions the guidance says must be done are still open:"), "\(warning)")
            #expect(openMusts.allSatisfy { warning.contains(PagesHTML.escape($0)) }, "\(warning)")
            #expect(page.text.range(of: "id=\"close-warning\"")!.lowerBound < page.text.range(of: ">Close the case</button>")!.lowerBound)
            let missing = try await Pages.post(app, "/cases/\(id)/status", officer, [("status", "closed"), ("version", "1"), ("reason", "")])
            #expect(missing.status == .unprocessableEntity)
            #expect(missing.text.contains("<a href=\"#statusReason\">Say why the case is being closed</a>"))
            let closed = try await Pages.post(app, "/cases/\(id)/status", officer,
                                              [("status", "closed"), ("version", "1"), ("reason", "Advice given to both families")])
            #expect(closed.status == .seeOther)
            let after = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(after.text.contains("The case is closed. The reason is in the chronology."))
            #expect(after.text.contains("Case closed: Advice given to both families"))
            #expect(after.text.contains("Reopen this case"))
            #expect(!after.text.contains("id=\"close-warning\""), "no warning about closing a closed case")
            // A stale form (another tab) changes nothing and says so, keeping the reason that was typed.
            let stale = try await Pages.post(app, "/cases/\(id)/status", officer, [("status", "open"), ("version", "1"), ("reason", "Shared again")])
            #expect(stale.status == .seeOther)
            let told = try await Pages.get(app, "/cases/\(id)", officer)
            #expect(told.text.contains("Someone changed this case while you were writing"))
            #expect(told.text.contains("your reason was: Shared again"))
            #expect(try await send(app, .GET, "/api/v1/cases/\(id)", token: world.token("policeA.officer")).json["status"] as? String == "closed")
            // Staff (who raise concerns) and other forces cannot.
            let school = (try await createCase(app, token: world.token("school.staff"), summary: "A concern", facts: [:])["id"] as! String).lowercased()
            let staff = try await Pages.signIn(app, "staff@school.test")
            #expect(try await Pages.post(app, "/cases/\(school)/status", staff, [("status", "closed"), ("version", "1"), ("reason", "x")]).status == .forbidden)
            let other = try await Pages.signIn(app, "officer@policeB.test")
            #expect(try await Pages.post(app, "/cases/\(id)/status", other, [("status", "open"), ("version", "2"), ("reason", "x")]).status == .notFound)
        }
    }
}
