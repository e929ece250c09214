import FluentKit
import SQLKit
import SafeguardPersistence
import Vapor

/// Serialises write transactions and commits them in groups: writes that arrive while a transaction is committing
/// wait, and then run together in the next one, each inside a savepoint of its own, so that the group costs one
/// commit (one `fsync` on SQLite) instead of one each. A write that fails is rolled back to its savepoint and only
/// its caller sees the error; every caller is answered once the transaction holding its write has committed.
///
/// Across processes, each transaction first takes the audit head's row lock (PostgreSQL) or the database write lock
/// (SQLite), before any read, so no transaction reads a snapshot that another process's write could make stale.
///
/// Writes of one `CombinableWrite` type queued one after another may run in one call (`runCombinable`): on PostgreSQL
/// a group of case openings is one statement, where each was a round trip made while every other write waited.
///
/// Audit entries that stand alone (a read, a list, a rejection: `audit(_:target:)`, through `AuditWriter`) wait
/// here too, and every transaction takes all that are waiting, after its writes, so a read's entry goes into the very
/// next commit, with no hop between the commit before and the next.
///
/// ```swift
/// let opened = try await app.write { db in try await CaseStore(db: db, cipher: cipher).openCase(…) }
/// ```
actor WriteGate {
    /// What a queued write runs: with Fluent (`run`), or with SQLKit alone (`runSQL`), on a SQLite file's own
    /// connection when `direct` and in a Fluent transaction otherwise; either shared with the writes queued beside it
    /// that run where it does.
    private enum Work {
        case transaction(@Sendable (any Database) async throws -> any Sendable)
        case grouped(@Sendable (GroupedWrite) async throws -> any Sendable, direct: Bool)
        /// A `CombinableWrite`: `item` is the write, `kind` its type, and `run` runs several of that type together.
        case combinable(item: any Sendable, kind: ObjectIdentifier,
                        run: @Sendable ([any Sendable], GroupedWrite) async throws -> [any Sendable], direct: Bool)

        var isDirect: Bool {
            switch self {
            case .transaction: false
            case .grouped(_, let direct), .combinable(_, _, _, let direct): direct
            }
        }

        /// Whether it may be run a second time after its transaction was rolled back: a write made with SQLKit alone
        /// writes only through its `GroupedWrite` (a fresh one each time), so a second run starts clean.
        var isRerunnable: Bool { if case .transaction = self { false } else { true } }

        /// The write made with SQLKit alone, run by itself.
        var alone: (@Sendable (GroupedWrite) async throws -> any Sendable)? {
            switch self {
            case .transaction: nil
            case .grouped(let body, _): body
            case .combinable(let item, _, let run, _): { write in try await run([item], write)[0] }
            }
        }

        var combinableKind: ObjectIdentifier? { if case .combinable(_, let kind, _, _) = self { kind } else { nil } }
        var combinableItem: (any Sendable)? { if case .combinable(let item, _, _, _) = self { item } else { nil } }
    }

    private struct Job {
        var work: Work
        var resume: @Sendable (Result<any Sendable, any Error>) -> Void
    }

    /// A SQLite file's own write connection, and where its commits run (an `fsync` must not hold one of Swift's few
    /// threads).
    struct Direct: Sendable {
        var writer: SQLiteFileWriter
        var threadPool: NIOThreadPool
        var eventLoop: any EventLoop
        var logger: Logger
    }

    /// An audit entry that stands alone, and the request waiting for its commit.
    private struct StandaloneEntry {
        var event: AuditEvent
        var waiter: CheckedContinuation<Void, any Error>
    }

    private var queue: [Job] = []
    private var entries: [StandaloneEntry] = []
    /// Standalone entries in the transaction being committed now (the tests look).
    private var entriesInFlight = 0
    /// The most standalone entries one transaction takes.
    static let maxEntries = 2_000
    private var refusesEntries = false
    private var knowsAuditTarget = false
    private var drainedWaiters: [CheckedContinuation<Void, Never>] = []
    private var running = false
    /// The most writes one transaction takes: enough to share a commit widely, few enough to keep the lock short.
    let maxGroup: Int
    private(set) var transactions = 0
    private(set) var writes = 0
    private var directTransactions = 0
    /// Groups run without a savepoint a write, and whether a write of the last group on that path failed.
    private var groupsWithoutSavepoints = 0
    private var lastGroupHadFailure = false
    private var entryBatches = 0
    private var combinedWrites = 0
    private var entriesWritten = 0

    init(maxGroup: Int = 64) { self.maxGroup = maxGroup }

    /// Runs `body` in a transaction (possibly shared with other writes, each in its own savepoint) and returns
    /// its result once that transaction has committed.
    func run<T: Sendable>(_ db: any Database, _ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        lastDatabase = db
        return try await enqueue(.transaction { try await body($0) })
    }

    /// Runs `body`, which writes with SQLKit only, in a transaction shared with other writes: on a SQLite file
    /// with `direct`, on its own connection with no thread switch between statements; otherwise in a Fluent
    /// transaction, as `run` does. The audit entries it asks for (`GroupedWrite.audit`) are appended with the rest of
    /// its group's, in one batch, just before the commit.
    ///
    /// Outside a SQLite file, `body` may run twice: its group first runs without a savepoint a write, and if any
    /// write of it fails, the transaction is rolled back and the group run again with them. So `body` must change
    /// nothing but through `write` (a fresh one each run) and its own local values.
    func runSQL<T: Sendable>(_ db: any Database, direct: Direct?,
                             _ body: @escaping @Sendable (GroupedWrite) async throws -> T) async throws -> T {
        lastDatabase = db
        if let direct { self.direct = direct }
        return try await enqueue(.grouped({ try await body($0) }, direct: direct != nil))
    }

    /// Runs `write` as `runSQL` runs a body, except that where the group runs without savepoints, the writes of its
    /// type queued beside it run together, in one call of `W.run` (one statement on PostgreSQL, for case openings),
    /// and stand or fall together: if they fail, the group is run again with a savepoint each, and each alone.
    func runCombinable<W: CombinableWrite>(_ db: any Database, direct: Direct?, _ write: W) async throws -> W.Value {
        lastDatabase = db
        if let direct { self.direct = direct }
        let run: @Sendable ([any Sendable], GroupedWrite) async throws -> [any Sendable] = { items, grouped in
            let values = try await W.run(items.map { $0 as! W }, on: grouped)
            precondition(values.count == items.count, "\(W.self).run must return one value a write")
            return values
        }
        return try await enqueue(.combinable(item: write, kind: ObjectIdentifier(W.self), run: run, direct: direct != nil))
    }

    /// Appends `event`, which records no change, in the next transaction (with whatever writes run in it) and returns
    /// once that has committed; throws if it could not be, or if the server is stopping (`AuditWriter.Closed`).
    /// `target` says where to write, and is asked only until the gate knows (a request's every entry need not look
    /// up the database again).
    func audit(_ event: AuditEvent, target: @Sendable () -> (db: any Database, direct: Direct?)) async throws {
        guard !refusesEntries else { throw AuditWriter.Closed() }
        if !knowsAuditTarget {
            // A write through Fluent (`run`) may have set the database already, but never the direct connection.
            let target = target()
            if lastDatabase == nil { lastDatabase = target.db }
            if let direct = target.direct { self.direct = direct }
            knowsAuditTarget = true
        }
        try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, any Error>) in
            entries.append(StandaloneEntry(event: event, waiter: waiter))
            startDraining()
        }
    }

    /// Writes the standalone entries waiting, then refuses any more (each later `audit` throws `AuditWriter.Closed`).
    func closeAudit() async {
        refusesEntries = true
        guard running else { return }
        await withCheckedContinuation { drainedWaiters.append($0) }
    }

    private func enqueue<T: Sendable>(_ work: Work) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            queue.append(Job(work: work, resume: { result in continuation.resume(with: result.map { $0 as! T }) }))
            startDraining()
        }
    }

    private func startDraining() {
        if !running, !isHeld {
            running = true
            Task { await self.drain() }
        }
    }

    private func drain() async {
        while !queue.isEmpty || !entries.isEmpty, !isHeld {
            // The writes at the head of the queue that run in the same place, and every standalone entry waiting.
            let onDirect = queue.first.map(\.work.isDirect) ?? (direct != nil)
            let group = Array(queue.prefix(maxGroup).prefix { $0.work.isDirect == onDirect })
            let standalone = Array(entries.prefix(Self.maxEntries))
            queue.removeFirst(group.count)
            entries.removeFirst(standalone.count)
            entriesInFlight = standalone.count
            // The standalone entries take the time their transaction began: one time, formatted once for all.
            let events = standalone.map(\.event)
            let outcome: Outcome
            if onDirect {
                outcome = await Self.commit(group, standalone: events, at: Date(), on: direct!)
            } else {
                // Queued by `run`, `runSQL` or `audit`, which set the database first. A group of writes made with
                // SQLKit alone goes without a savepoint each (two round trips a write on PostgreSQL) unless a write
                // of the last such group failed; if one fails, the group is rolled back and run again with them.
                // (A lone write never takes one.)
                let withoutSavepoints = !group.isEmpty && !Self.isLoneWrite(group, standalone: events)
                    && !lastGroupHadFailure && group.allSatisfy(\.work.isRerunnable)
                var tried = withoutSavepoints
                    ? await Self.commit(group, standalone: events, at: Date(), on: lastDatabase!, savepoints: false)
                    : nil
                if tried == nil { tried = await Self.commit(group, standalone: events, at: Date(), on: lastDatabase!, savepoints: true) }
                // PostgreSQL had lost a prepared statement (a pooler): nothing stood, and run again they go unnamed.
                if tried!.failure is PreparedStatementLost {
                    tried = await Self.commit(group, standalone: events, at: Date(), on: lastDatabase!, savepoints: true)
                }
                outcome = tried!
                if withoutSavepoints { groupsWithoutSavepoints += 1 }
                lastGroupHadFailure = outcome.results.contains { if case .failure = $0 { true } else { false } }
            }
            entriesInFlight = 0
            transactions += 1
            if onDirect { directTransactions += 1 }
            writes += group.count
            if outcome.failure == nil { combinedWrites += outcome.combined }
            if !standalone.isEmpty, outcome.failure == nil {
                entryBatches += 1
                entriesWritten += standalone.count
            }
            for (job, result) in zip(group, outcome.results) { job.resume(result) }
            for entry in standalone {
                if let failure = outcome.failure { entry.waiter.resume(throwing: failure) } else { entry.waiter.resume() }
            }
        }
        running = false
        for waiter in drainedWaiters { waiter.resume() }
        drainedWaiters.removeAll()
    }

    /// What one transaction came to: each write's own result, and the transaction's failure if it did not commit
    /// (then nothing of it is stored, and every write's result is that failure).
    private struct Outcome {
        var results: [Result<any Sendable, any Error>]
        var failure: (any Error)?
        /// Writes that ran together with others of their kind (`runCombinable`).
        var combined = 0

        static func failed(_ error: any Error, count: Int) -> Outcome {
            Outcome(results: Array(repeating: .failure(error), count: count), failure: error)
        }
    }

    /// One write with no entries beside it: it runs as it always did, without a savepoint (its error rolls the
    /// transaction back).
    private static func isLoneWrite(_ group: [Job], standalone: [AuditEvent]) -> Bool {
        group.count == 1 && standalone.isEmpty
    }

    /// The group's writes in runs, in order: writes of one combinable kind queued one after another make one run; any
    /// other write is a run of its own.
    private static func runs(of group: [Job]) -> [ArraySlice<Job>] {
        var runs: [ArraySlice<Job>] = []
        var start = group.startIndex
        while start < group.endIndex {
            let kind = group[start].work.combinableKind
            let end = kind.map { kind in group[start...].firstIndex { $0.work.combinableKind != kind } ?? group.endIndex } ?? start + 1
            runs.append(group[start..<end])
            start = end
        }
        return runs
    }

    /// A write's own error in a group run without savepoints: the whole transaction is rolled back for it.
    private struct WriteFailedWithoutSavepoint: Error {}

    /// One transaction for the group and the standalone entries. A lone write with no entries beside it runs as it
    /// always did (its error rolls the transaction back); otherwise each write has a savepoint, and a failure is
    /// rolled back to it while the others, and the entries, go on. Without `savepoints`, a write's failure rolls the
    /// whole transaction back and the answer is nil: nothing is stored, and the group is to be run again with them.
    private static func commit(_ group: [Job], standalone: [AuditEvent], at time: Date, on db: any Database,
                               savepoints: Bool) async -> Outcome? {
        do {
            let (results, combined) = try await db.transaction { tx -> ([Result<any Sendable, any Error>], Int) in
                let sql = tx as! any SQLDatabase
                // Standalone entries alone need no lock of their own: appending them takes it first.
                if !group.isEmpty { try await sql.raw("UPDATE audit_head SET sequence = sequence WHERE id = 1").run() }
                let audit = GroupedWrite.Audit()
                /// Runs one write; its audit entries, if it asked for any, are taken only once it stands.
                func run(_ work: Work) async throws -> (value: any Sendable, write: GroupedWrite?) {
                    if case .transaction(let body) = work { return (try await body(tx), nil) }
                    let write = GroupedWrite(sql: sql)
                    return (try await work.alone!(write), write)
                }
                if isLoneWrite(group, standalone: standalone) {
                    let ran = try await run(group[0].work)
                    if let write = ran.write { audit.take(write) }
                    try await audit.append(on: sql)
                    return ([.success(ran.value)], 0)
                }
                var results: [Result<any Sendable, any Error>] = []
                results.reserveCapacity(group.count)
                var combined = 0
                if !savepoints {
                    for writes in Self.runs(of: group) {
                        let write: GroupedWrite?
                        do {
                            if writes.count > 1, case .combinable(_, _, let runTogether, _) = writes.first!.work {
                                let grouped = GroupedWrite(sql: sql)
                                results += try await runTogether(writes.map(\.work.combinableItem!), grouped).map { .success($0) }
                                write = grouped
                                combined += writes.count
                            } else {
                                let ran = try await run(writes.first!.work)
                                write = ran.write
                                results.append(.success(ran.value))
                            }
                        } catch { throw WriteFailedWithoutSavepoint() }
                        if let write { audit.take(write) }
                    }
                    audit.take(standalone, at: time)
                    try await audit.append(on: sql)
                    return (results, combined)
                }
                for (index, job) in group.enumerated() {
                    let savepoint = "w\(index)"
                    // A write that failed only because PostgreSQL had lost a statement prepared on this connection (a
                    // pooler) runs again once from its savepoint: the process prepares no more, so it goes unnamed.
                    for attempt in 1...2 {
                        try await sql.raw("SAVEPOINT \(unsafeRaw: savepoint)").run()
                        do {
                            let ran = try await run(job.work)
                            try await sql.raw("RELEASE SAVEPOINT \(unsafeRaw: savepoint)").run()
                            if let write = ran.write { audit.take(write) }
                            results.append(.success(ran.value))
                            break
                        } catch {
                            try await sql.raw("ROLLBACK TO SAVEPOINT \(unsafeRaw: savepoint)").run()
                            try await sql.raw("RELEASE SAVEPOINT \(unsafeRaw: savepoint)").run()
                            if error is PreparedStatementLost, attempt == 1 { continue }
                            results.append(.failure(error))
                            break
                        }
                    }
                }
                // The audit entries of the writes that stood, then the standalone ones; if they cannot be appended,
                // none of the group stands.
                audit.take(standalone, at: time)
                try await audit.append(on: sql)
                return (results, 0)
            }
            return Outcome(results: results, failure: nil, combined: combined)
        } catch is WriteFailedWithoutSavepoint {
            return nil
        } catch {
            // The transaction itself failed (the lone write's own error, or the commit): nothing of it is stored.
            return .failed(error, count: group.count)
        }
    }

    /// The same on a SQLite file's own connection: the statements run here, with no thread switch between them (they
    /// touch memory only), and the commit, which waits for the disk, on the thread pool.
    private static func commit(_ group: [Job], standalone: [AuditEvent], at time: Date, on direct: Direct) async -> Outcome {
        let writer = direct.writer
        let sql = writer.sql(on: direct.eventLoop, logger: direct.logger)
        do {
            try writer.begin()
            let audit = GroupedWrite.Audit()
            var results: [Result<any Sendable, any Error>] = []
            results.reserveCapacity(group.count)
            for (index, job) in group.enumerated() {
                guard let body = job.work.alone else { continue }
                let savepoint = "w\(index)"
                try writer.savepoint(savepoint)
                do {
                    let write = GroupedWrite(sql: sql)
                    let value = try await body(write)
                    try writer.release(savepoint)
                    audit.take(write)
                    results.append(.success(value))
                } catch {
                    try writer.rollback(to: savepoint)
                    results.append(.failure(error))
                }
            }
            // The audit entries of the writes that stood, then the standalone ones; if they cannot be appended, none
            // of the group stands.
            audit.take(standalone, at: time)
            try await audit.append(on: sql)
            try await direct.threadPool.runIfActive { try writer.commit() }
            return Outcome(results: results, failure: nil)
        } catch {
            writer.rollback()
            return .failed(error, count: group.count)
        }
    }

    /// Transactions committed and writes in them (for the tests and the benchmark).
    func counts() -> (transactions: Int, writes: Int) { (transactions, writes) }

    /// Transactions that committed standalone entries, and the entries in them.
    func entryCounts() -> (batches: Int, entries: Int) { (entryBatches, entriesWritten) }

    /// Standalone entries waiting for their commit, including those being committed now (the tests look).
    func pendingEntryCount() -> Int { entries.count + entriesInFlight }

    /// Writes waiting for a transaction (the tests look).
    func queuedWriteCount() -> Int { queue.count }

    /// Transactions run on a SQLite file's own write connection (the tests look).
    func directTransactionCount() -> Int { directTransactions }

    /// Writes committed having run together with others of their kind (the tests look).
    func combinedWriteCount() -> Int { combinedWrites }

    /// Groups first run without a savepoint a write (the tests look).
    func groupsWithoutSavepointsCount() -> Int { groupsWithoutSavepoints }

    // MARK: Holding the gate (tests only)

    private var isHeld = false
    private var lastDatabase: (any Database)?
    private var direct: Direct?

    /// Starts no new transaction until `release()`: writes queue meanwhile. For tests that show reads take no
    /// write lock.
    func acquire() async { isHeld = true }

    func release() {
        isHeld = false
        if !queue.isEmpty || !entries.isEmpty { startDraining() }
    }
}

/// A write run by `WriteGate.runSQL`: its transaction's SQL, and the audit entries it asks for, which the gate
/// appends for its whole group at once (one lock of the head, one insert, one update of the head instead of those
/// for each write), after every write of the group has run and before the commit. So a write and its entries are
/// still committed together or not at all; a write that fails takes its entries with it.
///
/// ```swift
/// try await gate.runSQL(db, direct: direct) { write in
///     let opened = try await store.openCase(…, on: write.sql)
///     write.audit(event, at: now)
/// }
/// ```
final class GroupedWrite: @unchecked Sendable {
    // One write's body uses it, one statement at a time; the gate reads it only once that body has returned.
    let sql: any SQLDatabase
    private var events: [AuditEvent] = []
    private var times: [Date] = []

    init(sql: any SQLDatabase) { self.sql = sql }

    func audit(_ events: [AuditEvent], at time: Date = Date()) {
        self.events += events
        times += Array(repeating: time, count: events.count)
    }

    func audit(_ event: AuditEvent, at time: Date = Date()) { audit([event], at: time) }

    /// The entries of a group's writes that stood, in the order they ran.
    final class Audit: @unchecked Sendable {
        private var events: [AuditEvent] = []
        private var times: [Date] = []

        func take(_ write: GroupedWrite) {
            events += write.events
            times += write.times
        }

        func take(_ standalone: [AuditEvent], at time: Date) {
            events += standalone
            times += Array(repeating: time, count: standalone.count)
        }

        func append(on sql: any SQLDatabase) async throws {
            guard !events.isEmpty else { return }
            try await AuditChain.append(events, at: times, on: sql)
        }
    }
}

/// A write the gate may run together with the writes of its type queued beside it (`WriteGate.runCombinable`): opening
/// a case on PostgreSQL is one statement whether it stores one case or forty, and the gate holds the database for a
/// round trip a statement. `run` writes through `write` only and audits there; it returns one value a write, in order,
/// and if it throws, none of them is stored.
///
/// ```swift
/// struct Opening: CombinableWrite {
///     static func run(_ writes: [Opening], on write: GroupedWrite) async throws -> [Opened] { … }
/// }
/// let opened = try await gate.runCombinable(db, direct: direct, Opening(…))
/// ```
protocol CombinableWrite: Sendable {
    associatedtype Value: Sendable
    static func run(_ writes: [Self], on write: GroupedWrite) async throws -> [Value]
}

struct WriteGateKey: StorageKey { typealias Value = WriteGate }

extension Application {
    var writeGate: WriteGate {
        kept(WriteGateKey.self) { WriteGate() }
    }

    /// Runs `body` in one transaction, serialised with this process's other writes (and grouped with them).
    public func write<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await writeGate.run(db, body)
    }
}

extension Application {
    /// The write gate's way to this SQLite file's own write connection; nil on PostgreSQL and in memory.
    var directWrites: WriteGate.Direct? {
        sqliteWriter.map { WriteGate.Direct(writer: $0, threadPool: threadPool, eventLoop: eventLoopGroup.any(), logger: logger) }
    }

    /// Runs `body`, which writes with SQLKit only, in one transaction serialised with this process's other writes;
    /// on a SQLite file, on its own connection without a thread switch between statements (`WriteGate.runSQL`).
    func writeSQL<T: Sendable>(_ body: @escaping @Sendable (GroupedWrite) async throws -> T) async throws -> T {
        try await writeGate.runSQL(db, direct: directWrites, body)
    }
}

extension Request {
    func write<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await application.writeGate.run(db, body)
    }
}
