import Fluent
import Foundation
import SafeguardApp
import SafeguardPersistence
import SQLKit
import Testing
import Vapor

@Suite struct AuditTrailTests {
    /// A workload touching every kind of audited event.
    static func workload(_ app: Application, _ world: World) async throws -> String {
        let token = world.token("policeA.officer")
        let created = try await createCase(app, token: token, summary: "SECRET-SUMMARY-TEXT")
        let id = created["id"] as! String
        _ = try await send(app, .GET, "/api/v1/cases/\(id)", token: token)
        _ = try await send(app, .POST, "/api/v1/cases/\(id)/notes", token: token, json: ["text": "SECRET-NOTE-TEXT"])
        _ = try await send(app, .GET, "/api/v1/cases/\(id)", token: world.token("policeB.officer"))           // rejected: 404
        _ = try await send(app, .POST, "/api/v1/tokens", json: ["email": "officer@policea.test", "password": "wrong"])
        let made = try await send(app, .POST, "/api/v1/tokens", json: ["email": "officer@policea.test", "password": testPassword])
        _ = try await send(app, .DELETE, "/api/v1/tokens/\(made.json["id"] as! String)", token: token)
        return id
    }

    @Test func everySignInReadWriteTokenAndRejectionIsRecordedWithoutCaseText() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = try await Self.workload(app, world)
            let entries = try await AuditStore(db: app.db).entries(organisationID: nil, limit: 1000)
            let actions = entries.map(\.action)
            for expected in ["case.create", "case.read", "case.note.add", "signIn", "token.create", "token.revoke", "request.rejected"] {
                #expect(actions.contains(expected), "missing \(expected) in \(actions)")
            }
            #expect(entries.contains { $0.action == "signIn" && $0.outcome == "failure" })
            #expect(entries.contains { $0.action == "signIn" && $0.outcome == "success" })
            let read = try #require(entries.first { $0.action == "case.read" })
            #expect(read.caseID == id.lowercased())
            #expect(read.actorID == world.user("policeA.officer").id.uuidString.lowercased())
            #expect(read.organisationID == world.policeA.id.uuidString.lowercased())
            #expect(read.actorRole == "officer")
            let rejected = try #require(entries.first { $0.action == "request.rejected" && $0.detail.contains("404") })
            #expect(rejected.actorID == world.user("policeB.officer").id.uuidString.lowercased())

            // No case free text anywhere in the trail.
            let rows = try await (app.db as! any SQLDatabase).raw("SELECT * FROM audit_entries").all()
            for row in rows {
                for column in ["detail", "action", "outcome", "actor_role", "case_id"] {
                    let value = try row.decode(column: column, as: String.self)
                    #expect(!value.contains("SECRET"), "case text leaked into audit \(column)")
                }
            }
            // The organisation's auditor reads it through the API.
            let api = try await send(app, .GET, "/api/v1/audit?limit=500", token: world.token("policeA.auditor"))
            #expect(api.status == .ok)
            let apiEntries = api.json["entries"] as! [[String: Any]]
            #expect(!apiEntries.isEmpty)
            #expect(apiEntries.allSatisfy { $0["organisationID"] as? String == world.policeA.id.uuidString.lowercased() })
        }
    }

    @Test func theChainIsValidAfterAWorkloadAndAnEditIsCaughtAtTheEditedEntry() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            _ = try await Self.workload(app, world)
            let before = try await verifyAudit(app).verification
            #expect(before.isValid, "\(before.problem ?? "")")
            #expect(before.entriesChecked == (try await count(app, "audit_entries")))
            let verify = try await send(app, .GET, "/api/v1/audit/verify", token: world.token("school.auditor"))
            #expect(verify.json["valid"] as? Bool == true)

            try await (app.db as! any SQLDatabase).raw("UPDATE audit_entries SET detail = 'tampered' WHERE sequence = 3").run()
            let after = try await verifyAudit(app).verification
            #expect(!after.isValid)
            #expect(after.firstBadSequence == 3)
            #expect(after.problem?.contains("entry 3") == true)
        }
    }

    @Test func aDeletedEntryIsCaughtInTheMiddleAndAtTheEnd() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            _ = try await Self.workload(app, world)
            let total = try await count(app, "audit_entries")
            try await (app.db as! any SQLDatabase).raw("DELETE FROM audit_entries WHERE sequence = 5").run()
            let middle = try await verifyAudit(app).verification
            #expect(!middle.isValid)
            #expect(middle.firstBadSequence == 6, "the entry after the gap is the first that does not fit")
            #expect(middle.problem?.contains("deleted") == true)
        }
        try await withApp { app in
            let world = try await seedWorld(app)
            _ = try await Self.workload(app, world)
            let total = try await count(app, "audit_entries")
            try await (app.db as! any SQLDatabase).raw("DELETE FROM audit_entries WHERE sequence = \(unsafeRaw: String(total))").run()
            let tail = try await verifyAudit(app).verification
            #expect(!tail.isValid)
            #expect(tail.firstBadSequence == total)
        }
    }

    @Test func aRecomputedHashIsStillCaughtByTheNextEntry() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            _ = try await Self.workload(app, world)
            // Edit entry 2 and recompute its own hash: entry 3 no longer fits.
            var entry = try #require(try await AuditStore(db: app.db).entries(organisationID: nil, limit: 1000).first { $0.sequence == 2 })
            entry.detail = "forged"
            let forged = AuditChain.hash(previous: entry.previousHash, entry: entry)
            try await (app.db as! any SQLDatabase).raw("UPDATE audit_entries SET detail = 'forged', hash = \(bind: forged) WHERE sequence = 2").run()
            let result = try await verifyAudit(app).verification
            #expect(result.firstBadSequence == 3)
        }
    }

    @Test func aChangeIsNotKeptWhenItsAuditEntryCannotBeWritten() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = try await createCase(app, token: world.token("policeA.officer"))["id"] as! String
            let notesBefore = try await count(app, "case_notes")
            // Break the chain's head: appending fails, so the whole transaction must roll back.
            try await (app.db as! any SQLDatabase).raw("DELETE FROM audit_head").run()
            let note = try await send(app, .POST, "/api/v1/cases/\(id)/notes", token: world.token("policeA.officer"), json: ["text": "x"])
            #expect(note.status == .internalServerError)
            #expect(try await count(app, "case_notes") == notesBefore, "the note was rolled back with its audit entry")
            let facts = try await send(app, .PUT, "/api/v1/cases/\(id)/facts", token: world.token("policeA.officer"),
                                       json: ["version": 1, "facts": sampleFacts])
            #expect(facts.status == .internalServerError)
            let version = try await (app.db as! any SQLDatabase).raw("SELECT version FROM cases").first()?.decode(column: "version", as: Int.self)
            #expect(version == 1)
        }
    }

    @Test func verifyReadsALongTrailInPagesAndStillFindsTheBadEntry() async throws {
        try await withApp { app in
            try await app.write { db in
                for i in 0..<2_100 {
                    try await AuditChain.append(AuditEvent(actorID: nil, actorRole: "system", organisationID: nil,
                                                           action: "test.event", detail: "n=\(i)"), on: db)
                }
            }
            let valid = try await verifyAudit(app).verification
            #expect(valid.isValid)
            #expect(valid.entriesChecked == 2_100)
            try await (app.db as! any SQLDatabase).raw("UPDATE audit_entries SET action = 'x' WHERE sequence = 2050").run()
            let broken = try await verifyAudit(app).verification
            #expect(broken.firstBadSequence == 2050)
        }
    }

    /// Issue 9: on PostgreSQL the verifier lays each page out in parallel parts, hashed apart from the order of the
    /// links. Whatever part an edit, a broken link or a deletion falls in, the verdict is the one a check in order
    /// gives: the first bad entry, and an edit found only when it comes before the first broken link.
    @Test func verifyNamesTheFirstBadEntryWhicheverPartOfAPageItFallsIn() async throws {
        try await withApp { app in
            let sql = app.db as! any SQLDatabase
            try await app.write { db in
                for i in 0..<41 {
                    try await AuditChain.append(AuditEvent(actorID: nil, actorRole: "system", organisationID: nil,
                                                           action: "test.event", detail: "n=\(i)"), on: db)
                }
            }
            let total = try await verifyAudit(app).verification.entriesChecked
            #expect(total == 41)
            func edit(_ sequence: Int) async throws {
                try await sql.raw("UPDATE audit_entries SET detail = 'changed' WHERE sequence = \(bind: sequence)").run()
            }
            func unedit(_ sequence: Int) async throws {
                try await sql.raw("UPDATE audit_entries SET detail = \(bind: "n=\(sequence - 1)") WHERE sequence = \(bind: sequence)").run()
            }
            func unlink(_ sequence: Int) async throws {
                try await sql.raw("UPDATE audit_entries SET previous_hash = \(bind: AuditChain.genesisHash) WHERE sequence = \(bind: sequence)").run()
            }
            func relink(_ sequence: Int) async throws {
                let before = try await sql.raw("SELECT hash FROM audit_entries WHERE sequence = \(bind: sequence - 1)").first()!
                    .decode(column: "hash", as: String.self)
                try await sql.raw("UPDATE audit_entries SET previous_hash = \(bind: before) WHERE sequence = \(bind: sequence)").run()
            }
            // An edit anywhere, the first and the last entries and both sides of every seam included.
            for sequence in 1...41 {
                try await edit(sequence)
                let found = try await verifyAudit(app).verification
                #expect(found.firstBadSequence == sequence, "edit of entry \(sequence)")
                #expect(found.problem?.contains("edited") == true)
                #expect(found.entriesChecked == sequence - 1)
                try await unedit(sequence)
            }
            #expect(try await verifyAudit(app).verification.isValid)
            // An edit and a broken link: whichever comes first is named, in the same part or in different ones.
            for (edited, unlinked, named) in [(10, 30, 10), (30, 10, 10), (30, 25, 25), (25, 30, 25), (21, 22, 21), (22, 21, 21)] {
                try await edit(edited)
                try await unlink(unlinked)
                let found = try await verifyAudit(app).verification
                #expect(found.firstBadSequence == named, "edit of \(edited), link of \(unlinked)")
                #expect(found.problem?.contains(named == edited ? "edited" : "previous hash does not match") == true)
                try await unedit(edited)
                try await relink(unlinked)
            }
            #expect(try await verifyAudit(app).verification.isValid)
            // Entries deleted across a seam.
            try await sql.raw("DELETE FROM audit_entries WHERE sequence IN (20, 21, 22)").run()
            let gap = try await verifyAudit(app).verification
            #expect(gap.firstBadSequence == 23)
            #expect(gap.problem?.contains("entries 20–22 were deleted") == true)
        }
    }
}

/// A refused request that names a case is audited against that case, so that "did anyone try to read case X?" has an
/// answer (found in an administrator's review: the case was left blank).
@Suite struct RefusedCaseRequestAuditTests {
    @Test func aRefusedReadOfACaseNamesTheCase() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = (try await createCase(app, token: world.token("school.staff"))["id"] as! String).lowercased()
            let refused = try await send(app, .GET, "/api/v1/cases/\(id)/records", token: world.token("school.staff"))
            #expect(refused.status == .forbidden)
            let entries = try await AuditStore(db: app.db).entries(organisationID: nil, limit: 100, caseID: UUID(text: id))
            #expect(entries.contains { $0.action == "request.rejected" && $0.detail.contains("status=403") }, "\(entries.map(\.action))")
        }
    }
}
