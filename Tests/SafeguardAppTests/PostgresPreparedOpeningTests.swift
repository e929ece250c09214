import FluentKit
import FluentPostgresDriver
import Foundation
import SafeguardCore
import SQLKit
@testable import SafeguardPersistence
import Testing
import Vapor
@testable import SafeguardApp

/// On PostgreSQL a case opening's one statement is prepared once on each connection (`PreparedOpening`): unnamed,
/// PostgreSQL parsed and planned it at every opening, while the write gate was held (issue 9). It must write exactly
/// what the opening says it wrote, fail as the unnamed statement fails, and never leave a connection unable to open
/// cases. Serialized: one test gives up preparing for the whole process for a moment, which another test would see.
@Suite(.serialized) struct PostgresPreparedOpeningTests {
    static let needsPostgres = Testing.ConditionTrait.enabled(if: TestDatabase.postgresURL != nil,
                                                              "needs PostgreSQL: SAFEGUARD_TEST_DATABASE_URL")

    /// A boy of 15 who sent an image of himself: several recommendations, some with a day they are due by.
    static func opening(_ app: Application, _ world: World, organisationID: UUID? = nil, summary: String = "Image sent by a pupil")
        -> @Sendable (any Database) async throws -> CaseStore.Opened {
        let officer = world.user("policeA.officer")
        let cipher = app.cipher
        return { db in
            let facts = try CaseFacts.decode(json: Data(#"""
                {"setting":"police","jurisdiction":"england","people":[{"ref":"A","age":15,"roles":["depicted","sender"]}]}
                """#.utf8))
            let assessment = GuidanceLibrary.bundled.assess(facts, today: CaseController.today)
            return try await CaseStore(db: db, cipher: cipher).openCase(
                organisationID: organisationID ?? officer.organisationID, createdBy: officer.id, summary: summary,
                status: .open, facts: facts, assessment: assessment, chronology: ("case.created", "Case opened", "officer"),
                mustActionDays: 1, now: Date(), on: db as? any SQLDatabase)
        }
    }

    /// A transaction on the one connection `db` is (Fluent's `transaction` on a database from `withConnection`
    /// begins none: it takes that database to be in one already).
    static func transaction<T: Sendable>(_ db: any Database, _ body: @Sendable (any Database) async throws -> T) async throws -> T {
        let sql = db as! any SQLDatabase
        try await sql.raw("BEGIN").run()
        do {
            let value = try await body(db)
            try await sql.raw("COMMIT").run()
            return value
        } catch {
            try await sql.raw("ROLLBACK").run()
            throw error
        }
    }

    /// Runs `body` on one connection of `app`, with an opening by `world`'s officer to call, and returns what it saw
    /// (the expectations are checked outside: `body` runs in a task of the pool's).
    static func onOneConnection<T: Sendable>(
        _ app: Application, _ world: World,
        _ body: @escaping @Sendable (_ db: any Database, _ sql: any SQLDatabase,
                                     _ open: @escaping @Sendable (any Database) async throws -> CaseStore.Opened) async throws -> T
    ) async throws -> T {
        let open = opening(app, world)
        return try await app.db.withConnection { db in try await body(db, db as! any SQLDatabase, open) }
    }

    static func preparedOpenings(_ sql: any SQLDatabase) async throws -> Int {
        try await sql.raw("SELECT count(*) AS n FROM pg_prepared_statements WHERE name = \(bind: PreparedOpening.name)").first()!
            .decode(column: "n", as: Int.self)
    }

    @Test("A case opening on PostgreSQL is prepared once on its connection and stores what it says it stored", needsPostgres)
    func anOpeningIsPreparedOncePerConnection() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let seen = try await Self.onOneConnection(app, world) { db, sql, open in
                let before = try await Self.preparedOpenings(sql)
                let first = try await Self.transaction(db) { try await open($0) }
                let afterFirst = try await Self.preparedOpenings(sql)
                let second = try await Self.transaction(db) { try await open($0) }
                let afterSecond = try await Self.preparedOpenings(sql)
                let stored = try await CaseStore(db: db, cipher: app.cipher).readView(id: first.record.id, organisationID: first.record.organisationID)
                let dueOn = try await sql.raw("SELECT id, due_on, created_at FROM case_actions WHERE case_id = \(bind: first.record.id)").all()
                    .map { (try $0.decode(column: "id", as: UUID.self), try $0.decode(column: "due_on", as: String?.self),
                            try $0.decode(column: "created_at", as: Date?.self)) }
                return (before: before, after: [afterFirst, afterSecond], first: first, second: second, stored: stored, dueOn: dueOn)
            }
            #expect(seen.before == 0, "nothing prepared on a new connection")
            #expect(seen.after == [1, 1], "the first opening prepares the statement on its connection, the second uses it again")
            #expect(seen.second.record.reference != seen.first.record.reference, "each opening takes its own number")

            let opened = seen.first
            let stored = try #require(seen.stored)
            #expect(stored.header.reference == opened.record.reference)
            #expect(stored.header.summary == "Image sent by a pupil", "the summary is stored sealed and reads back")
            #expect(stored.factsJSON == opened.view.factsJSON)
            #expect(stored.assessment?.json == opened.view.assessment?.json, "the assessment is stored as it was made")
            #expect(opened.actions.count > 1)
            func fields(_ actions: [CaseAction]) -> [String] {
                actions.map { action -> String in
                    let parts: [String] = [action.id.uuidString, action.recommendationID, action.severity, action.text,
                                           action.status.rawValue, String(action.recommended), action.dueOn?.description ?? "none"]
                    return parts.joined(separator: "|")
                }.sorted()
            }
            let storedFields = fields(stored.actions), openedFields = fields(opened.actions)
            #expect(storedFields == openedFields, "every action is stored with the fields the opening gave it")
            // Some actions are due by a day and some are not: both arrays' NULLs arrive as NULL.
            let byID = Dictionary(uniqueKeysWithValues: opened.actions.map { ($0.id, $0) })
            #expect(seen.dueOn.contains { $0.1 == nil } && seen.dueOn.contains { $0.1 != nil }, "a mix of due and undated actions")
            for (id, dueOn, createdAt) in seen.dueOn {
                let action = try #require(byID[id])
                #expect(dueOn == action.dueOn?.description)
                #expect(abs(try #require(createdAt).timeIntervalSince(try #require(action.createdAt))) < 0.001)
            }
        }
    }

    @Test("A prepared opening that fails says why, writes nothing, and the connection opens the next case", needsPostgres)
    func aFailedPreparedOpeningFailsForItsOwnReason() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let noOrganisation = Self.opening(app, world, organisationID: UUID(), summary: "No such organisation")
            let seen = try await Self.onOneConnection(app, world) { db, sql, open in
                _ = try await Self.transaction(db) { try await open($0) }
                let prepared = try await Self.preparedOpenings(sql)
                let numberBefore = try await sql.raw("SELECT next_number FROM case_numbers").first()!.decode(column: "next_number", as: Int.self)
                var state: String?
                do { _ = try await Self.transaction(db) { try await noOrganisation($0) } } catch let error as PSQLError {
                    state = error.serverInfo?[.sqlState]
                }
                let numberAfter = try await sql.raw("SELECT next_number FROM case_numbers").first()!.decode(column: "next_number", as: Int.self)
                let next = try await Self.transaction(db) { try await open($0) }
                return (prepared: prepared, state: state, numbers: [numberBefore, numberAfter], next: next)
            }
            #expect(seen.prepared == 1, "the failing opening ran prepared")
            #expect(seen.state == "23503", "the organisation's foreign key is the error, not a failed transaction's 25P02")
            #expect(seen.numbers[0] == seen.numbers[1], "no number taken")
            #expect(try await count(app, "cases") == 2, "only the two good openings were stored")
            #expect(!seen.next.record.reference.isEmpty)
        }
    }

    @Test("A preparation that fails does not stop its connection opening cases", needsPostgres)
    func aFailedPreparationIsNotTheEndOfItsConnection() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let seen = try await Self.onOneConnection(app, world) { db, sql, open in
                // The tables cannot be found while the statement is first prepared here: PostgresNIO keeps that error
                // for as long as the connection lives, and answers every later run of the statement with it.
                var failed = false
                do {
                    _ = try await Self.transaction(db) { tx in
                        try await (tx as! any SQLDatabase).raw("SET LOCAL search_path TO safeguard_no_such_schema").run()
                        return try await open(tx)
                    }
                } catch { failed = true }
                let opened = try await Self.transaction(db) { try await open($0) }
                return (failed: failed, opened: opened, prepared: try await Self.preparedOpenings(sql))
            }
            #expect(seen.failed, "with no tables to be found the opening fails, prepared or not")
            #expect(seen.prepared == 0, "the failed preparation left nothing prepared")
            let stored = try await CaseStore(db: app.db, cipher: app.cipher).readView(
                id: seen.opened.record.id, organisationID: seen.opened.record.organisationID)
            #expect(stored?.header.reference == seen.opened.record.reference, "the next opening there was stored, unnamed")
        }
    }

    @Test("When PostgreSQL has lost the prepared statement (a pooler), openings go unnamed from then on", needsPostgres)
    func aLostStatementStopsPreparingOpenings() async throws {
        defer { PreparedInTransaction.prepareAgain() }
        try await withApp { app in
            let world = try await seedWorld(app)
            let seen = try await Self.onOneConnection(app, world) { db, sql, open in
                _ = try await Self.transaction(db) { try await open($0) }
                // What PgBouncer in transaction mode does: the statement PostgresNIO prepared is not there any more.
                try await sql.raw("DEALLOCATE \(ident: PreparedOpening.name)").run()
                var state: String?
                do { _ = try await Self.transaction(db) { try await open($0) } } catch let error as PreparedStatementLost {
                    state = (error.underlying as? PSQLError)?.serverInfo?[.sqlState]
                }
                let opened = try await Self.transaction(db) { try await open($0) }
                return (state: state, opened: opened, prepared: try await Self.preparedOpenings(sql))
            }
            // The write gate runs that transaction again (`PreparedStatementLost`), so through the API that opening is
            // stored too; here, at the store, it fails once, saying so, with PostgreSQL's own word inside.
            #expect(seen.state == "26000", "the first opening after it is refused as PostgreSQL refused it")
            #expect(seen.prepared == 0, "nothing prepared again")
            #expect(PreparedInTransaction.isGivenUp, "nothing in a transaction is prepared in this process any more")
            #expect(try await count(app, "cases") == 2, "only the first opening and the next were stored")
            let stored = try await CaseStore(db: app.db, cipher: app.cipher).readView(
                id: seen.opened.record.id, organisationID: seen.opened.record.organisationID)
            #expect(stored?.header.reference == seen.opened.record.reference, "the next opening was stored, unnamed")
        }
    }
}
