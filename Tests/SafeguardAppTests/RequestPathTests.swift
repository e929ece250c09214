import Fluent
import Foundation
@testable import SafeguardApp
@testable import SafeguardPersistence
import SQLKit
import Testing
import Vapor

/// The request path of issue 9: reads audited through group commit without the write lock, identities cached but
/// revocations felt at once, anonymous junk counted in memory, and one way to open a case.
@Suite struct RequestPathTests {
    @Test func theCanonicalFormIsByteForByteWhatJSONEncoderWrites() throws {
        struct Canonical: Encodable {
            var sequence: Int, at: String, actorID: String, actorRole: String, organisationID: String
            var action: String, caseID: String, outcome: String, detail: String
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let awkward = ["", "plain", "quote \" and backslash \\ and slash /", "line\nbreak\r\ttab", "\u{0}\u{1}\u{8}\u{c}\u{1f}\u{7f}",
                       "Ünïcödé — “quotes” 😀", "status=404 GET /api/v1/cases/:caseID", "\u{202E}reversed\u{2066}"]
        for (index, text) in awkward.enumerated() {
            let entry = AuditEntry(sequence: index * 1_000_003, at: "2026-11-30T23:59:59.123+0000", actorID: text, actorRole: "officer",
                                   organisationID: text, action: text, caseID: "", outcome: "ok", detail: text, previousHash: "", hash: "")
            let expected = try encoder.encode(Canonical(sequence: entry.sequence, at: entry.at, actorID: entry.actorID,
                                                        actorRole: entry.actorRole, organisationID: entry.organisationID,
                                                        action: entry.action, caseID: entry.caseID, outcome: entry.outcome,
                                                        detail: entry.detail))
            #expect(AuditChain.canonical(entry) == Array(expected), "canonical form differs for \(text.debugDescription)")
        }
    }

    @Test func concurrentReadsAreAuditedInSharedBatchesAndTheChainHolds() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let id = try await createCase(app, token: token)["id"] as! String
            let before = try await app.auditWriter.counts()
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for _ in 0..<40 {
                    group.addTask { try await send(app, .GET, "/api/v1/cases/\(id)", token: token) }
                }
                return try await group.reduce(into: [Reply]()) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == .ok }, "\(replies.filter { $0.status != .ok }.map { "\($0.status.code) \($0.text)" })")
            let after = try await app.auditWriter.counts()
            #expect(after.entries - before.entries == 40, "every read has its own entry")
            #expect(after.batches - before.batches <= 40)
            let reads = try await AuditStore(db: app.db).entries(organisationID: world.policeA.id, limit: 500, actionContains: "case.read")
            #expect(reads.filter { $0.caseID == id.lowercased() }.count == 40)
            #expect(try await verifyAudit(app).verification.isValid)
        }
    }

    /// Holds the write gate until `writes` writes and `entries` standalone audit entries are waiting in it (up to
    /// 20 s: the whole suite shares two cores), then lets them go together.
    static func releaseWhenWaiting(_ app: Application, writes: Int, entries: Int) async throws {
        for _ in 0..<400 {
            let waiting = (await app.writeGate.queuedWriteCount(), await app.auditWriter.pendingCount())
            if waiting.0 >= writes && waiting.1 >= entries { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        #expect(await app.writeGate.queuedWriteCount() == writes)
        #expect(await app.auditWriter.pendingCount() == entries)
        await app.writeGate.release()
    }

    static func event(_ action: String) -> AuditEvent {
        AuditEvent(actorID: nil, actorRole: "system", organisationID: nil, action: action)
    }

    @Test("A read's audit entry goes into the next transaction beside the writes waiting with it: one transaction and one commit for both, not one each (issue 9, group commit)")
    func aReadsEntrySharesTheNextTransactionWithWaitingWrites() async throws {
        try await withApp { app in
            let gateBefore = await app.writeGate.counts()
            let entriesBefore = await app.auditWriter.counts()
            await app.writeGate.acquire()
            async let write: Void = app.writeSQL { write in write.audit(Self.event("test.write")) }
            async let read: Void = app.auditWriter.append(Self.event("test.read"))
            try await Self.releaseWhenWaiting(app, writes: 1, entries: 1)
            try await write
            try await read
            let gateAfter = await app.writeGate.counts()
            let entriesAfter = await app.auditWriter.counts()
            #expect(gateAfter.transactions - gateBefore.transactions == 1, "the write and the read's entry shared one transaction")
            #expect(gateAfter.writes - gateBefore.writes == 1, "the read's entry is not a write of its own")
            #expect(entriesAfter.entries - entriesBefore.entries == 1 && entriesAfter.batches - entriesBefore.batches == 1)
            let actions = try await (app.db as! any SQLDatabase).raw(
                "SELECT action FROM audit_entries WHERE action LIKE 'test.%' ORDER BY sequence").all()
                .map { try $0.decode(column: "action", as: String.self) }
            #expect(actions == ["test.write", "test.read"], "the write's entry, then the read's, one after the other")
            #expect(try await verifyAudit(app).verification.isValid)
        }
    }

    @Test("A write that fails in the transaction a read's entry is waiting for fails alone: the entry is committed and the read answered, whichever way the write runs (issue 9: nothing is read unaudited, and no one's read fails for another's write)")
    func aFailedWriteBesideAReadsEntryFailsAlone() async throws {
        for viaFluent in [true, false] {
            try await withApp { app in
                await app.writeGate.acquire()
                let failed = Task {
                    if viaFluent {
                        try await app.write { db in
                            try await AuditChain.append(Self.event("test.failed"), on: db)
                            throw Refused()
                        }
                    } else {
                        try await app.writeSQL { write in
                            write.audit(Self.event("test.failed"))
                            throw Refused()
                        }
                    }
                }
                async let read: Void = app.auditWriter.append(Self.event("test.read"))
                try await Self.releaseWhenWaiting(app, writes: 1, entries: 1)
                await #expect(throws: Refused.self) { try await failed.value }
                try await read
                let actions = try await (app.db as! any SQLDatabase).raw(
                    "SELECT action FROM audit_entries WHERE action LIKE 'test.%'").all()
                    .map { try $0.decode(column: "action", as: String.self) }
                #expect(actions == ["test.read"], "\(viaFluent ? "Fluent" : "SQLKit") write: only the read's entry is stored")
                #expect(try await verifyAudit(app).verification.isValid)
            }
        }
    }

    @Test("On a SQLite file, a read's entry is committed on the server's own write connection, even once a write through Fluent has run first; on PostgreSQL there is no such connection (issue 9: no thread hops between statements)")
    func standaloneEntriesUseTheDirectConnection() async throws {
        try await withApp { app in
            _ = try await app.write { db in try await AuditChain.append(Self.event("test.fluent"), on: db) }
            let before = await app.writeGate.directTransactionCount()
            for _ in 0..<3 { try await app.auditWriter.append(Self.event("test.read")) }
            let after = await app.writeGate.directTransactionCount()
            if app.sqliteWriter != nil {
                #expect(after - before == 3, "each entry, appended alone, in its own transaction on the direct connection")
            } else {
                #expect(after == 0)
            }
            #expect(try await verifyAudit(app).verification.isValid)
        }
    }

    @Test("Once the audit writer is closed (the server is stopping), a standalone entry is refused, so nothing more is answered unaudited")
    func aClosedAuditWriterRefusesEntries() async throws {
        try await withApp { app in
            try await app.auditWriter.append(Self.event("test.before"))
            await app.auditWriter.close()
            await #expect(throws: AuditWriter.Closed.self) { try await app.auditWriter.append(Self.event("test.after")) }
            let actions = try await (app.db as! any SQLDatabase).raw(
                "SELECT action FROM audit_entries WHERE action LIKE 'test.%'").all()
                .map { try $0.decode(column: "action", as: String.self) }
            #expect(actions == ["test.before"])
        }
    }

    @Test("Entries handed to the gate while the server stops are each either committed and answered, or refused: none is lost, none waits for ever, none is stored unanswered (issue 9: nothing is answered unaudited, and a stopping server answers no more)",
          .timeLimit(.minutes(1)))
    func entriesHandedOverWhileTheServerStopsAreCommittedOrRefused() async throws {
        try await withApp { app in
            let outcomes = await withTaskGroup(of: Bool?.self) { group in
                for n in 0..<300 {
                    group.addTask {
                        if n == 150 {
                            await app.auditWriter.close()
                            return nil
                        }
                        do {
                            try await app.auditWriter.append(AuditEvent(actorID: nil, actorRole: "system", organisationID: nil,
                                                                        action: "test.race", detail: "n=\(n)"))
                            return true
                        } catch is AuditWriter.Closed {
                            return false
                        } catch {
                            Issue.record("an entry failed otherwise: \(error)")
                            return false
                        }
                    }
                }
                return await group.reduce(into: [Bool]()) { if let answered = $1 { $0.append(answered) } }
            }
            #expect(outcomes.count == 299, "every entry came back")
            let stored = try await (app.db as! any SQLDatabase).raw(
                "SELECT COUNT(*) AS n FROM audit_entries WHERE action = 'test.race'").first()!.decode(column: "n", as: Int.self)
            #expect(stored == outcomes.filter { $0 }.count, "exactly the entries answered as committed are stored")
            #expect(await app.auditWriter.pendingCount() == 0)
            await #expect(throws: AuditWriter.Closed.self) { try await app.auditWriter.append(Self.event("test.after")) }
            #expect(try await verifyAudit(app).verification.isValid)
        }
    }

    @Test("Entries handed over while the gate is held wait, and all go in the one transaction that follows its release (issue 9, group commit)",
          .timeLimit(.minutes(1)))
    func entriesHandedOverWhileTheGateIsHeldShareOneTransaction() async throws {
        try await withApp { app in
            let before = await app.auditWriter.counts()
            await app.writeGate.acquire()
            let reads = (0..<25).map { n in Task { try await app.auditWriter.append(Self.event("test.held.\(n)")) } }
            try await Self.releaseWhenWaiting(app, writes: 0, entries: 25)
            for read in reads { try await read.value }
            let after = await app.auditWriter.counts()
            #expect(after.entries - before.entries == 25)
            #expect(after.batches - before.batches == 1, "the 25 entries shared one commit")
            #expect(try await verifyAudit(app).verification.isValid)
        }
    }

    @Test func aBatchOfAuditEntriesIsOneUnbrokenRunOfTheChain() async throws {
        try await withApp { app in
            let events = (0..<2_500).map { AuditEvent(actorID: nil, actorRole: "system", organisationID: nil, action: "test.batch", detail: "n=\($0)") }
            let written = try await app.write { db in try await AuditChain.append(events, on: db) }
            #expect(written.count == 2_500)
            #expect(zip(written, written.dropFirst()).allSatisfy { $1.sequence == $0.sequence + 1 && $1.previousHash == $0.hash })
            let check = try await verifyAudit(app).verification
            #expect(check.isValid, "\(check.problem ?? "")")
            #expect(check.entriesChecked == written.last!.sequence)
        }
    }

    @Test("A trail longer than a page, with awkward text, verifies; an edit, a deletion across a page edge and a truncation are each found at their entry, whichever way the rows are read")
    func aTrailLongerThanAVerifierPageIsCheckedAcrossItsPageEdges() async throws {
        try await withApp { app in
            let awkward = ["quote \" and backslash \\", "line\nbreak\ttab", "\u{1}\u{1f}", "Ünïcödé — “quotes” 😀", "route=/api/v1/cases"]
            let count = VerifyPage.size + 150
            let events = (0..<count).map {
                AuditEvent(actorID: nil, actorRole: "system", organisationID: nil, action: "test.page", detail: "\(awkward[$0 % awkward.count]) n=\($0)")
            }
            let written = try await app.write { db in try await AuditChain.append(events, on: db) }
            let total = written.last!.sequence
            #expect(total > VerifyPage.size)
            let whole = try await verifyAudit(app).verification
            #expect(whole.isValid, "\(whole.problem ?? "")")
            #expect(whole.entriesChecked == total)

            let sql = app.db as! any SQLDatabase
            // An edit on the second page.
            let edited = VerifyPage.size + 40
            try await sql.raw("UPDATE audit_entries SET detail = 'changed' WHERE sequence = \(bind: edited)").run()
            let afterEdit = try await verifyAudit(app).verification
            #expect(afterEdit.firstBadSequence == edited)
            #expect(afterEdit.entriesChecked == edited - 1)
            try await sql.raw("UPDATE audit_entries SET detail = \(bind: written[edited - written[0].sequence].detail) WHERE sequence = \(bind: edited)").run()
            #expect(try await verifyAudit(app).verification.isValid, "put back, it verifies again")

            // The first entry of the second page deleted: the next one's sequence gives it away.
            let edge = VerifyPage.size + 1
            try await sql.raw("DELETE FROM audit_entries WHERE sequence = \(bind: edge)").run()
            let afterDelete = try await verifyAudit(app).verification
            #expect(afterDelete.firstBadSequence == edge + 1)
            #expect(afterDelete.problem?.contains("deleted") == true)
        }
        try await withApp { app in
            let events = (0..<(VerifyPage.size + 10)).map {
                AuditEvent(actorID: nil, actorRole: "system", organisationID: nil, action: "test.page", detail: "n=\($0)")
            }
            let total = try await app.write { db in try await AuditChain.append(events, on: db) }.last!.sequence
            // The newest entries deleted: the head is ahead of what is left.
            try await (app.db as! any SQLDatabase).raw("DELETE FROM audit_entries WHERE sequence > \(bind: total - 3)").run()
            let truncated = try await verifyAudit(app).verification
            #expect(truncated.firstBadSequence == total - 2)
            #expect(truncated.problem?.contains("newest entries were deleted") == true)
        }
    }

    @Test func verifyingFromACheckpointChecksOnlyNewEntriesButNoticesAnEditedCheckpoint() async throws {
        try await withApp { app in
            let events = (0..<50).map { AuditEvent(actorID: nil, actorRole: "system", organisationID: nil, action: "test", detail: "n=\($0)") }
            _ = try await app.write { db in try await AuditChain.append(events, on: db) }
            let first = try await verifyAudit(app, from: nil)
            let checkpoint = try #require(first.checkpoint)
            _ = try await app.write { db in try await AuditChain.append(Array(events.prefix(10)), on: db) }
            let next = try await verifyAudit(app, from: checkpoint)
            #expect(next.verification.isValid)
            #expect(next.checkpoint?.sequence == checkpoint.sequence + 10)
            // An edit before the checkpoint is not re-read by an incremental check …
            let sql = app.db as! any SQLDatabase
            try await sql.raw("UPDATE audit_entries SET detail = 'edited' WHERE sequence = 3").run()
            #expect(try await verifyAudit(app, from: next.checkpoint).verification.isValid)
            // … but the full check catches it, and so does an incremental one whose checkpoint entry was changed.
            #expect(try await verifyAudit(app).verification.firstBadSequence == 3)
            try await sql.raw("UPDATE audit_entries SET hash = 'x' WHERE sequence = \(bind: next.checkpoint!.sequence)").run()
            #expect(try await verifyAudit(app, from: next.checkpoint).verification.firstBadSequence == 3)
        }
    }

    @Test func theAuditPageChecksALongTrailFromItsCheckpointAndTheWholeOfItNowAndThen() async throws {
        try await withApp { app in
            let events = (0..<60).map { AuditEvent(actorID: nil, actorRole: "system", organisationID: nil, action: "test", detail: "n=\($0)") }
            _ = try await app.write { db in try await AuditChain.append(events, on: db) }
            let checker = AuditCheckpoint(fullCheckBelow: 10, fullCheckEvery: 60)
            let start = Date()
            #expect(try await checker.verify(on: app.db, reader: app.sqliteReader, now: start).isValid)
            let sql = app.db as! any SQLDatabase
            try await sql.raw("UPDATE audit_entries SET detail = 'edited' WHERE sequence = 3").run()
            // Within the interval only entries after the checkpoint are read: the old edit waits for the next full check …
            #expect(try await checker.verify(on: app.db, reader: app.sqliteReader, now: start.addingTimeInterval(30)).isValid)
            // … which finds it, and every check after that starts from the first entry again.
            #expect(try await checker.verify(on: app.db, reader: app.sqliteReader, now: start.addingTimeInterval(61)).firstBadSequence == 3)
            #expect(try await checker.verify(on: app.db, reader: app.sqliteReader, now: start.addingTimeInterval(62)).firstBadSequence == 3)
        }
    }

    @Test func anonymousJunkIsCountedInMemoryThenSummarisedAndThrottledWhileSignedInReadsGoOn() async throws {
        try await withApp({ $0.anonymousRejectionLimit = 25; $0.anonymousThrottleDelay = 0.3 }) { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let id = try await createCase(app, token: token)["id"] as! String
            let auditedBefore = try await count(app, "audit_entries")
            for _ in 0..<25 {
                #expect(try await send(app, .GET, "/api/v1/nope").status == .notFound)
            }
            let throttledAt = ContinuousClock.now
            let throttled = try await send(app, .GET, "/api/v1/cases")
            #expect(throttled.status == .tooManyRequests, "the 26th refusal in the window is throttled")
            #expect(ContinuousClock.now - throttledAt >= .milliseconds(300), "held back before it is answered")
            #expect(throttled.headers.first(name: .connection) == "close")
            #expect(try await send(app, .GET, "/api/v1/cases/\(id)", token: token).status == .ok, "a signed-in read is not throttled")
            // Only the signed-in read was written; the junk is in memory.
            #expect(try await count(app, "audit_entries") == auditedBefore + 1)
            await app.flushAnonymousRejections()
            let summaries = try await AuditStore(db: app.db).entries(organisationID: nil, limit: 10, actionContains: "request.rejected.summary")
            let summary = try #require(summaries.first)
            #expect(summaries.count == 1)
            #expect(summary.detail.contains("address=unknown route=GET (no route) status=404 count=25"), "\(summary.detail)")
            #expect(summary.detail.contains("route=(throttled) status=429 count=1"), "\(summary.detail)")
            #expect(try await count(app, "audit_entries") == auditedBefore + 2)
            await app.flushAnonymousRejections()
            #expect(try await count(app, "audit_entries") == auditedBefore + 2, "nothing new, nothing written")
            // A wrong token is a signed-in-looking refusal: audited one by one.
            #expect(try await send(app, .GET, "/api/v1/cases", token: "sgt_wrong").status == .unauthorized)
            #expect(try await count(app, "audit_entries") == auditedBefore + 3)
            #expect(try await verifyAudit(app).verification.isValid)
        }
    }

    struct Refused: Error {}

    /// Runs `count` writes while the write gate is held, then lets them all go at once, as writes queue up under load.
    /// Each write's outcome by its number: false when it threw `Refused`.
    static func queuedTogether(_ app: Application, _ count: Int,
                               _ write: @escaping @Sendable (Int) async throws -> Void) async throws -> [Int: Bool] {
        await app.writeGate.acquire()
        return try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for i in 0..<count {
                group.addTask {
                    do {
                        try await write(i)
                        return (i, true)
                    } catch is Refused {
                        return (i, false)
                    }
                }
            }
            try await Task.sleep(nanoseconds: 300_000_000)
            await app.writeGate.release()
            return try await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
    }

    @Test func writesArrivingTogetherShareACommitAndAFailedOneIsRolledBackAlone() async throws {
        try await withApp { app in
            let outcomes = try await Self.queuedTogether(app, 30) { i in
                try await app.write { db in
                    _ = try await AccountStore(db: db).createOrganisation(name: "Org \(i)", kind: .police, jurisdiction: .england)
                    if i % 3 == 0 { throw Refused() }   // after its write: the savepoint must undo it
                }
            }
            #expect(outcomes.count == 30)
            #expect(outcomes.allSatisfy { $0.value == ($0.key % 3 != 0) })
            let names = Set(try await AccountStore(db: app.db).organisations().map(\.name))
            #expect(names == Set((0..<30).filter { $0 % 3 != 0 }.map { "Org \($0)" }), "exactly the writes that succeeded are stored")
            let counts = await app.writeGate.counts()
            #expect(counts.writes >= 30)
            #expect(counts.transactions < counts.writes, "queued writes shared transactions")
        }
    }

    @Test("Writes grouped by runSQL append their audit entries together at the group's end: a write that fails after asking for its entry leaves none, the others' are one unbroken run in the order the writes ran")
    func groupedWritesAuditTogether() async throws {
        try await withApp { app in
            let before = try await count(app, "audit_entries")
            let outcomes = try await Self.queuedTogether(app, 20) { i in
                try await app.writeSQL { write in
                    write.audit(AuditEvent(actorID: nil, actorRole: "system", organisationID: nil, action: "test.write", detail: "n=\(i)"))
                    if i % 4 == 0 { throw Refused() }   // after asking for its entry: it must go too
                }
            }
            #expect(outcomes.filter(\.value).count == 15)
            let rows = try await (app.db as! any SQLDatabase).raw(
                "SELECT sequence, detail FROM audit_entries WHERE action = 'test.write' ORDER BY sequence").all()
            let details = try rows.map { try $0.decode(column: "detail", as: String.self) }
            #expect(Set(details) == Set((0..<20).filter { $0 % 4 != 0 }.map { "n=\($0)" }), "exactly the writes that stood have an entry")
            let sequences = try rows.map { try $0.decode(column: "sequence", as: Int.self) }
            #expect(sequences == Array(before + 1...before + 15), "one unbroken run of the chain")
            #expect(try await verifyAudit(app).verification.isValid)
        }
    }

    @Test("Writes made with SQLKit alone share a transaction without a savepoint each (two round trips a write on PostgreSQL); when one fails, the group is rolled back and run again with savepoints, and only that write fails: nothing of the first run is kept (issue 9, point 6)")
    func groupedWritesGoWithoutSavepointsUntilOneFails() async throws {
        try await withApp { app in
            let sql = app.db as! any SQLDatabase
            func counter() async throws -> Int {
                try await sql.raw("SELECT next_number FROM case_numbers WHERE id = 1").first()!.decode(column: "next_number", as: Int.self)
            }
            let runs = KeptObjectsTests.Count()
            // Through the gate's Fluent transaction, as on PostgreSQL (a SQLite file's writes take its own connection).
            func batch(failing: @escaping @Sendable (Int) -> Bool) async throws -> [Int: Bool] {
                try await Self.queuedTogether(app, 12) { i in
                    try await app.writeGate.runSQL(app.db, direct: nil) { write in
                        runs.add()
                        try await write.sql.raw("UPDATE case_numbers SET next_number = next_number + 1 WHERE id = 1").run()
                        write.audit(AuditEvent(actorID: nil, actorRole: "system", organisationID: nil, action: "test.write", detail: "n=\(i)"))
                        if failing(i) { throw Refused() }   // after its write: that must go, and its entry
                    }
                }
            }
            let start = try await counter()
            let groupsBefore = await app.writeGate.groupsWithoutSavepointsCount()
            let allStood = try await batch { _ in false }
            #expect(allStood.values.allSatisfy { $0 } && allStood.count == 12)
            #expect(runs.total == 12, "each body ran once")
            #expect(try await counter() == start + 12)
            #expect(await app.writeGate.groupsWithoutSavepointsCount() > groupsBefore, "the group went without savepoints")

            let outcomes = try await batch { $0 % 4 == 1 }
            #expect(outcomes.count == 12 && outcomes.allSatisfy { $0.value == ($0.key % 4 != 1) })
            #expect(runs.total > 24, "the group was run again after a write failed")
            #expect(try await counter() == start + 12 + 9, "exactly the writes that stood moved the counter, once each")
            let details = try await sql.raw("SELECT detail FROM audit_entries WHERE action = 'test.write'").all()
                .map { try $0.decode(column: "detail", as: String.self) }
            #expect(details.count == 21, "one entry a write that stood: none from the run that was rolled back")
            #expect(try await verifyAudit(app).verification.isValid)
        }
    }

    @Test("Statements sent together are stored together, their values bound in order; on PostgreSQL as one statement whose parts may hold rows that refer to each other, and one part's failure stores none of them; parts that read each other's rows are refused, not sent, anywhere but PostgreSQL (issue 9: one round trip to open a case)")
    func statementsSentTogether() async throws {
        try await withApp { app in
            let sql = app.db as! any SQLDatabase
            let (first, second) = (UUID(), UUID())
            @Sendable func organisation(_ id: UUID, _ name: String) -> any SQLExpression {
                sql.insert(into: "organisations").columns("id", "name", "kind", "jurisdiction", "next_case_number")
                    .values(SQLBind(id), SQLBind(name), SQLBind("police"), SQLBind("england"), SQLBind(1)).query
            }
            @Sendable func user(_ organisationID: UUID, _ email: String) -> any SQLExpression {
                sql.insert(into: "users")
                    .columns("id", "organisation_id", "email", "display_name", "role", "password_hash", "disabled", "failed_sign_ins")
                    .values(SQLBind(UUID()), SQLBind(organisationID), SQLBind(email), SQLBind("Sam"), SQLBind("officer"),
                            SQLBind("-"), SQLBind(false), SQLBind(0)).query
            }
            try await app.db.transaction { db in
                try await StatementBatch([organisation(first, "First"), user(first, "sam@first.test"), organisation(second, "Second")])
                    .run(on: db as! any SQLDatabase)
            }
            let names = try await sql.raw("SELECT id, name FROM organisations WHERE name IN ('First', 'Second') ORDER BY name").all()
                .map { (try $0.decode(column: "id", as: UUID.self), try $0.decode(column: "name", as: String.self)) }
            #expect(names.map(\.0) == [first, second] && names.map(\.1) == ["First", "Second"], "each row has its own values")
            #expect(try await sql.raw("SELECT email FROM users WHERE organisation_id = \(bind: first)").all().count == 1)

            // The last part refers to an organisation that does not exist: nothing of the batch is kept.
            await #expect(throws: (any Error).self) {
                try await app.db.transaction { db in
                    try await StatementBatch([organisation(UUID(), "Third"), user(UUID(), "sam@third.test")]).run(on: db as! any SQLDatabase)
                }
            }
            #expect(try await sql.raw("SELECT id FROM organisations WHERE name = 'Third'").all().isEmpty)

            // Parts that read another's RETURNING rows: one statement on PostgreSQL; anywhere else an error that sends
            // nothing (it stopped the process once).
            let fourth = UUID()
            let batch = StatementBatch([user(fourth, "sam@fourth.test")])
            let taking = sql.update("organisations").set("next_case_number", to: SQLRaw("next_case_number + 1"))
                .where("id", .equal, SQLBind(fourth)).returning("id").query
            let returning = sql.select().column(SQLColumn("id")).from("taken").query
            if sql.dialect.name == "postgresql" {
                let rows = try await app.db.transaction { db in
                    try await StatementBatch([organisation(fourth, "Fourth")]).run(on: db as! any SQLDatabase)
                    return try await batch.run(after: taking, named: "taken", returning: returning, on: db as! any SQLDatabase)
                }
                #expect(try rows.map { try $0.decode(column: "id", as: UUID.self) } == [fourth])
                #expect(try await sql.raw("SELECT email FROM users WHERE organisation_id = \(bind: fourth)").all().count == 1)
            } else {
                await #expect(throws: StatementBatch.NeedsPostgreSQL.self) {
                    try await batch.run(after: taking, named: "taken", returning: returning, on: sql)
                }
                #expect(try await sql.raw("SELECT email FROM users WHERE email = 'sam@fourth.test'").all().isEmpty)
            }
        }
    }

    @Test("On PostgreSQL a case's stored assessment is compressed with LZ4, not pglz, which cost the database six times the CPU at every opening and fact update (issue 9)",
          .enabled(if: TestDatabase.postgresURL != nil, "PostgreSQL compresses large values; SQLite does not"))
    func assessmentsAreCompressedWithLZ4OnPostgreSQL() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let id = try await createCase(app, token: world.token("policeA.officer"))["id"] as! String
            let sql = app.db as! any SQLDatabase
            let row = try await sql.raw("""
                SELECT pg_column_compression(assessment_json) AS method, length(assessment_json) AS size \
                FROM case_assessments WHERE case_id = \(bind: UUID(text: id)!)
                """).first()
            #expect(try row?.decode(column: "size", as: Int.self) ?? 0 > 2_000, "large enough to be compressed")
            #expect(try row?.decode(column: "method", as: String?.self) == "lz4")
        }
    }

    @Test func aRevokedTokenOrADisabledUserIsRefusedAtOnceDespiteTheIdentityCache() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let made = try await send(app, .POST, "/api/v1/tokens", json: ["email": "officer@policea.test", "password": testPassword])
            let secret = made.json["token"] as! String
            let tokenID = made.json["id"] as! String
            #expect(try await send(app, .GET, "/api/v1/cases", token: secret).status == .ok)
            #expect(try await send(app, .GET, "/api/v1/cases", token: secret).status == .ok, "now from the cache")
            #expect(try await send(app, .DELETE, "/api/v1/tokens/\(tokenID)", token: world.token("policeA.officer")).status == .ok)
            #expect(try await send(app, .GET, "/api/v1/cases", token: secret).status == .unauthorized)

            let officer2 = world.token("policeA.officer2")
            #expect(try await send(app, .GET, "/api/v1/cases", token: officer2).status == .ok)
            let disable = try await send(app, .PATCH, "/api/v1/users/\(world.user("policeA.officer2").id.uuidString)",
                                         token: world.token("policeA.admin"), json: ["disabled": true])
            #expect(disable.status == .ok)
            #expect(try await send(app, .GET, "/api/v1/cases", token: officer2).status == .unauthorized)
        }
    }

    @Test func theIdentityCacheForgetsAnEntryAfterItsLifetime() {
        let cache = IdentityCache(lifetime: 1)
        let now = Date()
        let identity = Identity(user: User(id: UUID(), organisationID: UUID(), email: "a@b.test", displayName: "A", role: .officer,
                                           disabled: false, createdAt: nil),
                                organisation: Organisation(id: UUID(), name: "O", kind: .police, jurisdiction: .england, createdAt: nil),
                                tokenID: nil, viaSession: false)
        cache.store(identity, for: "k", now: now)
        #expect(cache.identity(for: "k", now: now.addingTimeInterval(0.5)) != nil)
        #expect(cache.identity(for: "k", now: now.addingTimeInterval(1.01)) == nil, "another process's revocation is felt within a second")
        cache.store(identity, for: "k", now: now, notAfter: now.addingTimeInterval(0.2))
        #expect(cache.identity(for: "k", now: now.addingTimeInterval(0.3)) == nil, "never past the token's own expiry")
    }

    /// A counter the tests' lookups move on.
    final class Lookups: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func add() { lock.withLock { count += 1 } }
        var value: Int { lock.withLock { count } }
    }

    @Test("Requests that find a token's identity lapsed at once share one lookup of it (issue 9, point 3: identity may be cached)")
    func requestsThatFindAnIdentityLapsedShareOneLookup() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let secret = world.token("policeA.officer")
            let cache = IdentityCache(lifetime: 1)
            let sent = Lookups()
            let results = try await withThrowingTaskGroup(of: UUID?.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await cache.loaded(for: "t") {
                            sent.add()
                            try await Task.sleep(nanoseconds: 50_000_000)
                            return try await AccountStore(db: app.db).identity(tokenSecret: secret, now: Date())
                        }.found?.1.id
                    }
                }
                return try await group.reduce(into: [UUID?]()) { $0.append($1) }
            }
            #expect(sent.value == 1 && cache.lookups == 1, "twenty requests at once sent one lookup, not \(sent.value)")
            #expect(results.count == 20 && results.allSatisfy { $0 == world.user("policeA.officer").id }, "and each got its answer")
            // Once it has ended, the next lapse sends a new one.
            _ = try await cache.loaded(for: "t") { sent.add(); return nil }
            #expect(sent.value == 2)
        }
    }

    @Test("A lookup begun before a change to accounts is neither shared nor kept after it (issue 9, point 3: a revoked token is refused at once in the same process)")
    func aLookupBegunBeforeAChangeIsNotKept() async throws {
        let cache = IdentityCache(lifetime: 60)
        let identity = Identity(user: User(id: UUID(), organisationID: UUID(), email: "a@b.test", displayName: "A", role: .officer,
                                           disabled: false, createdAt: nil),
                                organisation: Organisation(id: UUID(), name: "O", kind: .police, jurisdiction: .england, createdAt: nil),
                                tokenID: nil, viaSession: false)
        let sent = Lookups()
        let early = Task {
            try await cache.loaded(for: "t") {
                sent.add()
                try await Task.sleep(nanoseconds: 200_000_000)   // reads the accounts as they were, before the change
                return nil
            }
        }
        while sent.value == 0 { try await Task.sleep(nanoseconds: 5_000_000) }
        cache.removeAll()   // a token revoked, say
        let late = try await cache.loaded(for: "t") { sent.add(); return nil }
        #expect(sent.value == 2, "a request after the change sends its own lookup, not the one begun before it")
        let before = try await early.value
        cache.store(identity, for: "t", now: Date(), generation: before.generation)
        #expect(cache.identity(for: "t", now: Date()) == nil, "what the earlier lookup found is not kept")
        cache.store(identity, for: "t", now: Date(), generation: late.generation)
        #expect(cache.identity(for: "t", now: Date()) != nil, "what the later one found is")
    }

    @Test func aCaseReadTakesNoWriteLock() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let token = world.token("policeA.officer")
            let id = try await createCase(app, token: token)["id"] as! String
            // Hold the write gate; a read must still be answered once its audit batch can commit, and the case data
            // itself must have been read without waiting: the read finishes as soon as the gate is released.
            await app.writeGate.acquire()
            let read = Task { try await send(app, .GET, "/api/v1/cases/\(id)", token: token) }
            var pending = 0
            for _ in 0..<200 where pending == 0 {   // up to 20 s: the whole suite shares two cores
                try await Task.sleep(nanoseconds: 100_000_000)
                pending = await app.auditWriter.pendingCount()
            }
            #expect(pending == 1, "the read got as far as its audit entry while writes were held")
            await app.writeGate.release()
            #expect(try await read.value.status == .ok)
        }
    }

    @Test func aCaseOpenedThroughThePagesHasItsOpeningLineAsOneOpenedThroughTheAPIDoes() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let officer = try await Pages.signIn(app, "officer@policeA.test")
            let created = try await Pages.post(app, "/cases/new", officer,
                                               [("summary", "Image shared between two pupils"), ("kind", "image"), ("ageA", "15"), ("ageB", "15")])
            let pageID = try #require(Pages.caseID(fromLocation: created))
            let apiID = try await createCase(app, token: world.token("policeA.officer"))["id"] as! String
            for id in [pageID, apiID] {
                let lines = try await send(app, .GET, "/api/v1/cases/\(id)/chronology", token: world.token("policeA.officer")).array
                #expect(lines.first?["kind"] as? String == "case.created", "case \(id): \(lines)")
            }
        }
    }
}

/// The objects an application keeps (`Application.kept`): Vapor's storage is copied out and written back whole, so
/// without one lock around the first ask, two at once each made their own object or dropped another's, and two write
/// gates could drive the one SQLite write connection together.
@Suite struct KeptObjectsTests {
    final class Made: Sendable {}
    final class Count: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func add() { lock.withLock { value += 1 } }
        var total: Int { lock.withLock { value } }
    }
    struct First: StorageKey { typealias Value = Made }
    struct Second: StorageKey { typealias Value = Made }
    struct Third: StorageKey { typealias Value = Made }

    @Test("An object the application keeps is made once, and kept, however many ask for it first at the same time")
    func madeOnceWhateverAsksAtOnce() async throws {
        let app = try await Application.make(.testing)
        let makes = Count()
        // Each make takes a moment, as the first ask of a real one may: long enough for other asks to come meanwhile.
        @Sendable func make() -> Made {
            makes.add()
            usleep(2_000)
            return Made()
        }
        let seen = await withTaskGroup(of: [ObjectIdentifier].self) { group in
            for _ in 0..<32 {
                group.addTask {
                    [app.kept(First.self, make), app.kept(Second.self, make), app.kept(Third.self, make)].map(ObjectIdentifier.init)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(makes.total == 3, "one object made for each key")
        for key in 0..<3 { #expect(Set(seen.map { $0[key] }).count == 1, "every ask of key \(key) had the same object") }
        let kept = [app.storage[First.self], app.storage[Second.self], app.storage[Third.self]].map { $0.map(ObjectIdentifier.init) }
        #expect(kept == seen[0].map(Optional.some), "each key still holds the object everyone was given")
        try await app.asyncShutdown()
    }
}
