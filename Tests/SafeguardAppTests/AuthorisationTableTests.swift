import Foundation
@testable import SafeguardApp
import SafeguardPersistence
import Testing
import Vapor

/// Every route × role that matters, with the outcome expected. The whole table runs; every mismatch is reported.
@Suite struct AuthorisationTableTests {
    struct Row: CustomStringConvertible {
        var actor: String?          // world key, nil = anonymous
        var method: HTTPMethod
        var path: String            // with {P}, {S}, {S2}, {PA} (an action of P), {SA}, {U} (a user of policeA), {T} (a token of policeA.officer2)
        var body: (@Sendable (Context) async throws -> [String: Any])?
        var expected: HTTPStatus
        var description: String { "\(actor ?? "anonymous") \(method) \(path) → \(expected.code)" }
    }

    struct Context: Sendable {
        var app: Application
        var world: World
        var ids: [String: String]
        var counter: Counter
        func version(_ caseKey: String) async throws -> Int {
            let reply = try await send(app, .GET, "/api/v1/cases/\(ids[caseKey]!)", token: world.token(caseKey == "P" ? "policeA.officer" : "school.dsl"))
            return reply.json["version"] as! Int
        }
    }

    final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLock()
        func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
    }

    static func factsBody(_ caseKey: String) -> @Sendable (Context) async throws -> [String: Any] {
        { ctx in ["version": try await ctx.version(caseKey), "facts": sampleFacts] }
    }
    static func personBody(_ caseKey: String) -> @Sendable (Context) async throws -> [String: Any] {
        { ctx in ["version": try await ctx.version(caseKey), "person": ["age": 14, "roles": ["recipient"]]] }
    }
    static func imageryBody(_ caseKey: String) -> @Sendable (Context) async throws -> [String: Any] {
        { ctx in ["version": try await ctx.version(caseKey), "imagery": ["kind": "image", "depicts": ["A"]]] }
    }
    static func deviceBody(_ caseKey: String) -> @Sendable (Context) async throws -> [String: Any] {
        { ctx in ["version": try await ctx.version(caseKey), "device": ["owner": "A"]] }
    }
    static func patchBody(_ caseKey: String) -> @Sendable (Context) async throws -> [String: Any] {
        { ctx in ["version": try await ctx.version(caseKey), "summary": "updated summary"] }
    }
    static let noteBody: @Sendable (Context) async throws -> [String: Any] = { _ in ["text": "a note"] }
    static let actionBody: @Sendable (Context) async throws -> [String: Any] = { _ in ["status": "done"] }
    static let caseBody: @Sendable (Context) async throws -> [String: Any] = { _ in ["summary": "new concern", "facts": sampleFacts] }
    static let userBody: @Sendable (Context) async throws -> [String: Any] = { ctx in
        ["email": "new\(ctx.counter.next())@example.test", "displayName": "New", "role": "auditor", "password": "a long enough password"]
    }
    static let userPatchBody: @Sendable (Context) async throws -> [String: Any] = { _ in ["displayName": "Renamed"] }
    static let tokenBody: @Sendable (Context) async throws -> [String: Any] = { _ in ["email": "officer2@policea.test", "password": testPassword] }

    static var table: [Row] {
        var rows: [Row] = []
        let police = ["policeA.officer", "policeA.supervisor", "policeA.superintendent"]
        let noCaseContent = ["policeA.admin", "policeA.auditor", "school.admin", "school.auditor"]
        let otherOrganisation = ["policeB.officer", "school.dsl"]

        // Reading a police case: police roles yes; admin and auditor never; other organisations 404; anonymous 401.
        let policeReads = ["/api/v1/cases/{P}", "/api/v1/cases/{P}/notes", "/api/v1/cases/{P}/assessment", "/api/v1/cases/{P}/assessments"]
        for path in policeReads {
            for actor in police { rows.append(Row(actor: actor, method: .GET, path: path, expected: .ok)) }
            for actor in ["policeA.admin", "policeA.auditor"] { rows.append(Row(actor: actor, method: .GET, path: path, expected: .forbidden)) }
            for actor in otherOrganisation { rows.append(Row(actor: actor, method: .GET, path: path, expected: .notFound)) }
            rows.append(Row(actor: nil, method: .GET, path: path, expected: .unauthorized))
        }
        // Writing a police case.
        let policeWrites: [(HTTPMethod, String, @Sendable (Context) async throws -> [String: Any], HTTPStatus)] = [
            (.PATCH, "/api/v1/cases/{P}", patchBody("P"), .ok),
            (.PUT, "/api/v1/cases/{P}/facts", factsBody("P"), .ok),
            (.PUT, "/api/v1/cases/{P}/people/C", personBody("P"), .ok),
            (.PUT, "/api/v1/cases/{P}/imagery/I9", imageryBody("P"), .ok),
            (.PUT, "/api/v1/cases/{P}/devices/D9", deviceBody("P"), .ok),
            (.POST, "/api/v1/cases/{P}/actions/{PA}", actionBody, .ok),
            (.POST, "/api/v1/cases/{P}/notes", noteBody, .created),
        ]
        for (method, path, body, success) in policeWrites {
            for actor in police { rows.append(Row(actor: actor, method: method, path: path, body: body, expected: success)) }
            for actor in ["policeA.admin", "policeA.auditor"] { rows.append(Row(actor: actor, method: method, path: path, body: body, expected: .forbidden)) }
            for actor in otherOrganisation { rows.append(Row(actor: actor, method: method, path: path, body: body, expected: .notFound)) }
            rows.append(Row(actor: nil, method: method, path: path, body: body, expected: .unauthorized))
        }
        // A concern raised by staff: its author and the DSL see it; other staff do not know it exists.
        for path in ["/api/v1/cases/{S}", "/api/v1/cases/{S}/notes", "/api/v1/cases/{S}/assessment", "/api/v1/cases/{S}/assessments"] {
            rows.append(Row(actor: "school.staff", method: .GET, path: path, expected: .ok))
            rows.append(Row(actor: "school.dsl", method: .GET, path: path, expected: .ok))
            rows.append(Row(actor: "school.staff2", method: .GET, path: path, expected: .notFound))
            rows.append(Row(actor: "school.admin", method: .GET, path: path, expected: .forbidden))
            rows.append(Row(actor: "school.auditor", method: .GET, path: path, expected: .forbidden))
            rows.append(Row(actor: "policeA.officer", method: .GET, path: path, expected: .notFound))
        }
        rows.append(Row(actor: "school.staff", method: .GET, path: "/api/v1/cases/{S2}", expected: .notFound))
        rows.append(Row(actor: "school.dsl", method: .GET, path: "/api/v1/cases/{S2}", expected: .ok))
        rows.append(Row(actor: "school.staff", method: .POST, path: "/api/v1/cases/{S}/notes", body: noteBody, expected: .created))
        rows.append(Row(actor: "school.staff2", method: .POST, path: "/api/v1/cases/{S}/notes", body: noteBody, expected: .notFound))
        // Staff raise concerns and add notes; the DSL records facts and actions.
        let schoolWrites: [(HTTPMethod, String, @Sendable (Context) async throws -> [String: Any], HTTPStatus)] = [
            (.PATCH, "/api/v1/cases/{S}", patchBody("S"), .ok),
            (.PUT, "/api/v1/cases/{S}/facts", factsBody("S"), .ok),
            (.PUT, "/api/v1/cases/{S}/people/C", personBody("S"), .ok),
            (.PUT, "/api/v1/cases/{S}/imagery/I9", imageryBody("S"), .ok),
            (.PUT, "/api/v1/cases/{S}/devices/D9", deviceBody("S"), .ok),
            (.POST, "/api/v1/cases/{S}/actions/{SA}", actionBody, .ok),
        ]
        for (method, path, body, success) in schoolWrites {
            rows.append(Row(actor: "school.dsl", method: method, path: path, body: body, expected: success))
            rows.append(Row(actor: "school.staff", method: method, path: path, body: body, expected: .forbidden))
            rows.append(Row(actor: "school.staff2", method: method, path: path, body: body, expected: .notFound))
            rows.append(Row(actor: "school.admin", method: method, path: path, body: body, expected: .forbidden))
        }
        // Case lists and creation.
        for actor in police + ["school.dsl", "school.staff", "policeB.officer"] {
            rows.append(Row(actor: actor, method: .GET, path: "/api/v1/cases", expected: .ok))
            rows.append(Row(actor: actor, method: .POST, path: "/api/v1/cases", body: caseBody, expected: .created))
        }
        for actor in noCaseContent {
            rows.append(Row(actor: actor, method: .GET, path: "/api/v1/cases", expected: .forbidden))
            rows.append(Row(actor: actor, method: .POST, path: "/api/v1/cases", body: caseBody, expected: .forbidden))
        }
        rows.append(Row(actor: nil, method: .GET, path: "/api/v1/cases", expected: .unauthorized))
        rows.append(Row(actor: nil, method: .POST, path: "/api/v1/cases", body: caseBody, expected: .unauthorized))
        // Users: admins only, and only their own organisation's.
        let everyone = police + noCaseContent + ["school.dsl", "school.staff", "policeB.officer", "policeB.admin"]
        for actor in everyone {
            let admin = actor.hasSuffix(".admin")
            rows.append(Row(actor: actor, method: .GET, path: "/api/v1/users", expected: admin ? .ok : .forbidden))
            rows.append(Row(actor: actor, method: .POST, path: "/api/v1/users", body: userBody, expected: admin ? .created : .forbidden))
            rows.append(Row(actor: actor, method: .PATCH, path: "/api/v1/users/{U}", body: userPatchBody,
                            expected: actor == "policeA.admin" ? .ok : (admin ? .notFound : .forbidden)))
            rows.append(Row(actor: actor, method: .GET, path: "/api/v1/audit", expected: actor.hasSuffix(".auditor") ? .ok : .forbidden))
            rows.append(Row(actor: actor, method: .GET, path: "/api/v1/audit/verify", expected: actor.hasSuffix(".auditor") ? .ok : .forbidden))
            rows.append(Row(actor: actor, method: .GET, path: "/api/v1/me", expected: .ok))
            rows.append(Row(actor: actor, method: .GET, path: "/api/v1/tokens", expected: .ok))
        }
        for path in ["/api/v1/users", "/api/v1/audit", "/api/v1/audit/verify", "/api/v1/me", "/api/v1/tokens"] {
            rows.append(Row(actor: nil, method: .GET, path: path, expected: .unauthorized))
        }
        rows.append(Row(actor: nil, method: .POST, path: "/api/v1/users", body: userBody, expected: .unauthorized))
        rows.append(Row(actor: nil, method: .PATCH, path: "/api/v1/users/{U}", body: userPatchBody, expected: .unauthorized))
        // Tokens: anyone with credentials; revoking someone else's only as their organisation's admin.
        rows.append(Row(actor: nil, method: .POST, path: "/api/v1/tokens", body: tokenBody, expected: .created))
        rows.append(Row(actor: nil, method: .GET, path: "/api/v1/openapi.json", expected: .ok))
        rows.append(Row(actor: "policeB.admin", method: .DELETE, path: "/api/v1/tokens/{T}", expected: .notFound))
        rows.append(Row(actor: "policeA.officer", method: .DELETE, path: "/api/v1/tokens/{T}", expected: .notFound))
        rows.append(Row(actor: nil, method: .DELETE, path: "/api/v1/tokens/{T}", expected: .unauthorized))
        rows.append(Row(actor: "policeA.admin", method: .DELETE, path: "/api/v1/tokens/{T}", expected: .ok))
        return rows
    }

    @Test func everyRoleGetsExactlyTheOutcomeTheTableExpects() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let p = try await createCase(app, token: world.token("policeA.officer"))
            let s = try await createCase(app, token: world.token("school.staff"))
            let s2 = try await createCase(app, token: world.token("school.dsl"))
            let tokenList = try await send(app, .GET, "/api/v1/tokens", token: world.token("policeA.officer2"))
            let ids: [String: String] = [
                "P": p["id"] as! String, "S": s["id"] as! String, "S2": s2["id"] as! String,
                "PA": (p["actions"] as! [[String: Any]])[0]["id"] as! String,
                "SA": (s["actions"] as! [[String: Any]])[0]["id"] as! String,
                "U": world.user("policeA.supervisor").id.uuidString,
                "T": tokenList.array[0]["id"] as! String,
            ]
            let context = Context(app: app, world: world, ids: ids, counter: Counter())
            var failures: [String] = []
            for row in Self.table {
                var path = row.path
                for (key, value) in ids { path = path.replacingOccurrences(of: "{\(key)}", with: value) }
                let body = try await row.body?(context)
                let reply = try await send(app, row.method, path, token: row.actor.map(world.token), json: body)
                if reply.status != row.expected {
                    failures.append("\(row): got \(reply.status.code) \(reply.text.prefix(160))")
                }
            }
            #expect(failures.isEmpty, "\(failures.count) of \(Self.table.count) rows differ:\n\(failures.joined(separator: "\n"))")
        }
    }

    @Test func theTableCoversEveryAPIRoute() {
        let covered = Set(Self.table.map { row in
            "\(row.method.rawValue) " + row.path.replacingOccurrences(of: "{P}", with: ":caseID").replacingOccurrences(of: "{S}", with: ":caseID")
                .replacingOccurrences(of: "{S2}", with: ":caseID").replacingOccurrences(of: "{PA}", with: ":actionID")
                .replacingOccurrences(of: "{SA}", with: ":actionID").replacingOccurrences(of: "{U}", with: ":userID")
                .replacingOccurrences(of: "{T}", with: ":tokenID").replacingOccurrences(of: "/people/C", with: "/people/:ref")
                .replacingOccurrences(of: "/imagery/I9", with: "/imagery/:ref").replacingOccurrences(of: "/devices/D9", with: "/devices/:ref")
        })
        let routes = Set(OpenAPIDocument.routes.map { "\($0.method) \($0.path)" })
        #expect(routes.subtracting(covered).isEmpty, "routes without a row: \(routes.subtracting(covered).sorted())")
    }
}
