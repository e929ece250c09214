import FluentKit
import SQLKit
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
    private struct Job {
        var run: @Sendable (any Database) async throws -> any Sendable
        var resume: @Sendable (Result<any Sendable, any Error>) -> Void
        /// Runs on its own, outside any transaction of the gate's (it makes its own): see `alone(_:)`.
        var alone: (@Sendable () async throws -> any Sendable)? = nil
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
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            queue.append(Job(run: { try await body($0) }, resume: { result in
                continuation.resume(with: result.map { $0 as! T })
            }))
            lastDatabase = db
            if !running, !isHeld {
                running = true
                Task { await self.drain(db) }
            }
        }
    }

    /// Runs `body` with no other write of this process's running: for a writer with a connection of its own
    /// (`SQLiteAuditWriter`), which makes its own transaction. It queues in order with every other write.
    func alone<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            queue.append(Job(run: { _ in try await body() }, resume: { result in
                continuation.resume(with: result.map { $0 as! T })
            }, alone: { try await body() }))
            if !running, !isHeld {
                running = true
                Task { await self.drain(lastDatabase) }
            }
        }
    }

    private func drain(_ db: (any Database)?) async {
        while !queue.isEmpty, !isHeld {
            if let alone = queue[0].alone {
                let job = queue.removeFirst()
                let result: Result<any Sendable, any Error>
                do { result = .success(try await alone()) } catch { result = .failure(error) }
                transactions += 1
                writes += 1
                job.resume(result)
                continue
            }
            // Jobs that need a transaction come only from `run`, which sets the database first.
            guard let db = db ?? lastDatabase else { break }
            let group = Array(queue.prefix(maxGroup).prefix { $0.alone == nil })
            queue.removeFirst(group.count)
            let results = await Self.commit(group, on: db)
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
                if group.count == 1 {
                    return [.success(try await group[0].run(tx))]
                }
                var results: [Result<any Sendable, any Error>] = []
                results.reserveCapacity(group.count)
                for (index, job) in group.enumerated() {
                    let savepoint = "w\(index)"
                    try await sql.raw("SAVEPOINT \(unsafeRaw: savepoint)").run()
                    do {
                        let value = try await job.run(tx)
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

    /// Transactions committed and writes in them (for the tests and the benchmark).
    func counts() -> (transactions: Int, writes: Int) { (transactions, writes) }

    // MARK: Holding the gate (tests only)

    private var isHeld = false
    private var lastDatabase: (any Database)?

    /// Starts no new transaction until `release()`: writes queue meanwhile. For tests that show reads take no
    /// write lock.
    func acquire() async { isHeld = true }

    func release() {
        isHeld = false
        if !queue.isEmpty, !running {
            running = true
            Task { await self.drain(lastDatabase) }
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

extension Request {
    func write<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await application.writeGate.run(db, body)
    }
}
