import Foundation
@testable import SafeguardApp
import SafeguardCore
import Testing
import Vapor

/// Issue 11, point 8: a referral tells the force who sent it and how to reach them, when, and what makes it urgent.
@Suite struct ReferralDetailsTests {
    @Test("The force sees the sender's name, role and email, the time it was sent and the risk the school's assessment found")
    func referralCarriesSenderTimeAndRisk() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            var facts = sampleFacts
            facts["people"] = [["ref": "A", "age": 14, "roles": ["depicted", "sender"], "selfHarmRisk": true],
                               ["ref": "B", "age": 15, "roles": ["recipient"]]]
            let id = (try await createCase(app, token: world.token("school.dsl"), facts: facts)["id"] as! String).lowercased()
            let sent = try await send(app, .POST, "/api/v1/cases/\(id)/referrals", token: world.token("school.dsl"),
                                      json: ["toOrganisationID": world.policeA.id.uuidString, "summary": "Image shared; A is self-harming",
                                             "share": ["people", "imagery"]])
            #expect(sent.status == .created, "\(sent.text)")
            let sender = sent.json["sentBy"] as? [String: Any]
            #expect(sender?["email"] as? String == "dsl@school.test")
            #expect(sender?["role"] as? String == "designated safeguarding person (DSP)", "the Welsh school's lead, in its guidance's words")
            let risk = sent.json["risk"] as? [String] ?? []
            #expect(risk.first?.hasPrefix("A child is at immediate risk of harm: a child protection referral is needed at once, because") == true)
            #expect(risk.first?.contains("Is A presenting as suicidal or self-harming? Yes") == true, "in the guidance's question, not a code")

            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let home = try await Pages.get(app, "/", officer)
            let answer = try #require(home.text.range(of: #"/cases/[0-9a-f-]+/referrals/[0-9a-f-]+"#, options: .regularExpression).map { String(home.text[$0]) })
            let page = try await Pages.get(app, answer, officer)
            #expect(page.text.contains("school dsl, designated safeguarding person (DSP), Test School (dsl@school.test)"))
            #expect(page.text.contains("A child is at immediate risk of harm"))
            #expect(PlainWordsWalkTests.rawIdentifiers(page.text) == [])
        }
    }

    @Test("A referral with nothing urgent says so")
    func nothingUrgent() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = (try await createCase(app, token: world.token("school.dsl"))["id"] as! String).lowercased()
            let sent = try await send(app, .POST, "/api/v1/cases/\(id)/referrals", token: world.token("school.dsl"),
                                      json: ["toOrganisationID": world.policeA.id.uuidString, "summary": "Shared between pupils", "share": ["people"]])
            #expect(sent.status == .created)
            #expect((sent.json["risk"] as? [String]) == [])
        }
    }
}
