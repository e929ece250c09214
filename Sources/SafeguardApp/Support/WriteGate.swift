import FluentKit
import SQLKit
import Vapor

/// Serialises write transactions: within this process by an async lock, and across processes by taking the audit
/// head's row lock (PostgreSQL) or the database write lock (SQLite) as the first statement of each transaction.
actor WriteGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !busy { busy = true; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }

    func run<T: Sendable>(_ db: any Database, _ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        await acquire()
        do {
            let result = try await db.transaction { tx in
                // Take the write lock first (SQLite) / the audit head's row lock (PostgreSQL), before any read:
                // a transaction never reads a snapshot that another process's write could make stale.
                try await (tx as! any SQLDatabase).raw("UPDATE audit_head SET sequence = sequence WHERE id = 1").run()
                return try await body(tx)
            }
            release()
            return result
        } catch {
            release()
            throw error
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

    /// Runs `body` in one transaction, serialised with this process's other writes.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await writeGate.run(db, body)
    }
}

extension Request {
    func write<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await application.writeGate.run(db, body)
    }
}
