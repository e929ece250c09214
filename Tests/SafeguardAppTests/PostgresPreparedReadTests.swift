import FluentKit
import FluentPostgresDriver
import Foundation
import SQLKit
@testable import SafeguardPersistence
import Testing
import Vapor
@testable import SafeguardApp

/// On PostgreSQL a request's case read sends its case row as a statement that each connection prepares once
/// (`CaseRowStatement`): unnamed, PostgreSQL parsed and planned it at every read, about half of its work for a read
/// (issue 9). It must read exactly what the unnamed statement reads.
@Suite struct PostgresPreparedReadTests {
    @Test("A request's case read on PostgreSQL is prepared once on its connection and reads what the unnamed statement reads",
          .enabled(if: TestDatabase.postgresURL != nil, "needs PostgreSQL: SAFEGUARD_TEST_DATABASE_URL"))
    func theCaseRowIsPreparedOncePerConnection() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let created = try await createCase(app, token: token)
            let caseID = try #require(UUID(uuidString: created["id"] as! String))
            let organisationID = world.user("policeA.officer").organisationID

            // Inside a transaction (no cache): the unnamed statement, as before.
            let unnamed = try await app.db.transaction { tx in
                try await CaseStore(db: tx, cipher: app.cipher).readView(id: caseID, organisationID: organisationID)
            }
            let expected = try #require(unnamed)

            // On one connection, so that PostgreSQL's list of that connection's prepared statements can be read. (The
            // expectations are checked outside: this closure runs in a task of the pool's.)
            let seen = try await app.db.withConnection { db in
                let sql = db as! any SQLDatabase
                @Sendable func prepared() async throws -> [String] {
                    try await sql.raw("""
                        SELECT name FROM pg_prepared_statements \
                        WHERE name IN (\(bind: CaseRowStatement.name), \(bind: CaseActionsStatement.name), \(bind: LatestAssessmentStatement.name)) \
                        ORDER BY name
                        """).all()
                        .map { try $0.decode(column: "name", as: String.self) }
                }
                let store = CaseStore(db: db, cipher: app.cipher, views: CaseViewCache(capacity: 8))
                // Nothing read through the cache yet on this app, so nothing prepared on any of its connections.
                let before = try await prepared()
                let first = try await store.readView(id: caseID, organisationID: organisationID)
                let afterFirst = try await prepared()
                let second = try await store.readView(id: caseID, organisationID: organisationID)
                let afterSecond = try await prepared()
                let otherOrganisation = try await store.readView(id: caseID, organisationID: UUID())
                let unknownCase = try await store.readView(id: UUID(), organisationID: organisationID)
                return (before: before, after: [afterFirst, afterSecond], reads: [first, second],
                        nothing: [otherOrganisation, unknownCase])
            }
            #expect(seen.before.isEmpty, "no read before this one prepared the case row")
            let all = [CaseActionsStatement.name, CaseRowStatement.name, LatestAssessmentStatement.name].sorted()
            #expect(seen.after == [all, all],
                    "the first read prepares the case row, and (its case not kept yet) its actions and assessment, on its connection; the second uses them again")
            for read in seen.reads {
                let read = try #require(read)
                #expect(read.header == expected.header, "the case row reads the same prepared as unnamed")
                #expect(read.factsJSON == expected.factsJSON)
                #expect(read.actions == expected.actions, "the actions read the same prepared as unnamed, in the same order")
                #expect(read.assessment?.json == expected.assessment?.json && read.assessment?.id == expected.assessment?.id
                        && read.assessment?.editions == expected.assessment?.editions, "and the latest assessment")
                #expect(read.header.summary == "Image shared between two pupils", "the summary is opened, not left sealed")
            }
            #expect(seen.nothing.allSatisfy { $0 == nil }, "another organisation's id, or an unknown case, reads nothing")

            // A preparation that fails (here: the tables cannot be found) is remembered by PostgresNIO for as long as
            // the connection lives; once the fault has passed, reads on that connection still work, unnamed.
            let recovered = try await app.db.withConnection { db in
                let sql = db as! any SQLDatabase
                let path = try #require(try await sql.raw("SHOW search_path").first()?.decode(column: "search_path", as: String.self))
                let store = CaseStore(db: db, cipher: app.cipher, views: CaseViewCache(capacity: 8))
                // Whichever connection this is, PostgreSQL holds none of the reads' statements on it now (one prepared
                // before would still find the tables); PostgresNIO may think it does, which must not matter either.
                // (The reads' only: losing the audit's would make this process stop preparing statements.)
                let reads = [CaseRowStatement.name, CaseActionsStatement.name, LatestAssessmentStatement.name, CaseRowsByIDStatement.name]
                for name in try await sql.raw("SELECT name FROM pg_prepared_statements").all().map({ try $0.decode(column: "name", as: String.self) })
                where reads.contains(name) {
                    try await sql.raw("DEALLOCATE \(ident: name)").run()
                }
                try await sql.raw("SET search_path TO safeguard_no_such_schema").run()
                let failed: Bool
                do { _ = try await store.readView(id: caseID, organisationID: organisationID); failed = false } catch { failed = true }
                try await sql.raw("SET search_path TO \(unsafeRaw: path)").run()
                let again = try await store.readView(id: caseID, organisationID: organisationID)
                // Only the case row's: the read failed at its case row, so whether the actions and assessment are
                // prepared by the next read depends on which of the pool's connections this is (a fresh one prepares
                // them; on the one that prepared them above, PostgresNIO believes they still are).
                let prepared = try await sql.raw("""
                    SELECT name FROM pg_prepared_statements WHERE name = \(bind: CaseRowStatement.name)
                    """).all()
                return (failed: failed, again: again, prepared: prepared.count)
            }
            #expect(recovered.failed, "with no tables to be found the read fails, prepared or not")
            #expect(recovered.prepared == 0, "the failed preparation of the case row left it unprepared")
            #expect(try #require(recovered.again).header == expected.header, "the next read on that connection works")

            // The same through shared reads (`CaseRowReads`): a batch that fails is not a case that is not there. The
            // read throws (the statement sent alone fails too), rather than reading nothing, which would be a 404.
            let shared = try await app.db.withConnection { db in
                let sql = db as! any SQLDatabase
                let path = try #require(try await sql.raw("SHOW search_path").first()?.decode(column: "search_path", as: String.self))
                let store = CaseStore(db: db, cipher: app.cipher, views: CaseViewCache(capacity: 8), rowReads: CaseRowReads())
                try await sql.raw("SET search_path TO safeguard_no_such_schema").run()
                let outcome: String
                do {
                    outcome = try await store.readView(id: caseID, organisationID: organisationID) == nil ? "nothing" : "a case"
                } catch { outcome = "an error" }
                try await sql.raw("SET search_path TO \(unsafeRaw: path)").run()
                return (outcome: outcome, again: try await store.readView(id: caseID, organisationID: organisationID))
            }
            #expect(shared.outcome == "an error", "a shared read whose batch fails reads alone, and fails as a read alone does")
            #expect(try #require(shared.again).header == expected.header, "once the fault has passed, shared reads work")

            // Through the API, as a request reads it.
            let read = try await send(app, .GET, "/api/v1/cases/\(caseID.uuidString)", token: token)
            #expect(read.status == .ok && read.json["summary"] as? String == "Image shared between two pupils")
        }
    }
}
