import Foundation
@testable import SafeguardApp
import SafeguardCore
import SafeguardPersistence
import Testing
import Vapor

/// Issue 11, point 3: a form sent with too much in it comes back as that form, with what was typed and a message,
/// never a bare "Too much was sent" page, and nothing is saved.
@Suite struct FormLimitTests {
    @Test func textOverItsLimitComesBackInTheFormWithTheLimitAndNothingIsSaved() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("policeA.officer"), facts: Pages.knownFacts)
            let id = (created["id"] as! String).lowercased()
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let long = String(repeating: "All well at home. ", count: 250)   // 4,500 characters; the limit is 2,000
            let reply = try await Pages.post(app, "/cases/\(id)/record/welfareCheck", officer,
                                             [("person", "A"), ("checkedOn", "\(CaseController.today)"), ("result", long)])
            #expect(reply.status == .unprocessableEntity)
            #expect(reply.text.contains("<h1 class=\"heading-xl\">Record a welfare check</h1>"), "the same form")
            #expect(reply.text.contains("This is too long: keep it to 2,000 characters or fewer (this is 4,500)"))
            #expect(reply.text.contains("<a href=\"#result\">"), "the summary links to the field")
            #expect(reply.text.contains(long.trimmingCharacters(in: .whitespaces)), "what was typed is kept")
            let records = try await send(app, .GET, "/api/v1/cases/\(id)/records", token: world.token("policeA.officer"))
            #expect(records.array.isEmpty, "nothing was saved")
        }
    }

    @Test func aBodyOverTheLimitComesBackAsTheFormNotABarePage() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("policeA.officer"), facts: Pages.knownFacts)
            let id = (created["id"] as! String).lowercased()
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let piece = String(repeating: "y", count: 90 * 1024)
            let reply = try await Pages.post(app, "/cases/\(id)/record/welfareCheck", officer,
                                             [("person", "A"), ("result", "kept text"), ("a", piece), ("b", piece), ("c", piece)])
            #expect(reply.status == .payloadTooLarge)
            #expect(reply.text.contains("<h1 class=\"heading-xl\">Record a welfare check</h1>"), "the form, not a bare page")
            #expect(reply.text.contains("over 256 KiB, so nothing was saved"))
            #expect(reply.text.contains("kept text"), "what was typed is kept")
            // Over four times the limit, the body is not read at all: the error page, as before.
            let huge = String(repeating: "z", count: 95 * 1024)
            let refused = try await Pages.post(app, "/cases/\(id)/record/welfareCheck", officer,
                                               (0..<12).map { ("f\($0)", huge) })
            #expect(refused.status == .payloadTooLarge)
            #expect(refused.text.contains("Too much was sent"))
            // The API is unchanged: JSON over a field's limit is 422 with the field named.
            let api = try await send(app, .POST, "/api/v1/cases/\(id)/records", token: world.token("policeA.officer"),
                                     json: ["kind": "welfareCheck", "person": "A", "checkedOn": "\(CaseController.today)", "result": long()])
            #expect(api.status == .unprocessableEntity && api.text.contains("\"field\":\"result\""))
        }
    }

    /// A new report with a summary one character over its limit came back as a page titled "There is a problem", which
    /// named no field, linked only home, and lost everything typed. Now it is the report's own form again.
    @Test func aNewReportWithTooLongASummaryComesBackAsItsForm() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let summary = String(repeating: "Shared at school. ", count: 28) + "End"   // 507 characters; the limit is 500
            let reply = try await Pages.post(app, "/cases/new", officer, [("summary", summary), ("kind", "image"), ("ageA", "14"), ("ageB", "15")])
            #expect(reply.status == .unprocessableEntity)
            #expect(reply.text.contains("<h1 class=\"heading-xl\">Report a new case</h1>"), "the same form")
            #expect(reply.text.contains("<a href=\"#summary\">This is too long: keep it to 500 characters or fewer (this is 507)</a>"))
            #expect(reply.text.contains(PagesHTML.escape(summary)), "the summary typed is kept")
            #expect(reply.text.contains("value=\"14\"") && reply.text.contains("value=\"15\""), "and the ages")
            #expect(try await send(app, .GET, "/api/v1/cases", token: world.token("policeA.officer")).json["total"] as? Int == 0,
                    "nothing was saved")
            // A form with no page of its own to show again (a case's close reason) names the field in its error.
            let created = try await createCase(app, token: world.token("policeA.officer"))
            let id = (created["id"] as! String).lowercased()
            let close = try await Pages.post(app, "/cases/\(id)/status", officer,
                                             [("status", "closed"), ("version", "1"), ("reason", String(repeating: "r", count: 2_001))])
            #expect(close.status == .unprocessableEntity)
            #expect(close.text.contains("Reason is too long: keep it to 2,000 characters or fewer (this is 2,001). Nothing was saved: go back to the form to shorten it"),
                    "\(close.text)")
        }
    }

    /// A record form sent empty names every required field left blank at once, not the first alone (found in a
    /// hands-on check: a welfare check sent empty said only "Choose an answer to: Whose welfare").
    @Test func aRecordFormSentEmptyNamesEveryBlankRequiredField() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let created = try await createCase(app, token: world.token("policeA.officer"), facts: Pages.knownFacts)
            let id = (created["id"] as! String).lowercased()
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let reply = try await Pages.post(app, "/cases/\(id)/record/welfareCheck", officer, [("checkedOn", ""), ("result", " ")])
            #expect(reply.status == .unprocessableEntity)
            for link in ["<a href=\"#person\">Choose an answer to: Whose welfare</a>", "<a href=\"#checkedOn\">Enter date</a>",
                         "<a href=\"#result\">Enter what the check found</a>"] {
                #expect(reply.text.contains(link), "\(link)")
            }
            let records = try await send(app, .GET, "/api/v1/cases/\(id)/records", token: world.token("policeA.officer"))
            #expect(records.array.isEmpty, "nothing was saved")
        }
    }

    func long() -> String { String(repeating: "x", count: 2_001) }
}
