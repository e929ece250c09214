import Foundation
@testable import SafeguardApp
import SafeguardPersistence
import Testing
import Vapor

/// Issue 11, point 3: a create sent twice — a double click, Back and submit again, a retry — is done once.
@Suite struct RepeatSubmissionTests {
    static let newCase = [("summary", "Image shared between two pupils"), ("kind", "image"), ("ageA", "15"), ("ageB", "15")]

    @Test func theSameNewCaseFormSentTwiceMakesOneCaseAndSaysSo() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let first = try await Pages.post(app, "/cases/new", officer, Self.newCase)
            #expect(first.status == .seeOther)
            // Back, and the same form again (its field order may differ; its form token is the session's).
            let again = try await Pages.post(app, "/cases/new", officer, Self.newCase.reversed())
            #expect(again.status == .seeOther)
            #expect(again.headers.first(name: .location) == first.headers.first(name: .location), "taken to what the first one made")
            #expect(try await count(app, "cases") == 1)
            let shown = try await Pages.get(app, try #require(again.headers.first(name: .location)), officer)
            #expect(shown.text.contains("This was sent already at"))
            #expect(shown.text.contains("so it was not saved a second time"))
            let repeats = try await AuditStore(db: app.db).entries(organisationID: world.policeA.id, limit: 50).filter { $0.action == "submission.repeat" }
            #expect(repeats.count == 1)

            // Different content is a different case; so is the same content from someone else.
            _ = try await Pages.post(app, "/cases/new", officer, [("summary", "Another image shared"), ("kind", "image"), ("ageA", "14"), ("ageB", "14")])
            let colleague = try await Pages.signIn(app, "officer2@policeA.test")
            _ = try await Pages.post(app, "/cases/new", colleague, Self.newCase)
            #expect(try await count(app, "cases") == 3)
        }
    }

    @Test func aRefusedFormCanBeCorrectedAndSentAgain() async throws {
        try await withApp { app in
            _ = try await seedWorld(app)
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let invalid = [("summary", ""), ("kind", "image"), ("ageA", "15"), ("ageB", "15")]
            #expect(try await Pages.post(app, "/cases/new", officer, invalid).status == .unprocessableEntity)
            #expect(try await Pages.post(app, "/cases/new", officer, invalid).status == .unprocessableEntity, "a refusal is not remembered")
            #expect(try await Pages.post(app, "/cases/new", officer, Self.newCase).status == .seeOther)
            #expect(try await count(app, "cases") == 1)
        }
    }

    @Test func anAPIRetryWithTheSameIdempotencyKeyGetsTheFirstAnswer() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let body: [String: Any] = ["summary": "Image shared between two pupils", "facts": sampleFacts]
            let key = UUID().uuidString
            let first = try await send(app, .POST, "/api/v1/cases", token: token, json: body, headers: [("Idempotency-Key", key)])
            #expect(first.status == .created)
            let retry = try await send(app, .POST, "/api/v1/cases", token: token, json: body, headers: [("Idempotency-Key", key)])
            #expect(retry.status == .created)
            #expect(retry.headers.first(name: "Idempotent-Replayed") == "true")
            #expect(retry.json["id"] as? String == first.json["id"] as? String)
            #expect(retry.json["reference"] as? String == first.json["reference"] as? String)
            #expect(try await count(app, "cases") == 1)
            // The same key for something else is a mistake the client must hear about.
            let other = try await send(app, .POST, "/api/v1/cases", token: token, json: ["summary": "Something else", "facts": sampleFacts],
                                       headers: [("Idempotency-Key", key)])
            #expect(other.status == .unprocessableEntity)
            #expect(other.errorField == "Idempotency-Key")
            // Keys belong to one person: another officer's same key is theirs.
            let colleague = try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer2"), json: body,
                                           headers: [("Idempotency-Key", key)])
            #expect(colleague.status == .created && colleague.json["id"] as? String != first.json["id"] as? String)
            // Without a key, two posts are two cases, as before; a key with a space is refused.
            _ = try await send(app, .POST, "/api/v1/cases", token: token, json: body)
            #expect(try await count(app, "cases") == 3)
            let spaced = try await send(app, .POST, "/api/v1/cases", token: token, json: body, headers: [("Idempotency-Key", "a key")])
            #expect(spaced.status == .unprocessableEntity)
            #expect(try await count(app, "cases") == 3)
        }
    }

    @Test func aFailedAPIRequestLeavesItsKeyFreeForTheRetry() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let key = UUID().uuidString
            let refused = try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"), json: ["summary": ""],
                                         headers: [("Idempotency-Key", key)])
            #expect(refused.status == .unprocessableEntity)
            let fixed = try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"),
                                       json: ["summary": "Fixed", "facts": sampleFacts], headers: [("Idempotency-Key", key)])
            #expect(fixed.status == .created)
            #expect(fixed.headers.first(name: "Idempotent-Replayed") == nil)
        }
    }
}
