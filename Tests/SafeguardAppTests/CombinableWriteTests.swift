import FluentKit
import Foundation
import NIOConcurrencyHelpers
@testable import SafeguardApp
@testable import SafeguardPersistence
import SQLKit
import Testing
import Vapor

/// `WriteGate.runCombinable`: writes of one kind queued one after another run in one call, in the order they were
/// queued; a write of another kind between them splits the run; if the call fails, each runs alone under its own
/// savepoint, so only the write at fault fails. On a SQLite file's own connection each always runs alone.
@Suite struct CombinableWriteTests {
    /// A write that inserts an organisation named `name` (failing on `refused`), and notes each call it was run in.
    struct Named: CombinableWrite {
        var name: String
        var refused = false
        var calls: NIOLockedValueBox<[[String]]>

        static func run(_ writes: [Named], on write: GroupedWrite) async throws -> [String] {
            writes[0].calls.withLockedValue { $0.append(writes.map(\.name)) }
            for w in writes {
                if w.refused { throw Refused() }
                try await write.sql.insert(into: "organisations")
                    .columns("id", "name", "kind", "jurisdiction", "next_case_number", "created_at")
                    .values(SQLBind(UUID()), SQLBind(w.name), SQLBind("police"), SQLBind("england"), SQLBind(1), SQLBind(Date()))
                    .run()
                write.audit(AuditEvent(actorID: nil, actorRole: "system", organisationID: nil, action: "test.\(w.name)"))
            }
            return writes.map { "stored \($0.name)" }
        }
    }

    struct Refused: Error {}

    /// Queues `writes` (a `Named` or, for nil, a plain write) while the gate is held, lets them go at once, and
    /// returns each one's answer ("failed" when it threw).
    static func queued(_ app: Application, _ writes: [Named?]) async throws -> [String] {
        await app.writeGate.acquire()
        return try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (index, write) in writes.enumerated() {
                group.addTask {
                    do {
                        if let write {
                            return (index, try await app.writeGate.runCombinable(app.db, direct: app.directWrites, write))
                        }
                        try await app.writeSQL { write in write.audit(AuditEvent(actorID: nil, actorRole: "system", organisationID: nil, action: "test.plain")) }
                        return (index, "plain")
                    } catch is Refused { return (index, "failed") }
                }
                // Queued in this order: the gate runs them in the order they arrive.
                for _ in 0..<200 where await app.writeGate.queuedWriteCount() <= index { try await Task.sleep(nanoseconds: 5_000_000) }
            }
            await app.writeGate.release()
            return try await group.reduce(into: Array(repeating: "", count: writes.count)) { $0[$1.0] = $1.1 }
        }
    }

    func names(_ app: Application) async throws -> Set<String> {
        Set(try await AccountStore(db: app.db).organisations().map(\.name))
    }

    @Test("Writes of one kind queued one after another run in one call, in order; a write of another kind between them splits the run (issue 9, point 6)")
    func writesOfOneKindRunTogether() async throws {
        try await withApp { app in
            let calls = NIOLockedValueBox<[[String]]>([])
            let named = { (name: String) in Named(name: name, calls: calls) }
            let answers = try await Self.queued(app, [named("A"), named("B"), named("C"), nil, named("D"), named("E")])
            #expect(answers == ["stored A", "stored B", "stored C", "plain", "stored D", "stored E"])
            #expect(try await names(app).isSuperset(of: ["A", "B", "C", "D", "E"]))
            if app.directWrites == nil {
                #expect(calls.withLockedValue { $0 } == [["A", "B", "C"], ["D", "E"]])
            } else {
                #expect(calls.withLockedValue { $0 } == [["A"], ["B"], ["C"], ["D"], ["E"]], "a SQLite file runs each alone")
            }
            let actions = try await (app.db as! any SQLDatabase).raw(
                "SELECT action FROM audit_entries WHERE action LIKE 'test.%' ORDER BY sequence").all()
                .map { try $0.decode(column: "action", as: String.self) }
            #expect(actions == ["test.A", "test.B", "test.C", "test.plain", "test.D", "test.E"], "each write's entry, in order")
            #expect(try await verifyAudit(app).verification.isValid)
        }
    }

    @Test("If writes run together fail, each runs again alone under its own savepoint: only the one at fault fails, and nothing of it is stored (issue 9: nothing half-written)")
    func aFailedCombinedCallRunsEachAlone() async throws {
        try await withApp { app in
            let calls = NIOLockedValueBox<[[String]]>([])
            let answers = try await Self.queued(app, [Named(name: "A", calls: calls), Named(name: "B", refused: true, calls: calls),
                                                      Named(name: "C", calls: calls)])
            #expect(answers == ["stored A", "failed", "stored C"])
            let stored = try await names(app)
            #expect(stored.contains("A") && stored.contains("C") && !stored.contains("B"))
            if app.directWrites == nil {
                #expect(calls.withLockedValue { $0 } == [["A", "B", "C"], ["A"], ["B"], ["C"]], "together, then each alone")
            }
            let actions = try await (app.db as! any SQLDatabase).raw(
                "SELECT action FROM audit_entries WHERE action LIKE 'test.%' ORDER BY sequence").all()
                .map { try $0.decode(column: "action", as: String.self) }
            #expect(actions == ["test.A", "test.C"])
            #expect(try await verifyAudit(app).verification.isValid)
        }
    }

    @Test("A transaction that failed only because PostgreSQL had lost a prepared statement (a pooler) is run again once, and its writes and entries stand once (issue 9: audit with group commit; nothing half-written)")
    func aTransactionThatLostAPreparedStatementRunsAgain() async throws {
        try await withApp { app in
            let runs = NIOLockedValueBox(0)
            let name = "Lost statement \(UUID().uuidString.prefix(8))"
            let answer = try await app.writeGate.run(app.db) { db in
                let run = runs.withLockedValue { $0 += 1; return $0 }
                try await (db as! any SQLDatabase).insert(into: "organisations")
                    .columns("id", "name", "kind", "jurisdiction", "next_case_number", "created_at")
                    .values(SQLBind(UUID()), SQLBind(name), SQLBind("police"), SQLBind("england"), SQLBind(1), SQLBind(Date()))
                    .run()
                try await AuditChain.append(AuditEvent(actorID: nil, actorRole: "system", organisationID: nil, action: "test.lost"), on: db)
                // The first time, as the audit append fails when PostgreSQL has lost its statement.
                if run == 1 { throw PreparedStatementLost(underlying: Refused()) }
                return "stored on run \(run)"
            }
            #expect(answer == "stored on run 2", "run again once, and answered from the second run")
            #expect(try await names(app).filter { $0 == name }.count == 1, "what the first run wrote did not stand")
            let entries = try await (app.db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM audit_entries WHERE action = 'test.lost'")
                .first()!.decode(column: "n", as: Int.self)
            #expect(entries == 1, "one audit entry, from the run that stood")
            #expect(try await verifyAudit(app).verification.isValid)

            // Any other failure is not run again.
            let other = NIOLockedValueBox(0)
            await #expect(throws: Refused.self) {
                _ = try await app.writeGate.run(app.db) { _ -> String in
                    other.withLockedValue { $0 += 1 }
                    throw Refused()
                }
            }
            #expect(other.withLockedValue { $0 } == 1)
        }
    }

    @Test("A write sharing a transaction that failed only because PostgreSQL had lost a prepared statement (a pooler) runs again once from its savepoint: it and the write beside it stand once, in one transaction (issue 9: nothing half-written)")
    func aWriteThatLostAPreparedStatementInItsSavepointRunsAgain() async throws {
        try await withApp { app in
            let runs = NIOLockedValueBox(0)
            let tag = UUID().uuidString.prefix(8)
            let lost = "Lost in its savepoint \(tag)", beside = "Beside it \(tag)"
            @Sendable func insert(_ name: String, on db: any Database) async throws {
                try await (db as! any SQLDatabase).insert(into: "organisations")
                    .columns("id", "name", "kind", "jurisdiction", "next_case_number", "created_at")
                    .values(SQLBind(UUID()), SQLBind(name), SQLBind("police"), SQLBind("england"), SQLBind(1), SQLBind(Date()))
                    .run()
            }
            let transactionsBefore = await app.writeGate.counts().transactions
            // Two writes queued while the gate is held go in one transaction, each under its own savepoint.
            await app.writeGate.acquire()
            let first = Task {
                try await app.writeGate.run(app.db) { db in
                    let run = runs.withLockedValue { $0 += 1; return $0 }
                    try await insert(lost, on: db)
                    try await AuditChain.append(AuditEvent(actorID: nil, actorRole: "system", organisationID: nil, action: "test.lostInSavepoint"), on: db)
                    // The first time, as a case opening fails when PostgreSQL has lost its statement.
                    if run == 1 { throw PreparedStatementLost(underlying: Refused()) }
                    return "stored on run \(run)"
                }
            }
            for _ in 0..<200 where await app.writeGate.queuedWriteCount() < 1 { try await Task.sleep(nanoseconds: 5_000_000) }
            let second = Task {
                try await app.writeGate.run(app.db) { db in
                    try await insert(beside, on: db)
                    return "stored beside"
                }
            }
            for _ in 0..<200 where await app.writeGate.queuedWriteCount() < 2 { try await Task.sleep(nanoseconds: 5_000_000) }
            await app.writeGate.release()
            #expect(try await first.value == "stored on run 2", "run again once, and answered from the second run")
            #expect(try await second.value == "stored beside")
            #expect(await app.writeGate.counts().transactions == transactionsBefore + 1, "both in one transaction")
            let stored = try await AccountStore(db: app.db).organisations().map(\.name)
            #expect(stored.filter { $0 == lost }.count == 1, "what the first run wrote did not stand")
            #expect(stored.filter { $0 == beside }.count == 1)
            let entries = try await (app.db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM audit_entries WHERE action = 'test.lostInSavepoint'")
                .first()!.decode(column: "n", as: Int.self)
            #expect(entries == 1, "one audit entry, from the run that stood")
            #expect(try await verifyAudit(app).verification.isValid)

            // Any other failure in a savepoint is not run again: only that write fails.
            let other = NIOLockedValueBox(0)
            await app.writeGate.acquire()
            let refused = Task {
                try await app.writeGate.run(app.db) { _ -> String in
                    other.withLockedValue { $0 += 1 }
                    throw Refused()
                }
            }
            for _ in 0..<200 where await app.writeGate.queuedWriteCount() < 1 { try await Task.sleep(nanoseconds: 5_000_000) }
            let fine = Task { try await app.writeGate.run(app.db) { _ in "fine" } }
            for _ in 0..<200 where await app.writeGate.queuedWriteCount() < 2 { try await Task.sleep(nanoseconds: 5_000_000) }
            await app.writeGate.release()
            await #expect(throws: Refused.self) { _ = try await refused.value }
            #expect(try await fine.value == "fine")
            #expect(other.withLockedValue { $0 } == 1)
        }
    }
}
