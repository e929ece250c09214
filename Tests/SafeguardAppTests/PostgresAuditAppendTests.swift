import FluentKit
import FluentPostgresDriver
import Foundation
import SQLKit
@testable import SafeguardApp
@testable import SafeguardPersistence
import Testing
import Vapor

/// On PostgreSQL an audit append is two prepared statements (`AuditHeadStatement`, `AuditEntriesStatement`), where
/// SQLKit's was three with a new text for each number of entries (issue 9, point 4: audit with group commit). The trail
/// it writes must be the one SQLKit wrote, one chain that verifies, and a failed preparation must not stop appends.
@Suite struct PostgresAuditAppendTests {
    static func events(_ world: World, _ count: Int, caseID: UUID? = nil) -> [AuditEvent] {
        let officer = world.user("policeA.officer")
        return (0..<count).map { index in
            AuditEvent(actorID: index % 3 == 0 ? nil : officer.id, actorRole: index % 3 == 0 ? "" : "officer",
                       organisationID: officer.organisationID, action: "case.read", caseID: index % 2 == 0 ? caseID : nil,
                       outcome: index == 1 ? "denied" : "ok", detail: index == 2 ? "count=2" : "")
        }
    }

    /// The stored entries after `sequence`, as `AuditEntry` values.
    static func stored(_ app: Application, after sequence: Int) async throws -> [AuditEntry] {
        try await (app.db as! any SQLDatabase).raw("""
            SELECT sequence, at, actor_id, actor_role, organisation_id, action, case_id, outcome, detail, previous_hash, hash \
            FROM audit_entries WHERE sequence > \(bind: sequence) ORDER BY sequence
            """).all().map { row in
            AuditEntry(sequence: try row.decode(column: "sequence", as: Int.self), at: try row.decode(column: "at", as: String.self),
                       actorID: try row.decode(column: "actor_id", as: String.self), actorRole: try row.decode(column: "actor_role", as: String.self),
                       organisationID: try row.decode(column: "organisation_id", as: String.self),
                       action: try row.decode(column: "action", as: String.self), caseID: try row.decode(column: "case_id", as: String.self),
                       outcome: try row.decode(column: "outcome", as: String.self), detail: try row.decode(column: "detail", as: String.self),
                       previousHash: try row.decode(column: "previous_hash", as: String.self), hash: try row.decode(column: "hash", as: String.self))
        }
    }

    static func head(_ app: Application) async throws -> Int {
        try await (app.db as! any SQLDatabase).raw("SELECT sequence FROM audit_head WHERE id = 1").first()!.decode(column: "sequence", as: Int.self)
    }

    @Test("On PostgreSQL an audit append's prepared statements store what SQLKit's stored, in one chain that verifies (issue 9, point 4)",
          .enabled(if: TestDatabase.postgresURL != nil, "needs PostgreSQL: SAFEGUARD_TEST_DATABASE_URL"))
    func preparedAppendsStoreWhatSQLKitStored() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let caseID = UUID()
            let start = try await Self.head(app)
            // Prepared, then through SQLKit, then prepared again: batches of one and several, each in a transaction
            // as the write gate appends them, on one connection, whose prepared statements are then read.
            let (written, prepared) = try await app.db.withConnection { db in
                var written: [AuditEntry] = []
                for (prepared, count) in [(true, 1), (true, 5), (false, 4), (true, 3)] {
                    let events = Self.events(world, count, caseID: caseID)
                    written += try await db.transaction { tx in
                        let sql = tx as! any SQLDatabase, times = Array(repeating: Date(), count: count)
                        return prepared ? try await AuditChain.append(events, at: times, on: sql)
                            : try await AuditChain.appendThroughSQLKit(events, at: times, on: sql)
                    }
                }
                let names = try await (db as! any SQLDatabase).raw("""
                    SELECT name FROM pg_prepared_statements WHERE name IN (\(bind: AuditHeadStatement.name), \(bind: AuditEntriesStatement.name))
                    """).all().map { try $0.decode(column: "name", as: String.self) }
                return (written, Set(names))
            }
            #expect(prepared == [AuditHeadStatement.name, AuditEntriesStatement.name], "an append on PostgreSQL is sent prepared")
            let stored = try await Self.stored(app, after: start)
            #expect(stored == written, "every entry is stored as the append gave it, whichever way it was sent")
            #expect(stored.map(\.sequence) == Array(start + 1...start + 13), "one sequence, no gap, across both ways")
            #expect(stored.filter { $0.caseID == caseID.lowercasedText }.count == 8 && stored.contains { $0.outcome == "denied" })
            #expect(try await Self.head(app) == start + 13)
            let verified = try await verifyAudit(app).verification
            #expect(verified.firstBadSequence == nil, "the chain verifies across prepared and SQLKit appends")
        }
    }

    @Test("On PostgreSQL a prepared audit append that cannot be prepared fails as the append would, and later appends on that connection still work (issue 9, point 4)",
          .enabled(if: TestDatabase.postgresURL != nil, "needs PostgreSQL: SAFEGUARD_TEST_DATABASE_URL"))
    func aFailedPreparationDoesNotStopAppends() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let start = try await Self.head(app)
            let outcome = try await app.db.withConnection { db in
                let sql = db as! any SQLDatabase
                let path = try #require(try await sql.raw("SHOW search_path").first()?.decode(column: "search_path", as: String.self))
                // No audit tables to be found. If the statements were not yet prepared on this connection, their
                // preparation fails and PostgresNIO keeps that failure for the connection's life; if they were, they
                // fail as they run. Either way the append must fail for that reason, and the next one work. (Not
                // DEALLOCATE: that is a pooler losing the statements, which stops preparing in the whole process and
                // would change what the suite's other tests see.)
                try await sql.raw("SET search_path TO safeguard_no_such_schema").run()
                var failure = ""
                do { _ = try await AuditChain.append(Self.events(world, 2), on: sql) } catch { failure = String(reflecting: error) }
                try await sql.raw("SET search_path TO \(unsafeRaw: path)").run()
                let after = try await db.transaction { tx in
                    try await AuditChain.append(Self.events(world, 3), at: Array(repeating: Date(), count: 3), on: tx as! any SQLDatabase)
                }
                return (failure: failure, after: after)
            }
            #expect(outcome.failure.contains("audit_head"), "the append fails, naming what it could not find: \(outcome.failure)")
            #expect(outcome.after.count == 3, "the next append on that connection is sent unnamed, and works")
            #expect(try await Self.stored(app, after: start) == outcome.after, "only the appends that worked are stored")
            #expect(try await verifyAudit(app).verification.firstBadSequence == nil)
        }
    }
}
