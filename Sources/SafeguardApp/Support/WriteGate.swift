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
/// ```swift
/// let opened = try await app.write { db in try await CaseStore(db: db, cipher: cipher).openCase(…) }
/// ```
actor WriteGate {
    /// What a queued write runs: in a Fluent transaction, or in a transaction on a SQLite file's own connection
    /// (`runSQL`); either shared with the writes of its kind queued beside it.
    private enum Work {
        case transaction(@Sendable (any Database) async throws -> any Sendable)
        case direct(@Sendable (any SQLDatabase) async throws -> any Sendable)

        var isTransaction: Bool { if case .transaction = self { true } else { false } }
        var isDirect: Bool { if case .direct = self { true } else { false } }
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

    private var queue: [Job] = []
    private var running = false
    /// The most writes one transaction takes: enough to share a commit widely, few enough to keep the lock short.
    let maxGroup: Int
    private(set) var transactions = 0
    private(set) var writes = 0

    init(maxGroup: Int = 64) { self.maxGroup = maxGroup }

    /// Runs `body` in a transaction (possibly shared with other writes, each in its own savepoint) and returns
    /// its result once that transaction has committed.
    func run<T: Sendable>(_ db: any Database, _ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        lastDatabase = db
        return try await enqueue(.transaction { try await body($0) })
    }

    /// Runs `body`, which writes with SQLKit only, in a transaction shared with other such writes: on a SQLite file
    /// with `direct`, on its own connection with no thread switch between statements; otherwise in a Fluent
    /// transaction, as `run` does.
    func runSQL<T: Sendable>(_ db: any Database, direct: Direct?,
                             _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        guard let direct else { return try await run(db) { try await body($0 as! any SQLDatabase) } }
        self.direct = direct
        return try await enqueue(.direct { try await body($0) })
    }

    private func enqueue<T: Sendable>(_ work: Work) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            queue.append(Job(work: work, resume: { result in continuation.resume(with: result.map { $0 as! T }) }))
            if !running, !isHeld {
                running = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !queue.isEmpty, !isHeld {
            let results: [Result<any Sendable, any Error>]
            let group: [Job]
            switch queue[0].work {
            case .transaction:
                // Queued by `run`, which sets the database first.
                group = Array(queue.prefix(maxGroup).prefix { $0.work.isTransaction })
                results = await Self.commit(group, on: lastDatabase!)
            case .direct:
                group = Array(queue.prefix(maxGroup).prefix { $0.work.isDirect })
                results = await Self.commit(group, on: direct!)
            }
            queue.removeFirst(group.count)
            transactions += 1
            writes += group.count
            for (job, result) in zip(group, results) { job.resume(result) }
        }
        running = false
    }

    /// One transaction for the group. A lone write runs as it always did (its error rolls the transaction back);
    /// in a group each write has a savepoint, and a failure is rolled back to it while the others go on.
    private static func commit(_ group: [Job], on db: any Database) async -> [Result<any Sendable, any Error>] {
        do {
            return try await db.transaction { tx in
                let sql = tx as! any SQLDatabase
                try await sql.raw("UPDATE audit_head SET sequence = sequence WHERE id = 1").run()
                if group.count == 1, case .transaction(let body) = group[0].work {
                    return [.success(try await body(tx))]
                }
                var results: [Result<any Sendable, any Error>] = []
                results.reserveCapacity(group.count)
                for (index, job) in group.enumerated() {
                    guard case .transaction(let body) = job.work else { continue }
                    let savepoint = "w\(index)"
                    try await sql.raw("SAVEPOINT \(unsafeRaw: savepoint)").run()
                    do {
                        let value = try await body(tx)
                        try await sql.raw("RELEASE SAVEPOINT \(unsafeRaw: savepoint)").run()
                        results.append(.success(value))
                    } catch {
                        try await sql.raw("ROLLBACK TO SAVEPOINT \(unsafeRaw: savepoint)").run()
                        try await sql.raw("RELEASE SAVEPOINT \(unsafeRaw: savepoint)").run()
                        results.append(.failure(error))
                    }
                }
                return results
            }
        } catch {
            // The transaction itself failed (the lone write's own error, or the commit): nothing of it is stored.
            return Array(repeating: .failure(error), count: group.count)
        }
    }

    /// The same on a SQLite file's own connection: the statements run here, with no thread switch between them (they
    /// touch memory only), and the commit, which waits for the disk, on the thread pool.
    private static func commit(_ group: [Job], on direct: Direct) async -> [Result<any Sendable, any Error>] {
        let writer = direct.writer
        let sql = writer.sql(on: direct.eventLoop, logger: direct.logger)
        do {
            try writer.begin()
            var results: [Result<any Sendable, any Error>] = []
            results.reserveCapacity(group.count)
            for (index, job) in group.enumerated() {
                guard case .direct(let body) = job.work else { continue }
                let savepoint = "w\(index)"
                try writer.savepoint(savepoint)
                do {
                    let value = try await body(sql)
                    try writer.release(savepoint)
                    results.append(.success(value))
                } catch {
                    try writer.rollback(to: savepoint)
                    results.append(.failure(error))
                }
            }
            try await direct.threadPool.runIfActive { try writer.commit() }
            return results
        } catch {
            writer.rollback()
            return Array(repeating: .failure(error), count: group.count)
        }
    }

    /// Transactions committed and writes in them (for the tests and the benchmark).
    func counts() -> (transactions: Int, writes: Int) { (transactions, writes) }

    // MARK: Holding the gate (tests only)

    private var isHeld = false
    private var lastDatabase: (any Database)?
    private var direct: Direct?

    /// Starts no new transaction until `release()`: writes queue meanwhile. For tests that show reads take no
    /// write lock.
    func acquire() async { isHeld = true }

    func release() {
        isHeld = false
        if !queue.isEmpty, !running {
            running = true
            Task { await self.drain() }
        }
    }
}

struct WriteGateKey: StorageKey { typealias Value = WriteGate }

extension Application {
    var writeGate: WriteGate {
        if let gate = storage[WriteGateKey.self] { return gate }
        let gate = WriteGate()
        storage[WriteGateKey.self] = gate
        return gate
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
    public func writeSQL<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await writeGate.runSQL(db, direct: directWrites, body)
    }
}

extension Request {
    func write<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await application.writeGate.run(db, body)
    }
}
