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
    static let actionBody: @Sendable (Context) async throws -> [String: Any] = { _ in ["status": "done", "reason": "Done on the force's own system"] }
    static let dueBody: @Sendable (Context) async throws -> [String: Any] = { _ in ["dueOn": "2099-12-31"] }
    static let caseBody: @Sendable (Context) async throws -> [String: Any] = { _ in ["summary": "new concern", "facts": sampleFacts] }
    static let userBody: @Sendable (Context) async throws -> [String: Any] = { ctx in
        ["email": "new\(ctx.counter.next())@example.test", "displayName": "New", "role": "auditor", "password": "a long enough password"]
    }
    static let settingsBody: @Sendable (Context) async throws -> [String: Any] = { _ in ["sessionIdleMinutes": 30, "sessionLifetimeHours": 12] }
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
            (.PUT, "/api/v1/cases/{P}/actions/{PA}/due", dueBody, .ok),
            (.POST, "/api/v1/cases/{P}/notes", noteBody, .created),
        ]
        for (method, path, body, success) in policeWrites {
            for actor in police { rows.append(Row(actor: actor, method: method, path: path, body: body, expected: success)) }
            for actor in ["policeA.admin", "policeA.auditor"] { rows.append(Row(actor: actor, method: method, path: path, body: body, expected: .forbidden)) }
            for actor in otherOrganisation { rows.append(Row(actor: actor, method: method, path: path, body: body, expected: .notFound)) }
            rows.append(Row(actor: nil, method: method, path: path, body: body, expected: .unauthorized))
        }
        // A concern raised by staff: its author and the DSL see it; other staff do not know it exists. Its author sees
        // what they raised; the assessment is the DSL's.
        for path in ["/api/v1/cases/{S}", "/api/v1/cases/{S}/notes", "/api/v1/cases/{S}/assessment", "/api/v1/cases/{S}/assessments"] {
            rows.append(Row(actor: "school.staff", method: .GET, path: path, expected: path.hasSuffix("assessment") || path.hasSuffix("assessments") ? .forbidden : .ok))
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
            (.PUT, "/api/v1/cases/{S}/actions/{SA}/due", dueBody, .ok),
        ]
        for (method, path, body, success) in schoolWrites {
            rows.append(Row(actor: "school.dsl", method: method, path: path, body: body, expected: success))
            rows.append(Row(actor: "school.staff", method: method, path: path, body: body, expected: .forbidden))
            rows.append(Row(actor: "school.staff2", method: method, path: path, body: body, expected: .notFound))
            rows.append(Row(actor: "school.admin", method: method, path: path, body: body, expected: .forbidden))
        }
        // The response: records, chronology, sign-offs, referrals and documents are for case leads of the organisation.
        // {X} is an id that does not exist: denial comes before any lookup, so it shows the route's guard alone.
        let welfare: @Sendable (Context) async throws -> [String: Any] = { _ in
            ["kind": "welfareCheck", "person": "A", "checkedOn": "\(CaseController.today)", "result": "safe"]
        }
        let triage: @Sendable (Context) async throws -> [String: Any] = { _ in
            ["kind": "triage", "content": "image", "sentBy": ["A"], "featured": ["A"], "adultsInvolved": "no", "device": "personal",
             "sharedElsewhere": "no", "triagedOn": "\(CaseController.today)"]
        }
        let responseReads = ["/api/v1/cases/{P}/records", "/api/v1/cases/{P}/chronology", "/api/v1/cases/{P}/sign-offs",
                           "/api/v1/cases/{P}/referrals", "/api/v1/cases/{P}/documents/information-sheet",
                           "/api/v1/cases/{P}/documents/child-contact-form", "/api/v1/cases/{P}/documents/case-record",
                           "/api/v1/cases/{P}/documents/subject-access/A"]
        for path in responseReads {
            for actor in police { rows.append(Row(actor: actor, method: .GET, path: path, expected: .ok)) }
            for actor in ["policeA.admin", "policeA.auditor"] { rows.append(Row(actor: actor, method: .GET, path: path, expected: .forbidden)) }
            for actor in otherOrganisation { rows.append(Row(actor: actor, method: .GET, path: path, expected: .notFound)) }
            rows.append(Row(actor: nil, method: .GET, path: path, expected: .unauthorized))
        }
        for actor in police { rows.append(Row(actor: actor, method: .POST, path: "/api/v1/cases/{P}/records", body: welfare, expected: .created)) }
        let guarded: [(HTTPMethod, String, @Sendable (Context) async throws -> [String: Any])] = [
            (.POST, "/api/v1/cases/{P}/records", welfare),
            (.PUT, "/api/v1/cases/{P}/records/{X}", { _ in ["revision": 1, "record": ["kind": "welfareCheck"]] }),
            (.POST, "/api/v1/cases/{P}/sign-offs", { _ in ["kind": "outcome21", "rationale": "r"] }),
            (.POST, "/api/v1/cases/{P}/sign-offs/{X}/decision", { _ in ["approve": true, "reason": "Agreed: proportionate"] }),
            (.POST, "/api/v1/cases/{P}/referrals", { _ in ["toOrganisationID": UUID().uuidString, "summary": "s", "share": []] }),
            (.POST, "/api/v1/cases/{P}/referrals/{X}/response", { _ in ["status": "accepted"] }),
            (.POST, "/api/v1/cases/{P}/referrals/{X}/withdraw", { _ in ["reason": "Sent to the wrong force"] }),
            (.POST, "/api/v1/cases/{P}/documents/outcome21-letter", { _ in ["to": "youngPerson", "person": "A", "name": "N"] }),
        ]
        for (method, path, body) in guarded {
            for actor in ["policeA.admin", "policeA.auditor"] { rows.append(Row(actor: actor, method: method, path: path, body: body, expected: .forbidden)) }
            for actor in otherOrganisation { rows.append(Row(actor: actor, method: method, path: path, body: body, expected: .notFound)) }
            rows.append(Row(actor: nil, method: method, path: path, body: body, expected: .unauthorized))
        }
        // Not yet possible on a fresh case: no such record, sign-off or referral; no approved Outcome 21; only a DSL refers.
        rows.append(Row(actor: "policeA.officer", method: .PUT, path: "/api/v1/cases/{P}/records/{X}",
                        body: { _ in ["revision": 1, "record": ["kind": "welfareCheck", "person": "A", "checkedOn": "2026-01-01", "result": "r"]] }, expected: .notFound))
        rows.append(Row(actor: "policeA.supervisor", method: .POST, path: "/api/v1/cases/{P}/sign-offs/{X}/decision",
                        body: { _ in ["approve": true, "reason": "Agreed: proportionate"] }, expected: .notFound))
        rows.append(Row(actor: "policeA.officer", method: .POST, path: "/api/v1/cases/{P}/referrals/{X}/response",
                        body: { _ in ["status": "accepted"] }, expected: .notFound))
        rows.append(Row(actor: "policeA.officer", method: .POST, path: "/api/v1/cases/{P}/referrals",
                        body: { _ in ["toOrganisationID": UUID().uuidString, "summary": "s", "share": []] }, expected: .forbidden))
        rows.append(Row(actor: "policeA.officer", method: .POST, path: "/api/v1/cases/{P}/referrals/{X}/withdraw",
                        body: { _ in ["reason": "Sent to the wrong force"] }, expected: .notFound))
        rows.append(Row(actor: "school.dsl", method: .POST, path: "/api/v1/cases/{S}/referrals/{X}/withdraw",
                        body: { _ in ["reason": "Sent to the wrong force"] }, expected: .notFound))
        rows.append(Row(actor: "school.staff", method: .POST, path: "/api/v1/cases/{S}/referrals/{X}/withdraw",
                        body: { _ in ["reason": "Sent to the wrong force"] }, expected: .forbidden))
        rows.append(Row(actor: "policeA.officer", method: .POST, path: "/api/v1/cases/{P}/documents/outcome21-letter",
                        body: { _ in ["to": "youngPerson", "person": "A", "name": "N"] }, expected: .conflict))
        // School: the DSL records; staff, even on their own concern, do not; other staff do not know it exists.
        rows.append(Row(actor: "school.dsl", method: .POST, path: "/api/v1/cases/{S}/records", body: triage, expected: .created))
        rows.append(Row(actor: "school.staff", method: .POST, path: "/api/v1/cases/{S}/records", body: triage, expected: .forbidden))
        rows.append(Row(actor: "school.staff2", method: .POST, path: "/api/v1/cases/{S}/records", body: triage, expected: .notFound))
        for path in ["/api/v1/cases/{S}/records", "/api/v1/cases/{S}/chronology", "/api/v1/cases/{S}/referrals"] {
            rows.append(Row(actor: "school.dsl", method: .GET, path: path, expected: .ok))
            rows.append(Row(actor: "school.staff", method: .GET, path: path, expected: .forbidden))
        }
        // A police document is not a school's; sign-offs are police decisions.
        rows.append(Row(actor: "school.dsl", method: .GET, path: "/api/v1/cases/{S}/documents/child-contact-form", expected: .forbidden))
        rows.append(Row(actor: "school.dsl", method: .POST, path: "/api/v1/cases/{S}/sign-offs",
                        body: { _ in ["kind": "outcome21", "rationale": "r"] }, expected: .forbidden))
        // Who has seen a case: the person who opened it, supervisors, superintendents, the DSL and auditors of its
        // organisation. Another officer, staff (even the author of the concern) and admins 403; other organisations 404.
        for actor in ["policeA.officer", "policeA.supervisor", "policeA.superintendent", "policeA.auditor"] {
            rows.append(Row(actor: actor, method: .GET, path: "/api/v1/cases/{P}/access", expected: .ok))
        }
        for actor in ["policeA.officer2", "policeA.admin"] {
            rows.append(Row(actor: actor, method: .GET, path: "/api/v1/cases/{P}/access", expected: .forbidden))
        }
        for actor in otherOrganisation + ["policeB.auditor"] {
            rows.append(Row(actor: actor, method: .GET, path: "/api/v1/cases/{P}/access", expected: .notFound))
        }
        rows.append(Row(actor: nil, method: .GET, path: "/api/v1/cases/{P}/access", expected: .unauthorized))
        for actor in ["school.dsl", "school.auditor"] {
            rows.append(Row(actor: actor, method: .GET, path: "/api/v1/cases/{S}/access", expected: .ok))
        }
        for actor in ["school.staff", "school.staff2", "school.admin"] {
            rows.append(Row(actor: actor, method: .GET, path: "/api/v1/cases/{S}/access", expected: .forbidden))
        }
        rows.append(Row(actor: "policeA.supervisor", method: .GET, path: "/api/v1/cases/{S}/access", expected: .notFound))
        // Ownership (issue 11): the owner, a supervisor or a superintendent gives a case on (in a school, the DSL);
        // another officer, admins and auditors 403; other organisations 404; staff cannot be given one (422).
        let to: @Sendable (String) -> @Sendable (Context) async throws -> [String: Any] = { key in
            { ctx in ["ownerID": ctx.world.user(key).id.uuidString] }
        }
        for actor in ["policeA.officer2", "policeA.admin", "policeA.auditor"] {
            rows.append(Row(actor: actor, method: .PUT, path: "/api/v1/cases/{P}/owner", body: to("policeA.officer2"), expected: .forbidden))
        }
        for actor in otherOrganisation {
            rows.append(Row(actor: actor, method: .PUT, path: "/api/v1/cases/{P}/owner", body: to("policeA.officer2"), expected: .notFound))
        }
        rows.append(Row(actor: nil, method: .PUT, path: "/api/v1/cases/{P}/owner", body: to("policeA.officer2"), expected: .unauthorized))
        rows.append(Row(actor: "policeA.supervisor", method: .PUT, path: "/api/v1/cases/{P}/owner", body: to("policeA.officer2"), expected: .ok))
        rows.append(Row(actor: "policeA.officer2", method: .PUT, path: "/api/v1/cases/{P}/owner", body: to("policeA.officer"), expected: .ok))
        rows.append(Row(actor: "policeA.officer", method: .PUT, path: "/api/v1/cases/{P}/owner", body: to("policeA.admin"), expected: .unprocessableEntity))
        rows.append(Row(actor: "school.staff", method: .PUT, path: "/api/v1/cases/{S}/owner", body: to("school.dsl"), expected: .forbidden))
        rows.append(Row(actor: "school.dsl", method: .PUT, path: "/api/v1/cases/{S}/owner", body: to("school.staff"), expected: .unprocessableEntity))
        // Merging (issue 11): case leads of the organisation; staff 403; other organisations 404. A case into itself
        // is refused (422), so the shared cases stay open for the rows after.
        let intoItself: @Sendable (String) -> @Sendable (Context) async throws -> [String: Any] = { key in
            { ctx in ["into": ctx.ids[key]!, "version": try await ctx.version(key), "reason": "one incident"] }
        }
        for actor in noCaseContent.filter({ $0.hasPrefix("policeA") }) {
            rows.append(Row(actor: actor, method: .POST, path: "/api/v1/cases/{P}/merge", body: intoItself("P"), expected: .forbidden))
        }
        for actor in otherOrganisation {
            rows.append(Row(actor: actor, method: .POST, path: "/api/v1/cases/{P}/merge", body: intoItself("P"), expected: .notFound))
        }
        rows.append(Row(actor: nil, method: .POST, path: "/api/v1/cases/{P}/merge", body: intoItself("P"), expected: .unauthorized))
        rows.append(Row(actor: "school.staff", method: .POST, path: "/api/v1/cases/{S}/merge", body: intoItself("S"), expected: .forbidden))
        for actor in police {
            rows.append(Row(actor: actor, method: .POST, path: "/api/v1/cases/{P}/merge", body: intoItself("P"), expected: .unprocessableEntity))
        }
        rows.append(Row(actor: "school.dsl", method: .POST, path: "/api/v1/cases/{S}/merge", body: intoItself("S"), expected: .unprocessableEntity))
        // The inbox is for case roles; the directory for anyone signed in.
        for actor in police + ["school.dsl", "school.staff"] { rows.append(Row(actor: actor, method: .GET, path: "/api/v1/inbox", expected: .ok)) }
        for actor in noCaseContent { rows.append(Row(actor: actor, method: .GET, path: "/api/v1/inbox", expected: .forbidden)) }
        for actor in ["policeA.officer", "school.dsl", "school.admin"] {
            rows.append(Row(actor: actor, method: .GET, path: "/api/v1/organisations", expected: .ok))
        }
        rows.append(Row(actor: nil, method: .GET, path: "/api/v1/inbox", expected: .unauthorized))
        rows.append(Row(actor: nil, method: .GET, path: "/api/v1/organisations", expected: .unauthorized))

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
            // Your own sessions: everyone; another session id (or none) is simply not found.
            rows.append(Row(actor: actor, method: .GET, path: "/api/v1/me/sessions", expected: .ok))
            rows.append(Row(actor: actor, method: .DELETE, path: "/api/v1/me/sessions/{X}", expected: .notFound))
            // How your own letters are signed: everyone, for themselves only (there is no one else's to name).
            rows.append(Row(actor: actor, method: .PUT, path: "/api/v1/me/signature", body: { _ in ["rank": "Sergeant"] }, expected: .ok))
            // The organisation's settings and reset links: admins only, their own organisation's users only.
            rows.append(Row(actor: actor, method: .GET, path: "/api/v1/organisation/settings", expected: admin ? .ok : .forbidden))
            rows.append(Row(actor: actor, method: .PATCH, path: "/api/v1/organisation/settings", body: settingsBody,
                            expected: admin ? .ok : .forbidden))
            rows.append(Row(actor: actor, method: .POST, path: "/api/v1/users/{U}/password-reset",
                            expected: actor == "policeA.admin" ? .created : (admin ? .notFound : .forbidden)))
            rows.append(Row(actor: actor, method: .POST, path: "/api/v1/users/{U}/two-factor/reset",
                            expected: actor == "policeA.admin" ? .ok : (admin ? .notFound : .forbidden)))
            rows.append(Row(actor: actor, method: .GET, path: "/api/v1/users/{U}/tokens",
                            expected: actor == "policeA.admin" ? .ok : (admin ? .notFound : .forbidden)))
            // Retention: admins only, their own organisation's cases (a reference not theirs is not found).
            let hold: @Sendable (Context) async throws -> [String: Any] = { _ in ["reason": "Civil claim"] }
            rows.append(Row(actor: actor, method: .GET, path: "/api/v1/retention", expected: admin ? .ok : .forbidden))
            rows.append(Row(actor: actor, method: .POST, path: "/api/v1/retention/run", body: { _ in ["dryRun": true] }, expected: admin ? .ok : .forbidden))
            rows.append(Row(actor: actor, method: .PUT, path: "/api/v1/retention/holds/SG-1999-000001", body: hold, expected: admin ? .notFound : .forbidden))
            rows.append(Row(actor: actor, method: .POST, path: "/api/v1/retention/holds/SG-1999-000001/lift", body: hold, expected: admin ? .notFound : .forbidden))
        }
        rows.append(Row(actor: nil, method: .GET, path: "/api/v1/retention", expected: .unauthorized))
        rows.append(Row(actor: nil, method: .POST, path: "/api/v1/retention/run", body: { _ in ["dryRun": true] }, expected: .unauthorized))
        rows.append(Row(actor: nil, method: .PUT, path: "/api/v1/retention/holds/SG-1999-000001", body: { _ in ["reason": "x"] }, expected: .unauthorized))
        rows.append(Row(actor: nil, method: .POST, path: "/api/v1/retention/holds/SG-1999-000001/lift", body: { _ in ["reason": "x"] }, expected: .unauthorized))
        for path in ["/api/v1/me/sessions", "/api/v1/organisation/settings"] {
            rows.append(Row(actor: nil, method: .GET, path: path, expected: .unauthorized))
        }
        rows.append(Row(actor: nil, method: .DELETE, path: "/api/v1/me/sessions/{X}", expected: .unauthorized))
        rows.append(Row(actor: nil, method: .PATCH, path: "/api/v1/organisation/settings", body: settingsBody, expected: .unauthorized))
        rows.append(Row(actor: nil, method: .POST, path: "/api/v1/users/{U}/password-reset", expected: .unauthorized))
        rows.append(Row(actor: nil, method: .POST, path: "/api/v1/users/{U}/two-factor/reset", expected: .unauthorized))
        rows.append(Row(actor: nil, method: .GET, path: "/api/v1/users/{U}/tokens", expected: .unauthorized))
        rows.append(Row(actor: nil, method: .POST, path: "/api/v1/me/sign-out-everywhere", expected: .unauthorized))
        rows.append(Row(actor: nil, method: .PUT, path: "/api/v1/me/signature", body: { _ in ["rank": "Sergeant"] }, expected: .unauthorized))
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
        // Last: it revokes the caller's own token, so nothing after it could use that token.
        rows.append(Row(actor: "school.staff2", method: .POST, path: "/api/v1/me/sign-out-everywhere", expected: .ok))
        rows.append(Row(actor: "school.staff2", method: .GET, path: "/api/v1/me", expected: .unauthorized))
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
                "X": UUID().uuidString,
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

    /// The row's path in the route table's spelling.
    static let placeholders: [(String, String)] = [
        ("{P}", ":caseID"), ("{S2}", ":caseID"), ("{S}", ":caseID"), ("{PA}", ":actionID"), ("{SA}", ":actionID"), ("{U}", ":userID"),
        ("{T}", ":tokenID"), ("/records/{X}", "/records/:recordID"), ("/sign-offs/{X}", "/sign-offs/:signOffID"),
        ("/referrals/{X}", "/referrals/:referralID"), ("/sessions/{X}", "/sessions/:sessionID"), ("/people/C", "/people/:ref"),
        ("/imagery/I9", "/imagery/:ref"), ("/devices/D9", "/devices/:ref"), ("/subject-access/A", "/subject-access/:ref"),
        ("/holds/SG-1999-000001", "/holds/:reference"),
    ]

    /// Nobody outside an organisation can tell whether one of its case ids exists: for every role and every case
    /// route, the answer for another organisation's case is the answer for an id that was never issued, byte for
    /// byte. (Admins and auditors are refused case content before any case is looked up; everyone else is told
    /// there is no such case.)
    @Test func aRefusalSaysNothingOfWhetherAnotherOrganisationsCaseExists() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let theirs = try #require(try await createCase(app, token: world.token("policeA.officer"))["id"] as? String)
            let never = UUID().uuidString.lowercased()
            // Every case route that reads, from the route table itself.
            let paths = OpenAPIDocument.routes.filter { $0.method == "GET" && $0.path.hasPrefix("/api/v1/cases/:caseID") }
                .map { $0.path.dropFirst("/api/v1/cases/:caseID".count).replacingOccurrences(of: ":ref", with: "A") }
            #expect(paths.count >= 10)
            var differ: [String] = []
            for actor in ["policeB.officer", "policeB.admin", "policeB.auditor", "school.dsl", "school.staff", "school.admin", "school.auditor"] {
                for path in paths {
                    let existing = try await send(app, .GET, "/api/v1/cases/\(theirs)\(path)", token: world.token(actor))
                    let unknown = try await send(app, .GET, "/api/v1/cases/\(never)\(path)", token: world.token(actor))
                    if existing.status != unknown.status || existing.text != unknown.text || existing.status.code < 400 {
                        differ.append("\(actor) GET \(path): \(existing.status.code) \(existing.text.prefix(80)) against \(unknown.status.code) \(unknown.text.prefix(80))")
                    }
                }
            }
            #expect(differ.isEmpty, "\(differ.joined(separator: "\n"))")
        }
    }

    @Test func theTableCoversEveryAPIRoute() {
        let covered = Set(Self.table.map { row -> String in
            var path = row.path
            for (placeholder, name) in Self.placeholders { path = path.replacingOccurrences(of: placeholder, with: name) }
            return "\(row.method.rawValue) " + path
        })
        let routes = Set(OpenAPIDocument.routes.map { "\($0.method) \($0.path)" })
        #expect(routes.subtracting(covered).isEmpty, "routes without a row: \(routes.subtracting(covered).sorted())")
    }
}
