import Foundation
@testable import SafeguardApp
import SafeguardCore
import SafeguardPersistence
import Testing
import Vapor

/// Issue 13, point 7: subject access through the API (JSON and printable) and the pages: others redacted, audited,
/// and a signed-in page asks a fresh second factor first.
@Suite struct SubjectAccessPageTests {
    static func caseWithRecords(_ app: Application, _ world: World) async throws -> String {
        let token = world.token("policeA.officer")
        let id = (try await createCase(app, token: token)["id"] as! String).lowercased()
        for record: [String: Any] in [
            ["kind": "welfareCheck", "person": "A", "checkedOn": CaseController.today.description, "result": "Safe at home"],
            ["kind": "welfareCheck", "person": "B", "checkedOn": CaseController.today.description, "result": "B is worried about school"],
        ] {
            let reply = try await send(app, .POST, "/api/v1/cases/\(id)/records", token: token, json: record)
            #expect(reply.status == .created, "\(reply.text)")
        }
        return id
    }

    @Test("The API gives what the case holds about one person as JSON or a printable document; others are withheld; it is audited")
    func api() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = try await Self.caseWithRecords(app, world)
            let token = world.token("policeA.officer")
            let json = try await send(app, .GET, "/api/v1/cases/\(id)/documents/subject-access/A?format=json", token: token)
            #expect(json.status == .ok)
            #expect(json.headers.first(name: .cacheControl) == "no-store")
            #expect(json.json["person"] as? String == "A")
            let lines = (json.json["sections"] as? [[String: Any]] ?? []).flatMap { $0["lines"] as? [String] ?? [] }
            #expect(lines.contains("  Written in it: Safe at home"))
            #expect(!json.text.contains("worried about school"), "another person's record")
            let text = try await send(app, .GET, "/api/v1/cases/\(id)/documents/subject-access/A?format=text", token: token)
            #expect(text.text.hasPrefix("What this case holds about A"))
            let unknown = try await send(app, .GET, "/api/v1/cases/\(id)/documents/subject-access/Z", token: token)
            #expect(unknown.status == .notFound)
            #expect(unknown.text.contains("people in the case: A, B"))
            let badFormat = try await send(app, .GET, "/api/v1/cases/\(id)/documents/subject-access/A?format=pdf", token: token)
            #expect(badFormat.status == .badRequest)
            let other = try await send(app, .GET, "/api/v1/cases/\(id)/documents/subject-access/A", token: world.token("policeB.officer"))
            #expect(other.status == .notFound)
            let audited = try await AuditStore(db: app.db).entries(organisationID: world.policeA.id, limit: 100)
            #expect(audited.contains { $0.action == "case.document.subjectAccess" && $0.detail == "ref=A" && $0.caseID.lowercased() == id })
        }
    }

    @Test("The page asks a fresh second factor, then prints the document; the case page links one per person")
    func page() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = try await Self.caseWithRecords(app, world)
            let supervisor = try await Pages.signIn(app, "supervisor@policeA.test")
            let casePage = try await Pages.get(app, "/cases/\(id)", supervisor)
            #expect(casePage.text.contains("/cases/\(id)/subject-access/A"))
            #expect(casePage.text.contains("What the case holds about B"))
            let fresh = try await Pages.get(app, "/cases/\(id)/subject-access/A", supervisor)
            #expect(fresh.status == .ok, "a code was given at sign-in")
            #expect(fresh.text.contains("What this case holds about A"))
            #expect(fresh.text.contains("Safe at home"))
            #expect(!fresh.text.contains("worried about school"))
            try await TwoFactorTests.staleCode(app, world.user("policeA.supervisor"))
            let stale = try await Pages.get(app, "/cases/\(id)/subject-access/A", supervisor)
            #expect(stale.headers.first(name: .location)?.hasPrefix("/step-up?to=/cases/\(id)/subject-access/A") == true)
        }
    }
}
