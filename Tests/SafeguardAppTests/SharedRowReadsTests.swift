import FluentKit
import Foundation
@testable import SafeguardApp
@testable import SafeguardPersistence
import Testing
import Vapor

/// Case row reads that come while one is under way share the next round trip (`SharedRowReads`, issue 9, point 3):
/// on PostgreSQL a read's own round trip was about a third of its CPU. Sharing must never give a read another
/// organisation's case, lose a read, or refuse one because its batch failed.
@Suite struct SharedRowReadsTests {
    /// A stored row as the batch's statement would give it.
    struct Row: Sendable, Equatable {
        var id: UUID
        var organisationID: UUID
        var text: String
    }

    /// Reads rows for the ids asked, from `rows`; records each batch's ids. The first batch is held out until
    /// `release()`, so that a test decides which reads come while it is out, whatever the machine's load.
    final class Store: @unchecked Sendable {
        let rows: [UUID: Row]
        var fails = false
        private let lock = NSLock()
        private var batches: [[UUID]] = []
        private var held: CheckedContinuation<Void, Never>?
        private var released = false

        init(_ rows: [Row]) {
            self.rows = Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0) })
        }

        func run(_ ids: [UUID]) async -> [Row]? {
            let first = lock.withLock { batches.append(ids); return batches.count == 1 }
            if first {
                await withCheckedContinuation { continuation in
                    let go = lock.withLock { released ? true : { held = continuation; return false }() }
                    if go { continuation.resume() }
                }
            }
            if lock.withLock({ fails }) { return nil }
            return ids.compactMap { rows[$0] }
        }

        /// Lets the first batch end.
        func release() {
            let continuation = lock.withLock { () -> CheckedContinuation<Void, Never>? in
                released = true
                defer { held = nil }
                return held
            }
            continuation?.resume()
        }

        var sent: [[UUID]] { lock.withLock { batches } }
    }

    /// Waits (up to 20 s) until `condition` holds.
    static func until(_ condition: () -> Bool) async throws {
        for _ in 0..<2_000 where !condition() { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(condition(), "waited 20 s")
    }

    static func read(_ reads: SharedRowReads<Row>, _ store: Store, id: UUID, organisationID: UUID) async throws -> Row?? {
        try await reads.row(id: id, organisationID: organisationID, run: { await store.run($0) },
                            identify: { ($0.id, $0.organisationID) }, decode: { $0 })
    }

    @Test("Reads that come while a read is out share the next round trip, and each gets its own case (issue 9, point 3: a read with few round trips)")
    func readsThatComeTogetherShareARoundTrip() async throws {
        let school = UUID(), police = UUID()
        let rows = (0..<40).map { Row(id: UUID(), organisationID: $0 % 2 == 0 ? school : police, text: "case \($0)") }
        let store = Store(rows)
        let reads = SharedRowReads<Row>()
        let results = try await withThrowingTaskGroup(of: (Int, Row??).self) { group in
            // The first read finds none under way: it goes at once, alone, and is held out.
            group.addTask { (0, try await Self.read(reads, store, id: rows[0].id, organisationID: rows[0].organisationID)) }
            try await Self.until { store.sent.count == 1 }
            for (index, row) in rows.enumerated().dropFirst() {
                group.addTask { (index, try await Self.read(reads, store, id: row.id, organisationID: row.organisationID)) }
            }
            try await Self.until { reads.waitingCount == 39 }
            store.release()
            return try await group.reduce(into: [Int: Row??]()) { $0[$1.0] = $1.1 }
        }
        #expect(results.count == 40, "every read is answered")
        for (index, row) in rows.enumerated() {
            #expect(results[index] == .some(row), "read \(index) gets its own case, and no other")
        }
        let sent = store.sent
        #expect(sent.map(\.count) == [1, 39], "the first alone, at once; the 39 that came while it was out, as one")
        #expect(Set(sent[1]) == Set(rows.dropFirst().map(\.id)))
        #expect(reads.counts.batches == 2 && reads.counts.reads == 40)
        #expect(try await Self.read(reads, store, id: rows[5].id, organisationID: rows[5].organisationID) == .some(rows[5]),
                "with none under way, the next read goes at once")
        #expect(store.sent.last == [rows[5].id])
    }

    @Test("A read of another organisation's case, or of no case, reads nothing, even in a batch that holds it (issue 9, point 3; cases are the organisation's own)")
    func anotherOrganisationsCaseReadsNothing() async throws {
        let school = UUID(), police = UUID()
        let theirs = Row(id: UUID(), organisationID: police, text: "police case")
        let ours = Row(id: UUID(), organisationID: school, text: "school case")
        let store = Store([theirs, ours])
        let reads = SharedRowReads<Row>()
        async let first = Self.read(reads, store, id: ours.id, organisationID: school)
        try await Self.until { store.sent.count == 1 }
        // These wait for the first, and go together: the police case is in their batch, asked for by the police.
        async let owner = Self.read(reads, store, id: theirs.id, organisationID: police)
        async let intruder = Self.read(reads, store, id: theirs.id, organisationID: school)
        async let unknown = Self.read(reads, store, id: UUID(), organisationID: school)
        try await Self.until { reads.waitingCount == 3 }
        store.release()
        #expect(try await first == .some(ours))
        #expect(try await owner == .some(theirs))
        #expect(try await intruder == .some(nil), "the school does not get the police's case, though its row was read")
        #expect(try await unknown == .some(nil))
        #expect(store.sent.count == 2, "the three that waited went as one batch: \(store.sent.map(\.count))")
    }

    @Test("When a batch fails, each of its reads is told so and reads alone; the next batch is sent as usual (issue 9: a shared read may be slower, never refused)")
    func aFailedBatchSendsEachReadAlone() async throws {
        let school = UUID()
        let rows = (0..<6).map { Row(id: UUID(), organisationID: school, text: "case \($0)") }
        let store = Store(rows)
        store.fails = true
        store.release()
        let reads = SharedRowReads<Row>()
        let failed = try await withThrowingTaskGroup(of: Row??.self) { group in
            for row in rows { group.addTask { try await Self.read(reads, store, id: row.id, organisationID: school) } }
            return try await group.reduce(into: [Row??]()) { $0.append($1) }
        }
        #expect(failed.count == 6 && failed.allSatisfy { outcome in if case .none = outcome { true } else { false } }, "each read is told its batch failed, none is given a row or left waiting")
        store.fails = false
        #expect(try await Self.read(reads, store, id: rows[0].id, organisationID: school) == .some(rows[0]),
                "after a failure the next read leads a batch again")
    }

    @Test("On PostgreSQL, case reads at once share round trips and each reads its own case as a read alone does (issue 9, point 3)",
          .enabled(if: TestDatabase.postgresURL != nil, "needs PostgreSQL: SAFEGUARD_TEST_DATABASE_URL"))
    func caseReadsOnPostgresShareRoundTrips() async throws {
        try await withApp { app in
            let world = try await seedWorld(app)
            let officer = world.user("policeA.officer")
            let otherForce = world.policeB.id
            var ids: [UUID] = []
            for _ in 0..<12 {
                let created = try await createCase(app, token: world.token("policeA.officer"))
                ids.append(try #require(UUID(uuidString: created["id"] as! String)))
            }
            let alone = try await withThrowingTaskGroup(of: (UUID, CaseReadView?).self) { group in
                for id in ids { group.addTask { (id, try await CaseStore(db: app.db, cipher: app.cipher).readView(id: id, organisationID: officer.organisationID)) } }
                return try await group.reduce(into: [UUID: CaseReadView?]()) { $0[$1.0] = $1.1 }
            }
            let reads = CaseRowReads()
            let views = CaseViewCache(capacity: 64)
            let store = CaseStore(db: app.db, cipher: app.cipher, views: views, rowReads: reads)
            // Each case read five times at once, and each also asked for by another organisation.
            let together = try await withThrowingTaskGroup(of: (UUID, Bool, CaseReadView?).self) { group in
                for _ in 0..<5 {
                    for id in ids {
                        group.addTask { (id, true, try await store.readView(id: id, organisationID: officer.organisationID)) }
                        group.addTask { (id, false, try await store.readView(id: id, organisationID: otherForce)) }
                    }
                }
                return try await group.reduce(into: [(UUID, Bool, CaseReadView?)]()) { $0.append($1) }
            }
            #expect(together.count == 120)
            for (id, own, view) in together {
                if own {
                    let expected = try #require(alone[id] ?? nil)
                    let view = try #require(view, "the organisation's own case is read")
                    #expect(view.header == expected.header && view.factsJSON == expected.factsJSON && view.actions == expected.actions,
                            "a shared read reads what a read alone reads")
                } else {
                    #expect(view == nil, "another force reads nothing of it")
                }
            }
            let counts = reads.counts
            #expect(counts.reads == 120, "every read went through the shared reads")
            #expect(counts.batches < counts.reads, "reads at once shared round trips: \(counts.batches) batches for \(counts.reads) reads")
        }
    }
}
