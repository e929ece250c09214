import Foundation
@testable import SafeguardApp
import SafeguardCore
import Testing
import Vapor

/// Found in a hands-on review with a screen reader's view (WCAG 1.3.1, 3.3.1): a field's error was shown beside it
/// but not tied to it, so tabbing to the field read only its hint.
@Suite struct ErrorLinksTests {
    @Test func aControlIsMarkedInvalidAndDescribedByItsErrorFirst() {
        let html = #"""
        <p id="ageA-error" class="error-message">Enter a number</p><input class="input" id="ageA" name="ageA" type="text" aria-describedby="ageA-hint">
        <p id="summary-error" class="error-message">Enter a summary</p><textarea id="summary" name="summary"></textarea>
        <input id="ageB" name="ageB" aria-describedby="ageB-hint">
        """#
        let linked = ErrorLinks.linked(html)
        #expect(linked.contains(#"<input class="input" id="ageA" name="ageA" type="text" aria-describedby="ageA-error ageA-hint" aria-invalid="true">"#))
        #expect(linked.contains(#"<textarea id="summary" name="summary" aria-describedby="summary-error" aria-invalid="true">"#))
        #expect(linked.contains(#"<input id="ageB" name="ageB" aria-describedby="ageB-hint">"#), "a field without an error is left alone")
        #expect(ErrorLinks.linked(linked) == linked, "linking twice changes nothing")
    }

    @Test func aGroupOfChoicesIsDescribedOnItsFieldset() {
        let html = #"""
        <fieldset class="fieldset"><legend>Other</legend></fieldset>
        <fieldset class="fieldset" aria-describedby="decision-hint"><legend>Your decision</legend>
        <p id="decision-error" class="error-message">Select one</p>
        <input id="decision" name="decision" type="radio" value="approve"></fieldset>
        """#
        let linked = ErrorLinks.linked(html)
        #expect(linked.contains(#"<fieldset class="fieldset" aria-describedby="decision-error decision-hint"><legend>Your decision"#))
        #expect(linked.contains(#"<fieldset class="fieldset"><legend>Other"#))
        #expect(linked.contains(#"<input id="decision" name="decision" type="radio" value="approve">"#), "the group, not its first choice")
    }

    @Test("Refused forms tie their errors to their fields: a new report, and an Outcome 21 review without a decision")
    func refusedPagesTieErrorsToFields() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let refused = try await Pages.post(app, "/cases/new", officer, [("summary", "Image shared"), ("kind", "image"), ("ageA", "fifteen"), ("ageB", "15")])
            #expect(refused.status == .unprocessableEntity)
            let age = try #require(refused.text.firstMatch(of: /<input[^>]* id="ageA"[^>]*>/).map { String($0.output) })
            #expect(age.contains(#"aria-invalid="true""#) && age.contains(#"aria-describedby="ageA-error"#), "\(age)")
            #expect(refused.text.contains(#"class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1""#))

            let id = (try await createCase(app, token: world.token("policeA.officer"), facts: Pages.knownFacts)["id"] as! String).lowercased()
            #expect(try await Pages.post(app, "/cases/\(id)/outcome21", officer, [("rationale", "Willing, first time")]).status == .seeOther)
            let signOff = try #require(try await send(app, .GET, "/api/v1/cases/\(id)/sign-offs", token: world.token("policeA.officer")).array.first?["id"] as? String)
            let supervisor = try await Pages.signIn(app, "supervisor@policeA.test")
            let undecided = try await Pages.post(app, "/cases/\(id)/sign-offs/\(signOff)", supervisor, [("reason", "")])
            #expect(undecided.status == .unprocessableEntity)
            let fieldset = try #require(undecided.text.firstMatch(of: /<fieldset[^>]*>\s*<legend class="fieldset-legend">Your decision/).map { String($0.output) })
            #expect(fieldset.contains(#"aria-describedby="decision-error"#), "\(fieldset)")
            #expect(!undecided.text.contains(#"type="radio" value="approve" aria-describedby="decision-error""#), "the group, not its first choice")
        }
    }
}
