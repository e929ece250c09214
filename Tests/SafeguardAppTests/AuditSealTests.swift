import Foundation
@testable import SafeguardPersistence
import SQLKit
import Testing
import Vapor
@testable import SafeguardApp

/// Issue 13, point 8: with write access to the database one could edit an entry, recompute every later hash and the
/// head, and `audit verify` still said the chain was valid. The head is now sealed with a key kept outside the
/// database (an HMAC of its sequence and hash), so a rewrite without the key is caught, and never extended.
@Suite struct AuditSealTests {
    /// What someone with the database but not the key can do: change an entry and make every hash after it fit.
    static func rewrite(_ app: Application, editing sequence: Int) async throws {
        let sql = app.db as! any SQLDatabase
        var entries = try await AuditStore(db: app.db).entries(organisationID: nil, limit: 10_000).sorted { $0.sequence < $1.sequence }
        var previous = AuditChain.genesisHash
        for i in entries.indices {
            if entries[i].sequence == sequence { entries[i].detail = "rewritten" }
            if entries[i].sequence >= sequence {
                entries[i].previousHash = previous
                entries[i].hash = AuditChain.hash(previous: previous, entry: entries[i])
                try await sql.raw("""
                    UPDATE audit_entries SET detail = \(bind: entries[i].detail), previous_hash = \(bind: entries[i].previousHash),
                    hash = \(bind: entries[i].hash) WHERE sequence = \(bind: entries[i].sequence)
                    """).run()
            }
            previous = entries[i].hash
        }
        try await sql.raw("UPDATE audit_head SET hash = \(bind: previous) WHERE id = 1").run()
    }

    @Test func anEditWithEveryLaterHashRecomputedIsCaughtAndNeverExtended() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            for _ in 0..<3 { _ = try await createCase(app, token: token) }
            #expect(try await verifyAudit(app).verification.isValid)

            try await Self.rewrite(app, editing: 2)
            let unsealed = try await verifyAudit(app, from: nil, seal: nil).verification
            #expect(unsealed.isValid, "without the key, the rewrite passes: this is what the seal is for")
            let sealed = try await verifyAudit(app).verification
            #expect(!sealed.isValid)
            #expect(sealed.problem?.contains("the seal does not match") == true, "\(sealed.problem ?? "")")
            #expect(try await AuditChain.sealState(on: app.db) == .mismatched)
            await #expect(throws: AuditChainError.self) { try await SafeguardServer.checkAuditSeal(app) }

            // The server does not seal the forgery by writing after it: the change is refused and nothing is stored.
            let cases = try await count(app, "cases")
            let reply = try await send(app, .POST, "/api/v1/cases", token: token, json: ["summary": "after the rewrite", "facts": sampleFacts])
            #expect(reply.status == .internalServerError)
            #expect(try await count(app, "cases") == cases)
            #expect(!(try await verifyAudit(app).verification.isValid))
        }
    }

    @Test func deletingTheNewestEntriesAndTheHeadWithThemIsCaught() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            for _ in 0..<2 { _ = try await createCase(app, token: world.token("policeA.officer")) }
            let sql = app.db as! any SQLDatabase
            let newest = try await AuditStore(db: app.db).entries(organisationID: nil, limit: 2)
            try await sql.raw("DELETE FROM audit_entries WHERE sequence = \(bind: newest[0].sequence)").run()
            try await sql.raw("UPDATE audit_head SET sequence = \(bind: newest[1].sequence), hash = \(bind: newest[1].hash) WHERE id = 1").run()
            #expect(try await verifyAudit(app, from: nil, seal: nil).verification.isValid)
            #expect(!(try await verifyAudit(app).verification.isValid))
        }
    }

    @Test func anotherKeyDoesNotVerifyAndATrailWrittenBeforeAKeyIsSealedOnlyOnPurpose() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            _ = try await createCase(app, token: world.token("policeA.officer"))
            let other = try AuditSeal(base64: Data((0..<32).map { UInt8($0) }).base64EncodedString())
            #expect(!(try await verifyAudit(app, from: nil, seal: other).verification.isValid))
            #expect(throws: AuditChainError.self) { try AuditSeal(base64: "c2hvcnQ=") }

            // A trail written before the key was configured: no seal on its head.
            try await (app.db as! any SQLDatabase).raw("UPDATE audit_head SET mac = NULL WHERE id = 1").run()
            #expect(try await AuditChain.sealState(on: app.db) == .unsealed)
            await #expect(throws: AuditChainError.self) { try await SafeguardServer.checkAuditSeal(app) }
            let body: [String: Any] = ["summary": "Image shared between two pupils", "facts": sampleFacts]
            #expect(try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"), json: body).status == .internalServerError,
                    "nothing is written after an unsealed head until someone seals it on purpose")
            let sealed = try await SafeguardServer.sealAudit(app)
            #expect(sealed > 0)
            #expect(try await verifyAudit(app).verification.isValid)
            #expect(try await AuditChain.sealState(on: app.db) == .sealed)
            #expect(try await send(app, .POST, "/api/v1/cases", token: world.token("policeA.officer"), json: body).status == .created)
        }
    }

    /// A command run without the audit key (from an admin's shell without the server's settings) once appended to a
    /// sealed trail, leaving its head unsealed: every server with the key then answered 500 and would not start again.
    /// Now a process without the key refuses to append to a sealed trail, and a server started without it refuses to
    /// start, each saying what to set.
    @Test func aProcessWithoutTheKeyNeitherStartsOnNorAppendsToASealedTrail() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            _ = try await createCase(app, token: world.token("policeA.officer"))
            #expect(try await AuditChain.sealState(on: app.db, seal: nil) == .keyMissing)
            await #expect { try await SafeguardServer.checkAuditSeal(app, seal: nil) } throws: {
                "\($0)".contains("the audit trail is sealed but no audit key is set") && "\($0)".contains("SAFEGUARD_AUDIT_KEY_FILE")
            }
            // Appending without the key is refused before anything is written.
            let head = try #require(try await (app.db as! any SQLDatabase).raw("SELECT sequence, hash, mac FROM audit_head WHERE id = 1").first())
            let sequence = try head.decode(column: "sequence", as: Int.self)
            let event = AuditEvent(actorID: nil, actorRole: "system", organisationID: nil, action: "user.enable")
            #expect { try AuditChain.link([event], head: (sequence + 1, try head.decode(column: "hash", as: String.self),
                                                          try head.decode(column: "mac", as: String?.self)), at: [Date()], seal: nil) } throws: {
                "\($0)".contains("the audit trail is sealed and this process has no audit key") && "\($0)".contains("Nothing was changed")
            }
            // With the key, as before; and a trail never sealed takes entries without one.
            _ = try AuditChain.link([event], head: (sequence + 1, try head.decode(column: "hash", as: String.self),
                                                    try head.decode(column: "mac", as: String?.self)), at: [Date()])
            _ = try AuditChain.link([event], head: (sequence + 1, try head.decode(column: "hash", as: String.self), nil), at: [Date()], seal: nil)
            #expect(try await verifyAudit(app).verification.isValid)
        }
    }
}
